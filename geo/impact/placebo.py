"""Placebo inference for one funded area and a handful of comparison areas.

With one treated area the model interval of :func:`geo.impact.did.did_rate_ratio` is too
narrow: the noise that matters is between areas (each area's before-to-after change
differs), not month to month. Placebo inference re-runs the same estimator with units
that were not funded, and asks how unusual the treated estimate is among them (Abadie,
Diamond & Hainmueller 2010, "Synthetic control methods for comparative case studies",
JASA 105:493-505; Conley & Taber 2011, "Inference with 'difference in differences' with a
small number of policy changes", Review of Economics and Statistics 93:113-125).

- :func:`log_rate_ratio`: the estimator, ``log((Ta/Tb) / (Ca/Cb))`` on window totals with
  half an incident added to each total (Haldane's correction, so empty units stay finite).
- :func:`placebo_in_space`: every eligible unfunded unit (hotspot, grid cell or LSOA of
  the same study area, outside the treated areas and their buffer) in turn plays the
  treated area against the same comparison areas; permutation p-value and rank.
- :func:`placebo_in_time`: fake funding dates inside the pre-funding months.

``counts`` is always the long table of :func:`geo.impact.design.count_incidents`:
``area_id``, ``month`` (``'YYYY-MM'``) and ``count`` (incidents), months with data only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.checks import check_not_empty, fail
from geo.impact.inputs import check_alpha

#: Added to every window total so a unit with no incidents in a window gives a finite ratio.
HALDANE = 0.5


def window_total(counts: pd.DataFrame, ids: Iterable[str], months: Iterable[str]) -> float:
    """Incidents of the areas ``ids`` over ``months`` (months with no row add nothing)."""
    rows = counts[counts["area_id"].isin(set(ids)) & counts["month"].isin(set(months))]
    return float(rows["count"].sum())


def log_rate_ratio(
    treated_before: float, treated_after: float, control_before: float, control_after: float
) -> float:
    """``log((Ta/Tb) / (Ca/Cb))`` with :data:`HALDANE` added to each total (log rate ratio)."""
    tb, ta, cb, ca = (
        value + HALDANE for value in (treated_before, treated_after, control_before, control_after)
    )
    return math.log(ta / tb) - math.log(ca / cb)


def window_sums(counts: pd.DataFrame, before: Sequence[str], after: Sequence[str]) -> pd.DataFrame:
    """Incidents per area over the before and after windows: columns ``before``, ``after``."""
    window = np.where(
        counts["month"].isin(set(before)),
        "before",
        np.where(counts["month"].isin(set(after)), "after", ""),
    )
    rows = counts.assign(window=window)
    rows = rows[rows["window"] != ""]
    table = rows.pivot_table(index="area_id", columns="window", values="count", aggfunc="sum")
    return table.reindex(columns=["before", "after"]).fillna(0.0)


def unit_matrix(counts: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Counts as an area x month table over ``months``; NaN where a month has no data."""
    table = counts.pivot_table(index="area_id", columns="month", values="count", aggfunc="sum")
    return table.reindex(columns=list(months))


def group_log_ratio(
    matrix: pd.DataFrame,
    treated_ids: Iterable[str],
    comparison_ids: Iterable[str],
    before: Sequence[str],
    after: Sequence[str],
) -> float:
    """:func:`log_rate_ratio` of summed treated against summed comparison areas."""
    treated = matrix.reindex(list(treated_ids)).fillna(0.0)
    control = matrix.reindex(list(comparison_ids)).fillna(0.0)
    return log_rate_ratio(
        float(treated[list(before)].to_numpy().sum()),
        float(treated[list(after)].to_numpy().sum()),
        float(control[list(before)].to_numpy().sum()),
        float(control[list(after)].to_numpy().sum()),
    )


@dataclass(frozen=True)
class PermutationResult:
    """Placebo-in-space permutation inference.

    Attributes
    ----------
    estimate : float
        The treated log rate ratio (:func:`log_rate_ratio`).
    rate_ratio : float
        ``exp(estimate)``.
    placebo_estimates : pandas.Series
        Log rate ratio of each placebo unit (index: area id) against the comparison areas.
    rank : int
        1 + placebos at least as extreme as the treated estimate (1 = most extreme).
    p_value : float
        ``rank / (n_placebos + 1)``: two-sided permutation p-value on ``|estimate|``.
    min_p_value : float
        ``1 / (n_placebos + 1)``: the smallest p-value this many placebos can give.
    significant : bool
        ``p_value < alpha``.
    alpha : float
    """

    estimate: float
    rate_ratio: float
    placebo_estimates: pd.Series
    rank: int
    p_value: float
    min_p_value: float
    significant: bool
    alpha: float

    @property
    def n_placebos(self) -> int:
        return len(self.placebo_estimates)

    @property
    def can_reach_alpha(self) -> bool:
        """Are there enough placebos for a p-value below ``alpha`` to be possible at all?"""
        return self.min_p_value < self.alpha


