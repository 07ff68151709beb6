"""Change between periods: counts before/after a date, and space-time hotspot classes.

- :func:`change_by_hotspot` / :func:`change_cells`: incidents per DBSCAN hotspot or
  grid cell before and after a boundary month (e.g. the June 2024 start of Street Focus
  Torquay), as sfhotspot's ``hotspot_change`` (``n_before``, ``n_after``, ``change``),
  plus per-month rates because police.uk coverage often differs between the two sides.
- :func:`classify_cells`: sfhotspot's ``hotspot_classify``. Gi* per cell in every period
  (:mod:`geo.gistar`), p-values adjusted per cell across periods (Holm, R's
  ``p.adjust`` default), then each cell is a persistent, emerging, former or
  intermittent hot/coldspot, "mixed hot/coldspot" or "no pattern" with the thresholds
  of ``hotspot_classify_params`` (:class:`ClassifyParams`). One deliberate difference:
  sfhotspot sums ``recent + 1`` periods for the recent share but divides by ``recent``;
  we use exactly the last ``recent`` periods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import norm

from geo.checks import check_choice, check_min_int, check_positive, fail
from geo.grid import assign_cells, auto_cell_size, grid_cells
from geo.hotspots.dbscan import find_hotspots, month_codes
from geo.hotspots.gistar import binary_weights, fdr_adjust, gistar_z
from geo.io.store import filter_incidents
from geo.projection import metric_xy
from geo.schema import WGS84
from geo.timeseries import parse_month

P_ADJUST_METHODS = ("holm", "fdr", "none")


NO_PATTERN = "no pattern"


MIXED = "mixed hot/coldspot"


@dataclass(frozen=True)
class ClassifyParams:
    """sfhotspot ``hotspot_classify_params`` defaults (shares of periods, 0-1)."""

    hotspot_prop: float = 0.1
    persistent_prop: float = 0.8
    recent_prop: float = 0.2
    critical_p: float = 0.05


def _split_months(month: pd.Series, boundary: str | dt.date) -> tuple[np.ndarray, int, int]:
    """``(after mask per row, months present before, months present after)``."""
    first_after = parse_month(boundary, "boundary")
    codes, months = month_codes(month)
    after_month = np.array([m >= first_after for m in months], dtype=bool)
    n_after = int(after_month.sum())
    if n_after == 0 or n_after == len(months):
        fail(
            f"no months on both sides of {first_after:%Y-%m}: data cover "
            f"{months[0]:%Y-%m}..{months[-1]:%Y-%m}",
            fix="Choose a boundary month inside the data's months",
        )
    return after_month[codes], len(months) - n_after, n_after


def _before_after(key: np.ndarray, after: np.ndarray, k: int, months: tuple[int, int]):
    before_n = np.bincount(key[~after], minlength=k)
    after_n = np.bincount(key[after], minlength=k)
    return pd.DataFrame(
        {
            "n_before": before_n,
            "n_after": after_n,
            "change": after_n - before_n,
            "per_month_before": before_n / months[0],
            "per_month_after": after_n / months[1],
            "rate_change": after_n / months[1] - before_n / months[0],
        }
    )


def change_by_hotspot(
    month: pd.Series, labels: np.ndarray, boundary: str | dt.date
) -> pd.DataFrame:
    """Incidents per hotspot before and after ``boundary`` (first month of "after").

    ``month`` and ``labels`` (hotspot id or -1, :class:`geo.hotspots.HotspotResult`) are
    per incident. Per-month rates divide by the months present in the data on each side.
    Returns one row per id 1..k: ``id``, ``n_before``, ``n_after``, ``change``,
    ``per_month_before``, ``per_month_after``, ``rate_change``.
    """
    after, months_before, months_after = _split_months(month, boundary)
    labels = np.asarray(labels)
    member = labels >= 0
    k = int(labels.max()) if member.any() else 0
    table = _before_after(labels[member] - 1, after[member], k, (months_before, months_after))
    return table.assign(hotspot_id=np.arange(1, k + 1))[["hotspot_id", *table.columns]]


def _cell_counts(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    month: pd.Series,
    boundary: str | dt.date,
    *,
    cell_size_m: float | None = None,
    shape: str = "square",
) -> gpd.GeoDataFrame:
    """Incidents per grid cell before and after ``boundary``, as sfhotspot ``hotspot_change``.

    Columns as :func:`change_by_hotspot` with ``cell`` instead of ``hotspot_id``;
    EPSG:4326. Cells with no incident on either side are dropped.
    """
    after, months_before, months_after = _split_months(month, boundary)
    cell_size_m = auto_cell_size(x, y) if cell_size_m is None else cell_size_m
    centres, polygons = grid_cells((x.min(), y.min(), x.max(), y.max()), cell_size_m, shape)
    cell = assign_cells(x, y, centres)
    table = _before_after(cell, after, len(centres), (months_before, months_after))
    table.insert(0, "cell", np.arange(len(centres)))
    keep = (table["n_before"] + table["n_after"] > 0).to_numpy()
    cells = gpd.GeoDataFrame(table[keep], geometry=polygons[keep], crs=crs).to_crs(WGS84)
    cells.attrs.update(cell_size_m=cell_size_m, shape=shape)
    return cells.reset_index(drop=True)


def holm_by_row(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values within each row (cells x periods), as R's ``p.adjust``."""
    p = np.asarray(p_values, dtype="float64")
    m = p.shape[1]
    order = np.argsort(p, axis=1)
    ranked = np.take_along_axis(p, order, axis=1) * (m - np.arange(m))
    adjusted = np.maximum.accumulate(ranked, axis=1).clip(max=1.0)
    out = np.empty_like(p)
    np.put_along_axis(out, order, adjusted, axis=1)
    return out


