"""Exact DBSCAN in square tiles with a halo, for points without snap points.

police.uk's snap points bound the clustering input of street crime, but partner reports
and GPS fixes have free coordinates, so their distinct points grow with the data. Here
the area is cut into square tiles of ``tile_m`` metres; every point belongs to the one
tile it falls in. Each tile is clustered on its own (:func:`tile_clusters`, the weighted
DBSCAN of :func:`geo.hotspots.dbscan.weighted_dbscan`), on its points plus a halo:

- the points within ``eps_m`` of the tile: their neighbourhoods decide whether the
  tile's own points are core;
- the points within another ``eps_m``: they decide whether those first halo points are
  core, so the tile also knows which of its points link to core points outside it.

A point's neighbourhood inside the tile's input is never larger than its true one, so
every point the tile finds core is core, and a core-core link it finds is a true link.
Every true link has an end in some tile and the other end within ``eps_m`` of it, so
some tile sees it. The clusters are therefore the tiles' local clusters merged when they
share a core point (connected components, :func:`merge_tiles`), and the result equals
one :func:`~geo.hotspots.dbscan.weighted_dbscan` on all points: the same labels, the same
cluster numbers, the same core mask. A border point joins its nearest core point's
cluster (ties: the lowest cluster number), as there.

Tiles run here or as Dask tasks (:func:`geo.distributed.ordered_map`); each task gets
only its tile's arrays. Coordinates are metres (EPSG:27700 in Great Britain).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.checks import check_positive, fail
from geo.hotspots.dbscan import Clustering, weighted_dbscan

#: Default tile side, metres: a town. Large against a street-level ``eps_m`` (100 m), so
#: the halo (2 x eps on each side) adds little work, small enough to spread a region.
DEFAULT_TILE_M = 10_000.0


@dataclass(frozen=True)
class TileInput:
    """One tile's task: points (global ``index``), and which of them the tile owns.

    ``xy`` (k, 2) metres, ``weights`` (k,) incidents; ``owned`` marks the tile's own
    points, ``inner`` the points within ``eps_m`` of the tile (owned ones included).
    """

    index: np.ndarray
    xy: np.ndarray
    weights: np.ndarray
    owned: np.ndarray
    inner: np.ndarray
    eps_m: float
    min_samples: float


@dataclass(frozen=True)
class TileResult:
    """What a tile knows for sure, in global point indices.

    ``owned``/``owned_core``: the tile's points and whether each is core.
    ``core``/``component``: the core points it saw within ``eps_m`` of the tile and their
    local cluster (0..c-1). ``border``/``anchor``/``distance_m``: each owned non-core point
    with a core neighbour, once per nearest core neighbour (several on a tie).
    """

    owned: np.ndarray
    owned_core: np.ndarray
    core: np.ndarray
    component: np.ndarray
    border: np.ndarray
    anchor: np.ndarray
    distance_m: np.ndarray


def split_tiles(
    xy: np.ndarray, weights: np.ndarray, eps_m: float, min_samples: float, tile_m: float
) -> list[TileInput]:
    """The non-empty tiles of ``tile_m`` metres, in row-major order, each with its halo.

    Halo membership uses the tile's square widened by ``2 * eps_m`` (a superset of the
    round halo, and a small margin keeps points at exactly ``2 * eps_m`` in).
    """
    x, y = xy[:, 0], xy[:, 1]
    col = np.floor((x - x.min()) / tile_m).astype(np.int64)
    row = np.floor((y - y.min()) / tile_m).astype(np.int64)
    by_x = np.argsort(x, kind="stable")
    x_sorted = x[by_x]
    margin = 1e-6 * max(1.0, float(np.abs(xy).max()))
    tiles = []
    for r, c in np.unique(np.column_stack([row, col]), axis=0):
        x0, y0 = x.min() + c * tile_m, y.min() + r * tile_m
        reach = 2 * eps_m + margin
        lo = np.searchsorted(x_sorted, x0 - reach, side="left")
        hi = np.searchsorted(x_sorted, x0 + tile_m + reach, side="right")
        near = by_x[lo:hi]
        near = np.sort(near[(y[near] >= y0 - reach) & (y[near] <= y0 + tile_m + reach)])
        owned = (row[near] == r) & (col[near] == c)
        reach = eps_m + margin
        inner = (
            (x[near] >= x0 - reach)
            & (x[near] <= x0 + tile_m + reach)
            & (y[near] >= y0 - reach)
            & (y[near] <= y0 + tile_m + reach)
        )
        tiles.append(TileInput(near, xy[near], weights[near], owned, inner, eps_m, min_samples))
    return tiles


def tile_clusters(tile: TileInput) -> TileResult:
    """Cluster one tile's input; keep what is exact (see the module docstring)."""
    local = weighted_dbscan(tile.xy, tile.weights, tile.eps_m, tile.min_samples)
    seen = local.core & tile.inner
    owned_idx = np.flatnonzero(tile.owned)
    loose = owned_idx[~local.core[owned_idx]]
    border, anchor, distance = _nearest_core(tile.xy, loose, np.flatnonzero(seen), tile.eps_m)
    return TileResult(
        owned=tile.index[owned_idx],
        owned_core=local.core[owned_idx],
        core=tile.index[seen],
        component=local.labels[seen],
        border=tile.index[border],
        anchor=tile.index[anchor],
        distance_m=distance,
    )


