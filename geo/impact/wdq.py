"""The weighted displacement quotient (Bowers & Johnson 2003, "Measuring the
geographical displacement and diffusion of benefit effects of crime prevention activity",
Journal of Quantitative Criminology 19:275-301), with its plain reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo.checks import (
    check_non_negative,
    check_positive,
    fail,
)

#: |WDQ| below this reads as "neither displacement nor diffusion".
WDQ_NEUTRAL = 0.05


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


def wdq(  # noqa: PLR0917 - the six counts are positional by design, as in the published formula
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
    D the buffer, C the control, b before and a after. Bands: > 1 diffusion
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


@dataclass(frozen=True)
class WdqInterval:
    """Bootstrap interval of the WDQ and the reading it allows.

    Attributes
    ----------
    ci_low, ci_high : float
        Percentile interval of the WDQ over resamples where it was meaningful (NaN when
        fewer than half were).
    share_meaningful : float
        Share of resamples in which the treated area improved, so a WDQ existed.
    confidence : float
    reading : str
        Plain words that follow the interval: displacement or diffusion is only named
        when the whole interval is on that side of 0.
    """

    ci_low: float
    ci_high: float
    share_meaningful: float
    confidence: float
    reading: str


def wdq_interval(  # noqa: PLR0917 - same six positional counts as wdq
    treated_before: float,
    treated_after: float,
    buffer_before: float,
    buffer_after: float,
    control_before: float,
    control_after: float,
    *,
    n_boot: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> WdqInterval:
    """Parametric bootstrap of :func:`wdq`: each count redrawn as Poisson with its own mean.

    A buffer going from 10 to 20 incidents is well within Poisson noise, so its interval
    straddles 0 and the reading says the data cannot tell displacement from diffusion.
    """
    counts = np.array(
        [treated_before, treated_after, buffer_before, buffer_after, control_before, control_after],
        dtype=float,
    )
    if np.any(~np.isfinite(counts)) or np.any(counts < 0):
        fail("WDQ counts must be finite and 0 or more", fix="Check the window totals")
    level = 1 - alpha
    draws = np.random.default_rng(seed).poisson(counts, size=(n_boot, 6)).astype(float)
    rb, ra, db, da, cb, ca = draws.T
    usable = (cb > 0) & (ca > 0)
    success = np.where(usable, ra / np.where(ca > 0, ca, 1) - rb / np.where(cb > 0, cb, 1), 0)
    buffer = np.where(usable, da / np.where(ca > 0, ca, 1) - db / np.where(cb > 0, cb, 1), 0)
    meaningful = usable & (success < 0)
    share = float(meaningful.mean())
    if share < 0.5:
        return WdqInterval(
            math.nan,
            math.nan,
            share,
            level,
            "The treated area did not clearly improve relative to control, so there is no "
            "gain whose displacement could be measured.",
        )
    values = buffer[meaningful] / success[meaningful]
    low, high = (float(v) for v in np.quantile(values, [alpha / 2, 1 - alpha / 2]))
    interval = f"WDQ {level * 100:g}% interval {low:.2f} to {high:.2f}"
    if high < -WDQ_NEUTRAL:
        reading = f"Displacement into the buffer ({interval})."
    elif low > WDQ_NEUTRAL:
        reading = f"Diffusion of benefit into the buffer ({interval})."
    elif low >= -WDQ_NEUTRAL and high <= WDQ_NEUTRAL:
        reading = f"Neither displacement nor diffusion ({interval})."
    else:
        reading = (
            f"The buffer's counts are too few to tell displacement from diffusion ({interval})."
        )
    return WdqInterval(low, high, share, level, reading)
