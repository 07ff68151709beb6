"""Impact statistics for funders: did incidents fall where patrols were funded, and did they move?

One statistic per function, each tested against a published or hand-computed answer:

- :func:`pai` and :func:`generalised_gini`: re-exported from :mod:`geo.concentration`.
- :func:`rri`: change in concentration of the same hotspots between two periods (Levine 2008).
- :func:`wdq`: weighted displacement quotient (Bowers & Johnson 2003).
- :func:`wdd`: weighted displacement difference with a significance test (Wheeler &
  Ratcliffe 2018); :func:`wdd_reading` says in plain words what it adds up.
- :func:`did_rate_ratio`: difference-in-differences rate ratio from a two-way fixed-effects
  Poisson model on a monthly panel.
- :func:`parallel_trends`: do treated and comparison areas share a pre-funding trend?
- :func:`season_matched_windows`: before/after windows with the same calendar months.
- :func:`headline_sentence`: the plain sentence for the page and report, never overclaiming.

Counts are incidents per area and period (numbers >= 0). Months are ``'YYYY-MM'`` strings.
"Treated" is the funded area (hotspots), "buffer" the displacement ring around it, "control"
the comparison area(s). Formulas: field notes sections 2.1-2.5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from threadpoolctl import threadpool_limits

from geo.checks import (
    check_choice,
    check_columns,
    check_min_int,
    check_non_negative,
    check_not_empty,
    check_positive,
    fail,
)

# Re-exported so that geo.impact holds every statistic named in issue 6.
from geo.concentration import generalised_gini, pai

#: Columns of the long monthly panel taken by :func:`did_rate_ratio` and :func:`parallel_trends`.
PANEL_COLUMNS = ("area_id", "month", "count", "treated", "post")

#: Standard-error types for the Poisson panel models.
SE_TYPES = ("quasi-poisson", "cluster", "poisson")

#: |WDQ| below this reads as "neither displacement nor diffusion".
WDQ_NEUTRAL = 0.05

#: WDD compares raw counts, so it assumes the comparison areas had about as many incidents
#: as the treated areas (and the buffer). Beyond this ratio either way, :func:`wdd_reading`
#: says the figure mostly reflects the comparison areas' own change.
WDD_SCALE_LIMIT = 2.0

_MINUS = "\N{MINUS SIGN}"


# --------------------------------------------------------------------------- RRI


def rri(n_t1: Any, n_t2: Any, total_t1: Any, total_t2: Any) -> float | np.ndarray:
    """Relative risk index of the same hotspots at two times: ``(n2 / n1) / (N2 / N1)``.

    For a fixed hotspot area this equals ``PAI_T2 / PAI_T1`` (Levine 2008; field notes 2.1).
    Accepts scalars or arrays (broadcast, one value per hotspot set).

    Parameters
    ----------
    n_t1, n_t2 : count or array of counts
        Incidents inside the hotspots at time 1 and time 2 (``n_t1`` > 0).
    total_t1, total_t2 : count or array of counts
        All incidents in the study area at time 1 and time 2 (> 0, at least the hotspot count).

    Returns
    -------
    float or numpy.ndarray
        Unitless. 1 = concentration unchanged, > 1 = more concentrated in the hotspots at T2.
    """
    n1 = _counts("n_t1", n_t1, positive=True)
    n2 = _counts("n_t2", n_t2)
    big_n1 = _counts("total_t1", total_t1, positive=True)
    big_n2 = _counts("total_t2", total_t2, positive=True)
    for part, inside, whole, everything in (
        ("n_t1", n1, "total_t1", big_n1),
        ("n_t2", n2, "total_t2", big_n2),
    ):
        if np.any(inside > everything):
            fail(
                f"`{part}` must not exceed `{whole}` (hotspot incidents are part of all incidents)",
                fix=f"Pass the study-area total as `{whole}`",
            )
    ratio = (n2 / n1) / (big_n2 / big_n1)
    return float(ratio) if ratio.ndim == 0 else ratio


# --------------------------------------------------------------------------- WDQ


@dataclass(frozen=True)
class WdqResult:
    """Weighted displacement quotient and its parts (Bowers & Johnson 2003).

    Attributes
    ----------
    wdq : float
        ``buffer_measure / success_measure``; NaN when not meaningful (see ``meaningful``).
    success_measure : float
        ``Ra/Ca - Rb/Cb``: change in the treated-to-control ratio; < 0 means the treated area
        improved relative to control.
    buffer_measure : float
        ``Da/Ca - Db/Cb``: the same for the buffer; > 0 means the buffer worsened.
    meaningful : bool
        False when the treated area did not improve (``success_measure >= 0``) or barely
        changed, so that the quotient would be undefined or unstable.
    band : str
        One of ``"diffusion-beyond"``, ``"diffusion"``, ``"neutral"``, ``"displacement"``,
        ``"complete-displacement"``, ``"displacement-exceeds"``, ``"not-meaningful"``,
        ``"unstable"``.
    interpretation : str
        Plain-English reading of ``band``.
    """

    wdq: float
    success_measure: float
    buffer_measure: float
    meaningful: bool
    band: str
    interpretation: str


_WDQ_READINGS = {
    "diffusion-beyond": "Diffusion of benefit larger than the direct effect: the buffer improved "
    "even more than the treated area, relative to control.",
    "diffusion": "Diffusion of benefit: the buffer also improved relative to control, by less "
    "than the treated area.",
    "neutral": "Neither displacement nor diffusion: the buffer changed in line with control.",
    "displacement": "Some displacement into the buffer, but smaller than the gain in the "
    "treated area (net benefit).",
    "complete-displacement": "Complete displacement: the rise in the buffer cancels the gain in "
    "the treated area (no net benefit).",
    "displacement-exceeds": "Displacement exceeds the gain: the buffer worsened by more than the "
    "treated area improved (net harm).",
    "not-meaningful": "WDQ is not meaningful: the treated area did not improve relative to "
    "control (success measure >= 0), so there is no gain that could have been displaced.",
    "unstable": "WDQ is not meaningful: the treated area barely changed relative to control "
    "(success measure close to 0), so the quotient is unstable.",
}


def wdq(  # noqa: PLR0917 - the six counts are positional by design (issue 6)
    treated_before: float,
    treated_after: float,
    buffer_before: float,
    buffer_after: float,
    control_before: float,
    control_after: float,
    *,
    min_success: float = 0.01,
) -> WdqResult:
    """Weighted displacement quotient ``WDQ = BM / SM`` (Bowers & Johnson 2003).

    ``SM = Ra/Ca - Rb/Cb`` and ``BM = Da/Ca - Db/Cb``, with R the treated (response) area,
    D the buffer, C the control, b before and a after (field notes 2.3). Bands: > 1 diffusion
    beyond the direct effect; 0-1 diffusion; about 0 neither; -1 to 0 some displacement,
    smaller than the gain; < -1 displacement exceeds the gain.

    Parameters
    ----------
    treated_before, treated_after, buffer_before, buffer_after : float
        Incident counts (>= 0) in the treated area and the buffer ring, before and after.
    control_before, control_after : float
        Incident counts in the control area (> 0: they are divisors).
    min_success : float, default 0.01
        Smallest fall in the treated-to-control ratio, as a fraction of its before value
        (0.01 = 1 %), for which the quotient is reported; smaller falls give NaN ("unstable").

    Returns
    -------
    WdqResult
        Check: treated 100 -> 50, buffer 100 -> 150, control 100 -> 100 gives SM = -0.5,
        BM = +0.5 and WDQ = -1 (complete displacement).
    """
    rb = check_non_negative("treated_before", treated_before)
    ra = check_non_negative("treated_after", treated_after)
    db = check_non_negative("buffer_before", buffer_before)
    da = check_non_negative("buffer_after", buffer_after)
    fix = "WDQ divides by control counts; choose a comparison area with incidents in both windows"
    cb = check_positive("control_before", control_before, fix=fix)
    ca = check_positive("control_after", control_after, fix=fix)
    check_non_negative("min_success", min_success)

    success = ra / ca - rb / cb
    buffer = da / ca - db / cb
    if success >= 0:
        band, value = "not-meaningful", math.nan
    elif -success < min_success * (rb / cb):
        band, value = "unstable", math.nan
    else:
        value = buffer / success
        band = _wdq_band(value)
    return WdqResult(
        wdq=value,
        success_measure=success,
        buffer_measure=buffer,
        meaningful=not math.isnan(value),
        band=band,
        interpretation=_WDQ_READINGS[band],
    )


def _wdq_band(value: float) -> str:
    if value > 1:
        return "diffusion-beyond"
    if value > WDQ_NEUTRAL:
        return "diffusion"
    if value >= -WDQ_NEUTRAL:
        return "neutral"
    if math.isclose(value, -1.0, abs_tol=1e-9):
        return "complete-displacement"
    return "displacement" if value > -1 else "displacement-exceeds"


# --------------------------------------------------------------------------- WDD


@dataclass(frozen=True)
class WddResult:
    """Weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Attributes
    ----------
    estimate : float
        Net change in incidents attributable to the intervention (treated plus buffer,
        relative to control), in incidents per weighted unit; < 0 means fewer incidents.
    variance, se : float
        Poisson normal-approximation variance and its square root (incidents^2, incidents).
    z, p_value : float
        ``estimate / se`` and its two-sided p-value.
    ci_low, ci_high : float
        Confidence interval for ``estimate`` at level ``1 - alpha`` (95 % by default).
    local_estimate, displacement_estimate : float
        The treated-vs-control and buffer-vs-(buffer-)control parts of ``estimate``.
    shared_control : bool
        True when the control also served as the buffer's control (see :func:`wdd`).
    confidence : float
        Level of the interval, e.g. 0.95.
    """

    estimate: float
    variance: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    local_estimate: float
    displacement_estimate: float
    shared_control: bool
    confidence: float = 0.95


def wdd(  # noqa: PLR0917 - same six positional counts as wdq
    treated_before: float,
    treated_after: float,
    buffer_before: float | None,
    buffer_after: float | None,
    control_before: float,
    control_after: float,
    *,
    buffer_control_before: float | None = None,
    buffer_control_after: float | None = None,
    time_weights: tuple[float, float] = (1.0, 1.0),
    area_weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
    alpha: float = 0.05,
) -> WddResult:
    """Weighted displacement difference ``WDD = (T1-T0) - (C1-C0) + (D1-D0) - (DC1-DC0)``.

    Wheeler & Ratcliffe (2018), as implemented in ``ptools::wdd``; field notes 2.4. T is
    the treated area, C its control, D the buffer (displacement) area and DC the buffer's
    control; 0 is before, 1 after. The variance is the sum of the counts, each divided by
    its weight squared (normal approximation to the Poisson), so it needs counts that are
    not tiny and not strongly overdispersed.

    How the buffer is controlled:

    - With ``buffer_control_before/after`` (ptools' ``disp_control``, e.g. the rings around
      the control areas) the formula above is used as published.
    - Without them the single control serves both the treated area and the buffer, as in
      :func:`wdq`: ``WDD = (T1-T0) + (D1-D0) - 2 (C1-C0)``. The control counts then enter
      twice, so they add ``4 (C0 + C1)`` to the variance (not ``2 (C0 + C1)``).
    - With ``buffer_before = buffer_after = None`` there is no displacement term:
      ``WDD = (T1-T0) - (C1-C0)``. Passing ``0, 0`` instead means an empty buffer, which
      with a shared control still subtracts the control change a second time.

    Parameters
    ----------
    treated_before, treated_after : float
        Incident counts (>= 0) in the treated area before and after.
    buffer_before, buffer_after : float or None
        Incident counts in the buffer ring, or both None for no displacement term.
    control_before, control_after : float
        Incident counts in the control area.
    buffer_control_before, buffer_control_after : float, optional
        Incident counts in a separate control for the buffer (both or neither).
    time_weights : (float, float), default (1, 1)
        Length of the before and after periods (e.g. months, or (2, 1) for two years before
        and one after); counts are divided by them, giving changes per unit time.
    area_weights : (float, float, float, float), default (1, 1, 1, 1)
        Sizes of the treated, buffer, control and buffer-control areas (e.g. km^2), in that
        order; counts are divided by them, giving changes in density.
    alpha : float, default 0.05
        Two-sided significance level of the interval (0.05 gives a 95 % CI).

    Returns
    -------
    WddResult
    """
    if (buffer_before is None) != (buffer_after is None):
        fail(
            "`buffer_before` and `buffer_after` must both be counts or both be None",
            fix="Pass None for both to leave out the displacement term",
        )
    if (buffer_control_before is None) != (buffer_control_after is None):
        fail("`buffer_control_before` and `buffer_control_after` must both be given or neither")
    if buffer_before is None and buffer_control_before is not None:
        fail("a buffer control was given without buffer counts", fix="Pass `buffer_before/after`")
    pre, post = _weights("time_weights", time_weights, 2)
    w_treated, w_buffer, w_control, w_buffer_control = _weights("area_weights", area_weights, 4)
    alpha = _alpha(alpha)
    shared = buffer_before is not None and buffer_control_before is None
    control_uses = 2 if shared else 1

    # Each count with its coefficient in the estimate; Var = sum(coefficient^2 * count).
    terms = [
        ("treated_before", treated_before, -1 / (pre * w_treated)),
        ("treated_after", treated_after, 1 / (post * w_treated)),
        ("control_before", control_before, control_uses / (pre * w_control)),
        ("control_after", control_after, -control_uses / (post * w_control)),
    ]
    if buffer_before is not None:
        terms += [
            ("buffer_before", buffer_before, -1 / (pre * w_buffer)),
            ("buffer_after", buffer_after, 1 / (post * w_buffer)),
        ]
    if buffer_control_before is not None:
        terms += [
            ("buffer_control_before", buffer_control_before, 1 / (pre * w_buffer_control)),
            ("buffer_control_after", buffer_control_after, -1 / (post * w_buffer_control)),
        ]
    counts = np.array([check_non_negative(name, value) for name, value, _ in terms])
    coefficients = np.array([coefficient for _, _, coefficient in terms])
    contributions = coefficients * counts
    estimate = float(contributions.sum())
    local = float(contributions[:2].sum() + contributions[2:4].sum() / control_uses)
    variance = float((coefficients**2 * counts).sum())
    if variance == 0:
        fail("all WDD counts are 0: there is nothing to test", fix="Check the windows and areas")
    se = math.sqrt(variance)
    z = estimate / se
    half_width = float(stats.norm.ppf(1 - alpha / 2)) * se
    return WddResult(
        estimate=estimate,
        variance=variance,
        se=se,
        z=z,
        p_value=float(2 * stats.norm.sf(abs(z))),
        ci_low=estimate - half_width,
        ci_high=estimate + half_width,
        local_estimate=local,
        displacement_estimate=estimate - local,
        shared_control=shared,
        confidence=1 - alpha,
    )


def wdd_reading(  # noqa: PLR0917 - same six positional counts as wdd
    result: WddResult,
    treated_before: float,
    treated_after: float,
    buffer_before: float | None,
    buffer_after: float | None,
    control_before: float,
    control_after: float,
    *,
    category: str = "incidents",
    did: DidResult | None = None,
) -> str:
    """Say in plain words what a WDD adds up, so nobody reads it as the scheme's effect.

    WDD is a difference of raw counts, not of rates. With one comparison area serving both
    the treated area and the buffer its change is subtracted twice, and when the comparison
    areas are much busier than the treated areas or the buffer (more than
    :data:`WDD_SCALE_LIMIT` times, either way) the figure and its z-test mostly measure the
    comparison areas' own change. The reading says so, and points to the rate ratio.

    Parameters
    ----------
    result : WddResult
        From :func:`wdd` called with the same counts and the default (unit) weights.
    treated_before, treated_after, buffer_before, buffer_after, control_before, control_after
        The counts given to :func:`wdd` (buffer counts None when there was no buffer).
    category : str, default "incidents"
        What was counted, as the reader calls it (e.g. "ASB incidents").
    did : DidResult, optional
        The rate ratio to point to as the effect estimate.

    Returns
    -------
    str
        A few plain sentences starting "How to read WDD".
    """
    level = f"{result.confidence * 100:g}% CI"
    text = (
        f"How to read WDD ({_signed(result.estimate)} {category}, {level} "
        f"{_signed(result.ci_low)} to {_signed(result.ci_high)}, "
        f"z = {_signed(result.z, 2, plus=False)}): it adds up changes in raw counts and does "
        f"not compare rates; below 0 means fewer {category} than the comparison areas' change "
        "predicts, above 0 more."
    )
    treated, control = (
        _change(treated_before, treated_after),
        _change(control_before, control_after),
    )
    sizes = {"the treated areas": treated_before}
    if buffer_before is None:
        text += (
            f" It is the treated areas' change ({treated}) minus the comparison areas' ({control})."
        )
    elif result.shared_control:
        together = _signed(treated_after - treated_before + buffer_after - buffer_before)
        text += (
            f" The treated areas ({treated}) and the buffer "
            f"({_change(buffer_before, buffer_after)}) changed by {together} together; the "
            f"comparison areas' change ({control}) is subtracted twice, once for each: "
            f"{together} {_MINUS} 2 \N{MULTIPLICATION SIGN} "
            f"({_signed(control_after - control_before)}) = {_signed(result.estimate)}."
        )
        sizes["the buffer"] = buffer_before
    else:
        text += (
            f" It is the treated areas' change minus the comparison areas' "
            f"({_signed(result.local_estimate)}) plus the buffer's change minus its own "
            f"control's ({_signed(result.displacement_estimate)})."
        )
    ratios = {
        label: control_before / count
        for label, count in sizes.items()
        if count > 0 and not 1 / WDD_SCALE_LIMIT <= control_before / count <= WDD_SCALE_LIMIT
    }
    if ratios:
        busier = all(ratio > 1 for ratio in ratios.values())
        parts = [f"{ratio:.1f} times as many as {label}" for label, ratio in ratios.items()]
        parts[0] = parts[0].replace("many", f"many {category}", 1)
        text += (
            f" In the before window the comparison areas had {' and '.join(parts)}, so "
            + (
                "the figure mostly reflects the comparison areas' own change in numbers"
                if busier
                else "the counts are not on the same scale"
            )
            + " and its z-test says nothing about the scheme's effect."
        )
    else:
        text += " Its z-test assumes Poisson counts in areas with similar numbers of incidents."
    if did is None:
        return text + " The estimate of the scheme's effect is the rate ratio."
    weak = "" if did.excludes_no_change else ", which includes no change"
    return text + (
        f" The estimate of the scheme's effect is the rate ratio ({did.rate_ratio:.2f}, "
        f"{did.confidence * 100:g}% CI {did.ci_low:.2f} to {did.ci_high:.2f}{weak})."
    )


def _change(before: float, after: float) -> str:
    return f"{_number(before)} \N{RIGHTWARDS ARROW} {_number(after)}, {_signed(after - before)}"


# --------------------------------------------------------------------------- Poisson DiD


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
    effects; field notes 2.5) with a statsmodels Poisson GLM. Only the rows given are used:
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
    alpha = _alpha(alpha)
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


# --------------------------------------------------------------------------- parallel trends


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
    alpha = _alpha(alpha)
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
            f"{_signed(percent, 1)}% a month, p = {p_value:.2f})."
        )
    else:
        direction = "faster" if percent > 0 else "slower"
        reason = (
            f"Before funding, incidents in the treated areas grew {abs(percent):.1f}% a month "
            f"{direction} than in the comparison areas (p = {p_value:.3f}), so the comparison "
            f"areas may not show what would have happened without funding."
        )
    return TrendsResult(difference, percent, p_value, passes, reason, len(months))


# --------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class SeasonWindows:
    """Before and after windows holding the same calendar months.

    Attributes
    ----------
    before, after : tuple of str
        ``'YYYY-MM'`` months, sorted; each calendar month appears once in each.
    unused : tuple of str
        Available months left out (unmatched season, outside the 12-month span, or the
        month that contains a mid-month funding date).
    transition : str or None
        The month containing the funding date when funding started after its first day;
        it is neither before nor after.
    """

    before: tuple[str, ...]
    after: tuple[str, ...]
    unused: tuple[str, ...]
    transition: str | None


def season_matched_windows(
    available_months: Iterable[Any], funding_date: Any, *, max_months: int = 12
) -> SeasonWindows:
    """Pick before and after windows with the same calendar months, skipping missing months.

    The before span is the ``max_months`` months ending at the last available month before
    funding; the after span is the ``max_months`` months starting at the first available
    month from funding on. Each window keeps the available months whose calendar month is
    available in both spans, so seasonality cancels. Missing months are never filled in.

    Example: months 2024-01..04 and 2025-01..12 with funding on 2024-06-01 give before
    2024-01..04 and after 2025-01..04.

    Parameters
    ----------
    available_months : iterable of str, date or timestamp
        Months with data (``'YYYY-MM'``, ``'YYYY-MM-DD'``, dates or timestamps).
    funding_date : str, date or timestamp
        Day the funded activity started. A month starting on or after it is "after"; a month
        containing it on a later day is a transition month, used in neither window.
    max_months : int, default 12
        Span of each window in months (1-12).

    Returns
    -------
    SeasonWindows
    """
    check_min_int("max_months", max_months, 1)
    if max_months > 12:
        fail(
            f"`max_months` must be at most 12 so each calendar month appears once, got {max_months}"
        )
    months = pd.PeriodIndex(
        sorted(set(_month_keys("available_months", available_months))), freq="M"
    )
    check_not_empty("available_months", len(months))
    start = _timestamp("funding_date", funding_date)
    funding_month = pd.Period(start, freq="M")
    mid_month = start.normalize() != funding_month.start_time or start != start.normalize()
    first_after = funding_month + 1 if mid_month else funding_month
    before_all = months[months < funding_month]
    after_all = months[months >= first_after]
    if len(before_all) == 0 or len(after_all) == 0:
        side = "before" if len(before_all) == 0 else "after"
        fail(
            f"no available month falls {side} the funding date {start.date()}",
            fix="Load months on both sides of the funding date",
        )
    before_span = before_all[before_all > before_all[-1] - max_months]
    after_span = after_all[after_all < after_all[0] + max_months]
    shared = set(before_span.month) & set(after_span.month)
    if not shared:
        fail(
            "the before and after windows share no calendar month, so they cannot be "
            "matched by season",
            fix="Load the same calendar months on both sides of the funding date",
        )
    before = tuple(str(m) for m in before_span if m.month in shared)
    after = tuple(str(m) for m in after_span if m.month in shared)
    used = set(before) | set(after)
    return SeasonWindows(
        before=before,
        after=after,
        unused=tuple(str(m) for m in months if str(m) not in used),
        transition=str(funding_month) if mid_month and funding_month in months else None,
    )


# --------------------------------------------------------------------------- headline


def headline_sentence(
    did: DidResult,
    *,
    displacement: WdqResult | None = None,
    trends: TrendsResult | None = None,
    category: str = "ASB",
    treated_label: str = "the funded hotspots",
    buffer_m: float = 100,
) -> str:
    """Write the headline: the effect with its CI, displacement, and any warning.

    Never overclaims: a CI that includes no change (rate ratio 1) is reported as "no clear
    change ... the evidence is weak" (and any fall the WDQ clause mentions as "estimated");
    a WDQ without a gain to displace is reported as not meaningful; a failed or impossible
    parallel-trends check is stated after the result.

    Parameters
    ----------
    did : DidResult
        From :func:`did_rate_ratio`.
    displacement : WdqResult, optional
        From :func:`wdq` for the buffer ring.
    trends : TrendsResult, optional
        From :func:`parallel_trends`.
    category : str, default "ASB"
        What was counted, as the reader calls it.
    treated_label : str, default "the funded hotspots"
        The treated areas, as the reader calls them.
    buffer_m : float, default 100
        Width of the buffer ring in metres.

    Returns
    -------
    str
        E.g. "ASB in the funded hotspots fell 18% (95% CI −30% to −4%) relative to
        comparison areas; no sign of displacement into the 100 m buffer (WDQ 0.3)."
    """
    check_positive("buffer_m", buffer_m)
    level = f"{did.confidence * 100:g}% CI"
    low, high = _signed(_pct(did.ci_low)), _signed(_pct(did.ci_high))
    if did.excludes_no_change:
        verb = "fell" if did.rate_ratio < 1 else "rose"
        sentence = (
            f"{category} in {treated_label} {verb} {_unsigned(did.percent_change)}% "
            f"({level} {low}% to {high}%) relative to comparison areas"
        )
    else:
        sentence = (
            f"No clear change in {category} in {treated_label} relative to comparison areas: "
            f"the estimate is {_estimate_phrase(did.percent_change)}, but the {level} "
            f"({low}% to {high}%) includes no change, so the evidence is weak"
        )
    if displacement is not None:
        fall = f"the {'' if did.excludes_no_change else 'estimated '}fall in {treated_label}"
        sentence += "; " + _displacement_clause(
            displacement, category, treated_label, fall, buffer_m
        )
    sentence += "."
    if trends is not None and not trends.passes:
        check = "could not be made" if math.isnan(trends.p_value) else "failed"
        sentence += f" Treat this with caution: the parallel-trends check {check}. {trends.reason}"
    return sentence


def _displacement_clause(
    result: WdqResult, category: str, treated: str, fall: str, buffer_m: float
) -> str:
    ring = f"the {_number(buffer_m)} m buffer"
    value = f"WDQ {_signed(result.wdq, 1, plus=False)}" if result.meaningful else ""
    clauses = {
        "not-meaningful": f"WDQ isn't meaningful here because {category} did not fall in "
        f"{treated} relative to comparison areas",
        "unstable": f"WDQ isn't meaningful here because {category} in {treated} barely changed "
        f"relative to comparison areas",
        "diffusion-beyond": f"no sign of displacement into {ring}, which improved even more "
        f"({value})",
        "diffusion": f"no sign of displacement into {ring} ({value})",
        "neutral": f"no sign of displacement into {ring} ({value})",
        "displacement": f"some displacement into {ring}, smaller than {fall} ({value})",
        "complete-displacement": f"displacement into {ring} cancels {fall} ({value})",
        "displacement-exceeds": f"displacement into {ring} outweighs {fall} ({value})",
    }
    return clauses[result.band]


def _estimate_phrase(percent: float) -> str:
    if round(percent) == 0:
        return "close to no change"
    return f"a {_unsigned(percent)}% {'fall' if percent < 0 else 'rise'}"


# --------------------------------------------------------------------------- helpers


def _counts(name: str, value: Any, *, positive: bool = False) -> np.ndarray:
    """Return ``value`` as a float array of counts, or fail naming the first bad value."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"`{name}` must be a count or an array of counts, got {value!r}")
    if array.size == 0:
        fail(f"`{name}` is empty: pass at least one count")
    bad = ~np.isfinite(array) | (array <= 0 if positive else array < 0)
    if np.any(bad):
        rule = "greater than 0" if positive else "0 or more"
        fail(
            f"`{name}` must be finite incident counts {rule}, got {array[bad].flat[0]!r}",
            fix="Leave missing periods out rather than passing NaN or negative values",
        )
    return array


