"""The study design of an impact evaluation: treated, comparison and buffer areas, panels.

One verb per function:

- :func:`as_areas`, :func:`select_hotspots`, :func:`select_lsoas`, :func:`read_areas`:
  turn hotspots, LSOAs or a saved "funded" list into *areas*, a GeoDataFrame in
  ``EPSG:27700`` with columns ``area_id`` (str), ``name`` (str), ``kind`` and geometry.
- :func:`displacement_buffer`: the ring of ``buffer_m`` metres around the treated areas,
  treated areas excluded.
- :func:`count_incidents`: incidents per area and month (point in polygon, EPSG:27700);
  months without published data get no row at all, never a 0.
- :func:`suggest_comparison`: rank candidate areas by how close their baseline level and
  trend are to the treated areas', excluding any within the buffer of a treated area.
- :func:`build_panel`: the long monthly panel of :func:`geo.impact.did_rate_ratio`;
  :func:`funding_flags`: which months are after funding, and which is the transition month.
- :func:`read_lsoa_monthly`, :func:`lsoas_covering`, :func:`lsoa_panel`: the LSOA monthly
  all-crime series (ASB included, no per-type split) for longer pre-funding trends.

Field notes 2.5: comparison areas need a similar baseline level and trend, and the
displacement buffer is drawn before looking at outcomes and never overlaps them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.checks import check_columns, check_min_int, check_non_negative, check_not_empty, fail
from geo.grid import grid_cells
from geo.impact.windows import SeasonWindows
from geo.io.polygons import read_polygons
from geo.projection import lonlat_to_bng
from geo.schema import BNG, WGS84

AREA_COLUMNS = ("area_id", "name", "kind", "geometry")


BUFFER_ID = "buffer"


#: An LSOA stands for an area when it holds at least this share of the area's surface.
LSOA_MIN_SHARE = 0.25


DEFAULT_BUFFER_M = 100.0


DEFAULT_N_COMPARISON = 3


#: Label of the LSOA series wherever a user sees it: it has no per-type monthly split.
LSOA_SERIES_LABEL = "all crime incl. ASB (LSOA monthly counts)"


_ID_COLUMNS = ("area_id", "id", "hotspot_id", "lsoa_code", "rank")


_NAME_COLUMNS = ("name", "lsoa_name")


def as_areas(
    frame: gpd.GeoDataFrame,
    *,
    kind: str,
    id_column: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Polygons as areas: ``area_id``, ``name``, ``kind`` and geometry in EPSG:27700.

    Parameters
    ----------
    frame : GeoDataFrame
        Polygons in any CRS (taken as EPSG:4326 when it has none).
    kind : str
        What the areas are, e.g. ``"hotspot"``, ``"lsoa"`` or ``"polygon"``.
    id_column, name_column : str, optional
        Columns holding the id and the name; by default the first of ``area_id``, ``id``,
        ``hotspot_id``, ``lsoa_code``, ``rank`` (else 1, 2, ...) and of ``name``,
        ``lsoa_name`` (else the id).
    """
    check_not_empty("areas", len(frame), fix="Pass at least one polygon")
    id_column = id_column or next((c for c in _ID_COLUMNS if c in frame.columns), None)
    name_column = name_column or next((c for c in _NAME_COLUMNS if c in frame.columns), None)
    ids = (
        frame[id_column].astype(str).to_numpy()
        if id_column
        else np.arange(1, len(frame) + 1).astype(str)
    )
    if pd.Series(ids).duplicated().any():
        fail(f"area ids in column {id_column!r} must be unique", fix="Give each area its own id")
    names = frame[name_column].astype(str).to_numpy() if name_column else ids
    geometry = frame.geometry if frame.crs else frame.geometry.set_crs(WGS84)
    geometry = geometry.to_crs(BNG).to_numpy()
    polygonal = shapely.get_type_id(geometry) >= 3  # 3, 6 and 7: (multi)polygons, collections
    if not polygonal.all():
        fail(
            f"area {ids[~polygonal][0]!r} is not a polygon",
            fix="Areas must be polygons (hotspots, LSOAs or drawn zones)",
        )
    return gpd.GeoDataFrame(
        {"area_id": ids, "name": names, "kind": kind}, geometry=geometry, crs=BNG
    )