def placebo_in_space(
    counts: pd.DataFrame,
    treated_ids: Sequence[str],
    comparison_ids: Sequence[str],
    placebo_ids: Sequence[str],
    *,
    before: Sequence[str],
    after: Sequence[str],
    alpha: float = 0.05,
) -> PermutationResult:
    """Permutation inference: each placebo unit in turn plays the treated area.

    Each placebo's comparison is the comparison areas without the placebo itself. The
    p-value counts placebos whose ``|log rate ratio|`` is at least the treated one's
    (Abadie et al. 2010), so with fewer than ``1/alpha - 1`` placebos no result can be
    significant, which is the honest answer with so few units.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count`` for treated, comparison and placebo units.
    treated_ids, comparison_ids : sequence of str
        The design's treated and comparison area ids.
    placebo_ids : sequence of str
        Unfunded units eligible as placebos (outside the treated areas and their buffer).
    before, after : sequence of str
        The before and after window months (``'YYYY-MM'``).
    alpha : float, default 0.05

    Returns
    -------
    PermutationResult
    """
    alpha = check_alpha(alpha)
    check_not_empty("comparison_ids", len(comparison_ids))
    treated_set = set(treated_ids)
    placebos = [unit for unit in dict.fromkeys(placebo_ids) if unit not in treated_set]
    sums = window_sums(counts, before, after)
    treated = sums.reindex(list(treated_ids)).fillna(0.0).sum()
    control = sums.reindex(list(comparison_ids)).fillna(0.0)
    estimate = log_rate_ratio(*treated, *control.sum())
    placebo_sums = sums.reindex(placebos).fillna(0.0)
    # Each placebo's comparison is the comparison areas without the placebo itself.
    in_control = placebo_sums.index.isin(control.index)
    control_b = control["before"].sum() - np.where(in_control, placebo_sums["before"], 0.0)
    control_a = control["after"].sum() - np.where(in_control, placebo_sums["after"], 0.0)
    keep = ~in_control | (len(control) > 1)
    values = (
        np.log((placebo_sums["after"] + HALDANE) / (placebo_sums["before"] + HALDANE))
        - np.log((control_a + HALDANE) / (control_b + HALDANE))
    )[keep]
    placebo = pd.Series(values.to_numpy(), index=placebo_sums.index[keep], name="log_rate_ratio")
    placebo.index.name = "area_id"
    # A tiny tolerance so a placebo equal to the treated estimate counts as "as extreme".
    as_extreme = int((placebo.abs() >= abs(estimate) - 1e-12).sum())
    rank = as_extreme + 1
    p_value = rank / (len(placebo) + 1)
    return PermutationResult(
        estimate=estimate,
        rate_ratio=math.exp(estimate),
        placebo_estimates=placebo,
        rank=rank,
        p_value=p_value,
        min_p_value=1 / (len(placebo) + 1),
        significant=p_value < alpha,
        alpha=alpha,
    )


@dataclass(frozen=True)
class TimePlaceboResult:
    """Placebo-in-time: fake funding dates inside the pre-funding months.

    Attributes
    ----------
    estimates : pandas.DataFrame
        ``fake_funding`` (``'YYYY-MM'``), ``months_each_side`` and ``log_rate_ratio``.
    share_as_large : float
        Share of fake dates whose ``|log rate ratio|`` is at least the real one's (NaN
        when there were no fake dates).
    """

    estimates: pd.DataFrame
    share_as_large: float

    @property
    def n_dates(self) -> int:
        return len(self.estimates)


def placebo_in_time(
    counts: pd.DataFrame,
    treated_ids: Sequence[str],
    comparison_ids: Sequence[str],
    pre_months: Sequence[str],
    estimate: float,
    *,
    months_each_side: int = 3,
) -> TimePlaceboResult:
    """Re-run the estimator with fake funding dates inside ``pre_months``.

    Each fake date splits the pre-funding months with data into ``months_each_side``
    months before and as many after; no real post-funding month is used, so a large fake
    effect means the areas drift apart without any scheme.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count``.
    treated_ids, comparison_ids : sequence of str
    pre_months : sequence of str
        Pre-funding months with data, in order (``'YYYY-MM'``).
    estimate : float
        The real log rate ratio, to compare against.
    months_each_side : int, default 3
    """
    if months_each_side < 1:
        fail(f"`months_each_side` must be 1 or more, got {months_each_side!r}")
    months = sorted(pre_months)
    matrix = unit_matrix(counts, months)
    rows = []
    for k in range(months_each_side, len(months) - months_each_side + 1):
        before, after = months[k - months_each_side : k], months[k : k + months_each_side]
        value = group_log_ratio(matrix, treated_ids, comparison_ids, before, after)
        rows.append((months[k], months_each_side, value))
    table = pd.DataFrame(rows, columns=["fake_funding", "months_each_side", "log_rate_ratio"])
    share = (
        float((table["log_rate_ratio"].abs() >= abs(estimate)).mean()) if len(table) else math.nan
    )
    return TimePlaceboResult(estimates=table, share_as_large=share)
