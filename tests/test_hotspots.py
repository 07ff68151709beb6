"""Tests for geo.hotspots: exact weighted DBSCAN, parameters and the hotspot table."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

from geo.checks import GeoInputError
from geo.hotspots.dbscan import (
    HOTSPOT_COLUMNS,
    TREND_LABELS,
    auto_min_samples,
    auto_parameters,
    cluster_points,
    collapse_duplicates,
    find_hotspots,
    k_distance_curve,
    k_distances,
    profile_hotspot,
    trend,
    weighted_median,
)
from geo.io.store import read_incidents
from geo.schema import ASB, BNG, WGS84

INCIDENTS = Path(__file__).resolve().parent.parent / "data" / "incidents"
TORBAY = INCIDENTS / "torbay.parquet"
WEST_END = INCIDENTS / "west-end-shoplifting.parquet"


def assert_matches_sklearn(xy: np.ndarray, eps: float, min_samples: int) -> None:
    """Our result on raw points equals sklearn's DBSCAN in every way DBSCAN defines."""
    ours = cluster_points(xy[:, 0], xy[:, 1], eps, min_samples)
    reference = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
    core = np.zeros(len(xy), dtype=bool)
    core[reference.core_sample_indices_] = True
    np.testing.assert_array_equal(ours.core, core)
    np.testing.assert_array_equal(ours.labels == -1, reference.labels_ == -1)
    pairs = set(zip(reference.labels_[core], ours.labels[core], strict=True))
    assert len(pairs) == len(set(reference.labels_[core])) == len(set(ours.labels[core]))
    border = np.flatnonzero(~core & (ours.labels >= 0))
    if len(border):
        core_index = np.flatnonzero(core)
        reach = cKDTree(xy[core_index]).query_ball_point(xy[border], eps)
        for point, neighbours in zip(border, reach, strict=True):
            assert ours.labels[point] in set(ours.labels[core_index[neighbours]])


# CHECK DBSCAN EQUIVALENCE ----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 6)),
        min_size=1,
        max_size=40,
    ),
    eps=st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0]),
    min_samples=st.integers(1, 15),
    scale=st.sampled_from([1.0, 0.5, 25.0]),
)
def test_matches_sklearn_on_duplicated_grid_points(points, eps, min_samples, scale):
    # Grid coordinates make many distances exactly equal to eps: the boundary counts.
    xy = np.array([(x, y) for x, y, repeat in points for _ in range(repeat)]) * scale
    assert_matches_sklearn(xy, eps * scale, min_samples)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn_on_random_snapped_points(seed):
    rng = np.random.default_rng(seed)
    snaps = rng.normal(scale=300, size=(400, 2))
    xy = snaps[rng.zipf(1.6, 3_000) % 400]
    assert_matches_sklearn(xy, 60.0, 25)


def test_matches_sklearn_on_torbay_asb(torbay_asb):
    asb = torbay_asb
    xy = asb[["easting", "northing"]].to_numpy()
    assert len(xy) > 3_000 and len(np.unique(xy, axis=0)) < len(xy) / 2
    assert_matches_sklearn(xy, 100.0, 30)
    assert_matches_sklearn(xy, 250.0, 8)


def test_matches_sklearn_on_west_end_shoplifting():
    shoplifting = read_incidents(
        WEST_END, months=("2018-01", "2021-12"), categories=["Shoplifting"]
    )
    xy = shoplifting[["easting", "northing"]].to_numpy()
    assert len(xy) > 10_000
    assert_matches_sklearn(xy, 100.0, 30)
    assert_matches_sklearn(xy, 50.0, 10)


def test_single_heavy_snap_point_is_a_cluster_on_its_own():
    xy = np.zeros((30, 2))
    result = cluster_points(xy[:, 0], xy[:, 1], 10.0, 30)
    assert result.core.all() and (result.labels == 0).all()
    result = cluster_points(xy[:, 0], xy[:, 1], 10.0, 31)
    assert (result.labels == -1).all()