def select_hotspots(hotspots: gpd.GeoDataFrame, chosen: Iterable[int | str]) -> gpd.GeoDataFrame:
    """Areas for the hotspots named in ``chosen``.

    Each item is a hotspot ``id`` (int or digit string) or a piece of its name, matched
    case-insensitively (``"Castle Circus"`` finds "Union Street / Castle Circus").

    Parameters
    ----------
    hotspots : GeoDataFrame
        The hotspot table of :func:`geo.hotspots.find_hotspots` (``id``, ``name``).
    chosen : iterable of int or str
        Ids or name fragments; each must match at least one hotspot.
    """
    check_columns("hotspots", hotspots.columns, ("hotspot_id", "name"))
    ids = hotspots["hotspot_id"].astype(str)
    names = hotspots["name"].astype(str).str.lower()
    keep = np.zeros(len(hotspots), dtype=bool)
    for item in chosen:
        text = str(item).strip()
        match = (ids == text).to_numpy()
        if not match.any():
            match = names.str.contains(text.lower(), regex=False).to_numpy()
        if not match.any():
            fail(
                f"no hotspot has id or name {text!r}",
                fix=f"Choose from ids {', '.join(ids.head(10))}...",
            )
        keep |= match
    check_not_empty("chosen hotspots", int(keep.sum()), fix="Choose at least one hotspot")
    return as_areas(hotspots[keep], kind="hotspot", id_column="hotspot_id", name_column="name")


def select_lsoas(boundaries: gpd.GeoDataFrame, codes: Iterable[str]) -> gpd.GeoDataFrame:
    """Areas for the LSOAs with the given ``codes`` (``lsoa_code``, ``lsoa_name`` columns)."""
    check_columns("boundaries", boundaries.columns, ("lsoa_code", "lsoa_name"))
    wanted = [str(code).strip() for code in codes]
    unknown = sorted(set(wanted) - set(boundaries["lsoa_code"].astype(str)))
    if unknown:
        fail(f"unknown LSOA code {unknown[0]!r}", fix="Use codes from the LSOA boundaries")
    check_not_empty("LSOA codes", len(wanted), fix="Choose at least one LSOA")
    chosen = boundaries[boundaries["lsoa_code"].astype(str).isin(wanted)]
    return as_areas(chosen, kind="lsoa", id_column="lsoa_code", name_column="lsoa_name")


