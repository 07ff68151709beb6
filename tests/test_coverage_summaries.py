"""Summaries behind the Patrol coverage page: weekly series, dosage change, hour and
visit-length profiles, patrol-time density and the coverage map, on hand-built tracks."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from folium.plugins import HeatMap
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.maps import coverage as coverage_map
from geo.maps.base import MAX_MAP_BYTES, VENDOR_URL, build_base_map, map_html, map_html_bytes
from geo.patrols import dosage as coverage
from geo.patrols.measure import Coverage, dosage_headline, measure_coverage
from geo.patrols.summaries import (
    VISIT_LENGTH_LABELS,
    classify_dosage,
    demand_by_hour,
    dosage_change,
    hour_of_day_profile,
    long_visit_share,
    patrol_density,
    visit_length_shares,
    weekly_coverage,
)
from geo.schema import BNG, TIMEZONE

#: A 100 m square hotspot at Castle Circus, Torquay (EPSG:27700 metres).
CENTRE = (291_390.0, 64_300.0)
SQUARE = box(CENTRE[0] - 50, CENTRE[1] - 50, CENTRE[0] + 50, CENTRE[1] + 50)
FUNDING = "2024-06-01"  # a Saturday


def zones(name: str = "Castle Circus") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"hotspot_id": ["cc"], "rank": [1], "name": [name]}, geometry=[SQUARE], crs=BNG
    ).to_crs("EPSG:4326")


def visit(unit: str, start: str, minutes: float, *, role: str = "police", step_s: float = 30):
    """Pings every ``step_s`` s at the centre for ``minutes`` (both ends included)."""
    n = int(round(minutes * 60 / step_s)) + 1
    times = pd.Timestamp(start, tz=TIMEZONE) + pd.to_timedelta(np.arange(n) * step_s, unit="s")
    return pd.DataFrame(
        {
            "unit_id": unit,
            "role": role,
            "shift_id": "s1",
            "timestamp": times.as_unit("ms"),
            "easting": CENTRE[0],
            "northing": CENTRE[1],
            "source": "hand-built",
        }
    )


def periods(start: str = "2024-05-04", end: str = "2024-06-29") -> pd.DataFrame:
    return coverage.funding_periods(FUNDING, start, end)


def intervals(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Presence intervals from (unit, role, start, end) local times, hotspot "cc"."""
    frame = pd.DataFrame(rows, columns=["unit_id", "role", "start", "end"])
    frame["hotspot_id"] = "cc"
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(TIMEZONE).dt.as_unit("ms")
    frame["minutes"] = (frame["end"] - frame["start"]).dt.total_seconds() / 60
    return frame[list(coverage.INTERVAL_COLUMNS)]


# ---------------------------------------------------------------- weekly series


def test_weeks_are_aligned_to_the_funding_date_and_split_intervals():
    table = intervals(
        [
            # 30 min across the funding midnight: 10 min before, 20 min after.
            ("A", "police", "2024-05-31 23:50", "2024-06-01 00:20"),
            ("B", "marshal", "2024-06-08 10:00", "2024-06-08 10:15"),
        ]
    )
    weekly = weekly_coverage(table, periods())
    every = weekly[weekly["role"] == "all"].set_index("week_start")["patrol_minutes"]
    assert len(every) == 8  # 4 whole weeks on each side of the funding date
    assert every.index[0] == pd.Timestamp("2024-05-04", tz=TIMEZONE)
    assert every[pd.Timestamp("2024-05-25", tz=TIMEZONE)] == pytest.approx(10)
    assert every[pd.Timestamp("2024-06-01", tz=TIMEZONE)] == pytest.approx(20)
    assert every[pd.Timestamp("2024-06-08", tz=TIMEZONE)] == pytest.approx(15)
    assert every.sum() == pytest.approx(45)
    marshal = weekly[weekly["role"] == "marshal"]
    assert marshal["patrol_minutes"].sum() == pytest.approx(15)
    assert set(weekly["period"]) == {"before", "after"}
    assert (weekly.loc[weekly["week_start"] < FUNDING, "period"] == "before").all()


