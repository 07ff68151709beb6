"""Coverage metrics on hand-built GPS tracks with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.checks import GeoInputError
from geo.patrols import dosage as coverage
from geo.patrols.measure import measure_coverage
from geo.schema import BNG, TIMEZONE

#: A 100 m square hotspot at Castle Circus, Torquay (EPSG:27700 metres).
CENTRE = (291_390.0, 64_300.0)
SQUARE = box(CENTRE[0] - 50, CENTRE[1] - 50, CENTRE[0] + 50, CENTRE[1] + 50)
DAY = pd.Timestamp("2024-07-03 10:00", tz=TIMEZONE)


def hotspots(buffer_square: float = 0.0) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"hotspot_id": ["castle-circus"], "rank": [1], "name": ["Castle Circus"]},
        geometry=[SQUARE.buffer(buffer_square, join_style="mitre")],
        crs=BNG,
    )
    return frame.to_crs("EPSG:4326")


#: Entry and exit are interpolated on the edge, 50 m from the centre on the way to a ping
#: 500 m east: 50/500 of a 30 s step, 3 s, is added at each end of every stay.
EDGE_MIN = 0.05


def track(
    unit: str,
    inside: list[bool],
    *,
    start: pd.Timestamp = DAY,
    step_s: float = 30.0,
    role: str = "police",
    skip: slice | None = None,
) -> pd.DataFrame:
    """Pings every ``step_s`` seconds, at the centre when inside, 500 m east when not."""
    n = len(inside)
    times = start + pd.to_timedelta(np.arange(n) * step_s, unit="s")
    x = np.where(inside, CENTRE[0], CENTRE[0] + 500.0)
    frame = pd.DataFrame(
        {
            "unit_id": unit,
            "role": role,
            "shift_id": "s1",
            "timestamp": times.as_unit("ms"),
            "easting": x,
            "northing": CENTRE[1],
            "source": "hand-built",
        }
    )
    return frame.drop(frame.index[skip]) if skip else frame


def stay(minutes: float, step_s: float = 30.0) -> list[bool]:
    """Outside 5 min, inside for ``minutes`` (pings at both ends), outside 5 min."""
    inside = int(round(minutes * 60 / step_s)) + 1
    return [False] * 10 + [True] * inside + [False] * 10


def table_for(pings: pd.DataFrame, **kwargs) -> pd.DataFrame:
    result = measure_coverage(
        pings, hotspots(), "2024-07-01", start="2024-06-01", end="2024-08-01", **kwargs
    )
    table = result.table
    return table[(table["role"] == "all") & (table["period"] == "after")].iloc[0]


def test_fifteen_minutes_with_30s_pings_is_one_koper_visit():
    row = table_for(track("A", stay(15)))
    assert row["patrol_minutes"] == pytest.approx(15.0, abs=0.5)
    assert row["visits"] == 1
    assert row["koper_visits"] == 1


def test_twenty_minute_gap_inside_is_not_counted():
    # Inside for 40 min of clock time, but pings 20..60 (20 min) are lost.
    pings = track("A", stay(40), skip=slice(20, 60))
    row = table_for(pings)
    # Inside runs: pings 10-19 and 60-90; the gap is longer than max_gap_min (10 min), so
    # no time is counted across it and each run has one edge crossing.
    expected = (19 - 10) * 0.5 + EDGE_MIN + (90 - 60) * 0.5 + EDGE_MIN
    assert row["patrol_minutes"] == pytest.approx(expected)
    assert row["visits"] == 2


def test_gap_counts_when_max_gap_is_larger():
    pings = track("A", stay(40), skip=slice(20, 60))
    row = table_for(pings, max_gap_min=30)
    assert row["patrol_minutes"] == pytest.approx(40.0 + 2 * EDGE_MIN)
    assert row["visits"] == 1


def test_leaving_the_hotspot_makes_a_new_visit():
    inside = [True] * 10 + [False] * 6 + [True] * 10
    assert table_for(track("A", inside))["visits"] == 2


def test_two_units_at_once_double_officer_minutes():
    pings = pd.concat([track("A", stay(12)), track("B", stay(12), role="pcso")])
    result = measure_coverage(pings, hotspots(), "2024-07-01", start="2024-06-01", end="2024-08-01")
    table = result.table.set_index(["role", "period"])
    row = table.loc[("all", "after")]
    assert row["patrol_minutes"] == pytest.approx(12.0 + 2 * EDGE_MIN)
    assert row["officer_minutes"] == pytest.approx(2 * row["patrol_minutes"])
    assert row["visits"] == 1  # a joint patrol is one visit
    assert table.loc[("pcso", "after"), "patrol_minutes"] == pytest.approx(12.0 + 2 * EDGE_MIN)
    assert table.loc[("police", "after"), "officer_minutes"] == pytest.approx(12.0 + 2 * EDGE_MIN)


def test_before_after_per_week_and_change():
    before = track("A", stay(15), start=pd.Timestamp("2024-06-10 10:00", tz=TIMEZONE))
    after = pd.concat(
        [
            track("A", stay(15), start=pd.Timestamp(f"2024-07-{d:02d} 10:00", tz=TIMEZONE))
            for d in (2, 9)
        ]
    )
    result = measure_coverage(
        pd.concat([before, after]), hotspots(), "2024-07-01", start="2024-06-03", end="2024-07-29"
    )
    assert result.periods["weeks"].tolist() == [4.0, 4.0]
    change = result.change.set_index(["role", "metric"]).loc[("all", "visits_per_week")]
    assert change["before"] == pytest.approx(0.25)
    assert change["after"] == pytest.approx(0.5)
    assert change["pct_change"] == pytest.approx(100.0)
    row = result.table.set_index(["role", "period"]).loc[("all", "after")]
    assert row["days_visited_pct"] == pytest.approx(100 * 2 / 28)


def test_hourly_coverage_splits_at_local_hours():
    pings = track("A", stay(30), start=pd.Timestamp("2024-07-03 09:40", tz=TIMEZONE))
    result = measure_coverage(pings, hotspots(), "2024-07-01", start="2024-06-01", end="2024-08-01")
    hourly = result.hourly[result.hourly["role"] == "all"].set_index("hour")["patrol_minutes"]
    # Inside from 09:45 to 10:15 local (BST), plus 3 s of edge crossing at each end.
    assert hourly.to_dict() == pytest.approx({9: 15.0 + EDGE_MIN, 10: 15.0 + EDGE_MIN})
    assert set(result.hourly["weekday"]) == {2}  # Wednesday


def test_share_of_patrol_time_in_hotspots():
    pings = track("A", stay(15))  # 25 min of track, 15 of it inside
    share = measure_coverage(
        pings, hotspots(), "2024-07-01", start="2024-06-01", end="2024-08-01"
    ).share.set_index(["period", "role"])
    row = share.loc[("after", "all")]
    assert row["patrol_minutes_total"] == pytest.approx(25.0)
    assert row["hotspot_share_pct"] == pytest.approx(100 * 15 / 25)


def test_buffer_in_metres_brings_nearby_pings_inside():
    pings = track("A", [True] * 5)
    pings.loc[:, "easting"] = CENTRE[0] + 70.0  # 20 m outside the square
    zones = coverage.hotspot_zones(hotspots(), buffer_m=25)
    intervals = coverage.presence_intervals(pings, zones)
    assert intervals["minutes"].sum() == pytest.approx(2.0)
    assert coverage.presence_intervals(pings, coverage.hotspot_zones(hotspots())).empty


def test_rank_is_the_id_without_id_column():
    zones = coverage.hotspot_zones(hotspots().drop(columns="hotspot_id"))
    assert zones["hotspot_id"].tolist() == ["1"]


def test_visit_length_distribution_bins():
    pings = pd.concat(
        [
            track("A", stay(15)),
            track("A", stay(3), start=pd.Timestamp("2024-07-04 10:00", tz=TIMEZONE)),
        ]
    )
    result = measure_coverage(pings, hotspots(), "2024-07-01", start="2024-06-01", end="2024-08-01")
    bins = result.visit_lengths[result.visit_lengths["role"] == "all"]
    assert dict(zip(bins["length_min"].astype(str), bins["visits"], strict=True)) == {
        "2-5": 1,
        "10-16": 1,
    }


def test_unsorted_input_gives_the_same_answer():
    pings = track("A", stay(15))
    shuffled = pings.sample(frac=1.0, random_state=1)
    assert table_for(shuffled)["patrol_minutes"] == table_for(pings)["patrol_minutes"]


def test_merge_intervals_union():
    keys = np.array([0, 0, 0, 1])
    start = np.array([0, 5, 20, 0])
    end = np.array([10, 8, 30, 4])
    merged = coverage.merge_intervals(keys, start, end)
    assert [a.tolist() for a in merged] == [[0, 0, 1], [0, 20, 0], [10, 30, 4]]
    merged = coverage.merge_intervals(keys, start, end, gap_ms=10)
    assert [a.tolist() for a in merged] == [[0, 1], [0, 0], [30, 4]]


def test_merge_intervals_matches_brute_force_at_epoch_times_with_many_keys():
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 5_000, 20_000)
    start = 1_700_000_000_000 + rng.integers(0, 3_600_000, len(keys))
    end = start + rng.integers(0, 600_000, len(keys))
    got = coverage.merge_intervals(keys, start, end, gap_ms=60_000)
    expected = ([], [], [])
    for key in np.unique(keys):
        mine = np.flatnonzero(keys == key)
        for lo, hi in sorted(zip(start[mine], end[mine], strict=True)):
            if expected[0] and expected[0][-1] == key and lo <= expected[2][-1] + 60_000:
                expected[2][-1] = max(expected[2][-1], hi)
            else:
                expected[0].append(key), expected[1].append(lo), expected[2].append(hi)
    assert [a.tolist() for a in got] == [[int(v) for v in e] for e in expected]


def test_bad_arguments_name_the_argument():
    with pytest.raises(GeoInputError, match="buffer_m"):
        coverage.hotspot_zones(hotspots(), buffer_m=-1)
    with pytest.raises(GeoInputError, match="funding_date"):
        coverage.funding_periods("2030-01-01", "2024-01-01", "2025-01-01")
    with pytest.raises(GeoInputError, match="max_gap_min"):
        coverage.presence_intervals(
            track("A", [True]), coverage.hotspot_zones(hotspots()), max_gap_min=0
        )