def read_areas(
    path: str | Path,
    *,
    hotspots: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame] | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read a saved list of areas: polygons (GeoJSON etc.) or a CSV of hotspots or LSOAs.

    A CSV needs a column ``id`` (hotspot ids, resolved in ``hotspots``), ``name``
    (hotspot name fragments) or ``lsoa_code`` (resolved in ``boundaries``). ``hotspots``
    may be a function returning the table, called only for such a CSV.
    """
    path = Path(path)
    if not path.is_file():
        fail("area file not found", fix="Check the path", file=path)
    if path.suffix.lower() != ".csv":
        frame = read_polygons(path, "area")
        kind = "hotspot" if {"hotspot_id", "id", "rank"} & set(frame.columns) else "polygon"
        return as_areas(frame, kind=kind)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "lsoa_code" in table.columns:
        if boundaries is None:
            fail("a CSV of LSOA codes needs LSOA boundaries", file=path)
        return select_lsoas(boundaries, table["lsoa_code"])
    column = next((c for c in ("id", "hotspot_id", "name") if c in table.columns), None)
    if column is None:
        fail(
            "the CSV has no 'id', 'name' or 'lsoa_code' column",
            fix="List hotspot ids, hotspot names or LSOA codes, one a line",
            file=path,
        )
    if hotspots is None:
        fail("a CSV of hotspot ids or names needs the hotspot table", file=path)
    return select_hotspots(hotspots() if callable(hotspots) else hotspots, table[column])


def displacement_buffer(
    treated: gpd.GeoDataFrame, buffer_m: float = DEFAULT_BUFFER_M
) -> gpd.GeoDataFrame:
    """The displacement ring: everything within ``buffer_m`` metres of a treated area,
    minus the treated areas themselves (one row, ``area_id = "buffer"``, EPSG:27700).
    """
    buffer_m = check_non_negative("buffer_m", buffer_m, fix="Use a ring width in metres")
    if buffer_m == 0:
        fail("`buffer_m` must be greater than 0 for a displacement ring, got 0")
    core = shapely.union_all(treated.to_crs(BNG).geometry.to_numpy())
    ring = shapely.difference(shapely.buffer(core, buffer_m), core)
    return gpd.GeoDataFrame(
        {"area_id": [BUFFER_ID], "name": [f"{buffer_m:g} m buffer"], "kind": ["buffer"]},
        geometry=[ring],
        crs=BNG,
    )


def count_incidents(
    incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, months: Sequence[str]
) -> pd.DataFrame:
    """Incidents per area and month, by point in polygon in EPSG:27700.

    Parameters
    ----------
    incidents : GeoDataFrame
        Canonical incidents (``easting``/``northing`` in metres, ``month`` dates).
    areas : GeoDataFrame
        Areas from :func:`as_areas` (may overlap: an incident counts in each area holding it).
    months : sequence of str
        ``'YYYY-MM'`` months with published data. Every area gets a row for each (0 when it
        had no incident); months left out here, such as missing months, get no row.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_id``, ``month``, ``count`` (int).
    """
    check_columns("incidents", incidents.columns, ("easting", "northing", "month"))
    points = shapely.points(
        incidents["easting"].to_numpy(dtype=float), incidents["northing"].to_numpy(dtype=float)
    )
    tree = shapely.STRtree(areas.to_crs(BNG).geometry.to_numpy())
    point_index, area_index = tree.query(points, predicate="intersects")
    labels = _month_labels(incidents["month"]).to_numpy()
    hits = pd.DataFrame(
        {"area_id": areas["area_id"].to_numpy()[area_index], "month": labels[point_index]}
    )
    counts = hits.groupby(["area_id", "month"]).size()
    index = pd.MultiIndex.from_product(
        [areas["area_id"].astype(str), sorted(set(months))], names=["area_id", "month"]
    )
    return counts.reindex(index, fill_value=0).rename("count").astype(int).reset_index()


def _month_labels(values: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object")).dt.strftime("%Y-%m")


@dataclass(frozen=True)
class ComparisonChoice:
    """Comparison areas suggested by :func:`suggest_comparison`.

    Attributes
    ----------
    areas : GeoDataFrame
        The chosen comparison areas (EPSG:27700).
    table : pandas.DataFrame
        Every candidate with ``area_id``, ``name``, ``baseline_per_month``,
        ``trend_pct_per_month``, ``distance`` (lower = more similar), ``chosen`` (bool) and
        ``reason`` (why it was chosen or left out).
    reason : str
        One plain sentence on how the areas were chosen.
    """

    areas: gpd.GeoDataFrame
    table: pd.DataFrame
    reason: str


def baseline_profile(counts: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Baseline level and trend of each area over ``months``.

    Returns ``area_id``, ``baseline_per_month`` (mean incidents a month) and
    ``trend_pct_per_month`` (least-squares slope of ``log(count + 0.5)`` on the month
    number, as % a month; months absent from ``counts`` are skipped, not zero).
    """
    base = counts[counts["month"].isin(set(months))]
    month_number = pd.PeriodIndex(base["month"], freq="M").asi8.astype(float)
    frame = base.assign(t=month_number, y=np.log(base["count"].to_numpy(dtype=float) + 0.5))
    grouped = frame.groupby("area_id")
    t_centred = frame["t"] - grouped["t"].transform("mean")
    y_centred = frame["y"] - grouped["y"].transform("mean")
    sxy = (t_centred * y_centred).groupby(frame["area_id"]).sum()
    sxx = (t_centred**2).groupby(frame["area_id"]).sum()
    slope = sxy / sxx.where(sxx > 0)
    return pd.DataFrame(
        {
            "baseline_per_month": grouped["count"].mean(),
            "trend_pct_per_month": (np.exp(slope.fillna(0.0)) - 1) * 100,
        }
    ).reset_index()


