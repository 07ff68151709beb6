"""Square and hexagonal grids over points in metres (EPSG:27700 or UTM): the cell size
rule, the cell centres, and each point's cell. Shared by Gi*, KDE, change maps and the
forecast.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.checks import check_choice, check_not_empty, check_positive, fail

GRID_SHAPES = ("square", "hex")


CELLS_ON_SHORT_SIDE = 50


#: Largest grid we build; beyond it the cell size is too small for the area.
MAX_CELLS = 2_000_000


def auto_cell_size(x: np.ndarray, y: np.ndarray) -> float:
    """Cell size (m): 50 cells on the shorter side of the points' extent, rounded down
    to a multiple of 100 m (10 m for cells under 100 m); at least 10 m."""
    check_not_empty("incidents", len(x))
    short_side = min(np.ptp(x), np.ptp(y))
    raw = short_side / CELLS_ON_SHORT_SIDE
    step = 100.0 if raw >= 100 else 10.0
    return max(10.0, math.floor(raw / step) * step)


def grid_cells(
    bounds: tuple[float, float, float, float], cell_size_m: float, shape: str = "square"
) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (k, 2) and polygons (k,) covering ``bounds`` (metres).

    ``shape="hex"``: flat-topped hexagons whose centres are ``cell_size_m`` apart
    (side-to-side width = ``cell_size_m``).
    """
    cell_size_m = check_positive("cell_size_m", cell_size_m)
    check_choice("shape", shape, GRID_SHAPES)
    minx, miny, maxx, maxy = bounds
    if shape == "square":
        nx = max(1, math.ceil((maxx - minx) / cell_size_m + 1e-9))
        ny = max(1, math.ceil((maxy - miny) / cell_size_m + 1e-9))
        _check_grid_size(nx * ny, cell_size_m)
        cx, cy = np.meshgrid(np.arange(nx), np.arange(ny))
        left, bottom = minx + cx.ravel() * cell_size_m, miny + cy.ravel() * cell_size_m
        polygons = shapely.box(left, bottom, left + cell_size_m, bottom + cell_size_m)
        return np.column_stack([left + cell_size_m / 2, bottom + cell_size_m / 2]), polygons
    radius = cell_size_m / math.sqrt(3)  # centre to vertex
    dx = 1.5 * radius
    nx = max(1, math.ceil((maxx - minx) / dx) + 2)
    ny = max(1, math.ceil((maxy - miny) / cell_size_m) + 2)
    _check_grid_size(nx * ny, cell_size_m)
    col, row = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
    centre = np.column_stack([minx + col * dx, miny + (row - 0.5 * (col % 2)) * cell_size_m])
    angle = np.deg2rad(np.arange(6) * 60.0)
    rings = centre[:, None, :] + radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centre, shapely.polygons(rings)


def _check_grid_size(cells: int, cell_size_m: float) -> None:
    if cells > MAX_CELLS:
        fail(
            f"a {cell_size_m:g} m grid over this area has {cells:,} cells (limit {MAX_CELLS:,})",
            fix="Use a larger cell size",
        )


def assign_cells(x: np.ndarray, y: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the cell (nearest centre) of each point; exact for both grid shapes."""
    return cKDTree(centres).query(np.column_stack([x, y]))[1]