def test_part_weeks_at_the_window_ends_are_left_out():
    weekly = weekly_coverage(
        intervals([("A", "police", "2024-05-02 10:00", "2024-05-02 11:00")]),
        periods(start="2024-05-01"),  # 31 days before: 4 whole weeks, 3 days dropped
    )
    assert weekly["week_start"].min() == pd.Timestamp("2024-05-04", tz=TIMEZONE)
    assert weekly["patrol_minutes"].sum() == 0


def test_two_units_together_count_once_in_the_weekly_series():
    table = intervals(
        [
            ("A", "police", "2024-06-03 10:00", "2024-06-03 10:30"),
            ("B", "police", "2024-06-03 10:10", "2024-06-03 10:40"),
        ]
    )
    weekly = weekly_coverage(table, periods())
    assert weekly.loc[weekly["role"] == "all", "patrol_minutes"].sum() == pytest.approx(40)


def test_dst_week_follows_the_local_clock():
    # Clocks go forward on Sunday 31 March 2024; the week from Saturday 30 March is 167 h.
    table = intervals([("A", "police", "2024-03-30 00:00", "2024-04-06 00:00")])
    weekly = weekly_coverage(table, coverage.funding_periods(FUNDING, "2024-03-02", "2024-06-29"))
    week = weekly[(weekly["role"] == "all") & (weekly["week_start"] == "2024-03-30")]
    assert week["patrol_minutes"].item() == pytest.approx(167 * 60)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 56 * 24 * 60), st.integers(0, 3 * 24 * 60)),
        min_size=1,
        max_size=12,
    )
)
def test_weekly_minutes_equal_brute_force_overlap(spans):
    origin = pd.Timestamp("2024-05-04", tz=TIMEZONE)
    rows = [
        (
            f"U{i}",
            "police",
            str((origin + pd.Timedelta(minutes=s)).tz_localize(None)),
            str((origin + pd.Timedelta(minutes=s + d)).tz_localize(None)),
        )
        for i, (s, d) in enumerate(spans)
    ]
    weekly = weekly_coverage(intervals(rows), periods())
    every = weekly[weekly["role"] == "all"]
    # Brute force: a minute-by-minute mask of the union.
    covered = np.zeros(56 * 24 * 60 + 3 * 24 * 60 + 1, dtype=bool)
    for s, d in spans:
        covered[s : s + d] = True
    expected = covered[: 56 * 24 * 60].reshape(8, -1).sum(axis=1)
    np.testing.assert_allclose(every["patrol_minutes"].to_numpy(), expected)


# ---------------------------------------------------------------- dosage change


@pytest.mark.parametrize(
    ("before", "after", "label"),
    [
        (10, 25, "doubled or more"),
        (10, 20, "doubled or more"),
        (0, 5, "doubled or more"),
        (10, 19, "up 25-100%"),
        (10, 12.4, "within ±25%"),
        (10, 7.6, "within ±25%"),
        (10, 7.5, "down 25-50%"),
        (10, 5.1, "down 25-50%"),
        (10, 5, "down 50% or more"),
        (10, 0, "down 50% or more"),
        (0, 0, "no patrol"),
    ],
)
def test_dosage_classes(before, after, label):
    assert classify_dosage(np.array([before]), np.array([after]))[0] == label


def test_dosage_change_puts_periods_side_by_side():
    pings = pd.concat(
        [visit("A", "2024-05-10 10:00", 5), visit("A", "2024-06-10 10:00", 15, role="marshal")]
    )
    result = measure_coverage(pings, zones(), FUNDING, start="2024-05-04", end="2024-06-29")
    change = dosage_change(result.table)
    row = change.iloc[0]
    assert row["name"] == "Castle Circus"
    assert row["patrol_minutes_per_week_before"] == pytest.approx(5 / 4)  # 4 weeks
    assert row["patrol_minutes_per_week_after"] == pytest.approx(15 / 4)
    assert row["change"] == pytest.approx(10 / 4)
    assert row["pct_change"] == pytest.approx(200)
    assert row["dosage_class"] == "doubled or more"
    assert (row["koper_visits_before"], row["koper_visits_after"]) == (0, 1)
    assert change["visits_after"].dtype == "int64"
    marshal = dosage_change(result.table, "marshal").iloc[0]
    assert marshal["patrol_minutes_per_week_before"] == 0
    assert np.isnan(marshal["pct_change"])
    assert dosage_change(result.table, "pcso").empty


