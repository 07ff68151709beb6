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
