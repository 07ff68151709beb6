"""Weighted displacement difference and the relative risk index.

- :func:`wdd`: the weighted displacement difference with its significance test
  (Wheeler & Ratcliffe 2018, "A simple weighted displacement difference test to evaluate
  place based crime interventions", Crime Science 7:11); :func:`wdd_reading` says in plain
  words what it adds up.
- :func:`rri`: change in the concentration of the same hotspots between two periods
  (Levine 2008, CrimeStat).

"Treated" is the funded area, "buffer" the displacement ring, "control" the comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from geo.checks import (
    check_non_negative,
    fail,
)
from geo.formatting import MINUS, signed
from geo.impact.did import DidResult
from geo.impact.inputs import check_alpha, check_weights, count_array
from geo.impact.wording import change_phrase

#: WDD compares raw counts, so it assumes the comparison areas had about as many incidents
#: as the treated areas (and the buffer). Beyond this ratio either way, :func:`wdd_reading`
#: says the figure mostly reflects the comparison areas' own change.
WDD_SCALE_LIMIT = 2.0


def rri(n_t1: Any, n_t2: Any, total_t1: Any, total_t2: Any) -> float | np.ndarray:
    """Relative risk index of the same hotspots at two times: ``(n2 / n1) / (N2 / N1)``.

    For a fixed hotspot area this equals ``PAI_T2 / PAI_T1`` (Levine 2008).
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
    n1 = count_array("n_t1", n_t1, positive=True)
    n2 = count_array("n_t2", n_t2)
    big_n1 = count_array("total_t1", total_t1, positive=True)
    big_n2 = count_array("total_t2", total_t2, positive=True)
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

    Wheeler & Ratcliffe (2018), as implemented in ``ptools::wdd``. T is
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
    pre, post = check_weights("time_weights", time_weights, 2)
    weights = check_weights("area_weights", area_weights, 4)
    w_treated, w_buffer, w_control, w_buffer_control = weights
    alpha = check_alpha(alpha)
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
        f"How to read WDD ({signed(result.estimate)} {category}, {level} "
        f"{signed(result.ci_low)} to {signed(result.ci_high)}, "
        f"z = {signed(result.z, 2, plus=False)}): it adds up changes in raw counts and does "
        f"not compare rates; below 0 means fewer {category} than the comparison areas' change "
        "predicts, above 0 more."
    )
    treated, control = (
        change_phrase(treated_before, treated_after),
        change_phrase(control_before, control_after),
    )
    sizes = {"the treated areas": treated_before}
    if buffer_before is None:
        text += (
            f" It is the treated areas' change ({treated}) minus the comparison areas' ({control})."
        )
    elif result.shared_control:
        together = signed(treated_after - treated_before + buffer_after - buffer_before)
        text += (
            f" The treated areas ({treated}) and the buffer "
            f"({change_phrase(buffer_before, buffer_after)}) changed by {together} together; the "
            f"comparison areas' change ({control}) is subtracted twice, once for each: "
            f"{together} {MINUS} 2 \N{MULTIPLICATION SIGN} "
            f"({signed(control_after - control_before)}) = {signed(result.estimate)}."
        )
        sizes["the buffer"] = buffer_before
    else:
        text += (
            f" It is the treated areas' change minus the comparison areas' "
            f"({signed(result.local_estimate)}) plus the buffer's change minus its own "
            f"control's ({signed(result.displacement_estimate)})."
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