# ---------------------------------------------------------------- hours, visit lengths, demand


def test_hour_profile_per_week_and_share():
    pings = pd.concat([visit("A", "2024-06-10 10:30", 60), visit("A", "2024-05-10 22:00", 20)])
    result = measure_coverage(pings, zones(), FUNDING, start="2024-05-04", end="2024-06-29")
    profile = hour_of_day_profile(result.hourly, result.periods)
    assert len(profile) == 48
    after = profile[profile["period"] == "after"].set_index("hour")
    assert after.loc[10, "patrol_minutes_per_week"] == pytest.approx(30 / 4)
    assert after.loc[11, "share_pct"] == pytest.approx(50)
    before = profile[profile["period"] == "before"].set_index("hour")
    assert before.loc[22, "share_pct"] == pytest.approx(100)


@pytest.fixture
def mixed_visits() -> Coverage:
    """Visits of 12, 1 and 40 minutes after funding and one of 13 minutes before."""
    pings = pd.concat(
        [
            visit("A", "2024-06-10 10:00", 12),
            visit("A", "2024-06-11 10:00", 1),
            visit("A", "2024-06-12 10:00", 40),
            visit("A", "2024-05-12 10:00", 13),
        ]
    )
    return measure_coverage(pings, zones(), FUNDING, start="2024-05-04", end="2024-06-29")


def test_visit_length_shares_mark_the_koper_bin(mixed_visits):
    result = mixed_visits
    shares = visit_length_shares(result.visit_lengths)
    assert list(shares["length_min"][:6]) == list(VISIT_LENGTH_LABELS)
    after = shares[shares["period"] == "after"].set_index("length_min")
    assert after.loc["10-16", "koper"] and not after.loc["0-2", "koper"]
    assert after["visits"].to_dict() == {
        "0-2": 1, "2-5": 0, "5-10": 0, "10-16": 1, "16-30": 0, "30+": 1
    }  # fmt: skip
    assert after["share_pct"].sum() == pytest.approx(100)
    before = shares[shares["period"] == "before"].set_index("length_min")
    assert before.loc["10-16", "share_pct"] == pytest.approx(100)


def test_long_visit_share_counts_visits_past_the_koper_dose(mixed_visits):
    result = mixed_visits
    share = long_visit_share(result.visit_lengths)
    assert share["after"] == pytest.approx(100 / 3)  # the 40-minute visit of three
    assert share["before"] == 0
    assert long_visit_share(result.visit_lengths, "marshal").isna().all()


def test_demand_by_hour_needs_incident_times():
    months_only = pd.DataFrame(
        {"occurred_at": pd.Series([pd.NaT] * 3, dtype="datetime64[ms, UTC]")}
    )
    assert demand_by_hour(months_only).empty
    times = pd.to_datetime(["2024-07-01 21:30Z", "2024-07-01 21:45Z", "2024-01-01 21:10Z"])
    demand = demand_by_hour(pd.DataFrame({"occurred_at": times})).set_index("hour")
    assert demand.loc[22, "incidents"] == 2  # 21:30 UTC is 22:30 BST
    assert demand.loc[21, "incidents"] == 1  # GMT in January
    assert demand["share_pct"].sum() == pytest.approx(100)


# ---------------------------------------------------------------- density


