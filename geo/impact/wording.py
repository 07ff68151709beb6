"""The plain sentences a funder reads: the headline and the displacement clause.

Wording never claims more than the interval allows: a change is "clear" only when the
95% interval excludes no change.
"""

from __future__ import annotations

import math

from geo.checks import (
    check_choice,
    check_positive,
)
from geo.formatting import number_text, signed, unsigned
from geo.impact.did import DidResult, TrendsResult
from geo.impact.placebo import PermutationResult
from geo.impact.power import PowerResult
from geo.impact.wdq import WdqResult


def change_phrase(before: float, after: float) -> str:
    """ "44 → 29, −15": a count before, after, and the signed difference."""
    arrow = "\N{RIGHTWARDS ARROW}"
    return f"{number_text(before)} {arrow} {number_text(after)}, {signed(after - before)}"


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
    low, high = signed(_pct(did.ci_low)), signed(_pct(did.ci_high))
    if did.excludes_no_change:
        verb = "fell" if did.rate_ratio < 1 else "rose"
        sentence = (
            f"{category} in {treated_label} {verb} {unsigned(did.percent_change)}% "
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
    ring = f"the {number_text(buffer_m)} m buffer"
    value = f"WDQ {signed(result.wdq, 1, plus=False)}" if result.meaningful else ""
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
    return f"a {unsigned(percent)}% {'fall' if percent < 0 else 'rise'}"


def _pct(rate_ratio: float) -> float:
    return (rate_ratio - 1) * 100


#: What the headline may claim, as the CLI's ``verdict`` key spells it.
VERDICTS = ("fell", "rose", "no_clear_change", "cannot_tell")


def verdict(permutation: PermutationResult, power: PowerResult) -> str:
    """The headline's claim: a change only when the permutation test finds one.

    ``"fell"``/``"rose"`` when the placebo-in-space p-value is below its ``alpha``;
    otherwise ``"cannot_tell"`` when the design could not detect the fall a funder hopes
    for (:mod:`geo.impact.power`), else ``"no_clear_change"``.
    """
    if permutation.significant:
        return "fell" if permutation.estimate < 0 else "rose"
    return "no_clear_change" if power.can_detect_hoped_fall else "cannot_tell"


def percent_change(before: float, after: float) -> float:
    """``(after - before) / before * 100``; NaN when ``before`` is 0."""
    return (after - before) / before * 100 if before else math.nan


def _raw_clause(before: float, after: float) -> str:
    pct = percent_change(before, after)
    if math.isnan(pct):
        return f"went from {number_text(before)} to {number_text(after)}"
    verb = "fell" if after < before else "rose" if after > before else "stayed"
    if verb == "stayed":
        return f"stayed at {number_text(before)}"
    return f"{verb} from {number_text(before)} to {number_text(after)}, {signed(pct)}%"


def plain_headline(
    raw: dict[str, float],
    claim: str,
    permutation: PermutationResult,
    power: PowerResult,
    *,
    model_sentence: str,
    category: str = "ASB",
    treated_label: str = "the funded hotspots",
) -> str:
    """The headline a funder reads: raw counts first, then the verdict, power, and model.

    E.g. "ASB at Castle Circus fell from 44 to 29, −34%; in the comparison areas it fell
    from 120 to 70, −42%." followed by what the placebo test says (the claim of
    :func:`verdict`), the power statement and the model estimate as a secondary figure.
    """
    check_choice("claim", claim, VERDICTS)
    treated = _raw_clause(raw["treated_before"], raw["treated_after"])
    control = _raw_clause(raw["control_before"], raw["control_after"])
    text = f"{category} at {treated_label} {treated}; in the comparison areas it {control}. "
    rank = (
        f"the funded area's change ranks {permutation.rank} of {permutation.n_placebos + 1} "
        f"against places that were not funded (permutation p = {permutation.p_value:.2f})"
    )
    ratio = f"{signed((permutation.rate_ratio - 1) * 100)}% relative to the comparison areas"
    if claim in ("fell", "rose"):
        text += f"{category} {claim} by {ratio}, more than chance explains: {rank}. "
    elif claim == "cannot_tell":
        text += f"This design cannot tell whether the scheme worked: {rank}. "
    else:
        text += f"No clear change ({ratio}): {rank}. "
    text += power.reason + " Model estimate (secondary): " + model_sentence
    return text
