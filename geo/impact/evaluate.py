"""One call from incidents and a study design to every impact figure a funder sees.

:func:`evaluate` builds the design (:mod:`geo.design`), counts incidents per area and
month, and gathers the difference-in-differences rate ratio, WDD, WDQ, parallel-trends
checks, monthly series for charts, caveats and the plain headline (:mod:`geo.impact`)
into one :class:`ImpactResult`. :func:`impact_json` is its JSON form (the CLI's
IMPACT.json), :func:`figures_table` its table of figures (the report's CSV), and
:func:`dosage_vs_change` sets patrol dosage change against incident change per hotspot.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import caveats
from geo.checks import GeoInputError, check_choice, check_not_empty, fail
from geo.hotspots.dbscan import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES, find_hotspots
from geo.impact.bootstrap import BootstrapInterval, cluster_bootstrap
from geo.impact.design import (
    BUFFER_ID,
    DEFAULT_BUFFER_M,
    DEFAULT_N_COMPARISON,
    LSOA_SERIES_LABEL,
    LsoaSeries,
    as_areas,
    build_panel,
    check_comparison,
    count_incidents,
    displacement_buffer,
    funding_flags,
    lsoa_panel,
    lsoas_covering,
    placebo_cells,
    read_areas,
    read_lsoa_monthly,
    select_hotspots,
    suggest_comparison,
)
from geo.impact.did import DidResult, TrendsResult, did_rate_ratio, parallel_trends
from geo.impact.event_study import EventStudyResult, event_study
from geo.impact.placebo import (
    PermutationResult,
    TimePlaceboResult,
    placebo_in_space,
    placebo_in_time,
)
from geo.impact.power import PowerResult, minimum_detectable_effect
from geo.impact.synth import SynthResult, overfit_caveat, synthetic_control
from geo.impact.wdd import WddResult, wdd, wdd_reading
from geo.impact.wdq import WdqInterval, WdqResult, wdq, wdq_interval
from geo.impact.windows import SeasonWindows, season_matched_windows
from geo.impact.wording import headline_sentence, plain_headline, verdict
from geo.io.polygons import read_polygons
from geo.io.store import filter_incidents, read_incidents
from geo.schema import ASB
from geo.timeseries import month_range, months_without_data

GROUPS = ("treated", "comparison", "buffer")


#: Breaches of COVID-19 rules were recorded as ASB in these months (police.uk, "About
#: the data").
COVID_MONTHS = ("2020-03", "2021-12")


FEW_PRE_MONTHS = (
    "Street-level data give only {n} month(s) before funding, too few to test parallel "
    "trends on the same series; the longer check uses {label}."
)


LSOA_SERIES_CAVEAT = (
    "The longer pre-funding series is {label}: it has no monthly split by type, so it shows "
    "whether the areas moved together overall, not for ASB alone."
)


POISSON_CAVEAT = (
    "Intervals assume counts vary like Poisson counts (inflated for overdispersion in the "
    "rate ratio); with few areas and months they are rough. A confidence interval that "
    "includes no change means the data cannot tell an effect from chance."
)


@dataclass(frozen=True)
class ImpactResult:
    """Everything :func:`evaluate` found; each field is plain data or a table.

    Attributes
    ----------
    funding_date : str
        ``'YYYY-MM-DD'``.
    category : str
        What was counted, as the reader calls it (e.g. ``"ASB"``).
    buffer_m : float
        Width of the displacement ring in metres.
    windows : SeasonWindows
        Season-matched before and after months.
    months_missing : tuple of str
        Months without published data inside the data span (left out, never zero).
    treated, comparison, buffer : GeoDataFrame
        Areas in EPSG:27700 (``area_id``, ``name``, ``kind``, geometry).
    comparison_method : str
        ``"auto"`` or ``"chosen"``.
    comparison_reason : str
        How the comparison areas were chosen.
    candidates : pandas.DataFrame or None
        Every candidate with its baseline, trend, distance and reason (auto only).
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count``: every area incl. the buffer, months with data.
    panel : pandas.DataFrame
        The DiD panel (treated and comparison areas, window months).
    did : DidResult
    wdd : WddResult
    wdq : WdqResult
    totals : dict
        Incidents over the windows: ``treated_before``, ``treated_after``, ``buffer_before``,
        ``buffer_after``, ``control_before``, ``control_after``.
    trends : TrendsResult
        Parallel trends on the street-level series (all pre-funding months with data).
    lsoa_trends : TrendsResult or None
        Parallel trends on the LSOA all-crime series, when it was given.
    lsoa_areas : pandas.DataFrame or None
        ``area_id``, ``lsoa_code``, ``share``, ``group``: the LSOAs standing for each area.
    series : pandas.DataFrame
        Street-level chart data: ``month``, ``group``, ``count``, ``per_area``, ``areas``
        and ``segment`` (run of months with data, for line breaks); NaN counts in missing
        months.
    lsoa_series : pandas.DataFrame or None
        The same for the LSOA series (``per_area`` = per LSOA).
    design_months : tuple of str
        Months the hotspots (treated and candidate comparison areas) were found on: the
        pre-funding months by default, so the outcome never shapes the study areas.
    placebo_units : GeoDataFrame
        Unfunded grid cells of the study area outside the treated areas and buffer
        (:func:`geo.impact.design.placebo_cells`): placebos and synthetic-control donors.
    permutation : PermutationResult
        Placebo-in-space inference; the headline keys on its p-value.
    time_placebo : TimePlaceboResult
    bootstrap : BootstrapInterval
        Area-clustered interval of the rate ratio.
    power : PowerResult
        Minimum detectable effect at 80% power.
    event : EventStudyResult or None
        Monthly differences (None with fewer than 2 months before funding).
    synth : SynthResult or None
        Synthetic control (None when it cannot be fitted; ``synth_reason`` says why).
    synth_reason : str
    wdq_interval : WdqInterval
    wdd_weighted : WddResult
        WDD with the comparison counts scaled to the treated baseline.
    verdict : str
        One of :data:`geo.impact.wording.VERDICTS`.
    headline : str
        The plain sentences: raw counts first, then the verdict, the power and the model.
    caveats : tuple of str
    """

    funding_date: str
    category: str
    buffer_m: float
    windows: SeasonWindows
    months_missing: tuple[str, ...]
    treated: gpd.GeoDataFrame
    comparison: gpd.GeoDataFrame
    buffer: gpd.GeoDataFrame
    comparison_method: str
    comparison_reason: str
    candidates: pd.DataFrame | None
    counts: pd.DataFrame
    panel: pd.DataFrame
    did: DidResult
    wdd: WddResult
    wdq: WdqResult
    totals: dict
    trends: TrendsResult
    lsoa_trends: TrendsResult | None
    lsoa_areas: pd.DataFrame | None
    series: pd.DataFrame
    lsoa_series: pd.DataFrame | None
    design_months: tuple[str, ...]
    placebo_units: gpd.GeoDataFrame
    permutation: PermutationResult
    time_placebo: TimePlaceboResult
    bootstrap: BootstrapInterval
    power: PowerResult
    event: EventStudyResult | None
    synth: SynthResult | None
    synth_reason: str
    wdq_interval: WdqInterval
    wdd_weighted: WddResult
    verdict: str
    headline: str
    caveats: tuple[str, ...]

    @property
    def raw_change(self) -> dict[str, float]:
        """Incidents in the treated and comparison areas over the before and after windows."""
        return {
            key: self.totals[key]
            for key in ("treated_before", "treated_after", "control_before", "control_after")
        }

    @property
    def key_trends(self) -> TrendsResult:
        """The parallel-trends check the headline relies on: the one with more months."""
        if self.lsoa_trends is not None and self.lsoa_trends.n_months > self.trends.n_months:
            return self.lsoa_trends
        return self.trends

    @property
    def wdd_reading(self) -> str:
        """What the WDD adds up, in plain words (:func:`geo.impact.wdd_reading`)."""
        return wdd_reading(
            self.wdd, *self.totals.values(), category=f"{self.category} incidents", did=self.did
        )


def evaluate(
    incidents: gpd.GeoDataFrame,
    treated: gpd.GeoDataFrame,
    funding_date: str,
    *,
    comparison: str | gpd.GeoDataFrame = "auto",
    candidates: gpd.GeoDataFrame | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    months: tuple[str, str] | None = None,
    missing_months: Iterable[str] | None = None,
    n_comparison: int = DEFAULT_N_COMPARISON,
    lsoa: tuple[LsoaSeries, gpd.GeoDataFrame] | None = None,
    category: str = "ASB",
    treated_label: str | None = None,
    design_months: Sequence[str] | None = None,
) -> ImpactResult:
    """Evaluate the change in ``incidents`` in treated areas against comparison areas.

    Parameters
    ----------
    incidents : GeoDataFrame
        Canonical incidents of the outcome (e.g. ASB only), all months.
    treated : GeoDataFrame
        Treated (funded) areas from :mod:`geo.design` (any polygons; EPSG:27700 areas).
    funding_date : str
        First day of funded activity, ``'YYYY-MM-DD'``.
    comparison : "auto" or GeoDataFrame, default "auto"
        ``"auto"`` picks ``n_comparison`` of ``candidates`` by baseline level and trend
        (:func:`geo.design.suggest_comparison`); areas given are checked to lie outside the
        buffer.
    candidates : GeoDataFrame, optional
        Candidate comparison areas for ``"auto"``; by default the DBSCAN hotspots of
        ``incidents`` (100 m, 30 incidents).
    buffer_m : float, default 100
        Displacement ring width in metres; comparison areas must lie beyond it.
    months : (str, str), optional
        Data span ``('YYYY-MM', 'YYYY-MM')``; default the incidents' first and last month.
    missing_months : iterable of str, optional
        Months without published data; they get no row in any count (never zero).
        Default: the months of the span in which ``incidents`` has no row at all, which
        is safe for area-wide ASB or crime but may drop a true zero month of a rare
        category; pass the ingest summary's months when you have them.
    n_comparison : int, default 3
        Comparison areas chosen by ``"auto"``.
    design_months : sequence of str, optional
        Months the study areas come from (default: the months with data before the
        funding month). Default ``candidates`` are found on these months only, and they
        set which grid cells are busy enough to be placebo units.
    lsoa : (LsoaSeries, GeoDataFrame), optional
        LSOA monthly all-crime counts and LSOA boundaries, for the longer trend check.
    category, treated_label : str
        Wording of the headline; ``treated_label`` defaults to the treated areas' names.

    Returns
    -------
    ImpactResult
    """
    treated = as_areas(treated, kind=_kind(treated))
    funding = str(pd.Timestamp(funding_date).date())
    first, last = months or _span(incidents)
    if missing_months is None:
        present = {m.strftime("%Y-%m") for m in pd.to_datetime(pd.Series(incidents["month"]))}
        missing_months = [m for m in month_range(first, last) if m not in present]
    missing = tuple(sorted(set(missing_months) & set(month_range(first, last))))
    available = [m for m in month_range(first, last) if m not in set(missing)]
    windows = season_matched_windows(available, funding)
    ring = displacement_buffer(treated, buffer_m)
    if design_months is None:
        design_months = [m for m in available if m < funding[:7]]
    design = tuple(sorted(design_months))

    if isinstance(comparison, str):
        check_choice("comparison", comparison, ("auto",))
        pool = _default_candidates(incidents, design) if candidates is None else candidates
        pool = as_areas(pool, kind=_kind(pool))
        treated = _distinct_ids(treated, pool)
        # The treated areas' own counts give the baseline the candidates are matched to.
        extra = treated[~treated["area_id"].isin(pool["area_id"])]
        pool_counts = count_incidents(incidents, pd.concat([pool, extra]), available)
        choice = suggest_comparison(
            pool, treated, pool_counts, windows.before, buffer_m=buffer_m, n=n_comparison
        )
        comparison_areas, reason, table = choice.areas, choice.reason, choice.table
        method = "auto"
    else:
        comparison_areas = as_areas(comparison, kind=_kind(comparison))
        check_comparison(comparison_areas, treated, buffer_m)
        reason = f"Chosen by the user: {', '.join(comparison_areas['name'])}."
        table, method = None, "chosen"
    _check_distinct_ids(treated, comparison_areas)

    areas = pd.concat([treated, comparison_areas, ring], ignore_index=True)
    counts = count_incidents(incidents, areas, available)
    panel = build_panel(counts, treated["area_id"], comparison_areas["area_id"], windows)
    did = did_rate_ratio(panel)
    totals = window_totals(counts, treated["area_id"], comparison_areas["area_id"], windows)
    wdd_result = wdd(*totals.values())
    wdq_result = wdq(*totals.values())
    trends = parallel_trends(_trend_panel(counts, treated, comparison_areas, funding))

    lsoa_trends = lsoa_areas = lsoa_chart = None
    if lsoa is not None:
        lsoa_trends, lsoa_areas, lsoa_chart = _lsoa_check(lsoa, treated, comparison_areas, funding)

    cells = placebo_cells(incidents, treated, buffer_m, design)
    cell_counts = count_incidents(incidents, cells, available) if len(cells) else counts[:0]
    inference = _inference(
        pd.concat([counts, cell_counts], ignore_index=True),
        treated_ids=treated["area_id"].tolist(),
        comparison_ids=comparison_areas["area_id"].tolist(),
        cell_ids=list(cells["area_id"]),
        windows=windows,
        months=month_range(first, last),
        available=available,
        funding=funding,
    )
    result = ImpactResult(
        funding_date=funding,
        category=category,
        buffer_m=float(buffer_m),
        windows=windows,
        months_missing=missing,
        treated=treated,
        comparison=comparison_areas,
        buffer=ring,
        comparison_method=method,
        comparison_reason=reason,
        candidates=table,
        counts=counts,
        panel=panel,
        did=did,
        wdd=wdd_result,
        wdq=wdq_result,
        totals=totals,
        trends=trends,
        lsoa_trends=lsoa_trends,
        lsoa_areas=lsoa_areas,
        series=group_series(counts, treated, comparison_areas, month_range(first, last)),
        lsoa_series=lsoa_chart,
        design_months=design,
        placebo_units=cells,
        wdq_interval=wdq_interval(*totals.values()),
        wdd_weighted=wdd(*totals.values(), area_weights=baseline_weights(totals)),
        headline="",
        caveats=(),
        **inference,
    )
    label = treated_label or " and ".join(treated["name"])
    model = headline_sentence(
        did,
        displacement=wdq_result,
        trends=result.key_trends,
        category=category,
        treated_label=label,
        buffer_m=buffer_m,
    )
    headline = plain_headline(
        result.raw_change,
        result.verdict,
        result.permutation,
        result.power,
        model_sentence=model,
        category=category,
        treated_label=label,
    )
    return dataclasses.replace(result, headline=headline, caveats=impact_caveats(result))


def baseline_weights(totals: dict[str, float]) -> tuple[float, float, float, float]:
    """WDD area weights that scale the buffer and comparison counts to the treated baseline.

    Wheeler & Ratcliffe's WDD adds raw counts, so a comparison twice as busy as the treated
    area weighs twice as much; dividing each count by its area's before-window total over
    the treated one puts all on the treated area's scale (weights: treated, buffer,
    comparison, buffer control).
    """
    base = max(totals["treated_before"], 1.0)
    return (
        1.0,
        max(totals["buffer_before"], 1.0) / base,
        max(totals["control_before"], 1.0) / base,
        1.0,
    )


def _inference(
    counts: pd.DataFrame,
    *,
    treated_ids: list[str],
    comparison_ids: list[str],
    cell_ids: list[str],
    windows: SeasonWindows,
    months: Sequence[str],
    available: Sequence[str],
    funding: str,
) -> dict[str, Any]:
    """Placebo, bootstrap, power, event-study and synthetic-control figures for evaluate."""
    before, after = list(windows.before), list(windows.after)
    permutation = placebo_in_space(
        counts, treated_ids, comparison_ids, comparison_ids + cell_ids, before=before, after=after
    )
    power = minimum_detectable_effect(permutation.placebo_estimates.to_numpy())
    pre = [m for m in available if m < funding[:7]]
    post = [m for m in available if m > funding[:7] or (m == funding[:7] and funding[8:] == "01")]
    event = synth = None
    synth_reason = ""
    if len(pre) >= 2:
        first_after = post[0] if post else funding[:7]
        event = event_study(counts, treated_ids, comparison_ids, months, first_after)
    try:
        synth = synthetic_control(counts, treated_ids, comparison_ids + cell_ids, pre, post)
    except GeoInputError as error:
        synth_reason = str(error)
    return {
        "permutation": permutation,
        "time_placebo": placebo_in_time(
            counts,
            treated_ids,
            comparison_ids,
            pre,
            permutation.estimate,
            months_each_side=max(1, min(len(before), len(pre) // 2)),
        ),
        "bootstrap": cluster_bootstrap(counts, treated_ids, comparison_ids, before, after),
        "power": power,
        "event": event,
        "synth": synth,
        "synth_reason": synth_reason,
        "verdict": verdict(permutation, power),
    }


def _kind(frame: gpd.GeoDataFrame) -> str:
    if "kind" in frame.columns and len(frame):
        return str(frame["kind"].iloc[0])
    if "lsoa_code" in frame.columns:
        return "lsoa"
    return "hotspot" if {"hotspot_id", "id", "rank"} & set(frame.columns) else "polygon"


def _span(incidents: gpd.GeoDataFrame) -> tuple[str, str]:
    labels = pd.to_datetime(pd.Series(incidents["month"], dtype="object")).dt.strftime("%Y-%m")
    if labels.empty:
        fail("`incidents` is empty: no months to evaluate", fix="Widen the category filter")
    return labels.min(), labels.max()


def design_hotspots(
    incidents: gpd.GeoDataFrame,
    design_months: Iterable[str],
    *,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> gpd.GeoDataFrame:
    """DBSCAN hotspots of the design months only, named as the dashboard names them: the
    study areas are fixed before any outcome month is looked at.

    ``eps_m`` is in metres; ``min_samples`` (incidents, as set for the whole span) is
    scaled to the share of the data's months used (at least 5), so the density asked of a
    hotspot does not depend on how many months it is found on.
    """
    months = set(design_months)
    labels = pd.to_datetime(pd.Series(incidents["month"], dtype="object")).dt.strftime("%Y-%m")
    chosen = incidents[labels.isin(months).to_numpy()]
    check_not_empty(
        "incidents in the design months",
        len(chosen),
        fix="Choose design months with data (by default the months before funding)",
    )
    share = labels[labels.isin(months)].nunique() / max(labels.nunique(), 1)
    scaled = max(5, round(min_samples * share))
    return find_hotspots(chosen, eps_m, scaled).hotspots


@dataclass(frozen=True)
class Design:
    """Where the study areas come from: the design months and the hotspots found on them.

    ``months`` are ``'YYYY-MM'`` (sorted); ``hotspots`` is :func:`design_hotspots` on
    them (EPSG:4326 polygons with ``hotspot_id``, ``rank`` and ``name``).
    """

    months: tuple[str, ...]
    hotspots: gpd.GeoDataFrame


def find_design(
    everything: gpd.GeoDataFrame,
    funding_date: str,
    *,
    missing_months: Iterable[str] = (),
    categories: Sequence[str] | None = None,
    design_months: Sequence[str] | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> Design:
    """The design months and hotspots :func:`evaluate_incidents` uses for these arguments.

    Find them once and pass them to :func:`evaluate_incidents` as ``design`` to offer the
    same hotspots for picking that the evaluation then uses (the Impact page does).
    Arguments are as for :func:`evaluate_incidents`.
    """
    categories = list(categories or [ASB])
    months = _design_months(everything, funding_date, missing_months, design_months)
    incidents = filter_incidents(everything, categories=categories)
    hotspots = design_hotspots(incidents, months, eps_m=eps_m, min_samples=min_samples)
    return Design(months, hotspots)


def _design_months(
    everything: gpd.GeoDataFrame,
    funding_date: str,
    missing_months: Iterable[str],
    design_months: Sequence[str] | None,
) -> tuple[str, ...]:
    if design_months is not None:
        return tuple(sorted(design_months))
    first, last = _span(everything)
    return default_design_months(months_with_data(first, last, missing_months), funding_date)


def _default_candidates(incidents: gpd.GeoDataFrame, design_months: Iterable[str]):
    return design_hotspots(incidents, design_months)


def _distinct_ids(treated: gpd.GeoDataFrame, pool: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rename treated areas whose id a different candidate already uses.

    A drawn polygon numbered "1" is not hotspot 1: without this it would be matched on
    hotspot 1's baseline and hotspot 1 dropped from the candidates. A treated area with the
    same id and the same polygon (within 1 m) as a candidate is that candidate.
    """
    same_id = pool.set_index("area_id").geometry.reindex(treated["area_id"]).to_numpy()
    shared = ~pd.isna(same_id)
    clash = shared.copy()
    clash[shared] = ~shapely.equals_exact(
        treated.geometry.to_numpy()[shared], same_id[shared], tolerance=1.0
    )
    if not clash.any():
        return treated
    return treated.assign(
        area_id=np.where(clash, "treated-" + treated["area_id"], treated["area_id"])
    )