def test_collapse_duplicates_round_trips():
    x, y = np.array([1.0, 2.0, 1.0, 1.0]), np.array([5.0, 5.0, 5.0, 6.0])
    unique, inverse, counts = collapse_duplicates(x, y)
    np.testing.assert_array_equal(unique[inverse], np.column_stack([x, y]))
    assert counts.sum() == 4 and sorted(counts) == [1, 1, 2]


# CHECK PARAMETERS ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"), [(2, 2), (4, 4), (10, 5), (26, 6), (900, 30), (10**6, 50)]
)
def test_auto_min_samples_follows_sfhotspot(n, expected):
    assert auto_min_samples(n) == expected


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 8)),
        min_size=2,
        max_size=30,
        unique_by=lambda p: (p[0], p[1]),
    ),
    k=st.integers(1, 20),
)
def test_k_distances_equal_raw_nearest_neighbours(points, k):
    xy = np.array([(x, y) for x, y, repeat in points for _ in range(repeat)], dtype="float64")
    k = min(k, len(xy) - 1)
    raw = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy)[0][:, k]
    unique, inverse, counts = collapse_duplicates(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(k_distances(unique, counts, k)[inverse], raw)
    assert weighted_median(k_distances(unique, counts, k), counts) == pytest.approx(np.median(raw))


def test_auto_parameters_use_sfhotspot_rule():
    rng = np.random.default_rng(3)
    xy = rng.normal(scale=200, size=(500, 2)).round()
    eps_m, min_samples = auto_parameters(xy[:, 0], xy[:, 1])
    assert min_samples == 23  # ceil(sqrt(500))
    raw = NearestNeighbors(n_neighbors=23).fit(xy).kneighbors(xy)[0][:, 22]
    assert eps_m == pytest.approx(np.median(raw) / math.sqrt(2))


def test_auto_parameters_fail_when_most_incidents_share_a_point():
    xy = np.r_[np.zeros((60, 2)), np.arange(10).reshape(5, 2) * 100.0]
    with pytest.raises(GeoInputError, match="Give eps yourself"):
        auto_parameters(xy[:, 0], xy[:, 1])


def test_k_distance_curve_is_sorted_and_reaches_the_largest_distance():
    rng = np.random.default_rng(4)
    xy = rng.normal(scale=100, size=(300, 2))
    curve = k_distance_curve(xy[:, 0], xy[:, 1], k=5)
    assert list(curve.columns) == ["share", "distance_m"]
    assert curve["distance_m"].is_monotonic_increasing
    raw = NearestNeighbors(n_neighbors=6).fit(xy).kneighbors(xy)[0][:, 5]
    assert curve["distance_m"].iloc[-1] == pytest.approx(raw.max())


# CHECK HOTSPOT TABLE ---------------------------------------------------------------


@pytest.fixture(scope="module")
def torbay_result(torbay_asb):
    asb = torbay_asb
    return asb, find_hotspots(asb, eps_m=100, min_samples=30)


def test_table_columns_types_and_ranks(torbay_result):
    asb, result = torbay_result
    table = result.hotspots
    assert tuple(table.columns) == HOTSPOT_COLUMNS
    assert table.crs == WGS84 and result.metric_crs == BNG
    assert (table["hotspot_id"] == table["rank"]).all()
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    ordered = table.sort_values(["incidents", "area_m2"], ascending=[False, True])
    assert ordered["rank"].tolist() == table["rank"].tolist()
    assert isinstance(table["first_month"].iloc[0], dt.date)
    assert table["trend"].isin(TREND_LABELS).all()
    assert table["name"].is_unique
    assert table.geometry.is_valid.all() and not table.geometry.is_empty.any()
    assert set(table.geom_type) <= {"Polygon", "MultiPolygon"}


def test_labels_align_with_incidents(torbay_result):
    asb, result = torbay_result
    assert len(result.labels) == len(asb)
    counts = pd.Series(result.labels[result.labels >= 0]).value_counts().sort_index()
    assert counts.tolist() == result.hotspots["incidents"].tolist()
    assert result.hotspots["share"].sum() == pytest.approx(1 - result.noise_share)
    first = asb["month"][result.labels == 1].min()
    assert result.hotspots["first_month"].iloc[0] == first


def test_members_lie_inside_their_polygon(torbay_result):
    asb, result = torbay_result
    polygons = result.hotspots.set_index("hotspot_id").geometry
    inside = polygons.loc[result.labels[result.labels >= 0]].covers(
        asb.geometry[result.labels >= 0], align=False
    )
    assert inside.all()


def test_pai_uses_study_area_when_given(torbay_result):
    asb, result = torbay_result
    square = shapely.box(*asb.total_bounds)
    with_area = find_hotspots(asb, eps_m=100, min_samples=30, study_area=square).hotspots
    area = gpd.GeoSeries([square], crs=WGS84).to_crs(BNG).area.iloc[0]
    expected = with_area["share"] / (with_area["area_m2"] / area)
    np.testing.assert_allclose(with_area["pai"], expected)
    assert not np.allclose(with_area["pai"], result.hotspots["pai"])


def test_single_snap_point_hotspot_is_a_circle_of_half_eps(make_incidents):
    result = find_hotspots(make_incidents(np.zeros((40, 2))), eps_m=100, min_samples=30)
    polygon = result.hotspots.to_crs(BNG).geometry.iloc[0]
    assert polygon.area == pytest.approx(math.pi * 50**2, rel=0.01)
    assert result.hotspots["incidents"].iloc[0] == 40


def test_trend_compares_recent_half_with_earlier_half():
    by_month = np.array([[1, 1, 9, 2, 2], [4, 4, 0, 1, 1], [3, 3, 3, 3, 3], [0, 0, 0, 2, 0]])
    label, ratio = trend(by_month)
    assert label.tolist() == ["rising", "falling", "steady", "rising"]
    np.testing.assert_allclose(ratio[:3], [2.0, 0.25, 1.0])
    assert np.isinf(ratio[3])
    label, ratio = trend(by_month[:, :3])
    assert set(label) == {"too few months"} and np.isnan(ratio).all()


def test_top_categories_and_streets_are_counted(make_incidents):
    xy = np.zeros((35, 2))
    categories = [ASB] * 20 + ["Shoplifting"] * 15
    locations = ["On or near Fleet Street"] * 30 + ["On or near Shopping Area"] * 5
    table = find_hotspots(
        make_incidents(xy, categories=categories, locations=locations), eps_m=100, min_samples=30
    ).hotspots
    assert table["top_categories"].iloc[0] == "Anti-social behaviour (20); Shoplifting (15)"
    assert table["top_streets"].iloc[0] == "Fleet Street (30)"  # generic snap names left out


def test_profile_counts_one_hotspots_incidents_by_month_and_category(make_incidents):
    # 40 incidents at one point (a hotspot) and 5 far away (noise): Jan 2025 x 25 ASB,
    # Mar 2025 x 15 shoplifting; Feb 2025 has no data at all, so it is NaN, not 0.
    xy = np.vstack([np.zeros((40, 2)), np.full((5, 2), 5_000.0)])
    months = [dt.date(2025, 1, 1)] * 25 + [dt.date(2025, 3, 1)] * 15 + [dt.date(2025, 1, 1)] * 5
    categories = [ASB] * 25 + ["Shoplifting"] * 15 + [ASB] * 5
    incidents = make_incidents(xy, months=months, categories=categories)
    result = find_hotspots(incidents, eps_m=100, min_samples=30)
    profile = profile_hotspot(
        incidents,
        result.labels,
        1,
        first_month="2025-01",
        last_month="2025-04",
        missing_months=["2025-02"],
    )
    assert len(profile.members) == 40
    counts = profile.monthly.set_index("month")["count"]
    assert counts.iloc[[0, 2, 3]].tolist() == [25, 15, 0]
    assert np.isnan(counts.iloc[1])
    assert profile.categories.values.tolist() == [[ASB, 25], ["Shoplifting", 15]]


# CHECK INPUTS ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"eps_m": 0}, "`eps_m` must be greater than 0"),
        ({"eps_m": -5}, "`eps_m` must be greater than 0"),
        ({"min_samples": 0}, "`min_samples` must be at least 1"),
        ({"min_samples": 2.5}, "`min_samples` must be a whole number"),
    ],
)
def test_bad_parameters_are_rejected(arguments, message, make_incidents):
    with pytest.raises(GeoInputError, match=message):
        find_hotspots(make_incidents(np.zeros((3, 2))), **arguments)


