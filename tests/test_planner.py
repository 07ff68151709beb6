"""Patrol allocation: hours and Koper bounds always hold; schedule consistent; CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import cli
from geo.checks import GeoInputError
from geo.io import datasets, store
from geo.planning import planner
from geo.planning.forecast import UnitSpec, forecast_next
from geo.planning.planner import (
    MAX_GAP_MIN,
    PlanSettings,
    allocate_visits,
    capacity,
    peak_gap,
    plan_patrols,
    unit_groups,
)
from geo.schema import BNG

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 1, 9)


def hotspots(risks) -> gpd.GeoDataFrame:
    """Squares 50 m wide, 200 m apart, in Torquay, with the given risks."""
    n = len(risks)
    boxes = shapely.box(290000 + 200 * np.arange(n), 63000, 290050 + 200 * np.arange(n), 63050)
    return gpd.GeoDataFrame(
        {"hotspot_id": np.arange(1, n + 1), "name": [f"Place {i}" for i in range(1, n + 1)]},
        geometry=boxes,
        crs=BNG,
    ).assign(risk=risks)


clock = st.integers(0, 23).map(lambda h: f"{h:02d}:00")


@settings(max_examples=60, deadline=None)
@given(
    hours=st.floats(0.1, 40),
    units=st.integers(1, 4),
    risks=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=12),
    minutes=st.floats(10, 16),
    travel=st.floats(0, 15),
    start=clock,
    end=clock,
    seed=st.integers(0, 1000),
)
def test_plan_respects_hours_koper_bounds_and_shifts(
    hours, units, risks, minutes, travel, start, end, seed
):
    options = PlanSettings(
        hours_per_day=hours,
        units=units,
        shift_start=start,
        shift_end=end,
        minutes_per_visit=minutes,
        travel_minutes=travel,
        seed=seed,
        plan_date=DAY,
    )
    plan = plan_patrols(hotspots(risks), options)
    table, schedule = plan.plan, plan.schedule
    # Never more on-site time than the hours available.
    assert table["minutes_per_day"].sum() <= hours * 60 + 1e-6
    assert plan.minutes_used == pytest.approx(len(schedule) * minutes)
    # Every visit is a Koper visit of 10-16 minutes.
    assert ((table["minutes_per_visit"] >= 10) & (table["minutes_per_visit"] <= 16)).all()
    lengths = (schedule["end"] - schedule["start"]).dt.total_seconds() / 60
    assert np.allclose(lengths, minutes)
    # Visits inside the shift, one at a time per unit, with travel time between them.
    shift = plan.capacity.shift
    assert (schedule["start"] >= shift[0]).all() and (schedule["end"] <= shift[1]).all()
    for _, visits in schedule.groupby("unit"):
        starts = visits["start"].sort_values()
        gaps = starts.diff().dt.total_seconds().dropna() / 60
        assert (gaps >= minutes + travel - 1e-6).all()
    # The table and the schedule agree; only positive risks get visits, highest first.
    counts = schedule.groupby("hotspot_id").size()
    assert counts.reindex(table["hotspot_id"]).tolist() == table["visits_per_day"].tolist()
    assert (table["risk"] > 0).all()
    assert table["risk"].is_monotonic_decreasing
    assert len(table) <= options.max_hotspots


@settings(max_examples=100, deadline=None)
@given(
    risks=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=15).map(
        lambda r: sorted(r, reverse=True)
    ),
    total=st.integers(0, 200),
    floor=st.integers(1, 8),
    cap=st.integers(1, 40),
)
def test_allocation_sums_caps_and_follows_risk(risks, total, floor, cap):
    cap = max(cap, floor)
    visits = allocate_visits(np.array(risks), total, floor, cap)
    assert visits.sum() <= total
    assert (visits <= cap).all()
    assert (np.diff(visits) <= 0).all()  # never more visits for a lower risk
    if total >= floor:
        chosen = visits[visits > 0]
        assert (chosen >= floor).all()
        # Everything is used unless every hotspot is at its cap.
        assert visits.sum() == total or (visits[: len(chosen)] == cap).all()


def test_allocation_by_hand():
    # 12 visits, 2 each for the 2-hour rule, the 6 left shared 3 : 2 : 1.
    assert allocate_visits(np.array([3.0, 2.0, 1.0]), 12, 2, 24).tolist() == [5, 4, 3]
    # Too few visits for the rule: one each to the top hotspots.
    assert allocate_visits(np.array([3.0, 2.0, 1.0]), 2, 4, 24).tolist() == [1, 1, 0]


def test_every_two_hours_in_the_peak_when_hours_allow():
    options = PlanSettings(
        hours_per_day=8,
        units=2,
        shift_start="16:00",
        shift_end="00:00",
        peak_start="18:00",
        peak_end="00:00",
        plan_date=DAY,
        seed=3,
    )
    plan = plan_patrols(hotspots([9.0, 7.0, 5.0, 3.0, 2.0]), options)
    room = capacity(options)
    assert room.floor == 4  # ceil(360 / (120 - 20))
    assert (plan.plan["visits_per_day"] >= room.floor).all()
    assert (plan.plan["max_gap_min"] <= MAX_GAP_MIN).all()
    assert plan.plan["every_2h"].all()
    assert not plan.notes


def test_schedule_is_reproducible_and_seed_changes_order():
    risks = [9.0, 7.0, 5.0, 3.0]
    first = plan_patrols(hotspots(risks), PlanSettings(6, units=2, plan_date=DAY, seed=1))
    again = plan_patrols(hotspots(risks), PlanSettings(6, units=2, plan_date=DAY, seed=1))
    other = plan_patrols(hotspots(risks), PlanSettings(6, units=2, plan_date=DAY, seed=2))
    pd.testing.assert_frame_equal(first.schedule, again.schedule)
    assert first.schedule["hotspot_id"].tolist() != other.schedule["hotspot_id"].tolist()


def test_peak_gap_by_hand():
    peak = (pd.Timestamp("2026-01-09 18:00", tz="Europe/London"),) * 2
    peak = (peak[0], peak[0] + pd.Timedelta(hours=6))
    starts = pd.Series(pd.to_datetime(["2026-01-09 19:00", "2026-01-09 21:30"]))
    starts = starts.dt.tz_localize("Europe/London")
    assert peak_gap(starts, peak) == 150.0  # 19:00 -> 21:30


def test_overnight_shift_crosses_midnight_in_local_time():
    plan = plan_patrols(
        hotspots([5.0]),
        PlanSettings(2, shift_start="22:00", shift_end="02:00", plan_date=DAY),
    )
    start, end = plan.capacity.shift
    assert (start.hour, end.hour, end.date()) == (22, 2, DAY + dt.timedelta(days=1))
    assert str(start.tz) == "Europe/London"


def test_notes_say_when_hours_exceed_the_shift():
    plan = plan_patrols(hotspots([5.0, 4.0]), PlanSettings(30, units=1, plan_date=DAY))
    assert any("more than 1 unit(s) can deliver" in note for note in plan.notes)
    assert plan.minutes_used <= 8 * 60


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"minutes_per_visit": 20}, "minutes_per_visit"),
        ({"minutes_per_visit": 5}, "minutes_per_visit"),
        ({"hours_per_day": 0}, "hours_per_day"),
        ({"units": 0}, "units"),
        ({"shift_start": "25:00"}, "shift_start"),
        ({"peak_start": "18:00"}, "peak_start"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, text):
    with pytest.raises(GeoInputError, match=text):
        PlanSettings(**{"hours_per_day": 6, **kwargs})


def test_peak_outside_the_shift_is_refused():
    with pytest.raises(GeoInputError, match="peak"):
        plan_patrols(
            hotspots([1.0]),
            PlanSettings(
                6,
                shift_start="08:00",
                shift_end="16:00",
                peak_start="18:00",
                peak_end="20:00",
                plan_date=DAY,
            ),
        )


def test_cli_plan_writes_plan_equal_to_geo(tmp_path, capsys):
    path = datasets.get_dataset("torbay").incidents_path
    out = tmp_path / "PLAN.csv"
    code = cli.main(
        [
            "plan", str(path), "--hours-per-day", "5", "--units", "2",
            "--category", "Anti-social behaviour", "--min-samples", "15",
            "--date", "2026-01-09", "--gpx", str(tmp_path / "plan.gpx"), "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    written = pd.read_csv(out)
    assert {"hotspot_id", "name", "visits_per_day", "minutes_per_visit", "minutes_per_day"} <= set(
        written.columns
    )
    assert written["minutes_per_day"].sum() <= 5 * 60
    incidents = store.read_incidents(path, categories=["Anti-social behaviour"])
    expected = plan_patrols(
        forecast_next(incidents, units=UnitSpec("hotspots", min_samples=15)).table,
        PlanSettings(5, units=2, plan_date=dt.date(2026, 1, 9)),
    ).plan
    assert written["hotspot_id"].tolist() == expected["hotspot_id"].tolist()
    assert written["visits_per_day"].tolist() == expected["visits_per_day"].tolist()
    assert (tmp_path / "plan.gpx").exists()
    assert "wrote" in capsys.readouterr().out


def test_cli_plan_bad_input_is_one_line(tmp_path, capsys):
    path = datasets.get_dataset("torbay").incidents_path
    code = cli.main(
        ["plan", str(path), "--hours-per-day", "5", "--minutes-per-visit", "30",
         "--out", str(tmp_path / "p.csv")]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "minutes_per_visit" in err


def spread_hotspots(xy_m, risks) -> gpd.GeoDataFrame:
    """50 m squares with lower-left corners at BNG offsets ``xy_m`` from Torquay."""
    xy = np.asarray(xy_m, dtype="float64") + [290_000.0, 63_000.0]
    boxes = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 50, xy[:, 1] + 50)
    return gpd.GeoDataFrame(
        {"hotspot_id": np.arange(1, len(xy) + 1), "name": [f"P{i}" for i in range(len(xy))]},
        geometry=boxes,
        crs=BNG,
    ).assign(risk=risks)


def test_units_patrol_compact_groups_not_the_whole_area():
    # Three hotspots in Torquay and three 5 km away, as Paignton is: one unit each.
    table = spread_hotspots(
        [[0, 0], [300, 0], [0, 300], [5_000, -3_000], [5_300, -3_000], [5_000, -2_700]],
        [9.0, 8.0, 7.0, 8.5, 7.5, 6.5],
    )
    options = PlanSettings(hours_per_day=10, units=2, plan_date=DAY, seed=1)
    schedule = plan_patrols(table, options).schedule
    side = schedule["hotspot_id"].map(lambda i: "east" if i >= 4 else "west")
    assert side.groupby(schedule["unit"]).nunique().tolist() == [1, 1]
    assert schedule["travel_km"].max() < 1.0  # never across the 5 km gap


@pytest.mark.parametrize(("mode", "kmh"), [("foot", 5.0), ("vehicle", 30.0)])
def test_travel_time_follows_distance_and_speed(mode, kmh):
    table = spread_hotspots([[0, 0], [1_000, 0]], [5.0, 5.0])
    options = PlanSettings(
        hours_per_day=4, units=1, plan_date=DAY, patrol_mode=mode, vehicle_kmh=30.0
    )
    schedule = plan_patrols(table, options).schedule
    moves = schedule[schedule["hotspot_id"].diff().fillna(0) != 0]
    assert len(moves) >= 1
    expected_min = 1.0 * 1.3 / kmh * 60  # 1 km apart, road circuity 1.3
    assert moves["travel_km"].tolist() == pytest.approx([1.3] * len(moves))
    assert moves["travel_min"].tolist() == pytest.approx([expected_min] * len(moves))
    gaps = schedule["start"].diff().dt.total_seconds().to_numpy()[1:] / 60
    moved = schedule["hotspot_id"].diff().to_numpy()[1:] != 0
    assert (gaps[moved] >= options.minutes_per_visit + expected_min - 1e-6).all()


def test_unknown_patrol_mode_is_named():
    with pytest.raises(GeoInputError, match="patrol_mode"):
        PlanSettings(hours_per_day=4, patrol_mode="bicycle")


def test_balance_never_sends_a_unit_across_the_area():
    # Three busy hotspots together and one 5 km away: two units, one per place.
    xy = np.array([[0, 0], [200, 0], [0, 200], [5_000, -3_000]], dtype=float)
    groups = unit_groups(xy, np.array([6, 6, 6, 6]), 2)
    assert len(set(groups[:3])) == 1 and groups[3] != groups[0]
    # Close together, balance wins: two units share four hotspots two and two.
    close = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], dtype=float)
    assert sorted(np.bincount(unit_groups(close, np.array([6, 6, 6, 6]), 2))) == [2, 2]


def _times(*local: str) -> pd.DataFrame:
    """Incidents at these Europe/London wall-clock times."""
    return pd.DataFrame(
        {"occurred_at": pd.to_datetime(pd.Series(local)).dt.tz_localize("Europe/London")}
    )


def test_busiest_peak_is_the_shift_window_with_most_incidents():
    frame = _times(
        *["2025-03-03 13:00"] * 5,  # outside the default 16:00-00:00 shift: not counted
        "2025-03-03 18:10",
        "2025-03-04 18:50",
        "2025-03-05 19:30",
        "2025-03-06 22:15",
        "2025-03-07 22:45",
        "2025-03-07 23:30",
        "2025-03-08 23:59",
    )
    # 2-hour windows from 16:00: 0, 2, 3, 1, 0, 2, 4 incidents; 22:00-00:00 wins.
    assert planner.busiest_peak(frame, length_h=2) == ("22:00", "00:00")
    # 4-hour windows from 16:00 hold 3, 3, 3, 3 and 4 incidents.
    assert planner.busiest_peak(frame, length_h=4) == ("20:00", "00:00")
    # A day shift sees only the 13:00 pile (ties to the earliest window holding it); a
    # shift shorter than the window gives its whole hours.
    assert planner.busiest_peak(frame, "09:00", "17:00", 2) == ("12:00", "14:00")
    assert planner.busiest_peak(frame, "12:30", "14:00", 4) == ("13:00", "14:00")
    settings = planner.PlanSettings(peak_start="22:00", peak_end="00:00")
    assert planner.peak_window(settings, planner.shift_window(settings))[1].hour == 0


def test_busiest_peak_wraps_past_midnight_and_uses_uk_time():
    # 01:30 UTC in July is 02:30 BST: inside a 20:00-04:00 night shift's 02:00-04:00.
    utc = pd.to_datetime(["2025-07-01 01:30", "2025-07-02 02:10", "2025-07-02 19:30"], utc=True)
    frame = pd.DataFrame({"occurred_at": utc})
    assert planner.busiest_peak(frame, "20:00", "04:00", 2) == ("02:00", "04:00")


def test_busiest_peak_is_none_without_times_or_incidents_in_the_shift():
    assert planner.busiest_peak(pd.DataFrame({"occurred_at": [pd.NaT, pd.NaT]})) is None
    assert planner.busiest_peak(_times("2025-03-03 10:00")) is None  # all before 16:00
    assert planner.busiest_peak(_times("2025-03-03 18:00"), "16:20", "16:50") is None