def classify(
    sig_hot: np.ndarray, sig_cold: np.ndarray, params: ClassifyParams = ClassifyParams()
) -> np.ndarray:
    """sfhotspot categories from significance per unit (rows) and period (columns, in order).

    Persistent: significant in >= ``persistent_prop`` of all periods. Emerging: in
    < ``hotspot_prop`` of older periods and >= ``recent_prop`` of recent ones. Former: in
    >= ``hotspot_prop`` of older and < ``hotspot_prop`` of recent periods. Intermittent:
    in >= ``hotspot_prop`` of all periods. Recent = the last
    ``max(1, floor(recent_prop * periods))`` periods; at least one must be older.
    Hot and cold are classified separately; both → "mixed hot/coldspot".
    """
    periods = sig_hot.shape[1]
    recent = max(1, int(np.floor(params.recent_prop * periods)))
    if periods - recent < 1:
        fail(
            f"{periods} period(s) leave none to compare with the recent one(s)",
            fix="Use shorter periods or more months",
        )
    hot = _category(sig_hot, recent, params, "hotspot")
    cold = _category(sig_cold, recent, params, "coldspot")
    return np.where(
        (hot != NO_PATTERN) & (cold != NO_PATTERN), MIXED, np.where(hot != NO_PATTERN, hot, cold)
    )


def _category(sig: np.ndarray, recent: int, params: ClassifyParams, kind: str) -> np.ndarray:
    share_all = sig.mean(axis=1)
    share_recent = sig[:, -recent:].mean(axis=1)
    share_older = sig[:, :-recent].mean(axis=1)
    return np.select(
        [
            share_all >= params.persistent_prop,
            (share_older < params.hotspot_prop) & (share_recent >= params.recent_prop),
            (share_older >= params.hotspot_prop) & (share_recent < params.hotspot_prop),
            share_all >= params.hotspot_prop,
        ],
        [f"persistent {kind}", f"emerging {kind}", f"former {kind}", f"intermittent {kind}"],
        NO_PATTERN,
    ).astype(object)


def period_of_month(month: pd.Series, period_months: int | None = None) -> tuple[np.ndarray, int]:
    """``(period index per row, period length in months)``.

    Periods are runs of ``period_months`` consecutive *present* months (months without
    any data are skipped, as sfhotspot excludes empty periods). Default: 1 month for up
    to 24 months of data, else 3.
    """
    codes, months = month_codes(month)
    if period_months is None:
        period_months = 1 if len(months) <= 24 else 3
    period_months = check_min_int("period_months", period_months, 1)
    return codes // period_months, period_months