def test_empty_selection_is_rejected(make_incidents):
    with pytest.raises(GeoInputError, match="empty.*Widen"):
        find_hotspots(make_incidents(np.zeros((0, 2))))


def test_all_noise_says_which_way_to_move(make_incidents):
    xy = np.arange(20).reshape(10, 2) * 1_000.0
    with pytest.raises(GeoInputError, match="all 10 incidents are noise.*Increase eps or decrease"):
        find_hotspots(make_incidents(xy), eps_m=100, min_samples=3)


# CHECK CLI -------------------------------------------------------------------------


def test_cli_writes_geojson_and_labels(tmp_path, capsys):
    from geo.cli import main

    out, labels = tmp_path / "hotspots.geojson", tmp_path / "labels.csv"
    code = main(
        [
            "hotspots",
            str(TORBAY),
            "--category",
            ASB,
            "--months",
            "2024-01:2025-12",
            "--eps",
            "100",
            "--min-samples",
            "30",
            "--out",
            str(out),
            "--labels",
            str(labels),
        ]
    )
    assert code == 0
    features = gpd.read_file(out)
    assert {"rank", "name", "incidents", "share", "area_m2", "pai"} <= set(features.columns)
    properties = json.loads(out.read_text())["features"][0]["properties"]
    assert properties["first_month"] == "2024-01-01" and properties["hotspot_id"] == 1
    table = pd.read_csv(labels)
    assert list(table.columns) == ["x", "y", "cluster"] and len(table) == 3_399
    assert (table["cluster"] >= 1).sum() == features["incidents"].sum()
    assert "eps = 100.0 m, min_samples = 30 (given)" in capsys.readouterr().out


