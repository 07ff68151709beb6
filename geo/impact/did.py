"""Difference-in-differences for funded hotspots, and the parallel-trends check.

- :func:`did_rate_ratio`: the rate ratio from a two-way fixed-effects Poisson model on a
  monthly area panel (area and month effects; Wooldridge 2023, "Simple approaches to
  nonlinear difference-in-differences with panel data").
- :func:`parallel_trends`: do treated and comparison areas share a pre-funding trend?

Counts are incidents per area and month (numbers >= 0); months are ``'YYYY-MM'`` strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from threadpoolctl import threadpool_limits

from geo.checks import (
    check_choice,
    check_columns,
    check_min_int,
    check_not_empty,
    fail,
)
from geo.formatting import signed
from geo.impact.inputs import check_alpha
from geo.impact.windows import month_keys

#: Columns of the long monthly panel taken by :func:`did_rate_ratio` and :func:`parallel_trends`.
PANEL_COLUMNS = ("area_id", "month", "count", "treated", "post")


#: Standard-error types for the Poisson panel models.
SE_TYPES = ("quasi-poisson", "cluster", "poisson")


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences rate ratio from a two-way fixed-effects Poisson model.

    Attributes
    ----------
    rate_ratio : float
        ``exp(delta)``: the treated areas' after/before ratio relative to the comparison
        areas'. 0.8 means 20 % fewer incidents than the comparison trend predicts.
    ci_low, ci_high : float
        Confidence interval for ``rate_ratio`` (95 % by default).
    p_value : float
        Two-sided p-value for ``rate_ratio = 1``.
    percent_change : float
        ``(rate_ratio - 1) * 100``.
    n_areas, n_months, n_observations : int
        Areas, distinct months and area-month rows that entered the model.
    dispersion : float
        Pearson chi^2 / residual df of the Poisson fit; well above 1 means overdispersion
        (NaN when the model is saturated).
    se_type : str
        How the standard error was computed (see :func:`did_rate_ratio`).
    confidence : float
        Level of the interval, e.g. 0.95.
    excluded_rows : int
        Rows with a missing count (missing months), left out rather than counted as 0.
    dropped_areas : tuple of str
        Areas with 0 incidents in every month: they carry no information on the rate ratio
        under area fixed effects and are left out.
    """

    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    percent_change: float
    n_areas: int
    n_months: int
    n_observations: int
    dispersion: float
    se_type: str
    confidence: float
    excluded_rows: int
    dropped_areas: tuple[str, ...]

    @property
    def excludes_no_change(self) -> bool:
        """True when the interval excludes a rate ratio of 1 (no change)."""
        return self.ci_high < 1 or self.ci_low > 1


def did_rate_ratio(
    panel: pd.DataFrame, *, se_type: str = "quasi-poisson", alpha: float = 0.05
) -> DidResult:
    """Difference-in-differences rate ratio ``exp(delta)`` with its confidence interval.

    Fits ``log E[count_it] = a_i + m_t + delta * treated_i * post_t`` (area and month fixed
    effects) with a statsmodels Poisson GLM. Only the rows given are used:
    months missing from the panel stay missing (no rows are added) and rows whose count is
    missing are left out and counted in ``excluded_rows``, never read as 0. The fixed effects
    are dense dummies, sized for tens to a few hundred areas (90 LSOAs x 36 months: ~0.3 s).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long monthly panel, one row per area and month, with columns ``area_id``, ``month``
        (``'YYYY-MM'``, date or timestamp), ``count`` (incidents >= 0), ``treated`` (bool,
        fixed per area) and ``post`` (bool, fixed per month: True after funding).
    se_type : {"quasi-poisson", "cluster", "poisson"}, default "quasi-poisson"
        ``"quasi-poisson"`` scales the Poisson standard error by ``sqrt(max(1, dispersion))``
        so overdispersed counts widen the interval and it is never narrower than Poisson.
        ``"cluster"`` uses standard errors clustered by area; these are unreliable with few
        areas (below about 20), so prefer the default there. ``"poisson"`` assumes
        variance = mean.
    alpha : float, default 0.05
        Two-sided significance level (0.05 gives a 95 % CI).

    Returns
    -------
    DidResult
    """
    check_choice("se_type", se_type, SE_TYPES)
    alpha = check_alpha(alpha)
    data, excluded, dropped = _clean_panel(panel)
    _check_did_cells(data)
    area_codes, _ = pd.factorize(data["area_id"])
    month_codes, months = pd.factorize(data["month"], sort=True)
    effect = (data["treated"] & data["post"]).to_numpy(dtype=float)
    delta, se, dispersion = _fit_poisson(
        data["count"].to_numpy(dtype=float), area_codes, month_codes, effect, se_type
    )
    z_crit = float(stats.norm.ppf(1 - alpha / 2))
    rate_ratio = math.exp(delta)
    return DidResult(
        rate_ratio=rate_ratio,
        ci_low=math.exp(delta - z_crit * se),
        ci_high=math.exp(delta + z_crit * se),
        p_value=float(2 * stats.norm.sf(abs(delta / se))),
        percent_change=(rate_ratio - 1) * 100,
        n_areas=int(area_codes.max() + 1),
        n_months=len(months),
        n_observations=len(data),
        dispersion=dispersion,
        se_type=se_type,
        confidence=1 - alpha,
        excluded_rows=excluded,
        dropped_areas=dropped,
    )