def classify_cells(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    month: pd.Series,
    *,
    period_months: int | None = None,
    cell_size_m: float | None = None,
    shape: str = "square",
    params: ClassifyParams = ClassifyParams(),
    p_adjust: str = "holm",
) -> gpd.GeoDataFrame:
    """Classify grid cells as sfhotspot's ``hotspot_classify`` (see the module docstring).

    ``x``/``y`` metres in ``crs``; ``month`` per incident. Neighbours are the adjacent
    cells (``cell_size * sqrt(2)``). Returns EPSG:4326 cells with ``cell``,
    ``hotspot_category``, ``periods_hot``, ``periods_cold``; ``attrs`` hold
    ``periods``, ``period_months`` and ``cell_size_m`` as used.
    """
    check_choice("p_adjust", p_adjust, P_ADJUST_METHODS)
    check_positive("critical_p", params.critical_p)
    period, period_months = period_of_month(month, period_months)
    n_periods = int(period.max()) + 1
    cell_size_m = auto_cell_size(x, y) if cell_size_m is None else cell_size_m
    centres, polygons = grid_cells((x.min(), y.min(), x.max(), y.max()), cell_size_m, shape)
    cell = assign_cells(x, y, centres)
    weights = binary_weights(centres, cell_size_m * np.sqrt(2))
    counts = np.bincount(period * len(centres) + cell, minlength=n_periods * len(centres))
    z = np.column_stack([gistar_z(c, weights) for c in counts.reshape(n_periods, -1)])
    p = _adjust(2 * norm.sf(np.abs(z)), p_adjust)
    sig_hot, sig_cold = (p < params.critical_p) & (z > 0), (p < params.critical_p) & (z < 0)
    table = pd.DataFrame(
        {
            "cell": np.arange(len(centres)),
            "hotspot_category": classify(sig_hot, sig_cold, params),
            "periods_hot": sig_hot.sum(axis=1),
            "periods_cold": sig_cold.sum(axis=1),
        }
    )
    cells = gpd.GeoDataFrame(table, geometry=polygons, crs=crs).to_crs(WGS84)
    cells.attrs.update(periods=n_periods, period_months=period_months, cell_size_m=cell_size_m)
    return cells


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    if method == "holm":
        return holm_by_row(p)
    if method == "fdr":
        return np.vstack([fdr_adjust(row) for row in p])
    return p


def change_cells(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    month: pd.Series,
    boundary: str | dt.date,
    *,
    cell_size_m: float | None = None,
    period_months: int | None = None,
) -> gpd.GeoDataFrame:
    """Before/after counts and the sfhotspot class of each cell, on one grid, for a change map.

    ``x``/``y`` are metres in ``crs``; the grid covers the incidents' extent (cell size
    default :func:`geo.grid.auto_cell_size`, metres). Counts and classes share the grid,
    so a cell's ``n_before``/``n_after`` and its class describe the same square.
    ``classification`` is the hotspot class's first word (``persistent``, ``emerging``,
    ``former``, ``intermittent``) and ``no pattern`` for cold spots and the rest;
    ``hotspot_category`` keeps sfhotspot's full label.
    """
    cell_size_m = auto_cell_size(x, y) if cell_size_m is None else cell_size_m
    counts = _cell_counts(x, y, crs, month, boundary, cell_size_m=cell_size_m)
    classes = classify_cells(x, y, crs, month, cell_size_m=cell_size_m, period_months=period_months)
    category = classes.set_index("cell")["hotspot_category"]
    counts["hotspot_category"] = category.reindex(counts["cell"]).to_numpy()
    is_hot = counts["hotspot_category"].str.endswith(" hotspot")
    counts["classification"] = np.where(
        is_hot, counts["hotspot_category"].str.split(" ").str[0], NO_PATTERN
    )
    counts.attrs.update(classes.attrs)
    return counts


@dataclass(frozen=True)
class PeriodChange:
    """Hotspots of two periods together, with counts and classes per hotspot and per cell."""

    hotspots: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    incidents_before: int
    incidents_after: int
    months_before: int
    months_after: int

    @property
    def per_month_before(self) -> float | None:
        """Incidents per month with data in the earlier period (None without such months)."""
        return self.incidents_before / self.months_before if self.months_before else None

    @property
    def per_month_after(self) -> float | None:
        """Incidents per month with data in the later period (None without such months)."""
        return self.incidents_after / self.months_after if self.months_after else None

    def class_counts(self) -> pd.DataFrame:
        """Hotspots per class (``class``, ``hotspots``), most common first."""
        counts = self.hotspots["classification"].value_counts()
        return counts.rename_axis("class").reset_index(name="hotspots")


