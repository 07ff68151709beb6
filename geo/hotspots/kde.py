"""Kernel density surface for the map's density layer.

:func:`kde_grid` gives a quartic-kernel density per grid cell, in incidents per km², the
usual crime-mapping KDE (Chainey et al. 2008 found KDE the best predictor of future
hotspots). Bandwidth by default from MASS ``bandwidth.nrd`` on all incidents, averaged
over x and y and halved (:func:`nrd_bandwidth`); sfhotspot's ``hotspot_kde`` uses the
full ``bandwidth.nrd`` value as the radius, twice ours. Cell size by default
:func:`geo.gistar.auto_cell_size`. (The map's plain heat layer instead blurs the
weighted snap points of :func:`geo.maps.aggregate_points` in the browser.)
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from geo.checks import check_not_empty, check_positive, fail
from geo.grid import auto_cell_size, grid_cells
from geo.hotspots.dbscan import collapse_duplicates
from geo.schema import WGS84


def nrd_bandwidth(x: np.ndarray, y: np.ndarray) -> float:
    """Mean over x and y of MASS ``bandwidth.nrd``: 4 * 1.06 * min(sd, IQR / 1.34) * n^-1/5.

    That is the full width used by MASS ``kde2d``; we use half of it as the kernel
    radius, so the result here is already the radius in metres.
    """
    n = len(x)
    if n < 2:
        fail(
            f"cannot choose a KDE bandwidth from {n} incident(s)",
            fix="Give bandwidth_m yourself, e.g. 200",
        )
    widths = []
    for values in (x, y):
        q25, q75 = np.percentile(values, [25, 75])
        spread = min(np.std(values, ddof=1), (q75 - q25) / 1.34)
        widths.append(4 * 1.06 * spread * n ** (-1 / 5))
    radius = float(np.mean(widths)) / 2
    if not radius > 0:
        fail(
            "cannot choose a KDE bandwidth: the incidents hardly spread out",
            fix="Give bandwidth_m yourself, e.g. 200",
        )
    return radius


def quartic_kernel(distance: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Quartic (biweight) kernel per m²: 3 / (pi h²) * (1 - (d/h)²)² inside h, 0 outside."""
    u = np.asarray(distance, dtype="float64") / bandwidth_m
    return np.where(u < 1, 3 / (math.pi * bandwidth_m**2) * (1 - u**2) ** 2, 0.0)


def kde_grid(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    bandwidth_m: float | None = None,
    cell_size_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Quartic-kernel density of incidents on a square grid over their extent.

    Parameters
    ----------
    x, y : incident coordinates, metres in the metric CRS ``crs``.
    bandwidth_m : kernel radius (m); default :func:`nrd_bandwidth`.
    cell_size_m : grid cell size (m); default :func:`geo.gistar.auto_cell_size`.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        Cells with ``density_per_km2`` > 0 (incidents per km² at the cell centre),
        ``attrs`` holding ``bandwidth_m`` and ``cell_size_m`` as used. The densities
        integrate to about the number of incidents.
    """
    check_not_empty("incidents", len(x), fix="Widen the month or category filter")
    bandwidth_m = nrd_bandwidth(x, y) if bandwidth_m is None else bandwidth_m
    bandwidth_m = check_positive("bandwidth_m", bandwidth_m, fix="Use e.g. 200 (metres)")
    cell_size_m = auto_cell_size(x, y) if cell_size_m is None else cell_size_m
    cell_size_m = check_positive("cell_size_m", cell_size_m, fix="Use e.g. 100 (metres)")
    bounds = (
        x.min() - bandwidth_m,
        y.min() - bandwidth_m,
        x.max() + bandwidth_m,
        y.max() + bandwidth_m,
    )
    centres, polygons = grid_cells(bounds, cell_size_m)
    unique, _, counts = collapse_duplicates(x, y)
    near = cKDTree(centres).sparse_distance_matrix(
        cKDTree(unique), bandwidth_m, output_type="ndarray"
    )  # records i (cell), j (point), v (metres), zero distances kept
    kernel = sparse.coo_matrix(
        (quartic_kernel(near["v"], bandwidth_m), (near["i"], near["j"])),
        shape=(len(centres), len(unique)),
    )
    density = kernel.tocsr() @ counts.astype("float64") * 1e6  # per m² -> per km²
    keep = density > 0
    cells = gpd.GeoDataFrame(
        {"density_per_km2": density[keep]}, geometry=polygons[keep], crs=crs
    ).to_crs(WGS84)
    cells.attrs.update(bandwidth_m=bandwidth_m, cell_size_m=cell_size_m)
    return cells
