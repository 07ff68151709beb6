"""Getis-Ord Gi* hot and cold spots on a square or hexagonal grid, with FDR correction.

Gi* (Getis & Ord 1992; Ord & Getis 1995), for cell i with binary weights w_ij that
include i itself::

    Gi* = (sum_j w_ij x_j - xbar * W_i) / (S * sqrt((n * W_i - W_i**2) / (n - 1)))

with W_i = sum_j w_ij, xbar the mean count and S = sqrt(sum x**2 / n - xbar**2). This is
the z-score of ``esda.getisord.G_Local(star=True, transform="B")`` and of sfhotspot's
``hotspot_gistar``. Neighbours are the cells whose centres are within ``nb_dist_m``;
the default ``cell_size * sqrt(2)`` (sfhotspot) takes only the adjacent cells: the 8
around a square, the 6 around a hexagon. p-values are two-sided normal and corrected for
testing every cell with the Benjamini-Hochberg false discovery rate (as ArcGIS).

Grids are in metres on the metric CRS of the data (:func:`geo.hotspots.metric_xy`). By
default the cell size gives 50 cells along the shorter side of the data's extent
(sfhotspot), rounded down to a whole 100 m (10 m below 100 m).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.stats import norm

from geo.checks import check_not_empty, check_positive, fail
from geo.grid import assign_cells, auto_cell_size, grid_cells
from geo.schema import WGS84

#: ArcGIS Gi_Bin confidence levels: |bin| 3, 2, 1 = 99, 95, 90 %.
BIN_P_VALUES = (0.01, 0.05, 0.10)


def binary_weights(centres: np.ndarray, nb_dist_m: float) -> sparse.csr_matrix:
    """Binary neighbour matrix: 1 where centres are within ``nb_dist_m``, self included."""
    pairs = cKDTree(centres).query_pairs(nb_dist_m, output_type="ndarray")
    k = len(centres)
    rows = np.r_[pairs[:, 0], pairs[:, 1], np.arange(k)]
    cols = np.r_[pairs[:, 1], pairs[:, 0], np.arange(k)]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(k, k))


def gistar_z(counts: np.ndarray, weights: sparse.spmatrix) -> np.ndarray:
    """Gi* z-scores of ``counts`` under binary ``weights`` that include self (see module)."""
    x = np.asarray(counts, dtype="float64")
    n = len(x)
    mean = x.mean()
    spread = math.sqrt(max((x**2).mean() - mean**2, 0.0))
    if n < 2 or spread == 0:
        fail(
            "Gi* needs counts that differ between cells",
            fix="Use a smaller cell size or a wider selection",
        )
    cardinality = np.asarray(weights.sum(axis=1)).ravel()
    numerator = weights @ x - mean * cardinality
    with np.errstate(divide="ignore", invalid="ignore"):
        z = numerator / (spread * np.sqrt((n * cardinality - cardinality**2) / (n - 1)))
    return np.where(cardinality < n, z, 0.0)  # a cell that sees every cell carries no test


def fdr_adjust(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (as R's ``p.adjust(method = "BH")``)."""
    p = np.asarray(p_values, dtype="float64")
    order = np.argsort(p)[::-1]
    ranked = p[order] * len(p) / np.arange(len(p), 0, -1)
    adjusted = np.minimum.accumulate(ranked).clip(max=1.0)
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def gi_bin(z: np.ndarray, p_values: np.ndarray) -> np.ndarray:
    """ArcGIS-style bins -3..3: sign of z times the confidence level (99/95/90 %)."""
    level = np.select([p_values < cut for cut in BIN_P_VALUES], [3, 2, 1], 0)
    return (np.sign(z) * level).astype(np.int64)