def suggest_comparison(
    candidates: gpd.GeoDataFrame,
    treated: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    baseline_months: Sequence[str],
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    n: int = DEFAULT_N_COMPARISON,
) -> ComparisonChoice:
    """Choose the ``n`` candidate areas most like the treated areas before funding.

    Candidates that overlap a treated area or lie within ``buffer_m`` metres of one
    (adjacent, or inside the displacement ring) are excluded, as are candidates without
    incidents in the baseline. The rest are ranked by the distance
    ``|log level_c - log level_t| / sd_level + |trend_c - trend_t| / sd_trend``, where the
    level is the mean monthly count, the trend the log-linear slope (:func:`baseline_profile`),
    ``t`` the mean over treated areas and ``sd`` the spread over eligible candidates.

    Parameters
    ----------
    candidates, treated : GeoDataFrame
        Areas from :func:`as_areas`; treated ones among the candidates are ignored.
    counts : pandas.DataFrame
        :func:`count_incidents` output covering candidates and treated areas.
    baseline_months : sequence of str
        Pre-funding months with data (``'YYYY-MM'``).
    buffer_m : float, default 100
        Exclusion distance in metres (the displacement ring width).
    n : int, default 3
        How many comparison areas to choose.
    """
    n = check_min_int("n", n, 1)
    check_not_empty("baseline_months", len(baseline_months), fix="Load months before funding")
    candidates = candidates[~candidates["area_id"].isin(treated["area_id"])]
    check_not_empty("candidates", len(candidates), fix="Offer areas other than the treated ones")
    profile = baseline_profile(counts, baseline_months).set_index("area_id")
    table = pd.DataFrame(
        {"area_id": candidates["area_id"].to_numpy(), "name": candidates["name"].to_numpy()}
    ).join(profile, on="area_id")
    reasons = _exclusion_reasons(candidates, treated, buffer_m, table["baseline_per_month"])
    eligible = reasons.isna().to_numpy()
    if not eligible.any():
        fail(
            "no candidate comparison area is outside the buffer and has incidents before funding",
            fix="Lower the buffer, offer more candidates (e.g. LSOAs) or choose areas yourself",
        )
    reference = profile.reindex(treated["area_id"])
    if reference["baseline_per_month"].isna().any():
        fail(
            f"`counts` has no rows for treated area "
            f"{reference.index[reference['baseline_per_month'].isna()][0]!r}",
            fix="Count incidents in the treated areas as well as the candidates",
        )
    level_t = math.log(max(reference["baseline_per_month"].mean(), 0.5))
    trend_t = float(reference["trend_pct_per_month"].mean())
    level_gap = np.abs(np.log(table["baseline_per_month"].clip(lower=0.5)) - level_t)
    trend_gap = np.abs(table["trend_pct_per_month"] - trend_t)
    table["distance"] = level_gap / _spread(level_gap[eligible]) + trend_gap / _spread(
        trend_gap[eligible]
    )
    table.loc[~eligible, "distance"] = np.nan
    order = table["distance"].rank(method="first")
    table["chosen"] = eligible & (order <= n).to_numpy()
    table["reason"] = reasons.to_numpy()
    table.loc[eligible & ~table["chosen"], "reason"] = f"less similar than the {n} chosen"
    table.loc[table["chosen"], "reason"] = [
        f"baseline {row.baseline_per_month:.1f} a month (treated {math.exp(level_t):.1f}), "
        f"trend {row.trend_pct_per_month:+.0f}% a month (treated {trend_t:+.0f}%)"
        for row in table[table["chosen"]].itertuples()
    ]
    table = table.sort_values(["chosen", "distance"], ascending=[False, True], na_position="last")
    chosen_ids = table.loc[table["chosen"], "area_id"]
    areas = candidates.set_index("area_id").loc[chosen_ids].reset_index()[list(AREA_COLUMNS)]
    reason = (
        f"The {len(chosen_ids)} of {int(eligible.sum())} eligible {candidates['kind'].iloc[0]} "
        f"areas closest to the treated areas in baseline level and trend over "
        f"{baseline_months[0]}..{baseline_months[-1]}; areas within {buffer_m:g} m of a "
        "treated area were excluded."
    )
    return ComparisonChoice(
        areas=gpd.GeoDataFrame(areas, geometry="geometry", crs=BNG),
        table=table.reset_index(drop=True),
        reason=reason,
    )