def _check_distinct_ids(treated: gpd.GeoDataFrame, comparison: gpd.GeoDataFrame) -> None:
    shared = set(treated["area_id"]) & set(comparison["area_id"])
    if shared:
        fail(
            f"area id {sorted(shared)[0]!r} is used by a treated and a comparison area",
            fix="Give treated and comparison areas distinct ids",
        )


def window_totals(
    counts: pd.DataFrame,
    treated_ids: Iterable[str],
    comparison_ids: Iterable[str],
    windows: SeasonWindows,
) -> dict[str, float]:
    """Incidents over the before and after windows, in the argument order of WDQ/WDD:
    treated, buffer and control (comparison), each before then after.
    """
    groups = {
        "treated": set(treated_ids),
        "buffer": {BUFFER_ID},
        "control": set(comparison_ids),
    }
    totals = {}
    for name, ids in groups.items():
        rows = counts[counts["area_id"].isin(ids)]
        for period, window in (("before", windows.before), ("after", windows.after)):
            totals[f"{name}_{period}"] = float(rows.loc[rows["month"].isin(window), "count"].sum())
    return totals


def _trend_panel(
    counts: pd.DataFrame, treated: gpd.GeoDataFrame, comparison: gpd.GeoDataFrame, funding: str
) -> pd.DataFrame:
    ids = set(treated["area_id"]) | set(comparison["area_id"])
    panel = counts[counts["area_id"].isin(ids)].copy()
    panel["treated"] = panel["area_id"].isin(set(treated["area_id"]))
    panel["post"], transition = funding_flags(panel["month"], funding)
    # A month containing a mid-month funding date is neither before nor after.
    return panel.loc[~transition]


