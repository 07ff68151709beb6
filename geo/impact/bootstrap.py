"""Area-clustered bootstrap interval for the rate ratio.

Areas, not months, are resampled (treated areas among themselves, comparison areas among
themselves, with replacement), so the interval carries the between-area variation that
the model interval misses (Cameron, Gelbach & Miller 2008, "Bootstrap-based improvements
for inference with clustered errors", Review of Economics and Statistics 90:414-427).
With a single treated area only the comparison side varies, so the interval is still a
lower bound on the uncertainty; the permutation p-value (:mod:`geo.impact.placebo`) is
the figure the headline keys on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.checks import check_min_int, check_not_empty
from geo.impact.inputs import check_alpha
from geo.impact.placebo import HALDANE, unit_matrix


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile interval of the rate ratio from resampling areas.

    Attributes
    ----------
    ci_low, ci_high : float
        Interval for the rate ratio at level ``confidence``.
    confidence : float
    n_boot : int
        Bootstrap resamples.
    treated_varies : bool
        False with one treated area: only the comparison areas were resampled.
    """

    ci_low: float
    ci_high: float
    confidence: float
    n_boot: int
    treated_varies: bool

    @property
    def excludes_no_change(self) -> bool:
        return self.ci_high < 1 or self.ci_low > 1


def cluster_bootstrap(
    counts: pd.DataFrame,
    treated_ids: Sequence[str],
    comparison_ids: Sequence[str],
    before: Sequence[str],
    after: Sequence[str],
    *,
    n_boot: int = 999,
    alpha: float = 0.05,
    seed: int = 0,
) -> BootstrapInterval:
    """Area-clustered bootstrap of :func:`geo.impact.placebo.log_rate_ratio`.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count``.
    treated_ids, comparison_ids : sequence of str
    before, after : sequence of str
        Window months (``'YYYY-MM'``).
    n_boot : int, default 999
    alpha : float, default 0.05
    seed : int, default 0
        Seeds the resampling, so the same inputs always give the same interval.
    """
    alpha = check_alpha(alpha)
    check_min_int("n_boot", n_boot, 99)
    check_not_empty("treated_ids", len(treated_ids))
    check_not_empty("comparison_ids", len(comparison_ids))
    matrix = unit_matrix(counts, list(before) + list(after)).fillna(0.0)
    sums = pd.DataFrame(
        {
            "before": matrix[list(before)].sum(axis=1),
            "after": matrix[list(after)].sum(axis=1),
        }
    )
    treated = sums.reindex(list(treated_ids)).fillna(0.0).to_numpy()
    control = sums.reindex(list(comparison_ids)).fillna(0.0).to_numpy()
    rng = np.random.default_rng(seed)
    pick_t = rng.integers(0, len(treated), size=(n_boot, len(treated)))
    pick_c = rng.integers(0, len(control), size=(n_boot, len(control)))
    t = treated[pick_t].sum(axis=1) + HALDANE
    c = control[pick_c].sum(axis=1) + HALDANE
    logs = np.log(t[:, 1] / t[:, 0]) - np.log(c[:, 1] / c[:, 0])
    low, high = np.quantile(logs, [alpha / 2, 1 - alpha / 2])
    return BootstrapInterval(
        ci_low=math.exp(low),
        ci_high=math.exp(high),
        confidence=1 - alpha,
        n_boot=n_boot,
        treated_varies=len(treated) > 1,
    )
