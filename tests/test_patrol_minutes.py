"""Patrol minutes at hotspot edges: interpolated entry and exit, edge tolerance with
hysteresis, explicit gap bridging, and visit minutes that equal patrol minutes.

Every track is hand-built against a 100 m square (EPSG:27700) with a known answer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.patrols import dosage
from geo.patrols.measure import measure_coverage
from geo.schema import BNG, TIMEZONE

WEST = 291_340.0  # the square's west edge (easting, metres)
NORTHING = 64_300.0
SQUARE = box(WEST, NORTHING - 50, WEST + 100, NORTHING + 50)
START = pd.Timestamp("2024-07-03 10:00", tz=TIMEZONE)


def hotspot() -> gpd.GeoDataFrame:
    # Kept in EPSG:27700: a round trip through degrees would move the edge by millimetres.
    return gpd.GeoDataFrame({"id": ["edge"], "name": ["Edge"]}, geometry=[SQUARE], crs=BNG)


def zones() -> gpd.GeoDataFrame:
    return dosage.hotspot_zones(hotspot())


def pings(offsets_m: list[float], minutes: list[float], unit: str = "A") -> pd.DataFrame:
    """Pings at ``offsets_m`` metres east of the west edge (negative = outside)."""
    return pd.DataFrame(
        {
            "unit_id": unit,
            "role": "police",
            "shift_id": "s1",
            "timestamp": (START + pd.to_timedelta(minutes, unit="min")).as_unit("ms"),
            "easting": WEST + np.asarray(offsets_m, dtype=float),
            "northing": NORTHING,
            "source": "hand-built",
        }
    )


def after_row(track: pd.DataFrame, **kwargs) -> pd.Series:
    result = measure_coverage(
        track, hotspot(), "2024-07-01", start="2024-06-01", end="2024-08-01", **kwargs
    )
    table = result.table
    return table[(table["role"] == "all") & (table["period"] == "after")].iloc[0]


def edge_jitter_track() -> pd.DataFrame:
    """Walk in from 200 m, stand on the edge with +-3 m jitter, walk away (1-min pings).

    Minute 0 is 3 m outside, odd minutes 1..15 are 3 m inside, even minutes 2..16 are 3 m
    outside, minute 17 is 200 m out again. Entry is half way between minutes 0 and 1 and
    exit half way between minutes 15 and 16: exactly 15 minutes on the hotspot.
    """
    minutes = list(range(-1, 18))
    offsets = [-200.0] + [3.0 if m % 2 else -3.0 for m in range(17)] + [-200.0]
    return pings(offsets, minutes)


def test_edge_jitter_of_3m_is_one_visit_of_15_minutes_and_15_patrol_minutes():
    row = after_row(edge_jitter_track())
    assert row["visits"] == 1
    assert row["patrol_minutes"] == pytest.approx(15.0)
    assert row["mean_visit_minutes"] == pytest.approx(15.0)
    assert row["koper_visits"] == 1


def test_without_edge_tolerance_jitter_splits_into_short_visits():
    intervals = dosage.presence_intervals(edge_jitter_track(), zones(), edge_tolerance_m=0)
    # Each inside ping is its own stay of half a minute either side of it.
    assert len(intervals) == 8
    assert intervals["minutes"].sum() == pytest.approx(8.0)


def test_random_4m_jitter_keeps_every_minute_between_entry_and_exit():
    rng = np.random.default_rng(7)
    minutes = np.arange(0, 14.5 + 1e-9, 0.5)
    # First and last fixes are inside by 2 m, so the stay runs from minute 0 to 14.5 exactly
    # when the neighbours are more than max_gap_min away (no interpolation at the ends).
    offsets = rng.uniform(-4.0, 4.0, len(minutes))
    offsets[0] = offsets[-1] = 2.0
    track = pings(list(offsets), list(minutes))
    intervals = dosage.presence_intervals(track, zones())
    assert len(intervals) == 1
    assert intervals["minutes"].iloc[0] == pytest.approx(14.5)
    row = after_row(track)
    assert row["patrol_minutes"] == pytest.approx(14.5)
    assert row["visits"] == 1


def test_entry_and_exit_are_interpolated_on_the_edge():
    # 20 m outside at minute 0, 30 m inside at minutes 1..10, 70 m outside at minute 11:
    # entry at 0 + 20/50 min, exit at 10 + 30/100 min.
    track = pings([-20.0] + [30.0] * 10 + [-70.0], list(range(12)))
    intervals = dosage.presence_intervals(track, zones())
    assert intervals["minutes"].iloc[0] == pytest.approx(10.3 - 0.4)
    assert intervals["start"].iloc[0] == START + pd.Timedelta(seconds=24)


def koper_with_gap() -> pd.DataFrame:
    """Inside at minutes 0..3, no fix from 3 to 10 (a 7-minute gap), inside 10..13."""
    minutes = [0, 1, 2, 3, 10, 11, 12, 13]
    return pings([50.0] * len(minutes), minutes)


def test_seven_minute_gap_inside_is_bridged_by_default():
    row = after_row(koper_with_gap())
    assert row["visits"] == 1
    assert row["koper_visits"] == 1
    assert row["patrol_minutes"] == pytest.approx(13.0)
    assert row["mean_visit_minutes"] == pytest.approx(13.0)


def test_gap_longer_than_max_gap_min_ends_the_stay():
    row = after_row(koper_with_gap(), max_gap_min=5)
    assert row["visits"] == 2
    assert row["koper_visits"] == 0
    assert row["patrol_minutes"] == pytest.approx(6.0)


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.floats(-30, 130, allow_nan=False), min_size=2, max_size=40),
    steps=st.lists(st.floats(0.1, 15, allow_nan=False), min_size=40, max_size=40),
)
def test_visit_minutes_equal_patrol_minutes(offsets, steps):
    minutes = list(np.cumsum(steps[: len(offsets)]))
    track = pd.concat([pings(offsets, minutes, "A"), pings(offsets[::-1], minutes, "B")])
    result = measure_coverage(track, hotspot(), "2024-07-01", start="2024-06-01", end="2024-08-01")
    for role in ("all", "police"):
        table = result.table[(result.table["role"] == role) & (result.table["period"] == "after")]
        visits = result.visits[result.visits["role"] == role]
        assert table["patrol_minutes"].sum() == pytest.approx(visits["minutes"].sum())
