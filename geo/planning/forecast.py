"""Next month's risk per hotspot or grid cell, and an honest backtest of the forecast.

Forecast made at the end of month ``t`` for month ``t + 1``, per unit ``u`` (a hotspot
polygon or a square grid cell), from the counts ``c_u(m)`` of months ``m <= t`` that have
data (a month with no published data is missing, never zero):

* **recent**: a recency-weighted mean of the last ``N`` months with data::

      R_u = sum_m decay**(t - m) * c_u(m) / sum_m decay**(t - m)

  ``t - m`` is the lag in calendar months, so a month after a gap weighs less.
* **seasonal**: the same month last year, ``S_u = c_u(t + 1 - 12)``; unavailable when that
  month has no data.
* **both**: ``w * S_u + (1 - w) * R_u`` with ``w = seasonal_weight``; falls back to ``R_u``
  when the seasonal month has no data (``seasonal_used`` says which).

Scores are expected incidents next month. The top ``k`` units are those with the
highest positive score (ties: lower unit number first). Hotspot units are DBSCAN
polygons (:func:`geo.hotspots.find_hotspots`) found on the last ``train_months`` calendar
months up to ``t`` only, so no future incident shapes them; an incident counts for every
polygon it lies in (edges included). Grid cells are fixed squares over the study area;
each incident belongs to exactly one cell.

Backtest (hit rate and PAI, Chainey, Tompson & Uhlig 2008): for every month ``t``
with data whose next month also has data, forecast from months ``<= t`` and score on ``t + 1``:

* hit rate ``HR = n / N``: ``n`` incidents of month ``t + 1`` inside the union of the
  top-k units, ``N`` all incidents of month ``t + 1``;
* ``PAI = HR / (a / A)``: ``a`` the area of that union, ``A`` the study area (default the
  convex hull of all incidents, as :func:`geo.hotspots.find_hotspots`).

Pairs that cannot be scored (a missing month, no hotspots in the training window, no
incidents next month) are listed with the reason, never counted as zero.

Naive benchmarks (:data:`BENCHMARKS`) are scored on the same pairs, units and ``k``: a
forecast earns its keep only when it beats them (Chainey, Tompson & Uhlig 2008 compare
hotspot maps with last period's incidents the same way):

* **last month's hotspots**: ``c_u(t)``, the units busiest in the month just ended;
* **same month last year**: ``c_u(t + 1 - 12)``; no row where that month has no data.

:meth:`Backtest.benchmark_comparison` sets the forecast's mean hit rate and PAI beside
each benchmark's, over the months both were scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.checks import (
    GeoInputError,
    check_choice,
    check_columns,
    check_min_int,
    check_non_negative,
    check_not_empty,
    check_positive,
    fail,
)
from geo.grid import assign_cells, grid_cells
from geo.hotspots.dbscan import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES, find_hotspots
from geo.projection import metric_xy
from geo.schema import WGS84

#: A study-area outline: polygons with a CRS, or one shapely geometry in EPSG:4326.
StudyArea = gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry


METHODS = ("recent", "seasonal", "both")


UNIT_KINDS = ("hotspots", "grid")


#: Columns of :attr:`Backtest.months`.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "month",
    "target",
    "units",
    "top_k",
    "incidents",
    "hits",
    "hit_rate",
    "area_share",
    "pai",
    "seasonal_used",
)


#: Columns of :attr:`Backtest.benchmarks`.
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "month",
    "target",
    "benchmark",
    "top_k",
    "incidents",
    "hits",
    "hit_rate",
    "area_share",
    "pai",
)


#: An empty gazetteer: hotspots found only to be scored need no place names.
NO_GAZETTEER = pd.DataFrame(columns=["name", "area", "lat", "lon", "radius_m", "source"])


@dataclass(frozen=True)
class ForecastMethod:
    """How scores are made (see the module docstring for the formulas).

    ``kind`` is one of :data:`METHODS`; ``recent_months`` = N (months with data);
    ``decay`` in (0, 1] per month of lag; ``seasonal_weight`` = w in [0, 1].
    """

    kind: str = "both"
    recent_months: int = 3
    decay: float = 0.5
    seasonal_weight: float = 0.5

    def __post_init__(self) -> None:
        check_choice("method", self.kind, METHODS)
        check_min_int("recent_months", self.recent_months, 1, fix="Use e.g. 3")
        if check_positive("decay", self.decay) > 1:
            fail(f"`decay` must be at most 1, got {self.decay!r}", fix="Use e.g. 0.5")
        if check_non_negative("seasonal_weight", self.seasonal_weight) > 1:
            fail(f"`seasonal_weight` must be at most 1, got {self.seasonal_weight!r}")


#: Naive benchmarks scored beside the forecast: key -> (label, the method that makes it).
#: "recent" over 1 month is month ``t``'s counts (a scored pair always has data in ``t``).
BENCHMARKS: dict[str, tuple[str, ForecastMethod]] = {
    "last_month": ("Last month's hotspots", ForecastMethod("recent", recent_months=1)),
    "last_year": ("Same month last year", ForecastMethod("seasonal")),
}


@dataclass(frozen=True)
class UnitSpec:
    """Which units are forecast: DBSCAN ``"hotspots"`` or a square ``"grid"``.

    ``eps_m`` (metres) and ``min_samples`` are DBSCAN's, run on the last
    ``train_months`` calendar months; ``cell_size_m`` is the grid's cell side in metres.
    """

    kind: str = "hotspots"
    eps_m: float = DEFAULT_EPS_M
    min_samples: int = DEFAULT_MIN_SAMPLES
    train_months: int = 12
    cell_size_m: float = 250.0

    def __post_init__(self) -> None:
        check_choice("units", self.kind, UNIT_KINDS)
        check_positive("eps_m", self.eps_m, fix="Use a radius in metres, e.g. 100")
        check_min_int("min_samples", self.min_samples, 1, fix="Use e.g. 30")
        check_min_int("train_months", self.train_months, 1, fix="Use e.g. 12")
        check_positive("cell_size_m", self.cell_size_m, fix="Use a cell side in metres, e.g. 250")


@dataclass(frozen=True)
class Units:
    """Forecast units in a metric CRS: ``table`` (EPSG:4326, ``id``, ``name`` + hotspot
    columns), ``polygons`` (metres, ``crs``) and, for grids, cell ``centres``."""

    table: gpd.GeoDataFrame
    polygons: np.ndarray
    crs: str
    centres: np.ndarray | None = None


@dataclass(frozen=True)
class Points:
    """Incidents as metric coordinates ``x``, ``y`` (metres, ``crs``) and month ``codes``."""

    x: np.ndarray
    y: np.ndarray
    codes: np.ndarray
    crs: str

    @classmethod
    def of(cls, incidents: gpd.GeoDataFrame) -> Points:
        """Metric coordinates (:func:`geo.hotspots.metric_xy`) and month codes of incidents."""
        x, y, crs = metric_xy(incidents)
        return cls(x, y, month_code(incidents["month"]), crs)


@dataclass(frozen=True)
class Scores:
    """Scores per unit (``score``, ``recent``, ``seasonal``; NaN where unused)."""

    score: np.ndarray
    recent: np.ndarray
    seasonal: np.ndarray
    seasonal_used: bool


@dataclass(frozen=True)
class Forecast:
    """Next month's forecast: ``table`` = units (EPSG:4326) with ``risk`` (expected
    incidents in ``target`` month), ``recent``, ``seasonal`` and ``forecast_rank``,
    sorted by rank; ``based_on`` = the last month with data used."""

    table: gpd.GeoDataFrame
    target: str
    based_on: str
    method: ForecastMethod
    seasonal_used: bool


@dataclass(frozen=True)
class Backtest:
    """Backtest per month pair (:data:`BACKTEST_COLUMNS`) and the pairs ``skipped``
    (``month``, ``target``, ``reason``)."""

    months: pd.DataFrame
    skipped: pd.DataFrame
    top_k: int
    method: ForecastMethod
    units: UnitSpec = field(default_factory=UnitSpec)
    #: The naive benchmarks per scored pair (:data:`BENCHMARK_COLUMNS`).
    benchmarks: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(BENCHMARK_COLUMNS))
    )

    def benchmark_comparison(self) -> pd.DataFrame:
        """The forecast beside each naive benchmark, over the months both were scored.

        One row per :data:`BENCHMARKS` entry, with plain headers: ``Compared with``,
        ``Months compared``, hit rates in percent and PAI, each for the forecast and the
        benchmark (means over those months; NaN when no month could be compared).
        """
        rows = []
        forecast = self.months.set_index("target")
        for key, (label, _) in BENCHMARKS.items():
            naive = self.benchmarks[self.benchmarks["benchmark"] == key].set_index("target")
            shared = forecast.loc[forecast.index.isin(naive.index)]
            naive = naive.loc[shared.index]
            rows.append(
                {
                    "Compared with": label,
                    "Months compared": len(shared),
                    "Hit rate, forecast (%)": _mean(shared["hit_rate"]) * 100,
                    "Hit rate, benchmark (%)": _mean(naive["hit_rate"]) * 100,
                    "PAI, forecast": _mean(shared["pai"]),
                    "PAI, benchmark": _mean(naive["pai"]),
                }
            )
        return pd.DataFrame(rows)

    def benchmark_sentence(self) -> str:
        """One plain sentence: does the forecast's PAI beat each benchmark's?"""
        parts = []
        for row in self.benchmark_comparison().itertuples(index=False):
            label, n, _, _, ours, theirs = row
            if n == 0:
                parts.append(f"{label.lower()} could not be scored (no month with data)")
                continue
            # Compared as shown (1 decimal), so "matched" never hides a visible difference.
            ours, theirs = round(ours, 1), round(theirs, 1)
            word = "beat" if ours > theirs else "matched" if ours == theirs else "fell short of"
            parts.append(
                f"{word} {label.lower()} (PAI {ours:.1f} against {theirs:.1f}, "
                f"{n} month{'s' if n != 1 else ''})"
            )
        return "The forecast " + "; it ".join(parts) + "."

    def summary(self) -> dict[str, float]:
        """Mean, min and max of hit rate and PAI over the scored pairs (NaN when none)."""
        result: dict[str, float] = {"pairs": float(len(self.months))}
        for column in ("hit_rate", "pai"):
            values = self.months[column].dropna()
            for name, fn in (("mean", np.mean), ("min", np.min), ("max", np.max)):
                result[f"{column}_{name}"] = float(fn(values)) if len(values) else float("nan")
        return result


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


def month_code(months: Iterable) -> np.ndarray:
    """Months (dates, timestamps or ``YYYY-MM``) as integers ``year * 12 + month - 1``."""
    stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(months), dtype=object)))
    return np.asarray(stamps.year * 12 + stamps.month - 1, dtype="int64")


def month_label(code: int) -> str:
    """Integer month code back to ``YYYY-MM``."""
    return f"{code // 12:04d}-{code % 12 + 1:02d}"


def months_with_data(codes: np.ndarray, missing: Iterable[str] | None) -> np.ndarray:
    """Sorted month codes from the first to the last incident month, minus ``missing``.

    ``missing=None`` treats months with no incidents at all as missing (a safe default
    for a file without an ingest summary: a gap is never read as zero).
    """
    check_not_empty("incidents", len(codes), fix="Widen the month or category filter")
    span = np.arange(codes.min(), codes.max() + 1)
    absent = np.setdiff1d(span, codes) if missing is None else month_code(list(missing))
    return np.setdiff1d(span, absent)


def hotspot_units(
    incidents: gpd.GeoDataFrame,
    spec: UnitSpec,
    crs: str,
    *,
    study_area: StudyArea | None = None,
    gazetteer: pd.DataFrame | None = NO_GAZETTEER,
) -> Units:
    """DBSCAN hotspots of ``incidents`` as units; polygons reprojected to ``crs`` (metres).

    Raises :class:`~geo.checks.GeoInputError` when DBSCAN finds no hotspot.
    """
    result = find_hotspots(
        incidents, spec.eps_m, spec.min_samples, study_area=study_area, gazetteer=gazetteer
    )
    table = result.hotspots
    return Units(table, table.geometry.to_crs(crs).to_numpy(), crs)


def grid_units(bounds: tuple[float, float, float, float], spec: UnitSpec, crs: str) -> Units:
    """Square cells of ``spec.cell_size_m`` metres covering ``bounds`` (metres, ``crs``)."""
    centres, polygons = grid_cells(bounds, spec.cell_size_m, "square")
    ids = np.arange(1, len(polygons) + 1)
    table = gpd.GeoDataFrame(
        {"hotspot_id": ids, "name": [f"Cell {i}" for i in ids]},
        geometry=gpd.GeoSeries(polygons, crs=crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return Units(table, polygons, crs, centres)


def locate(units: Units, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(point_index, unit_index)`` pairs: each point with every unit it lies in.

    Grid points go to exactly one cell (nearest centre); hotspot points to every polygon
    that contains them or has them on its edge.
    """
    if units.centres is not None:
        return np.arange(len(x)), assign_cells(x, y, units.centres)
    tree = shapely.STRtree(units.polygons)
    point, unit = tree.query(shapely.points(x, y), predicate="intersects")
    return point, unit