def _exclusion_reasons(
    candidates: gpd.GeoDataFrame, treated: gpd.GeoDataFrame, buffer_m: float, baseline: pd.Series
) -> pd.Series:
    core = shapely.union_all(treated.to_crs(BNG).geometry.to_numpy())
    geometry = candidates.to_crs(BNG).geometry.to_numpy()
    reasons = pd.Series([None] * len(candidates), dtype=object)
    reasons[~(baseline.fillna(0).to_numpy() > 0)] = "no incidents before funding"
    reasons[shapely.dwithin(geometry, core, buffer_m)] = f"within {buffer_m:g} m of a treated area"
    reasons[shapely.intersects(geometry, core)] = "overlaps a treated area"
    return reasons


def _spread(values: pd.Series) -> float:
    spread = float(np.std(values)) if len(values) > 1 else 0.0
    return spread if spread > 0 else 1.0


def check_comparison(
    comparison: gpd.GeoDataFrame, treated: gpd.GeoDataFrame, buffer_m: float
) -> None:
    """Fail when a comparison area overlaps a treated area or the displacement ring."""
    core = shapely.union_all(treated.to_crs(BNG).geometry.to_numpy())
    geometry = comparison.to_crs(BNG).geometry.to_numpy()
    bad = shapely.dwithin(geometry, core, buffer_m)
    if bad.any():
        name = comparison["name"].to_numpy()[bad][0]
        fail(
            f"comparison area {name!r} is within {buffer_m:g} m of a treated area, so it "
            "overlaps the treated areas or the displacement buffer",
            fix="Choose comparison areas further away, or a smaller buffer",
        )


def build_panel(
    counts: pd.DataFrame,
    treated_ids: Iterable[str],
    comparison_ids: Iterable[str],
    windows: SeasonWindows,
) -> pd.DataFrame:
    """The long panel for :func:`geo.impact.did_rate_ratio` over the two windows.

    Returns columns ``area_id``, ``month``, ``count``, ``treated``, ``post``: one row per
    treated or comparison area and month of ``windows.before`` or ``windows.after`` that
    has data (months absent from ``counts`` stay absent).
    """
    treated_ids, comparison_ids = set(map(str, treated_ids)), set(map(str, comparison_ids))
    both = treated_ids & comparison_ids
    if both:
        fail(f"area {sorted(both)[0]!r} is both treated and comparison")
    months = set(windows.before) | set(windows.after)
    keep = counts["area_id"].isin(treated_ids | comparison_ids) & counts["month"].isin(months)
    panel = counts.loc[keep, ["area_id", "month", "count"]].copy()
    panel["treated"] = panel["area_id"].isin(treated_ids)
    panel["post"] = panel["month"].isin(set(windows.after))
    return panel.sort_values(["area_id", "month"]).reset_index(drop=True)


@dataclass(frozen=True)
class LsoaSeries:
    """The LSOA monthly all-crime counts (ASB included, no per-type split).

    ``counts`` has columns ``lsoa_code``, ``month`` and ``count``, one row per LSOA and
    month present in the file; ``missing_months`` lists months inside its span with no
    rows at all (left out, never zero).
    """

    counts: pd.DataFrame
    missing_months: tuple[str, ...]


def read_lsoa_monthly(path: str | Path) -> LsoaSeries:
    """Read an LSOA x month CSV (``lsoa_code``, ``month``, ``all_crime``)."""
    path = Path(path)
    if not path.is_file():
        fail("LSOA monthly counts not found", fix="Check the path", file=path)
    table = pd.read_csv(path, dtype={"lsoa_code": str, "month": str})
    check_columns(
        "LSOA monthly counts", table.columns, ("lsoa_code", "month", "all_crime"), file=path
    )
    counts = pd.to_numeric(table["all_crime"], errors="coerce")
    # A blank count is a missing LSOA-month, not a zero.
    frame = pd.DataFrame(
        {"lsoa_code": table["lsoa_code"], "month": table["month"].str.slice(0, 7), "count": counts}
    ).dropna(subset=["count"])
    check_not_empty(
        "LSOA monthly counts", len(frame), fix="The file needs rows with an all_crime count"
    )
    present = sorted(frame["month"].unique())
    span = pd.period_range(present[0], present[-1], freq="M").astype(str)
    missing = tuple(month for month in span if month not in set(present))
    return LsoaSeries(frame.reset_index(drop=True), missing)