def _lsoa_check(
    lsoa: tuple[LsoaSeries, gpd.GeoDataFrame],
    treated: gpd.GeoDataFrame,
    comparison: gpd.GeoDataFrame,
    funding: str,
) -> tuple[TrendsResult, pd.DataFrame, pd.DataFrame]:
    series, boundaries = lsoa
    cover = pd.concat(
        [
            lsoas_covering(treated, boundaries).assign(group="treated"),
            lsoas_covering(comparison, boundaries).assign(group="comparison"),
        ],
        ignore_index=True,
    )
    treated_codes = set(cover.loc[cover["group"] == "treated", "lsoa_code"])
    cover = cover[(cover["group"] == "treated") | ~cover["lsoa_code"].isin(treated_codes)]
    comparison_codes = set(cover.loc[cover["group"] == "comparison", "lsoa_code"])
    panel = lsoa_panel(series, treated_codes, comparison_codes, funding)
    trends = parallel_trends(panel)
    trends = dataclasses.replace(trends, reason=f"On the {LSOA_SERIES_LABEL}: {trends.reason}")
    counts = series.counts.rename(columns={"lsoa_code": "area_id"})
    span = pd.period_range(counts["month"].min(), counts["month"].max(), freq="M").astype(str)
    chart = _series(counts, {"treated": treated_codes, "comparison": comparison_codes}, list(span))
    return trends, cover.reset_index(drop=True), chart


