"""Minimum detectable effect of a placebo-tested design, before any verdict.

The spread of the placebo estimates (:mod:`geo.impact.placebo`) is the noise a real
effect must stand out from, given these counts, months and comparison areas. At
two-sided level ``alpha`` and power ``power`` the smallest detectable log rate ratio is
``(z(1 - alpha/2) + z(power)) * sd`` (Bloom 1995, "Minimum detectable effects: a simple
way to report the statistical power of experimental designs", Evaluation Review
19:547-556). A design that cannot detect the fall a funder hopes for (by default 20%)
"cannot tell", which is different from "no clear change".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from geo.checks import check_positive, fail
from geo.impact.inputs import check_alpha

#: The fall a funder would hope to see (20%): designs that cannot detect it cannot tell.
HOPED_FALL = 0.20


#: Fewest placebos for a spread worth estimating.
MIN_PLACEBOS = 5


@dataclass(frozen=True)
class PowerResult:
    """Minimum detectable effect (MDE) at the given power.

    Attributes
    ----------
    mde_ratio : float
        Smallest detectable fall as a rate ratio (0.62 = a 38% fall); 0 when the design
        cannot detect any fall (too few placebos to reach ``alpha`` or to measure noise).
    sd_log : float
        Standard deviation of the placebo log rate ratios (NaN with too few placebos).
    power, alpha, hoped_fall : float
    reason : str
        Why the MDE is what it is, in plain words.
    """

    mde_ratio: float
    sd_log: float
    power: float
    alpha: float
    hoped_fall: float
    reason: str

    @property
    def detectable_fall_pct(self) -> float:
        """The smallest detectable fall in percent (100 when nothing is detectable)."""
        return (1 - self.mde_ratio) * 100

    @property
    def can_detect_hoped_fall(self) -> bool:
        """True when a fall of ``hoped_fall`` would be detected with this power."""
        return self.mde_ratio >= 1 - self.hoped_fall


def minimum_detectable_effect(
    placebo_log_ratios: np.ndarray,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    hoped_fall: float = HOPED_FALL,
) -> PowerResult:
    """MDE from the placebo spread (see the module docstring).

    Parameters
    ----------
    placebo_log_ratios : array of float
        Placebo-in-space log rate ratios.
    alpha : float, default 0.05
    power : float, default 0.8
    hoped_fall : float, default 0.2
        The fall (as a share) the funder hopes for.
    """
    alpha = check_alpha(alpha)
    if not 0 < power < 1:
        fail(f"`power` must be between 0 and 1, got {power!r}", fix="Use 0.8 for 80% power")
    if not 0 < check_positive("hoped_fall", hoped_fall) < 1:
        fail(f"`hoped_fall` must be a share between 0 and 1, got {hoped_fall!r}")
    values = np.asarray(placebo_log_ratios, dtype=float)
    values = values[np.isfinite(values)]
    hoped = f"a {hoped_fall * 100:.0f}% fall"
    if len(values) + 1 < 1 / alpha or len(values) < MIN_PLACEBOS:
        reason = (
            f"With {len(values)} placebo area(s) no result can reach significance at "
            f"{alpha:g}, so the design cannot detect {hoped} or any other change."
        )
        return PowerResult(0.0, math.nan, power, alpha, hoped_fall, reason)
    sd = float(values.std(ddof=1))
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    mde = math.exp(-z * sd)
    pct = (1 - mde) * 100
    if mde >= 1 - hoped_fall:
        reason = (
            f"The design can detect a fall of {pct:.0f}% or more with {power * 100:.0f}% "
            f"power, so it can tell whether {hoped} happened."
        )
    else:
        reason = (
            f"The design can only detect a fall of {pct:.0f}% or more with "
            f"{power * 100:.0f}% power: areas like these vary too much from period to period "
            f"to tell {hoped} from chance."
        )
    return PowerResult(mde, sd, power, alpha, hoped_fall, reason)