def lsoas_covering(
    areas: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, *, min_share: float = LSOA_MIN_SHARE
) -> pd.DataFrame:
    """The LSOAs that stand for each area: those holding at least ``min_share`` of its
    surface, and always the one holding the most.

    Returns ``area_id``, ``lsoa_code``, ``share`` (0-1).
    """
    check_columns("boundaries", boundaries.columns, ("lsoa_code",))
    lsoa = boundaries.to_crs(BNG)
    area_index, lsoa_index = shapely.STRtree(lsoa.geometry.to_numpy()).query(
        areas.geometry.to_numpy(), predicate="intersects"
    )
    overlap = shapely.area(
        shapely.intersection(
            areas.geometry.to_numpy()[area_index], lsoa.geometry.to_numpy()[lsoa_index]
        )
    )
    share = overlap / shapely.area(areas.geometry.to_numpy())[area_index]
    table = pd.DataFrame(
        {
            "area_id": areas["area_id"].to_numpy()[area_index],
            "lsoa_code": lsoa["lsoa_code"].astype(str).to_numpy()[lsoa_index],
            "share": share,
        }
    )
    largest = table.groupby("area_id")["share"].transform("max")
    keep = (table["share"] >= min_share) | (table["share"] == largest)
    return table[keep].reset_index(drop=True)


def lsoa_panel(
    series: LsoaSeries,
    treated_codes: Iterable[str],
    comparison_codes: Iterable[str],
    funding_date: str,
) -> pd.DataFrame:
    """Long panel of LSOA monthly counts for :func:`geo.impact.parallel_trends`.

    An LSOA in both sets counts as treated. ``post`` and the left-out transition month
    follow :func:`funding_flags`.
    """
    treated = set(map(str, treated_codes))
    comparison = set(map(str, comparison_codes)) - treated
    if not treated or not comparison:
        fail("the LSOA panel needs treated and comparison LSOAs")
    post, transition = funding_flags(series.counts["month"], funding_date)
    keep = series.counts["lsoa_code"].isin(treated | comparison).to_numpy() & ~transition
    frame = series.counts.loc[keep]
    return pd.DataFrame(
        {
            "area_id": frame["lsoa_code"].to_numpy(),
            "month": frame["month"].to_numpy(),
            "count": frame["count"].to_numpy(),
            "treated": frame["lsoa_code"].isin(treated).to_numpy(),
            "post": post[keep],
        }
    ).reset_index(drop=True)


def funding_flags(months: Iterable[str], funding_date: str) -> tuple[np.ndarray, np.ndarray]:
    """Boolean arrays ``(post, transition)`` for ``'YYYY-MM'`` months.

    ``post``: the month starts on or after ``funding_date``. ``transition``: the month
    contains a mid-month funding date, so it is neither before nor after and is left out.
    """
    start = pd.Timestamp(funding_date)
    month_start = pd.PeriodIndex(list(months), freq="M").start_time
    transition = (month_start < start) & (month_start + pd.offsets.MonthBegin(1) > start)
    return np.asarray(month_start >= start), np.asarray(transition)


__all__ = [
    "AREA_COLUMNS",
    "BUFFER_ID",
    "DEFAULT_BUFFER_M",
    "DEFAULT_N_COMPARISON",
    "LSOA_SERIES_LABEL",
    "ComparisonChoice",
    "LsoaSeries",
    "as_areas",
    "baseline_profile",
    "build_panel",
    "check_comparison",
    "count_incidents",
    "displacement_buffer",
    "funding_flags",
    "lsoa_panel",
    "lsoas_covering",
    "read_areas",
    "read_lsoa_monthly",
    "select_hotspots",
    "select_lsoas",
    "suggest_comparison",
]


#: Side of the grid cells used as placebo units and synthetic-control donors (metres).
PLACEBO_CELL_M = 250.0