def hotspot_gistar(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    cell_size_m: float | None = None,
    *,
    shape: str = "square",
    nb_dist_m: float | None = None,
    boundary: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    fdr: bool = True,
    alpha: float = 0.05,
) -> gpd.GeoDataFrame:
    """Gi* per grid cell for incidents at ``x``/``y`` (metres in metric CRS ``crs``).

    Parameters
    ----------
    cell_size_m : grid cell size in metres; default :func:`auto_cell_size`.
    shape : ``"square"`` or ``"hex"``.
    nb_dist_m : neighbour distance between cell centres (m); default ``cell * sqrt(2)``.
    boundary : study area (any CRS); the grid covers it and keeps only cells touching it
        (zero-count cells outside the area would dilute the statistic). Incidents
        outside it are left out; ``attrs["outside_boundary"]`` says how many.
    fdr : correct p-values with Benjamini-Hochberg; ``False`` leaves them raw.
    alpha : significance level for ``hot`` / ``cold``.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``cell``, ``n``, ``gistar`` (z), ``pvalue`` (adjusted if ``fdr``), ``gi_bin``
        (-3..3), ``hot``, ``cold``, geometry; ``attrs`` hold ``cell_size_m``,
        ``nb_dist_m``, ``shape``, ``fdr`` as used and ``outside_boundary``.
    """
    check_not_empty("incidents", len(x), fix="Widen the month or category filter")
    alpha = check_positive("alpha", alpha)
    if alpha >= 1:
        fail(f"`alpha` must be below 1, got {alpha!r}", fix="Use e.g. 0.05")
    cell_size_m = auto_cell_size(x, y) if cell_size_m is None else cell_size_m
    cell_size_m = check_positive("cell_size_m", cell_size_m, fix="Use e.g. 200 (metres)")
    nb_dist_m = cell_size_m * math.sqrt(2) if nb_dist_m is None else nb_dist_m
    nb_dist_m = check_positive("nb_dist_m", nb_dist_m)
    area = None if boundary is None else _boundary_area(boundary, crs)
    bounds = area.bounds if area is not None else (x.min(), y.min(), x.max(), y.max())
    centres, polygons = grid_cells(bounds, cell_size_m, shape)
    outside = 0
    if area is not None:
        keep = shapely.intersects(polygons, area)
        centres, polygons = centres[keep], polygons[keep]
        inside = shapely.intersects_xy(area, x, y)
        outside = int((~inside).sum())
        x, y = x[inside], y[inside]
        if len(x) == 0:
            fail("no incidents lie inside `boundary`", fix="Pass the study area of these incidents")
    counts = np.bincount(assign_cells(x, y, centres), minlength=len(centres))
    z = gistar_z(counts, binary_weights(centres, nb_dist_m))
    p = 2 * norm.sf(np.abs(z))
    p = fdr_adjust(p) if fdr else p
    table = pd.DataFrame(
        {
            "cell": np.arange(len(centres)),
            "n": counts,
            "gistar": z,
            "pvalue": p,
            "gi_bin": gi_bin(z, p),
            "hot": (p < alpha) & (z > 0),
            "cold": (p < alpha) & (z < 0),
        }
    )
    cells = gpd.GeoDataFrame(table, geometry=polygons, crs=crs).to_crs(WGS84)
    cells.attrs.update(
        cell_size_m=cell_size_m,
        nb_dist_m=nb_dist_m,
        shape=shape,
        fdr=fdr,
        outside_boundary=outside,
    )
    return cells


def _boundary_area(boundary: gpd.GeoSeries | gpd.GeoDataFrame, crs: str) -> shapely.Geometry:
    """The union of ``boundary`` in the metric ``crs``; fails if it has no CRS."""
    if boundary.crs is None:
        fail("`boundary` has no CRS", fix="Set it, e.g. .set_crs('EPSG:4326')")
    return boundary.to_crs(crs).union_all()


def gi_class(bins: np.ndarray) -> np.ndarray:
    """Readable labels for :func:`gi_bin` values: ``"hot 99%"`` ... ``"cold 99%"``."""
    labels = {
        3: "hot 99%",
        2: "hot 95%",
        1: "hot 90%",
        0: "not significant",
        -1: "cold 90%",
        -2: "cold 95%",
        -3: "cold 99%",
    }
    return np.array([labels[int(b)] for b in np.asarray(bins)], dtype=object)
