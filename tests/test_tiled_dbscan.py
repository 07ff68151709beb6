"""Tile-by-tile DBSCAN with halos equals one DBSCAN on all points (and scikit-learn's)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import DBSCAN

from geo.checks import GeoInputError
from geo.hotspots.dbscan import collapse_duplicates, weighted_dbscan
from geo.hotspots.tiles import split_tiles, tiled_dbscan


def assert_same_as_sklearn(xy_raw: np.ndarray, eps_m: float, min_samples: int, tile_m: float):
    """Tiled result on the raw points against scikit-learn, labels up to renumbering."""
    unique, inverse, counts = collapse_duplicates(xy_raw[:, 0], xy_raw[:, 1])
    tiled = tiled_dbscan(unique, counts, eps_m, min_samples, tile_m=tile_m)
    labels, core = tiled.labels[inverse], tiled.core[inverse]
    expected = DBSCAN(eps=eps_m, min_samples=min_samples).fit(xy_raw)
    sk_core = np.zeros(len(xy_raw), dtype=bool)
    sk_core[expected.core_sample_indices_] = True
    np.testing.assert_array_equal(core, sk_core)
    np.testing.assert_array_equal(labels == -1, expected.labels_ == -1)
    # The same partition of the core points: a one-to-one map between label sets.
    pairs = set(zip(labels[core].tolist(), expected.labels_[core].tolist(), strict=True))
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    # Border points sit in a cluster that has a core point within eps of them.
    for point in np.flatnonzero((labels >= 0) & ~core):
        members = core & (labels == labels[point])
        assert np.hypot(*(xy_raw[members] - xy_raw[point]).T).min() <= eps_m
    # And exactly what one weighted DBSCAN on every point gives, numbering included.
    whole = weighted_dbscan(unique, counts, eps_m, min_samples)
    np.testing.assert_array_equal(tiled.labels, whole.labels)
    np.testing.assert_array_equal(tiled.core, whole.core)
    return labels, core


def test_a_cluster_across_four_tiles_is_found_whole():
    tile_m, eps_m = 1_000.0, 60.0
    # A street of points 50 m apart, 2 km long, crossing the tile edges at x = 1000, 2000
    # (tiles start at the smallest x, 0), and a cross street over the y = 1000 edge.
    street = np.column_stack([np.arange(0, 2001, 50.0), np.full(41, 990.0)])
    cross = np.column_stack([np.full(30, 1500.0), np.arange(0, 1500, 50.0)])
    # A small dense cluster inside one tile, a border point reached only across an edge,
    # and isolated noise far from everything.
    blob = np.array([[300.0, 300.0]] * 6 + [[310.0, 300.0]] * 2)
    border = np.array([[2055.0, 990.0]])
    noise = np.array([[100.0, 1800.0], [2900.0, 2900.0], [1990.0, 1990.0]])
    xy = np.vstack([np.repeat(street, 3, axis=0), np.repeat(cross, 2, axis=0), blob, border, noise])
    labels, core = assert_same_as_sklearn(xy, eps_m, min_samples=6, tile_m=tile_m)
    street_labels = set(labels[: 3 * 41].tolist()) | set(labels[123 : 123 + 60].tolist())
    assert street_labels == {0}  # one cluster across four tiles, not four pieces
    assert set(labels[123 + 60 : 123 + 68].tolist()) == {1}
    assert labels[-4] == 0 and not core[-4]  # the border point beyond the street's end
    assert (labels[-3:] == -1).all()
    tiles = split_tiles(*collapse_duplicates(xy[:, 0], xy[:, 1])[::2], eps_m, 6, tile_m)
    assert len(tiles) >= 4  # the street really was cut


def test_a_link_across_an_edge_whose_ends_are_core_only_by_far_points_is_kept():
    """s - p | q - r along x, the tile edge (|) at 1000 m, eps 60 m: p is core only with
    s and q only with r, each more than eps from the other tile. A halo of one eps would
    see neither as core from across the edge and cut the cluster in two."""
    xy = np.repeat(
        np.array([[0.0, 0.0], [935.0, 0.0], [990.0, 0.0], [1040.0, 0.0], [1095.0, 0.0]]), 2, axis=0
    )
    labels, core = assert_same_as_sklearn(xy, 60.0, min_samples=6, tile_m=1_000.0)
    assert labels[2:].tolist() == [0] * 8
    assert core.tolist() == [False] * 4 + [True] * 4 + [False] * 2


def test_tiles_on_dask_give_the_same_labels():
    from dask.distributed import LocalCluster

    rng = np.random.default_rng(7)
    xy = np.round(rng.normal(0, 800, size=(3_000, 2)) / 10) * 10
    unique, _, counts = collapse_duplicates(xy[:, 0], xy[:, 1])
    local = tiled_dbscan(unique, counts, 40, 8, tile_m=500)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = tiled_dbscan(
            unique, counts, 40, 8, tile_m=500, scheduler=cluster.scheduler_address
        )
    assert local.labels.max() >= 3
    np.testing.assert_array_equal(local.labels, on_dask.labels)
    np.testing.assert_array_equal(local.core, on_dask.core)


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=150),
    eps=st.sampled_from([1.0, 2.0, 3.5, 5.0]),
    min_samples=st.integers(1, 6),
    tile=st.sampled_from([5.0, 7.0, 13.0, 100.0]),
)
def test_tiled_equals_sklearn_on_random_points(points, eps, min_samples, tile):
    xy = np.array(points, dtype=float) * 2.5  # exact distances, many of them exactly eps
    assert_same_as_sklearn(xy, eps, min_samples, max(tile, eps))


def test_tiles_smaller_than_eps_are_refused():
    with pytest.raises(GeoInputError, match="tile_m"):
        tiled_dbscan(np.zeros((2, 2)), np.ones(2), 100, 2, tile_m=50)