#: Fewest incidents in the design months for a grid cell to serve as a placebo unit.
PLACEBO_MIN_INCIDENTS = 10


def placebo_cells(
    incidents: gpd.GeoDataFrame,
    treated: gpd.GeoDataFrame,
    buffer_m: float,
    design_months: Sequence[str],
    *,
    cell_m: float = PLACEBO_CELL_M,
    min_incidents: int = PLACEBO_MIN_INCIDENTS,
) -> gpd.GeoDataFrame:
    """Grid cells of the study area that can play the treated area in placebo tests.

    Square ``cell_m``-metre cells (EPSG:27700) over the incidents' extent that lie wholly
    outside the treated areas and their ``buffer_m`` ring (the buffer rule of comparison
    areas) and held at least ``min_incidents`` incidents in the design months (so their
    ratios are not mostly noise). Returned as areas (``area_id`` ``cell-<n>``, ``kind``
    ``"cell"``).
    """
    x = incidents["easting"].to_numpy(dtype=float)
    y = incidents["northing"].to_numpy(dtype=float)
    check_not_empty("incidents", len(x))
    _, polygons = grid_cells((x.min(), y.min(), x.max(), y.max()), cell_m)
    core = shapely.union_all(treated.to_crs(BNG).geometry.to_numpy())
    keep = ~shapely.intersects(polygons, shapely.buffer(core, buffer_m))
    in_design = _month_labels(incidents["month"]).isin(set(design_months)).to_numpy()
    tree = shapely.STRtree(polygons)
    _, cell = tree.query(shapely.points(x[in_design], y[in_design]), predicate="intersects")
    busy = np.bincount(cell, minlength=len(polygons)) >= min_incidents
    chosen = np.flatnonzero(keep & busy)
    return gpd.GeoDataFrame(
        {
            "area_id": [f"cell-{i}" for i in chosen],
            "name": [f"grid cell {i}" for i in chosen],
            "kind": "cell",
        },
        geometry=polygons[chosen],
        crs=BNG,
    )


def treated_by_place(
    hotspots: gpd.GeoDataFrame, place: str | None, gazetteer: pd.DataFrame
) -> str | None:
    """Id of the hotspot a place names: the first whose name contains ``place``, else the
    one at (or nearest to) the gazetteer's first point of that name; None without either.

    A place can name a funded scheme without naming a hotspot: hotspots found on the
    months before funding may take a neighbouring street's name (Castle Circus's is
    "Union Street"), so the gazetteer's point decides.
    """
    if not place or hotspots.empty:
        return None
    named = hotspots[hotspots["name"].str.contains(place, case=False, regex=False)]
    if len(named):
        return str(named["hotspot_id"].iloc[0])
    points = gazetteer[gazetteer["name"].str.casefold() == place.casefold()]
    if points.empty:
        return None
    easting, northing = lonlat_to_bng(points["lon"].to_numpy()[:1], points["lat"].to_numpy()[:1])
    return hotspot_at(hotspots, float(easting[0]), float(northing[0]))


def place_note(hotspots: gpd.GeoDataFrame, place: str | None, hotspot_id: str | None) -> str:
    """A sentence naming the hotspot that stands for ``place`` when its name does not say
    so, else "".

    Hotspots found on other months take other names (on the months before funding,
    Torbay's Castle Circus falls in a hotspot named "Union Street"), so a page that
    picks a hotspot by place says which one it picked.
    """
    chosen = hotspots[hotspots["hotspot_id"].astype(str) == str(hotspot_id)]
    if not place or chosen.empty:
        return ""
    name = str(chosen["name"].iloc[0])
    if place.casefold() in name.casefold():
        return ""
    return f"{place} lies in hotspot #{chosen['rank'].iloc[0]} {name} on these months."


def hotspot_at(hotspots: gpd.GeoDataFrame, easting: float, northing: float) -> str | None:
    """Id of the hotspot containing, else nearest to, a point (metres, EPSG:27700)."""
    if hotspots.empty:
        return None
    geometry = hotspots.geometry.to_crs(BNG)
    distance = geometry.distance(shapely.Point(easting, northing)).to_numpy()
    return str(hotspots["hotspot_id"].iloc[int(np.argmin(distance))])