def count_matrix(
    units: Units, x: np.ndarray, y: np.ndarray, codes: np.ndarray, months: np.ndarray
) -> np.ndarray:
    """Incidents per unit (rows) and month of ``months`` (columns); others are ignored."""
    column = np.searchsorted(months, codes)
    known = (column < len(months)) & (months[np.minimum(column, len(months) - 1)] == codes)
    point, unit = locate(units, x[known], y[known])
    flat = unit * len(months) + column[known][point]
    counts = np.bincount(flat, minlength=len(units.polygons) * len(months))
    return counts.reshape(len(units.polygons), len(months)).astype("float64")


def score_units(
    counts: np.ndarray, months: np.ndarray, target: int, method: ForecastMethod
) -> Scores | None:
    """Forecast scores for month code ``target`` from ``counts`` (units x ``months``).

    ``months`` are the codes (with data, ascending) of the columns; only those before
    ``target`` are used. Returns None when the method has nothing to work on (no month
    with data before ``target``, or, for ``"seasonal"``, no data 12 months before it).
    """
    before = np.flatnonzero(months < target)[-method.recent_months :]
    n_units = counts.shape[0]
    recent = np.full(n_units, np.nan)
    if len(before):
        weights = method.decay ** (target - 1 - months[before]).astype("float64")
        recent = counts[:, before] @ weights / weights.sum()
    same = np.flatnonzero(months == target - 12)
    seasonal = counts[:, same[0]] if len(same) else np.full(n_units, np.nan)
    has_recent, has_seasonal = len(before) > 0, len(same) > 0
    if method.kind == "recent" or (method.kind == "both" and not has_seasonal):
        return Scores(recent, recent, seasonal, False) if has_recent else None
    if method.kind == "seasonal":
        return Scores(seasonal, recent, seasonal, True) if has_seasonal else None
    if not has_recent:
        return None
    w = method.seasonal_weight
    return Scores(w * seasonal + (1 - w) * recent, recent, seasonal, True)