def period_change(
    incidents: gpd.GeoDataFrame,
    before: tuple[str, str],
    after: tuple[str, str],
    *,
    eps_m: float,
    min_samples: int,
    study_area: gpd.GeoDataFrame | None = None,
    gazetteer: pd.DataFrame | None = None,
) -> PeriodChange:
    """Compare two month ranges (``(first, last)``, ``YYYY-MM``): where did incidents change?

    Hotspots are found once on both periods together (DBSCAN, ``eps_m`` metres), so the
    same places are compared. Each hotspot gets ``n_before``, ``n_after``, per-month
    rates and ``classification``: the most common sfhotspot class (persistent, emerging,
    former, intermittent) among the grid cells it overlaps, or ``no pattern``.
    """
    first_before, last_before = _month_span(before, "before")
    first_after, last_after = _month_span(after, "after")
    if last_before >= first_after:
        fail(
            f"the periods overlap or are out of order: before ends {last_before:%Y-%m}, "
            f"after starts {first_after:%Y-%m}",
            fix="Make the earlier period end before the later one starts",
        )
    both = pd.concat(
        [
            filter_incidents(incidents, (first_before, last_before)),
            filter_incidents(incidents, (first_after, last_after)),
        ],
        ignore_index=True,
    )
    result = find_hotspots(
        both, eps_m=eps_m, min_samples=min_samples, study_area=study_area, gazetteer=gazetteer
    )
    x, y, crs = metric_xy(both)
    cells = change_cells(x, y, crs, both["month"], first_after)
    counts = change_by_hotspot(both["month"], result.labels, first_after)
    table = result.hotspots.merge(counts, on="hotspot_id", how="left")
    table["classification"] = _dominant_class(table, cells)
    after_rows = (both["month"] >= first_after).to_numpy()
    return PeriodChange(
        hotspots=table,
        cells=cells,
        incidents_before=int((~after_rows).sum()),
        incidents_after=int(after_rows.sum()),
        months_before=int(both.loc[~after_rows, "month"].nunique()),
        months_after=int(both.loc[after_rows, "month"].nunique()),
    )


def _month_span(span: tuple[str, str], name: str) -> tuple[dt.date, dt.date]:
    """``(first, last)`` months of a period as dates; fails when they are reversed."""
    first, last = (parse_month(m, name) for m in span)
    if first > last:
        fail(
            f"`{name}` starts after it ends: {first:%Y-%m} > {last:%Y-%m}",
            fix="Put the earlier month first",
        )
    return first, last


#: Order that breaks ties between classes of equally many cells in one hotspot.
_CLASS_ORDER = ("persistent", "emerging", "intermittent", "former")


def _dominant_class(hotspots: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Most common class among the cells whose centre lies in each hotspot."""
    classed = cells[cells["classification"] != NO_PATTERN]
    centres = classed[["classification"]].set_geometry(classed.geometry.representative_point())
    pairs = gpd.sjoin(centres, hotspots[["hotspot_id", "geometry"]], predicate="within")
    counts = pairs.groupby(["hotspot_id", "classification"]).size().rename("cells").reset_index()
    counts["order"] = counts["classification"].map(_CLASS_ORDER.index)
    top = counts.sort_values(["hotspot_id", "cells", "order"], ascending=[True, False, True])
    dominant = top.drop_duplicates("hotspot_id").set_index("hotspot_id")["classification"]
    return dominant.reindex(hotspots["hotspot_id"]).fillna(NO_PATTERN).to_numpy()


def default_periods(months: list[str]) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two season-matched periods to compare from available months (``YYYY-MM``, sorted).

    The earliest run of up to 4 months, and the same calendar months a year later when
    they have data; otherwise the first and second halves of the months.
    """
    if len(months) < 2:
        fail(
            f"two periods need at least 2 months with data, got {len(months)}",
            fix="Choose a dataset or selection that covers more months",
        )
    periods = [pd.Period(m, "M") for m in months]
    present = set(periods)
    run = [periods[0]]
    while len(run) < 4 and run[-1] + 1 in present:
        run.append(run[-1] + 1)
    later = [p + 12 for p in run]
    if all(p in present for p in later):
        return (str(run[0]), str(run[-1])), (str(later[0]), str(later[-1]))
    half = len(months) // 2
    return (months[0], months[half - 1]), (months[half], months[-1])