@dataclass(frozen=True)
class TrendsResult:
    """Pre-funding trend check for treated against comparison areas.

    Attributes
    ----------
    slope_difference : float
        Treated minus comparison trend, change in log incident rate per month (NaN when
        there were too few months to check).
    percent_per_month : float
        ``(exp(slope_difference) - 1) * 100``: how much faster (> 0) or slower (< 0), in
        % per month, incidents grew in the treated areas before funding.
    p_value : float
        Two-sided p-value for equal trends.
    passes : bool
        True when there were enough months and no significant difference at ``alpha``.
        A pass is absence of evidence against parallel trends, not proof of them.
    reason : str
        One plain sentence saying why it passed or failed.
    n_months : int
        Pre-funding months used.
    """

    slope_difference: float
    percent_per_month: float
    p_value: float
    passes: bool
    reason: str
    n_months: int


def parallel_trends(
    panel: pd.DataFrame,
    *,
    min_months: int = 6,
    alpha: float = 0.05,
    se_type: str = "quasi-poisson",
) -> TrendsResult:
    """Compare the pre-funding monthly trends of treated and comparison areas.

    Uses only rows with ``post`` False and fits ``log E[count_it] = a_i + m_t + g * t *
    treated_i`` (Poisson GLM, area and month fixed effects, ``t`` in months), so that ``g``
    is the difference in linear trends after removing the shared month-to-month pattern,
    seasonality included. Fails when ``g`` differs from 0 at ``alpha`` or when fewer than
    ``min_months`` pre-funding months are available.

    Parameters
    ----------
    panel : pandas.DataFrame
        The long monthly panel described in :func:`did_rate_ratio`.
    min_months : int, default 6
        Fewest distinct pre-funding months needed to judge a trend.
    alpha : float, default 0.05
        Significance level of the test.
    se_type : {"quasi-poisson", "cluster", "poisson"}, default "quasi-poisson"
        Standard-error type, as in :func:`did_rate_ratio`.

    Returns
    -------
    TrendsResult
    """
    check_min_int("min_months", min_months, 3)
    check_choice("se_type", se_type, SE_TYPES)
    alpha = check_alpha(alpha)
    data, _, _ = _clean_panel(panel)
    pre = data.loc[~data["post"]]
    months = pre["month"].unique()
    if len(months) < min_months:
        return TrendsResult(
            math.nan,
            math.nan,
            math.nan,
            passes=False,
            reason=f"Only {len(months)} month(s) before funding: too few to check that treated "
            f"and comparison areas were on parallel trends (need at least {min_months}).",
            n_months=len(months),
        )
    pre = pre.loc[pre.groupby("area_id")["count"].transform("sum") > 0]
    if pre["treated"].nunique() < 2:
        fail(
            "`panel` needs incidents in both treated and comparison areas before funding",
            fix="Check `treated` and `post`, or widen the before window",
        )
    area_codes, _ = pd.factorize(pre["area_id"])
    month_codes, _ = pd.factorize(pre["month"], sort=True)
    month_index = pd.PeriodIndex(pre["month"], freq="M").asi8
    slope = ((month_index - month_index.min()) * pre["treated"].to_numpy()).astype(float)
    difference, se, _ = _fit_poisson(
        pre["count"].to_numpy(dtype=float), area_codes, month_codes, slope, se_type
    )
    p_value = float(2 * stats.norm.sf(abs(difference / se)))
    percent = (math.exp(difference) - 1) * 100
    passes = p_value >= alpha
    if passes:
        reason = (
            f"Before funding, treated and comparison areas moved in parallel (difference "
            f"{signed(percent, 1)}% a month, p = {p_value:.2f})."
        )
    else:
        direction = "faster" if percent > 0 else "slower"
        reason = (
            f"Before funding, incidents in the treated areas grew {abs(percent):.1f}% a month "
            f"{direction} than in the comparison areas (p = {p_value:.3f}), so the comparison "
            f"areas may not show what would have happened without funding."
        )
    return TrendsResult(difference, percent, p_value, passes, reason, len(months))