def _nearest_core(
    xy: np.ndarray, loose: np.ndarray, core: np.ndarray, eps_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(point, core point, distance)`` for each nearest core point within ``eps_m``."""
    empty = np.empty(0, dtype=np.int64)
    if len(loose) == 0 or len(core) == 0:
        return empty, empty, np.empty(0)
    found = cKDTree(xy[core]).query_ball_point(xy[loose], eps_m)
    counts = np.array([len(hits) for hits in found], dtype=np.int64)
    point = np.repeat(loose, counts)
    anchor = core[np.concatenate([np.asarray(h, dtype=np.int64) for h in found] + [empty])]
    distance = np.hypot(*(xy[point] - xy[anchor]).T)
    best = np.full(len(xy), np.inf)
    np.minimum.at(best, point, distance)
    nearest = distance == best[point]
    return point[nearest], anchor[nearest], distance[nearest]


def merge_tiles(n_points: int, results: list[TileResult]) -> Clustering:
    """Join the tiles' local clusters that share a core point into global clusters.

    Labels are numbered by each cluster's first core point in input order, as
    :func:`~geo.hotspots.dbscan.weighted_dbscan` numbers them.
    """
    core = np.zeros(n_points, dtype=bool)
    for result in results:
        core[result.owned] = result.owned_core
    # Graph nodes: the points 0..n-1, then one node per (tile, local cluster).
    offsets = np.cumsum([0] + [int(r.component.max(initial=-1)) + 1 for r in results])
    point = np.concatenate([r.core for r in results] + [np.empty(0, dtype=np.int64)])
    node = np.concatenate(
        [n_points + offsets[t] + r.component for t, r in enumerate(results)]
        + [np.empty(0, dtype=np.int64)]
    )
    size = n_points + int(offsets[-1])
    graph = sparse.coo_matrix((np.ones(len(point), dtype=np.int8), (point, node)), (size, size))
    _, component = connected_components(graph, directed=False)
    labels = np.full(n_points, -1, dtype=np.int64)
    component = component[:n_points]
    _, first, renumbered = np.unique(component[core], return_index=True, return_inverse=True)
    labels[core] = np.argsort(np.argsort(first))[renumbered]
    border = np.concatenate([r.border for r in results] + [np.empty(0, dtype=np.int64)])
    anchor = np.concatenate([r.anchor for r in results] + [np.empty(0, dtype=np.int64)])
    order = np.lexsort((labels[anchor], border))
    border, anchor = border[order], anchor[order]
    first_of_point = np.r_[True, border[1:] != border[:-1]] if len(border) else border
    labels[border[first_of_point]] = labels[anchor[first_of_point]]
    return Clustering(labels, core)


def tiled_dbscan(
    xy: np.ndarray,
    weights: np.ndarray,
    eps_m: float,
    min_samples: float,
    *,
    tile_m: float = DEFAULT_TILE_M,
    scheduler: str = "none",
) -> Clustering:
    """:func:`~geo.hotspots.dbscan.weighted_dbscan`'s result, computed tile by tile.

    ``xy`` (m, 2) distinct points in metres, ``weights`` (m,) incidents, ``eps_m`` metres,
    ``min_samples`` incidents; ``tile_m`` the tile side in metres (at least ``eps_m``);
    ``scheduler`` as :func:`geo.distributed.resolve_scheduler` returns it (``"none"``
    runs the tiles in this process).
    """
    from geo.distributed import ordered_map

    eps_m = check_positive("eps_m", eps_m, fix="Use a neighbourhood radius in metres, e.g. 100")
    tile_m = check_positive("tile_m", tile_m, fix="Use a tile side in metres, e.g. 10000")
    if tile_m < eps_m:
        fail(f"`tile_m` ({tile_m:g} m) must be at least `eps_m` ({eps_m:g} m)")
    xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
    weights = np.asarray(weights, dtype="float64")
    if len(xy) == 0:
        return Clustering(np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))
    tiles = split_tiles(xy, weights, eps_m, min_samples, tile_m)
    results = list(ordered_map(scheduler)(tile_clusters, tiles))
    return merge_tiles(len(xy), results)