def test_cli_in_tiles_writes_the_same_hotspots(tmp_path):
    from geo.cli import main

    args = ["hotspots", str(TORBAY), "--category", ASB, "--eps", "100", "--min-samples", "30"]
    whole, tiled = tmp_path / "whole.geojson", tmp_path / "tiled.geojson"
    assert main([*args, "--out", str(whole)]) == 0
    # 500 m tiles cut Torquay's hotspots across several tiles; the halo keeps them whole.
    assert main([*args, "--out", str(tiled), "--tile-m", "500", "--scheduler", "none"]) == 0
    assert len(gpd.read_file(whole)) > 5
    assert tiled.read_bytes() == whole.read_bytes()


def test_cli_refuses_tiles_with_by(tmp_path, capsys):
    from geo.cli import main

    out = str(tmp_path / "h.parquet")
    assert main(["hotspots", str(TORBAY), "--by", "force", "--tile-m", "500", "--out", out]) == 2
    assert "not --auto, --labels or --tile-m" in capsys.readouterr().err


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    from geo.cli import main

    args = ["hotspots", str(TORBAY), "--out", str(tmp_path / "h.geojson")]
    assert main([*args, "--eps", "-1"]) == 2
    assert main([*args, "--category", "No such category"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "`eps_m` must be greater than 0" in err[0] and "empty" in err[1]


def test_covered_area_counts_overlaps_once():
    from geo.hotspots.dbscan import covered_area_m2

    # Two 100 m x 100 m squares on the BNG overlapping by half: 15,000 m² together.
    squares = gpd.GeoDataFrame(
        geometry=[
            shapely.box(290_000, 60_000, 290_100, 60_100),
            shapely.box(290_050, 60_000, 290_150, 60_100),
        ],
        crs="EPSG:27700",
    ).to_crs("EPSG:4326")
    assert covered_area_m2(squares) == pytest.approx(15_000, rel=1e-3)
    assert covered_area_m2(squares.iloc[:0]) == 0.0