def _clean_panel(panel: pd.DataFrame) -> tuple[pd.DataFrame, int, tuple[str, ...]]:
    """Validate the long panel; drop rows with missing counts and all-zero areas."""
    if not isinstance(panel, pd.DataFrame):
        fail(f"`panel` must be a pandas DataFrame, got {type(panel).__name__}")
    check_columns("`panel`", panel.columns, PANEL_COLUMNS)
    check_not_empty("panel", len(panel))
    for column in ("area_id", "month", "treated", "post"):
        if panel[column].isna().any():
            fail(
                f"`panel` column {column!r} has missing values",
                fix="Every row needs an area, a month and its treated/post flags",
            )
    counts = pd.to_numeric(panel["count"], errors="coerce")
    unparsable = counts.isna() & panel["count"].notna()
    if unparsable.any():
        fail(f"`panel` column 'count' holds {panel['count'][unparsable].iloc[0]!r}, not a number")
    if (counts < 0).any() or np.isinf(counts).any():
        fail(
            f"`panel` column 'count' must be incident counts >= 0, got {counts.min()!r}",
            fix="Counts cannot be negative; check how the panel was built",
        )
    data = pd.DataFrame(
        {
            "area_id": panel["area_id"].astype(str).to_numpy(),
            "month": month_keys("panel['month']", panel["month"]),
            "count": counts.to_numpy(dtype=float),
            "treated": _flags("treated", panel["treated"]),
            "post": _flags("post", panel["post"]),
        }
    )
    if data.duplicated(["area_id", "month"]).any():
        first = data.loc[data.duplicated(["area_id", "month"]), ["area_id", "month"]].iloc[0]
        fail(
            f"`panel` has more than one row for area {first['area_id']!r} in {first['month']}",
            fix="Aggregate to one row per area and month",
        )
    for column, by in (("treated", "area_id"), ("post", "month")):
        varying = data.groupby(by)[column].nunique()
        if (varying > 1).any():
            fail(
                f"`panel` column {column!r} changes within {by} {varying.index[varying > 1][0]!r}",
                fix=f"{column!r} must be fixed for each {by.replace('_id', '')}",
            )
    missing = data["count"].isna()
    data = data.loc[~missing]
    totals = data.groupby("area_id")["count"].sum()
    dropped = tuple(totals.index[totals == 0])
    data = data.loc[~data["area_id"].isin(dropped)].reset_index(drop=True)
    return data, int(missing.sum()), dropped


def _flags(name: str, values: pd.Series) -> np.ndarray:
    # 0 and 1 compare equal to False and True, so they are accepted too.
    odd = [value for value in pd.unique(values) if value not in {True, False}]
    if odd:
        fail(f"`panel` column {name!r} must be True/False, got {odd[0]!r}")
    return values.astype(bool).to_numpy()


def _check_did_cells(data: pd.DataFrame) -> None:
    """Fail unless each treated/comparison x before/after cell has rows and incidents."""
    cells = data.groupby(["treated", "post"])["count"].agg(["size", "sum"])
    for treated in (True, False):
        for post in (False, True):
            group = "treated" if treated else "comparison"
            period = "after" if post else "before"
            if (treated, post) not in cells.index:
                fail(
                    f"`panel` has no {group} rows {period} funding",
                    fix="The rate ratio needs treated and comparison areas, before and after",
                )
            if cells.loc[(treated, post), "sum"] == 0:
                fail(
                    f"`panel` has 0 incidents in the {group} areas {period} funding, so the "
                    "rate ratio cannot be estimated",
                    fix="Widen the windows or add areas",
                )


def _fit_poisson(
    counts: np.ndarray,
    area_codes: np.ndarray,
    month_codes: np.ndarray,
    effect: np.ndarray,
    se_type: str,
) -> tuple[float, float, float]:
    """Fit a Poisson GLM with area and month dummies plus ``effect``.

    Returns the ``effect`` coefficient, its standard error under ``se_type`` and the Pearson
    dispersion (NaN when the model is saturated).
    """
    n_areas, n_months = area_codes.max() + 1, month_codes.max() + 1
    design = np.column_stack(
        [
            np.ones(len(counts)),
            np.eye(n_areas)[area_codes][:, 1:],
            np.eye(n_months)[month_codes][:, 1:],
            effect,
        ]
    )
    model = sm.GLM(counts, design, family=sm.families.Poisson())
    # Multithreaded BLAS on these small dense designs is up to 100x slower on a busy machine.
    with threadpool_limits(1, user_api="blas"):
        fit = model.fit()
        dispersion = fit.pearson_chi2 / fit.df_resid if fit.df_resid > 0 else math.nan
        if se_type == "cluster":
            se = float(model.fit(cov_type="cluster", cov_kwds={"groups": area_codes}).bse[-1])
        else:
            overdispersed = se_type == "quasi-poisson" and not math.isnan(dispersion)
            se = float(fit.bse[-1]) * math.sqrt(max(1.0, dispersion) if overdispersed else 1.0)
    return float(fit.params[-1]), se, float(dispersion)
