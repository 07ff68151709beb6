"""Planned against delivered dosage, on a hand-built GPS track."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.planning.compliance import compare_with_plan
from geo.schema import BNG


def test_planned_against_delivered_by_hand():
    plan = gpd.GeoDataFrame(
        {
            "hotspot_id": [1, 2],
            "name": ["Inside", "Never visited"],
            "visits_per_day": [2, 3],
            "minutes_per_day": [30.0, 45.0],
        },
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(1000, 0, 1100, 100)],
        crs=BNG,
    ).assign(geometry=lambda f: f.translate(290000, 63000))
    # One unit: inside hotspot 1 for pings at 18:00..18:14 (a 14-minute visit), then away.
    minutes = np.arange(0, 30)
    inside = minutes < 15
    pings = pd.DataFrame(
        {
            "unit_id": "U1",
            "role": "police",
            "shift_id": "S1",
            "timestamp": pd.Timestamp("2026-01-09 18:00", tz="Europe/London")
            + pd.to_timedelta(minutes, unit="min"),
            "easting": np.where(inside, 290050.0, 290500.0),
            "northing": 63050.0,
            "source": "test",
        }
    )
    table = compare_with_plan(plan, pings, "2026-01-09", "2026-01-10").set_index("hotspot_id")
    assert table.loc[1, "planned_visits"] == 2 and table.loc[1, "delivered_visits"] == 1
    # 14 min between inside pings, plus the exit interpolated on the edge 50 m from the last
    # inside ping on the way to one 450 m away: 50/450 of a minute.
    assert table.loc[1, "delivered_minutes"] == pytest.approx(14.0 + 50 / 450)
    assert table.loc[1, "minutes_pct"] == pytest.approx(100 * (14 + 50 / 450) / 30)
    assert table.loc[1, "koper_visits"] == 1
    assert table.loc[2, "delivered_visits"] == 0 and table.loc[2, "visits_pct"] == 0
    two_days = compare_with_plan(plan, pings, "2026-01-09", "2026-01-11").set_index("hotspot_id")
    assert two_days.loc[1, "planned_minutes"] == 60.0 and two_days.loc[1, "days"] == 2


def test_nothing_planned_gives_nan_percent_not_inf():
    plan = gpd.GeoDataFrame(
        {
            "hotspot_id": [1],
            "name": ["Unscheduled"],
            "visits_per_day": [0],
            "minutes_per_day": [0.0],
        },
        geometry=[shapely.box(290000, 63000, 290100, 63100)],
        crs=BNG,
    )
    pings = pd.DataFrame(
        {
            "unit_id": "U1",
            "role": "police",
            "shift_id": "S1",
            "timestamp": pd.date_range(
                "2026-01-09 18:00", periods=3, freq="min", tz="Europe/London"
            ),
            "easting": 290050.0,
            "northing": 63050.0,
            "source": "test",
        }
    )
    table = compare_with_plan(plan, pings, "2026-01-09", "2026-01-10")
    assert table["visits_pct"].isna().all() and table["minutes_pct"].isna().all()
    assert table["delivered_visits"].iloc[0] == 1


def _one_hotspot_plan(plan_date):
    from geo.planning.planner import PlanSettings, plan_patrols

    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": [1], "name": ["Inside"], "risk": [5.0]},
        geometry=[shapely.box(290000, 63000, 290100, 63100)],
        crs=BNG,
    )
    settings = PlanSettings(
        hours_per_day=1, shift_start="18:00", shift_end="02:00", plan_date=plan_date
    )
    return plan_patrols(hotspots, settings)


def _pings_inside(start: str, minutes: int) -> pd.DataFrame:
    stamps = pd.Timestamp(start, tz="Europe/London") + pd.to_timedelta(
        np.arange(minutes), unit="min"
    )
    return pd.DataFrame(
        {
            "unit_id": "U1",
            "role": "police",
            "shift_id": "S1",
            "timestamp": stamps,
            "easting": 290050.0,
            "northing": 63050.0,
            "source": "test",
        }
    )


def test_plan_is_compared_with_the_same_shifts_only():
    import datetime as dt

    from geo.planning.compliance import compare_plan_period

    plan = _one_hotspot_plan(dt.date(2026, 1, 9))
    pings = pd.concat(
        [
            _pings_inside("2026-01-09 18:00", 15),  # in the plan's first shift
            _pings_inside("2026-01-10 01:00", 15),  # same shift, after midnight
            _pings_inside("2026-01-10 10:00", 60),  # daytime: not the plan's hours
            _pings_inside("2025-12-20 18:00", 60),  # December: not the plan's period
        ],
        ignore_index=True,
    )
    compared = compare_plan_period(plan, pings, days=7)
    assert compared.table is not None
    row = compared.table.iloc[0]
    assert row["days"] == 7
    assert row["delivered_minutes"] == pytest.approx(28, abs=2)  # two 14-minute stays
    assert row["planned_minutes"] == pytest.approx(7 * plan.plan["minutes_per_day"].iloc[0])
    assert "Fri 09 Jan 2026 to Thu 15 Jan 2026, 18:00-02:00" in compared.message


def test_no_delivered_data_in_the_plans_period_is_said():
    import datetime as dt

    from geo.planning.compliance import compare_plan_period

    plan = _one_hotspot_plan(dt.date(2026, 1, 9))
    compared = compare_plan_period(plan, _pings_inside("2025-12-01 18:00", 30))
    assert compared.table is None
    assert compared.message.startswith("No delivered patrols cover the plan's period")
    assert "01 Dec 2025 to 01 Dec 2025" in compared.message
