"""Event study: the monthly treated-minus-comparison difference, before and after funding.

For each month with data, ``difference = log((T + 0.5) / (C + 0.5))`` (treated against
comparison incidents, Haldane's half added) minus its mean over the pre-funding months,
so 0 is the pre-funding gap and -0.2 is about 18% fewer incidents than that gap predicts.
The interval is the Poisson delta-method standard error ``sqrt(1/(T+0.5) + 1/(C+0.5))``
inflated by the pre-funding months' overdispersion (variance of the pre-funding
differences over their mean Poisson variance, at least 1). Months without published data
get a row with NaN values and break the line (``segment``), never a zero.
(Freyaldenhoven et al. 2021, "Visualization, identification, and estimation in the
linear panel event-study design", NBER w29170, on plotting pre-trends with intervals.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from geo.checks import fail
from geo.impact.inputs import check_alpha
from geo.impact.placebo import HALDANE, unit_matrix


@dataclass(frozen=True)
class EventStudyResult:
    """Monthly differences around funding.

    Attributes
    ----------
    table : pandas.DataFrame
        ``month``, ``months_from_funding`` (0 = first month after funding), ``post``,
        ``treated``, ``comparison`` (incidents), ``difference``, ``ci_low``, ``ci_high``
        (log scale, relative to the pre-funding mean) and ``segment`` (runs of months
        with data, so charts break at gaps).
    dispersion : float
        The overdispersion factor applied to the Poisson standard errors (>= 1).
    confidence : float
    """

    table: pd.DataFrame
    dispersion: float
    confidence: float


def event_study(
    counts: pd.DataFrame,
    treated_ids: Sequence[str],
    comparison_ids: Sequence[str],
    months: Sequence[str],
    funding_month: str,
    *,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Monthly treated-minus-comparison differences over ``months`` (see module docstring).

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count`` for months with data only.
    treated_ids, comparison_ids : sequence of str
    months : sequence of str
        Every month of the span, missing ones included, in order (``'YYYY-MM'``).
    funding_month : str
        First month counted as after funding (``'YYYY-MM'``); earlier months are before.
    alpha : float, default 0.05
    """
    alpha = check_alpha(alpha)
    months = list(months)
    present = set(counts["month"])
    matrix = unit_matrix(counts, months)
    treated = matrix.reindex(list(treated_ids)).sum(axis=0, min_count=1)
    control = matrix.reindex(list(comparison_ids)).sum(axis=0, min_count=1)
    has_data = np.array([month in present for month in months])
    treated = treated.where(has_data).fillna(0.0).where(has_data)
    control = control.where(has_data).fillna(0.0).where(has_data)
    raw = np.log((treated + HALDANE) / (control + HALDANE)).to_numpy()
    variance = (1 / (treated + HALDANE) + 1 / (control + HALDANE)).to_numpy()
    post = np.array([month >= funding_month for month in months])
    pre = has_data & ~post
    if pre.sum() < 2:
        fail(
            "the event study needs at least 2 months with data before funding",
            fix="Choose a later funding date or add earlier months",
        )
    baseline = float(np.nanmean(raw[pre]))
    dispersion = max(1.0, float(np.nanvar(raw[pre], ddof=1) / np.nanmean(variance[pre])))
    se = np.sqrt(variance * dispersion)
    z = float(stats.norm.ppf(1 - alpha / 2))
    difference = raw - baseline
    index = pd.PeriodIndex(months, freq="M").asi8
    funding_code = pd.Period(funding_month, freq="M").ordinal
    table = pd.DataFrame(
        {
            "month": months,
            "months_from_funding": index - funding_code,
            "post": post,
            "treated": treated.to_numpy(),
            "comparison": control.to_numpy(),
            "difference": difference,
            "ci_low": difference - z * se,
            "ci_high": difference + z * se,
            "segment": np.cumsum(~has_data),
        }
    )
    return EventStudyResult(table=table, dispersion=dispersion, confidence=1 - alpha)


def percent(log_values: np.ndarray | pd.Series | float) -> np.ndarray | float:
    """Log differences as percent changes: ``(exp(x) - 1) * 100``."""
    values = np.expm1(np.asarray(log_values, dtype=float)) * 100
    return float(values) if np.ndim(values) == 0 else values


__all__ = ["EventStudyResult", "event_study", "percent"]