def test_patrol_density_counts_time_to_the_next_ping():
    pings = pd.concat(
        [
            visit("A", "2024-06-10 10:00", 10),  # 20 steps of 30 s in one cell
            visit("B", "2024-06-10 10:00", 2, role="pcso").assign(easting=CENTRE[0] + 500),
            visit("B", "2024-06-10 11:00", 1, role="pcso"),  # 58 min gap: not counted
        ]
    )
    density = patrol_density(pings, periods(), cell_m=25)
    every = density[density["role"] == "all"]
    assert every["minutes"].sum() == pytest.approx(10 + 2 + 1)
    police = density[density["role"] == "police"]
    assert len(police) == 1
    assert police["minutes"].item() == pytest.approx(10)
    assert police["easting"].item() == pytest.approx((CENTRE[0] // 25 + 0.5) * 25)
    assert set(density["period"]) == {"after"}


# ---------------------------------------------------------------- map


def test_coverage_map_is_offline_escaped_and_labelled():
    pings = pd.concat([visit("A", "2024-05-10 10:00", 5), visit("A", "2024-06-10 10:00", 15)])
    hostile = zones(name="<script>alert(1)</script>")
    result = measure_coverage(pings, hostile, FUNDING, start="2024-05-04", end="2024-06-29")
    change = dosage_change(result.table)
    density = patrol_density(pings, result.periods)
    m = coverage_map.build_coverage_map(result.zones, change, density, synthetic=True)
    page = map_html(m)
    assert "<script>alert(1)" not in page
    (hotspots,) = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    tooltip = hotspots.data["features"][0]["properties"]
    assert tooltip["name_text"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert tooltip["change_text"] == "+2 (+200%)"
    assert "L.heatLayer" in page
    assert coverage_map.SYNTHETIC_PATROL_NOTE in page
    assert coverage_map.DOSAGE_COLOURS["doubled or more"] in page
    assert "cdn.jsdelivr" not in page and VENDOR_URL in page
    assert map_html_bytes(m) < MAX_MAP_BYTES


def test_heat_layer_keeps_the_busiest_cells():
    cells = pd.DataFrame(
        {
            "easting": CENTRE[0] + 25.0 * np.arange(10),
            "northing": CENTRE[1],
            "minutes": np.arange(10, dtype=float),
        }
    )
    m = build_base_map((-3.54, 50.46, -3.52, 50.47), tiles=False)
    assert coverage_map.add_patrol_heat_layer(m, cells, max_cells=3, name="heat") == 3
    (heat,) = [c for c in m._children.values() if isinstance(c, HeatMap)]
    assert heat.layer_name == "heat (3 of 10 cells shown)"
    top = np.quantile([9.0, 8.0, 7.0], 0.99)  # the 99th percentile is full intensity
    assert [row[2] for row in heat.data] == pytest.approx([1.0, 8 / top, 7 / top], abs=1e-3)


def test_koper_bin_holds_exactly_the_koper_visits():
    from geo.patrols.summaries import KOPER_LABEL, VISIT_LENGTH_BINS, VISIT_LENGTH_LABELS

    minutes = pd.Series([9.99, 10.0, 15.5, 16.0, 16.01])
    bins = pd.cut(minutes, VISIT_LENGTH_BINS, labels=VISIT_LENGTH_LABELS, right=False)
    assert (bins == KOPER_LABEL).tolist() == [False, True, True, True, False]


def test_dosage_headline_sums_the_hotspot_table_per_week(mixed_visits):
    headline = dosage_headline(mixed_visits)
    change = dosage_change(mixed_visits.table)
    assert (headline.weeks_before, headline.weeks_after) == (4.0, 4.0)
    # One Koper visit in each 4-week window: 0.25 a week on both sides.
    assert headline.koper_per_week_before == pytest.approx(0.25)
    assert headline.koper_per_week_after == pytest.approx(0.25)
    assert headline.patrol_min_per_week_before == pytest.approx(
        change["patrol_minutes_per_week_before"].sum()
    )
    assert headline.patrol_min_per_week_after > headline.patrol_min_per_week_before
    assert (headline.hotspots_with_more_patrol, headline.hotspots) == (1, 1)
    assert headline.long_visits_after_pct == pytest.approx(100 / 3)
    assert headline.long_visits_before_pct == 0