def _weights(name: str, values: Sequence[float], size: int) -> tuple[float, ...]:
    if len(values) != size:
        fail(f"`{name}` must hold {size} numbers, got {values!r}")
    return tuple(check_positive(f"{name}[{i}]", value) for i, value in enumerate(values))


def _alpha(alpha: float) -> float:
    value = check_positive("alpha", alpha)
    if value >= 1:
        fail(f"`alpha` must be between 0 and 1, got {alpha!r}", fix="Use 0.05 for a 95% CI")
    return value


def _month_keys(name: str, values: Iterable[Any]) -> list[str]:
    """Return ``'YYYY-MM'`` keys for month-like values, or fail naming the first bad one."""
    text = pd.Series(list(values), dtype=object).astype(str).str.slice(0, 10)
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        fail(
            f"`{name}` holds {text[stamps.isna()].iloc[0]!r}, which is not a month",
            fix="Use 'YYYY-MM' strings or dates",
        )
    return stamps.dt.strftime("%Y-%m").tolist()


def _timestamp(name: str, value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        fail(f"`{name}` must be a date such as '2024-06-01', got {value!r}")
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


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
            "month": _month_keys("panel['month']", panel["month"]),
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


def _pct(rate_ratio: float) -> float:
    return (rate_ratio - 1) * 100


def _signed(value: float, digits: int = 0, *, plus: bool = True) -> str:
    """Format with a true minus sign; small non-zero values keep one decimal, not "-0"."""
    if digits == 0 and round(value) == 0 and value != 0:
        digits = 1
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return _MINUS + text
    return ("+" if plus else "") + text


def _unsigned(value: float) -> str:
    return _signed(abs(value), plus=False)


def _number(value: float) -> str:
    return f"{value:g}"


__all__ = [
    "PANEL_COLUMNS",
    "SE_TYPES",
    "WDD_SCALE_LIMIT",
    "WDQ_NEUTRAL",
    "DidResult",
    "SeasonWindows",
    "TrendsResult",
    "WddResult",
    "WdqResult",
    "did_rate_ratio",
    "generalised_gini",
    "headline_sentence",
    "pai",
    "parallel_trends",
    "rri",
    "season_matched_windows",
    "wdd",
    "wdd_reading",
    "wdq",
]
