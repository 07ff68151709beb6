"""Crime concentration: PAI, Lorenz-curve data and the (generalised) Gini coefficient.

Formulas follow their published definitions:

- PAI (Chainey, Tompson & Uhlig 2008) = (n / N) / (a / A): the share of incidents in an
  area divided by its share of the study area; 1 = average density.
- Gini G on counts per spatial unit (cells, street segments, LSOAs).
- Generalised Gini for sparse data (Bernasco & Steenbeek 2017): with N units and n
  incidents, G' = max(1, N / n) * (G - 1) + 1, so that n < N incidents spread over n
  different units count as "as equal as possible" (G' = 0). Example: 10 units and 8
  incidents as (5, 2, 1, 0, ...) give G = 0.80 and G' = 0.75.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.checks import check_min_int, check_not_empty, check_positive, fail


def pai(n: ArrayLike, n_total: ArrayLike, area: ArrayLike, area_total: ArrayLike) -> np.ndarray:
    """Proportional Area Index ``(n / n_total) / (area / area_total)``, vectorised.

    ``n`` incidents inside areas of ``area`` (any unit, the same as ``area_total``),
    out of ``n_total`` incidents in a study area of ``area_total``. Returns floats; NaN
    where a denominator is 0.
    """
    n, n_total = np.asarray(n, dtype="float64"), np.asarray(n_total, dtype="float64")
    area, area_total = np.asarray(area, dtype="float64"), np.asarray(area_total, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (n / n_total) / (area / area_total)
    return np.where((n_total > 0) & (area > 0) & (area_total > 0), value, np.nan)


def _counts(counts) -> np.ndarray:
    values = np.asarray(counts, dtype="float64").ravel()
    check_not_empty("counts", len(values), fix="Give the incident count of every spatial unit")
    if not np.isfinite(values).all() or (values < 0).any():
        fail("`counts` must be finite numbers >= 0", fix="Count incidents per unit, zeros included")
    return values


def gini(counts: ArrayLike) -> float:
    """Gini coefficient (0 equal - 1 all in one unit) of incident counts per unit.

    Include the units with zero incidents: they are what makes crime concentrated.
    """
    values = _counts(counts)
    if values.sum() == 0:
        fail("`counts` are all zero: there is nothing to concentrate", fix="Widen the selection")
    return float(_generalised_rows(np.sort(values)[None, :], generalised=False)[0])


def _generalised_rows(sorted_counts: np.ndarray, generalised: bool = True) -> np.ndarray:
    """(Generalised) Gini of each row of ascending-sorted counts with a positive total."""
    units, totals = sorted_counts.shape[1], sorted_counts.sum(axis=1)
    rank = np.arange(1, units + 1)
    standard = 2 * (sorted_counts @ rank) / (units * totals) - (units + 1) / units
    if not generalised:
        return standard
    return np.maximum(1.0, units / totals) * (standard - 1) + 1


def generalised_gini(counts: ArrayLike, unbiased: bool = False) -> float:
    """Generalised Gini G' = max(1, N / n) * (G - 1) + 1 (Bernasco & Steenbeek 2017).

    ``N`` = number of units, ``n`` = number of incidents. ``unbiased`` multiplies by
    ``min(N, n) / (min(N, n) - 1)`` (the small-sample correction of ``lorenzgini``).
    NaN when all counts are zero.
    """
    values = _counts(counts)
    units, total = len(values), values.sum()
    if total == 0:
        return float("nan")
    value = _generalised_rows(np.sort(values)[None, :])[0]
    if unbiased:
        smaller = min(units, total)
        value *= smaller / (smaller - 1) if smaller > 1 else np.nan
    return float(value)


def generalised_gini_ci(
    counts: ArrayLike, n_boot: int = 999, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for :func:`generalised_gini`, resampling units.

    Each replicate draws the ``N`` units with replacement (their counts come along).
    Returns ``(low, high)`` at ``level``; replicates with no incidents are skipped.
    """
    values = _counts(counts)
    n_boot = check_min_int("n_boot", n_boot, 10)
    level = check_positive("level", level)
    if level >= 1:
        fail(f"`level` must be below 1, got {level!r}", fix="Use e.g. 0.95")
    rng = np.random.default_rng(seed)
    draws = np.sort(values[rng.integers(0, len(values), (n_boot, len(values)))], axis=1)
    draws = draws[draws.sum(axis=1) > 0]
    if len(draws) == 0:
        fail(
            "every bootstrap replicate drew only units without incidents",
            fix="Check that `counts` are not all zero, or use a larger n_boot",
        )
    replicates = _generalised_rows(draws)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


def lorenz_curve(counts: ArrayLike, areas: ArrayLike | None = None) -> pd.DataFrame:
    """Lorenz-curve data: share of incidents in the densest x % of the area.

    Units are sorted by density (``counts / areas``; by count when ``areas`` is None,
    i.e. equal units), densest first. Returns a frame starting at (0, 0) with columns
    ``area_share`` (cumulative share of area, or of units, 0-1) and ``incident_share``
    (cumulative share of incidents, 0-1), like the ArcGIS 80-20 tool's CUMU_LPERC /
    CUMU_PERC.
    """
    values = _counts(counts)
    sizes = np.ones_like(values) if areas is None else np.asarray(areas, dtype="float64")
    if sizes.shape != values.shape or not (sizes > 0).all():
        fail("`areas` must be one positive area per count", fix="Pass the area of every unit")
    if values.sum() == 0:
        fail("`counts` are all zero: there is nothing to concentrate", fix="Widen the selection")
    order = np.argsort(-(values / sizes), kind="stable")
    return pd.DataFrame(
        {
            "area_share": np.r_[0.0, np.cumsum(sizes[order]) / sizes.sum()],
            "incident_share": np.r_[0.0, np.cumsum(values[order]) / values.sum()],
        }
    )


def share_in_top_area(
    counts: ArrayLike, areas: ArrayLike | None = None, area_share: float = 0.05
) -> float:
    """Share of incidents (0-1) in the densest ``area_share`` of the area (interpolated)."""
    area_share = check_positive("area_share", area_share)
    curve = lorenz_curve(counts, areas)
    return float(np.interp(min(area_share, 1.0), curve["area_share"], curve["incident_share"]))