def top_units(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, best first (ties: lower index)."""
    order = np.lexsort((np.arange(len(score)), -score))
    return order[score[order] > 0][:k]


def forecast_next(
    incidents: gpd.GeoDataFrame,
    *,
    method: ForecastMethod | None = None,
    units: UnitSpec | None = None,
    missing: Iterable[str] | None = None,
    study_area: StudyArea | None = None,
    gazetteer: pd.DataFrame | None = None,
) -> Forecast:
    """Forecast the month after the last month of ``incidents`` for every unit.

    Parameters
    ----------
    incidents : canonical incidents (:mod:`geo.schema`), every month up to the last one.
    method, units : see :class:`ForecastMethod` and :class:`UnitSpec` (defaults: both,
        DBSCAN hotspots with eps 100 m, min_samples 30, on the last 12 months).
    missing : months (``YYYY-MM``) without published data; None = months with no incidents.
    study_area : boundary for PAI / the grid extent (see :func:`geo.hotspots.find_hotspots`).
    gazetteer : places for hotspot names; None = the embedded gazetteer.

    Returns
    -------
    Forecast
        Units sorted by ``risk`` (expected incidents next month), highest first.
    """
    method, units = method or ForecastMethod(), units or UnitSpec()
    check_columns("incidents", incidents.columns, ["geometry", "month", "category"])
    points = Points.of(incidents)
    months = months_with_data(points.codes, missing)
    last = int(months.max())
    unit_set = _units_at(incidents, points, last, units, study_area=study_area, gazetteer=gazetteer)
    counts = count_matrix(unit_set, points.x, points.y, points.codes, months)
    scores = score_units(counts, months, last + 1, method)
    if scores is None:
        fail(
            f"no data 12 months before {month_label(last + 1)} for a seasonal forecast",
            fix="Use the 'recent' or 'both' method",
        )
    table = unit_set.table.assign(risk=scores.score, recent=scores.recent, seasonal=scores.seasonal)
    table = table.iloc[np.lexsort((np.arange(len(table)), -scores.score))].reset_index(drop=True)
    table["forecast_rank"] = np.arange(1, len(table) + 1)
    return Forecast(table, month_label(last + 1), month_label(last), method, scores.seasonal_used)


def _units_at(
    incidents: gpd.GeoDataFrame,
    points: Points,
    last: int,
    spec: UnitSpec,
    *,
    study_area: StudyArea | None = None,
    gazetteer: pd.DataFrame | None = NO_GAZETTEER,
) -> Units:
    """Units known at the end of month code ``last`` (hotspots from its training window)."""
    if spec.kind == "grid":
        return grid_units(_extent(points, study_area), spec, points.crs)
    window = (points.codes <= last) & (points.codes > last - spec.train_months)
    return hotspot_units(
        incidents[window], spec, points.crs, study_area=study_area, gazetteer=gazetteer
    )


def _extent(points: Points, study_area: StudyArea | None) -> tuple[float, ...]:
    if study_area is None:
        return (points.x.min(), points.y.min(), points.x.max(), points.y.max())
    return tuple(_as_geoseries(study_area).to_crs(points.crs).total_bounds)


def _as_geoseries(study_area: StudyArea) -> gpd.GeoSeries:
    if isinstance(study_area, shapely.Geometry):
        return gpd.GeoSeries([study_area], crs=WGS84)
    if study_area.crs is None:
        fail("`study_area` has no CRS", fix="Set its CRS, e.g. .set_crs('EPSG:4326')")
    return gpd.GeoSeries(study_area.geometry, crs=study_area.crs)


def study_area_m2(points: Points, study_area: StudyArea | None) -> float:
    """Area (m²) of ``study_area`` in the points' CRS, or of the points' convex hull."""
    if study_area is None:
        xy = np.column_stack([points.x, points.y])
        return float(shapely.convex_hull(shapely.multipoints(xy)).area)
    return float(_as_geoseries(study_area).to_crs(points.crs).union_all().area)


def backtest(
    incidents: gpd.GeoDataFrame,
    *,
    method: ForecastMethod | None = None,
    units: UnitSpec | None = None,
    top_k: int = 10,
    missing: Iterable[str] | None = None,
    study_area: StudyArea | None = None,
) -> Backtest:
    """Score the forecast of every month on the month that followed (module docstring).

    Parameters are as :func:`forecast_next`; ``top_k`` = how many units are "selected"
    each month. Returns one row per scored pair and the skipped pairs with reasons.
    """
    method, units = method or ForecastMethod(), units or UnitSpec()
    top_k = check_min_int("top_k", top_k, 1, fix="Use e.g. 10")
    check_columns("incidents", incidents.columns, ["geometry", "month", "category"])
    points = Points.of(incidents)
    months = months_with_data(points.codes, missing)
    area_total = study_area_m2(points, study_area)
    grid = (
        _units_at(incidents, points, 0, units, study_area=study_area)
        if units.kind == "grid"
        else None
    )
    rows, skipped, naive = [], [], []
    has_data = set(months.tolist())
    for t in range(int(months.min()), int(months.max())):
        pair = (month_label(t), month_label(t + 1))
        if t not in has_data or t + 1 not in has_data:
            skipped.append((*pair, "no data for one of the two months"))
            continue
        try:
            unit_set = grid or _units_at(incidents, points, t, units, study_area=study_area)
        except GeoInputError:
            skipped.append((*pair, "no hotspots in the training window"))
            continue
        known = months[months <= t]
        counts = count_matrix(unit_set, points.x, points.y, points.codes, known)
        row = _score_pair(unit_set, points, known, t, method=method, top_k=top_k, counts=counts)
        if isinstance(row, str):
            skipped.append((*pair, row))
            continue
        rows.append((*pair, len(unit_set.polygons), *row))
        for key, (_, naive_method) in BENCHMARKS.items():
            scored = _score_pair(
                unit_set, points, known, t, method=naive_method, top_k=top_k, counts=counts
            )
            if not isinstance(scored, str):
                naive.append((*pair, key, *scored[:4]))
    columns = ["month", "target", "units", "top_k", "incidents", "hits", "area_m2"]
    table = _rates(pd.DataFrame(rows, columns=[*columns, "seasonal_used"]), area_total)
    benchmarks = pd.DataFrame(
        naive, columns=["month", "target", "benchmark", "top_k", "incidents", "hits", "area_m2"]
    )
    return Backtest(
        table[list(BACKTEST_COLUMNS)],
        pd.DataFrame(skipped, columns=["month", "target", "reason"]),
        top_k,
        method,
        units,
        _rates(benchmarks, area_total)[list(BENCHMARK_COLUMNS)],
    )


def _rates(table: pd.DataFrame, area_total: float) -> pd.DataFrame:
    """Hit rate, area share and PAI from ``top_k``, ``incidents``, ``hits``, ``area_m2``."""
    table = table.astype({"top_k": "int64", "incidents": "int64", "hits": "int64"})
    if "units" in table.columns:
        table = table.astype({"units": "int64"})
    table["hit_rate"] = table["hits"] / table["incidents"]
    table["area_share"] = table["area_m2"] / area_total
    table["pai"] = table["hit_rate"] / table["area_share"]
    return table


def _score_pair(
    units: Units,
    points: Points,
    months: np.ndarray,
    t: int,
    *,
    method: ForecastMethod,
    top_k: int,
    counts: np.ndarray | None = None,
) -> tuple | str:
    """``(top_k used, N, n, area of the top-k union m², seasonal_used)`` or a skip reason.

    ``counts`` (units x ``months``) may be passed when already counted."""
    if counts is None:
        counts = count_matrix(units, points.x, points.y, points.codes, months)
    scores = score_units(counts, months, t + 1, method)
    if scores is None:
        return "no data 12 months before the target month"
    top = top_units(scores.score, top_k)
    target = points.codes == t + 1
    if not target.any():
        return "no incidents in the target month"
    if len(top) == 0:
        return "no unit has a positive forecast"
    point, unit = locate(units, points.x[target], points.y[target])
    hits = len(np.unique(point[np.isin(unit, top)]))
    area = float(shapely.union_all(units.polygons[top]).area)
    return len(top), int(target.sum()), hits, area, scores.seasonal_used