def group_series(
    counts: pd.DataFrame,
    treated: gpd.GeoDataFrame,
    comparison: gpd.GeoDataFrame,
    months: Sequence[str],
) -> pd.DataFrame:
    """Monthly totals of treated, comparison and buffer areas over ``months``.

    Columns ``month``, ``group``, ``count``, ``areas`` and ``per_area`` (count / areas);
    months absent from ``counts`` (missing months) have NaN counts, shown as gaps.
    """
    groups = {
        "treated": set(treated["area_id"]),
        "comparison": set(comparison["area_id"]),
        "buffer": {BUFFER_ID},
    }
    return _series(counts, groups, months)


def _series(counts: pd.DataFrame, groups: dict[str, set], months: Sequence[str]) -> pd.DataFrame:
    frames = []
    for group, ids in groups.items():
        rows = counts[counts["area_id"].isin(ids)]
        total = rows.groupby("month")["count"].sum().reindex(list(months))
        present = rows.groupby("month")["area_id"].nunique().reindex(list(months))
        frames.append(
            pd.DataFrame(
                {
                    "month": list(months),
                    "group": group,
                    "count": total.to_numpy(dtype=float),
                    "areas": present.to_numpy(dtype=float),
                    "per_area": (total / present).to_numpy(dtype=float),
                    # Runs of months with data, so line charts break at missing months.
                    "segment": np.cumsum(total.isna().to_numpy()),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def impact_caveats(result: ImpactResult) -> tuple[str, ...]:
    """The caveats that apply to ``result``, most important first."""
    texts = [POISSON_CAVEAT]
    if result.months_missing:
        texts.append(
            f"No published data for {', '.join(result.months_missing)}. " + caveats.MISSING_MONTHS
        )
    if result.trends.n_months < 6 and result.lsoa_trends is not None:
        texts.append(FEW_PRE_MONTHS.format(n=result.trends.n_months, label=LSOA_SERIES_LABEL))
    if result.lsoa_trends is not None:
        texts.append(LSOA_SERIES_CAVEAT.format(label=LSOA_SERIES_LABEL))
    if not result.key_trends.passes:
        texts.append(result.key_trends.reason)
    synth_warning = overfit_caveat(result.synth)
    if synth_warning:
        texts.append(synth_warning)
    texts.append(caveats.LOCATION_ANONYMISATION)
    texts.append(caveats.MONTH_ONLY)
    used = set(result.windows.before) | set(result.windows.after)
    if result.lsoa_series is not None:
        used |= set(result.lsoa_series["month"])
    if any(COVID_MONTHS[0] <= month <= COVID_MONTHS[1] for month in used):
        texts.append(caveats.COVID_ASB)
    return tuple(texts)


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def _trends_dict(trends: TrendsResult | None) -> dict | None:
    if trends is None:
        return None
    return {
        "passes": trends.passes,
        "slope_difference": _number(trends.slope_difference),
        "percent_per_month": _number(trends.percent_per_month),
        "p_value": _number(trends.p_value),
        "n_months": trends.n_months,
        "reason": trends.reason,
    }


def _areas_list(areas: gpd.GeoDataFrame, reasons: pd.DataFrame | None = None) -> list[dict]:
    why = {} if reasons is None else dict(zip(reasons["area_id"], reasons["reason"], strict=True))
    return [
        {"id": row.area_id, "name": row.name, "kind": row.kind}
        | ({"reason": why[row.area_id]} if row.area_id in why else {})
        for row in areas.itertuples()
    ]


def impact_json(result: ImpactResult) -> dict[str, Any]:
    """The result as JSON-ready data (the CLI's IMPACT.json); NaN becomes null."""
    did, test, quotient = result.did, result.wdd, result.wdq
    return {
        "category": result.category,
        "funding_date": result.funding_date,
        "rate_ratio": _number(did.rate_ratio),
        "ci_low": _number(did.ci_low),
        "ci_high": _number(did.ci_high),
        "p_value": _number(did.p_value),
        "percent_change": _number(did.percent_change),
        "confidence": did.confidence,
        "dispersion": _number(did.dispersion),
        "wdd": _number(test.estimate),
        "wdd_z": _number(test.z),
        "wdd_ci_low": _number(test.ci_low),
        "wdd_ci_high": _number(test.ci_high),
        "wdd_p_value": _number(test.p_value),
        "wdd_reading": result.wdd_reading,
        "wdq": _number(quotient.wdq),
        "wdq_band": quotient.band,
        "wdq_interpretation": quotient.interpretation,
        "before": list(result.windows.before),
        "after": list(result.windows.after),
        "months_missing": list(result.months_missing),
        "buffer_m": result.buffer_m,
        "totals": result.totals,
        "treated": _areas_list(result.treated),
        "comparison": _areas_list(result.comparison, result.candidates),
        "comparison_method": result.comparison_method,
        "comparison_reason": result.comparison_reason,
        "parallel_trends": _trends_dict(result.trends),
        "lsoa_parallel_trends": _trends_dict(result.lsoa_trends),
        "verdict": result.verdict,
        "raw_change": result.raw_change,
        "permutation_p": _number(result.permutation.p_value),
        "permutation_rank": result.permutation.rank,
        "placebo_estimates": {
            str(area): _number(value)
            for area, value in result.permutation.placebo_estimates.items()
        },
        "placebo_in_time": [
            {"fake_funding": row.fake_funding, "log_rate_ratio": _number(row.log_rate_ratio)}
            for row in result.time_placebo.estimates.itertuples()
        ],
        "bootstrap_ci_low": _number(result.bootstrap.ci_low),
        "bootstrap_ci_high": _number(result.bootstrap.ci_high),
        "mde": _number(result.power.mde_ratio),
        "power_statement": result.power.reason,
        "design_months": list(result.design_months),
        "event_study": None
        if result.event is None
        else [
            {
                "month": row.month,
                "difference": _number(row.difference),
                "ci_low": _number(row.ci_low),
                "ci_high": _number(row.ci_high),
            }
            for row in result.event.table.itertuples()
        ],
        "synthetic_control": None
        if result.synth is None
        else {
            "gap": _number(result.synth.gap),
            "rmspe_pre": _number(result.synth.rmspe_pre),
            "p_value": _number(result.synth.p_value),
            "weights": {str(k): _number(v) for k, v in result.synth.weights.items()},
            "pre_months": result.synth.n_pre,
            "donors": result.synth.n_donors,
            "overfit": result.synth.overfit,
            "caveat": overfit_caveat(result.synth),
        },
        "wdq_ci_low": _number(result.wdq_interval.ci_low),
        "wdq_ci_high": _number(result.wdq_interval.ci_high),
        "wdq_reading": result.wdq_interval.reading,
        "wdd_baseline_weighted": _number(result.wdd_weighted.estimate),
        "headline": result.headline,
        "caveats": list(result.caveats),
    }


def figures_table(result: ImpactResult) -> pd.DataFrame:
    """The figures of ``result`` as a table: ``figure``, ``value``, ``note`` (report CSV)."""
    did, test, quotient = result.did, result.wdd, result.wdq
    level = f"{did.confidence * 100:g}%"
    rows = [
        ("rate ratio (DiD)", did.rate_ratio, "treated after/before relative to comparison"),
        (f"rate ratio {level} CI low", did.ci_low, did.se_type),
        (f"rate ratio {level} CI high", did.ci_high, did.se_type),
        ("percent change", did.percent_change, "(rate ratio - 1) x 100"),
        ("DiD p-value", did.p_value, ""),
        ("WDD", test.estimate, result.wdd_reading),
        ("WDD z", test.z, "tests the raw-count difference (WDD), not the scheme's effect"),
        (f"WDD {level} CI low", test.ci_low, "incidents"),
        (f"WDD {level} CI high", test.ci_high, "incidents"),
        ("WDQ", quotient.wdq, quotient.interpretation),
    ]
    rows += [
        ("verdict", result.verdict, "from the placebo-in-space permutation test"),
        ("permutation p-value", result.permutation.p_value, f"rank {result.permutation.rank}"),
        ("placebo areas", result.permutation.n_placebos, "unfunded areas of the study area"),
        ("bootstrap CI low", result.bootstrap.ci_low, "areas resampled"),
        ("bootstrap CI high", result.bootstrap.ci_high, "areas resampled"),
        ("minimum detectable rate ratio (80% power)", result.power.mde_ratio, result.power.reason),
        (
            "synthetic-control gap",
            math.nan if result.synth is None else result.synth.gap,
            result.synth_reason or "treated over synthetic, post-funding, minus 1",
        ),
        ("WDQ interval", result.wdq_interval.reading, ""),
        ("WDD weighted by baseline", result.wdd_weighted.estimate, "incidents, treated scale"),
        ("design months", ", ".join(result.design_months), "hotspots found on these only"),
    ]
    rows += [(name.replace("_", " "), value, "incidents") for name, value in result.totals.items()]
    for label, trends in (("street-level", result.trends), ("LSOA", result.lsoa_trends)):
        if trends is not None:
            rows.append((f"parallel trends ({label}) p-value", trends.p_value, trends.reason))
    rows += [
        ("before window", ", ".join(result.windows.before), ""),
        ("after window", ", ".join(result.windows.after), ""),
        ("buffer (m)", result.buffer_m, ""),
        ("treated areas", "; ".join(result.treated["name"]), ""),
        ("comparison areas", "; ".join(result.comparison["name"]), result.comparison_reason),
    ]
    return pd.DataFrame(rows, columns=["figure", "value", "note"])


def dosage_vs_change(result: ImpactResult, change: pd.DataFrame) -> pd.DataFrame:
    """Patrol dosage change against incident change, per treated or comparison hotspot.

    Parameters
    ----------
    result : ImpactResult
    change : pandas.DataFrame
        :func:`geo.coverage.compare_periods` output for zones whose ``hotspot_id`` is the
        area id (role ``"all"`` and metric ``patrol_minutes_per_week`` are used).

    Returns
    -------
    pandas.DataFrame
        ``area_id``, ``name``, ``group``, ``minutes_per_week_before``,
        ``minutes_per_week_after``, ``minutes_per_week_change``, ``incidents_before``,
        ``incidents_after``, ``incidents_pct_change`` (NaN when none before).
    """
    dose = change[(change["role"] == "all") & (change["metric"] == "patrol_minutes_per_week")]
    dose = dose.set_index(dose["hotspot_id"].astype(str))
    areas = pd.concat(
        [result.treated.assign(group="treated"), result.comparison.assign(group="comparison")]
    )
    rows = []
    for area in areas.itertuples():
        counts = result.counts[result.counts["area_id"] == area.area_id]
        before = float(counts.loc[counts["month"].isin(result.windows.before), "count"].sum())
        after = float(counts.loc[counts["month"].isin(result.windows.after), "count"].sum())
        patrol = dose.loc[area.area_id] if area.area_id in dose.index else None
        rows.append(
            {
                "area_id": area.area_id,
                "name": area.name,
                "group": area.group,
                "minutes_per_week_before": np.nan if patrol is None else patrol["before"],
                "minutes_per_week_after": np.nan if patrol is None else patrol["after"],
                "minutes_per_week_change": np.nan if patrol is None else patrol["change"],
                "incidents_before": before,
                "incidents_after": after,
                "incidents_pct_change": 100 * (after - before) / before if before else np.nan,
            }
        )
    return pd.DataFrame(rows)


def zones_for_coverage(result: ImpactResult) -> gpd.GeoDataFrame:
    """Treated and comparison areas as hotspot zones for :func:`geo.coverage.measure_coverage`
    (``id`` = area id, ``name``; EPSG:4326).
    """
    areas = pd.concat([result.treated, result.comparison], ignore_index=True)
    return gpd.GeoDataFrame(
        {"id": areas["area_id"], "name": areas["name"]}, geometry=areas.geometry, crs=areas.crs
    ).to_crs("EPSG:4326")


def store_missing_months(path: str | Path) -> tuple[str, ...]:
    """Months without data in an incident store.

    From the ingest summary beside the store (``NAME.summary.json``, ``months_missing``)
    when there is one, else the months between the first and last with no incident at all.
    """
    path = Path(path)
    summary = path.with_name(path.stem + ".summary.json")
    if summary.is_file():
        recorded = json.loads(summary.read_text(encoding="utf-8"))
        return tuple(months_without_data({"months_missing": recorded.get("months_missing", {})}))
    present = set(pd.read_parquet(path, columns=["month"])["month"].astype(str).str.slice(0, 7))
    if not present:
        return ()
    return tuple(m for m in month_range(min(present), max(present)) if m not in present)


def default_design_months(months: Iterable[str], funding_date: str) -> tuple[str, ...]:
    """The months with data before the funding month: the default design months."""
    funding = str(pd.Timestamp(funding_date).date())[:7]
    return tuple(m for m in sorted(months) if m < funding)


def store_months(path: str | Path) -> tuple[str, ...]:
    """Months with data in an incident store (``'YYYY-MM'``, missing months left out)."""
    present = pd.read_parquet(path, columns=["month"])["month"].astype(str).str.slice(0, 7)
    return months_with_data(present.min(), present.max(), store_missing_months(path))


def months_with_data(first: str, last: str, missing: Iterable[str]) -> tuple[str, ...]:
    """The months from ``first`` to ``last`` (``'YYYY-MM'``) that are not ``missing``."""
    gaps = set(missing)
    return tuple(m for m in month_range(first, last) if m not in gaps)


def contamination_warning(dosage: pd.DataFrame | None) -> str | None:
    """A warning when comparison areas got more extra patrol time than the treated areas.

    ``dosage`` is :func:`dosage_vs_change`. Extra patrols in comparison areas shrink the
    difference the evaluation can see (contamination), so the page and report say so.
    """
    if dosage is None or dosage["minutes_per_week_change"].isna().all():
        return None
    change = dosage.groupby("group")["minutes_per_week_change"]
    treated = change.mean().get("treated", math.nan)
    more = dosage[(dosage["group"] == "comparison") & (dosage["minutes_per_week_change"] > treated)]
    if more.empty or math.isnan(treated):
        return None
    listed = ", ".join(
        f"{row.name} {row.minutes_per_week_change:+,.0f}" for row in more.itertuples()
    )
    return (
        f"Contamination: comparison areas got more extra patrol time than the treated area "
        f"({listed} min/week against {treated:+,.0f}), so the comparison is not "
        "an unpatrolled baseline and the evaluation understates any effect."
    )


def evaluate_store(
    incidents_path: str | Path,
    treated: str | Path | Sequence[str] | gpd.GeoDataFrame,
    funding_date: str,
    **options: Any,
) -> ImpactResult:
    """:func:`evaluate_incidents` on a GeoParquet store: the one call behind the CLI, the
    Impact page, the notebook and the funder report. Its missing months come from the
    ingest summary beside the store (:func:`store_missing_months`).
    """
    return evaluate_incidents(
        read_incidents(incidents_path),
        treated,
        funding_date,
        missing_months=store_missing_months(incidents_path),
        **options,
    )


def evaluate_incidents(
    everything: gpd.GeoDataFrame,
    treated: str | Path | Sequence[str] | gpd.GeoDataFrame,
    funding_date: str,
    *,
    missing_months: Iterable[str] = (),
    categories: Sequence[str] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    comparison: str | Path | Sequence[str] = "auto",
    n_comparison: int = DEFAULT_N_COMPARISON,
    lsoa_counts: str | Path | None = None,
    boundaries: str | Path | None = None,
    design_months: Sequence[str] | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    design: Design | None = None,
) -> ImpactResult:
    """:func:`evaluate` on every incident of a dataset (all categories, all months).

    ``treated`` is a polygon file (the funded zone as drawn or uploaded: no hotspot
    detection touches it), a CSV of hotspot ids or names, a list of hotspot ids or names,
    or areas. Hotspots are found (DBSCAN, ``eps_m`` metres and ``min_samples`` incidents)
    on ``design_months`` only, by default the months with data before funding.
    ``comparison`` is ``"auto"``, a file as for ``treated``, or a list of hotspot ids or
    names. ``categories`` default to ASB. ``missing_months`` are months without published
    data (never counted as zero). ``lsoa_counts`` with ``boundaries`` adds the longer LSOA
    pre-trend check. ``design`` is what :func:`find_design` returned for these same
    arguments (e.g. the hotspots a page offered for picking): given, its months and
    hotspots are used as they are, and ``design_months``, ``eps_m`` and ``min_samples``
    are not looked at.
    """
    categories = list(categories or [ASB])
    first, last = _span(everything)
    incidents = filter_incidents(everything, categories=categories)
    check_not_empty(
        "incidents", len(incidents), fix=f"No rows of {', '.join(categories)}: check --category"
    )
    missing = tuple(missing_months)
    lsoa_bounds = None if boundaries is None else read_polygons(boundaries, "boundary")
    if design is not None:
        design_months = design.months

        def hotspots() -> gpd.GeoDataFrame:
            return design.hotspots

    else:
        design_months = _design_months(everything, funding_date, missing, design_months)
        # Found once, and only when hotspot ids/names or the automatic comparison need them.
        hotspots = functools.cache(
            lambda: design_hotspots(incidents, design_months, eps_m=eps_m, min_samples=min_samples)
        )
    treated_areas = _areas(treated, hotspots, lsoa_bounds)
    chosen = "auto" if str(comparison) == "auto" else _areas(comparison, hotspots, lsoa_bounds)
    lsoa = None
    if lsoa_counts is not None:
        if lsoa_bounds is None:
            fail("`--lsoa-counts` needs `--boundaries` (LSOA polygons)")
        lsoa = (read_lsoa_monthly(lsoa_counts), lsoa_bounds)
    return evaluate(
        incidents,
        treated_areas,
        funding_date,
        comparison=chosen,
        candidates=hotspots() if isinstance(chosen, str) else None,
        buffer_m=buffer_m,
        months=(first, last),
        missing_months=missing,
        n_comparison=n_comparison,
        lsoa=lsoa,
        category="ASB" if categories == [ASB] else " and ".join(categories),
        design_months=design_months,
    )


def _areas(
    value: str | Path | Sequence[str] | gpd.GeoDataFrame,
    hotspots: functools._lru_cache_wrapper,
    boundaries: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Areas from a file, a list of hotspot ids or names, or a GeoDataFrame."""
    if isinstance(value, gpd.GeoDataFrame):
        return value
    if isinstance(value, (str, Path)):
        return read_areas(value, hotspots=hotspots, boundaries=boundaries)
    return select_hotspots(hotspots(), list(value))


def evaluate_dataset(
    dataset: str,
    treated: str | Path | Sequence[str] | gpd.GeoDataFrame,
    funding_date: str,
    **options: Any,
) -> ImpactResult:
    """:func:`evaluate_store` on an embedded dataset (e.g. ``"torbay"``), with its LSOA
    series and boundaries when the project carries them.
    """
    from geo.io import datasets

    entry = datasets.get_dataset(dataset)
    lsoa_counts = datasets.DATA_DIR / "lsoa-counts" / f"{dataset}-lsoa-monthly-all-crime.csv"
    if lsoa_counts.is_file() and entry.boundary_file is not None:
        options.setdefault("lsoa_counts", lsoa_counts)
        options.setdefault("boundaries", datasets.DATA_DIR / entry.boundary_file)
    return evaluate_store(entry.incidents_path, treated, funding_date, **options)


__all__ = [
    "GROUPS",
    "Design",
    "ImpactResult",
    "dosage_vs_change",
    "evaluate",
    "contamination_warning",
    "evaluate_dataset",
    "evaluate_incidents",
    "evaluate_store",
    "figures_table",
    "find_design",
    "group_series",
    "impact_caveats",
    "impact_json",
    "store_missing_months",
    "window_totals",
    "zones_for_coverage",
]
