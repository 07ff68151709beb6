"""Synthetic control: a weighted mix of donor units that tracks the treated area before
funding, and the gap after (Abadie, Diamond & Hainmueller 2010, "Synthetic control
methods for comparative case studies", JASA 105:493-505).

Each unit's monthly counts are divided by its own pre-funding mean, so a busy treated
hotspot can be matched by quieter donors (LSOAs or grid cells outside the treated area
and its buffer). Weights are non-negative and sum to 1 (non-negative least squares with
a heavily weighted sum-to-one row, Lawson & Hanson 1974). The fit is the pre-funding
root mean squared prediction error (RMSPE, in units of the pre-funding mean). The gap is
the treated post-funding mean over the synthetic one, minus 1. Inference: each donor in
turn is treated as if funded (against the other donors), and the treated area's
post/pre RMSPE ratio is ranked among theirs.

A close pre-funding fit is only evidence when there are many more pre-funding months than
donors: with at least as many donors as months to match, the weights can reproduce
almost any pre-funding path, noise included, and the fit says nothing about the months
after funding (Abadie 2021, "Using synthetic controls: feasibility, data requirements,
and methodological aspects", Journal of Economic Literature 59:391-425, section 7).
:func:`overfit_caveat` words that in plain language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from geo.checks import fail
from geo.impact.placebo import unit_matrix

#: Weight of the sum-to-one row against the squared pre-funding errors.
SUM_TO_ONE_WEIGHT = 1e3


@dataclass(frozen=True)
class SynthResult:
    """Synthetic-control fit, gap and placebo ranks.

    Attributes
    ----------
    weights : pandas.Series
        Donor weights (index: area id), non-negative, summing to 1; donors with weight
        below 0.001 are left out.
    rmspe_pre : float
        Pre-funding RMSPE of the normalised series (0.1 = 10% of the pre-funding mean).
    gap : float
        Treated post-funding mean over the synthetic one, minus 1 (-0.3 = 30% fewer).
    series : pandas.DataFrame
        ``month``, ``post``, ``treated``, ``synthetic`` (normalised; NaN in months without
        data).
    placebo_gaps : pandas.Series
        Each donor's gap when it plays the treated unit (index: area id).
    rmspe_ratio : float
        Treated post/pre RMSPE ratio.
    rank : int
        Rank of ``rmspe_ratio`` among treated and placebo ratios (1 = largest).
    p_value : float
        ``rank / (placebos + 1)``.
    n_pre : int
        Pre-funding months with data that the weights were fitted on.
    n_donors : int
        Donor units available to the fit (with incidents before funding).
    """

    weights: pd.Series
    rmspe_pre: float
    gap: float
    series: pd.DataFrame
    placebo_gaps: pd.Series
    rmspe_ratio: float
    rank: int
    p_value: float
    n_pre: int
    n_donors: int

    @property
    def overfit(self) -> bool:
        """True when the donors are at least as many as the pre-funding months they are
        fitted on, so a close fit before funding is expected whatever happened."""
        return self.n_donors >= self.n_pre


def _normalised(matrix: pd.DataFrame, pre: list[str]) -> pd.DataFrame:
    means = matrix[pre].mean(axis=1)
    return matrix.loc[means > 0].div(means[means > 0], axis=0)


def _fit(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 that best reproduce ``target`` (months)."""
    design = np.vstack([donors.T, np.full(donors.shape[0], SUM_TO_ONE_WEIGHT)])
    goal = np.r_[target, SUM_TO_ONE_WEIGHT]
    weights, _ = nnls(design, goal)
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(weights), 1 / len(weights))


def _one(target: np.ndarray, donors: np.ndarray, pre: np.ndarray) -> tuple:
    weights = _fit(target[pre], donors[:, pre])
    synthetic = weights @ donors
    errors = target - synthetic
    rmspe_pre = math.sqrt(float(np.mean(errors[pre] ** 2)))
    rmspe_post = math.sqrt(float(np.mean(errors[~pre] ** 2)))
    gap = float(target[~pre].mean() / synthetic[~pre].mean() - 1)
    return weights, synthetic, rmspe_pre, rmspe_post, gap


def synthetic_control(
    counts: pd.DataFrame,
    treated_ids: Sequence[str],
    donor_ids: Sequence[str],
    pre_months: Sequence[str],
    post_months: Sequence[str],
) -> SynthResult:
    """Fit the synthetic control of the summed treated areas (see the module docstring).

    Parameters
    ----------
    counts : pandas.DataFrame
        ``area_id``, ``month``, ``count`` for treated and donor units (months with data).
    treated_ids : sequence of str
        Treated areas, summed into one unit.
    donor_ids : sequence of str
        Donor units outside the treated areas and their buffer.
    pre_months, post_months : sequence of str
        Months with data before and after funding (``'YYYY-MM'``).
    """
    pre, post = list(pre_months), list(post_months)
    if len(pre) < 3 or not post:
        fail(
            "synthetic control needs at least 3 months with data before funding and 1 after",
            fix="Choose a later funding date or add months",
        )
    months = pre + post
    matrix = unit_matrix(counts, months).fillna(0.0)
    treated = matrix.reindex(list(treated_ids)).fillna(0.0).sum(axis=0).to_frame("treated").T
    donors = _normalised(matrix.reindex([d for d in donor_ids if d not in set(treated_ids)]), pre)
    donors = donors.dropna()
    if len(donors) < 2:
        fail(
            "synthetic control needs at least 2 donor units with incidents before funding",
            fix="Use grid cells or LSOAs of the whole study area as donors",
        )
    target = _normalised(treated, pre)
    if target.empty:
        fail("the treated areas had no incidents before funding: nothing to match")
    is_pre = np.array([m in set(pre) for m in months])
    y, x = target.to_numpy()[0], donors.to_numpy()
    weights, synthetic, rmspe_pre, rmspe_post, gap = _one(y, x, is_pre)
    ratios, gaps = [], {}
    for i, donor in enumerate(donors.index):
        others = np.delete(x, i, axis=0)
        _, _, p_pre, p_post, p_gap = _one(x[i], others, is_pre)
        ratios.append(p_post / p_pre if p_pre > 0 else math.inf)
        gaps[donor] = p_gap
    ratio = rmspe_post / rmspe_pre if rmspe_pre > 0 else math.inf
    rank = 1 + int(sum(r >= ratio for r in ratios))
    kept = pd.Series(weights, index=donors.index, name="weight")
    return SynthResult(
        weights=kept[kept >= 1e-3].sort_values(ascending=False),
        rmspe_pre=rmspe_pre,
        gap=gap,
        series=pd.DataFrame(
            {"month": months, "post": ~is_pre, "treated": y, "synthetic": synthetic}
        ),
        placebo_gaps=pd.Series(gaps, dtype=float, name="gap"),
        rmspe_ratio=ratio,
        rank=rank,
        p_value=rank / (len(ratios) + 1),
        n_pre=len(pre),
        n_donors=len(donors),
    )


def overfit_caveat(synth: SynthResult | None) -> str | None:
    """Plain words for an overfitted synthetic control, or None when the fit is usable."""
    if synth is None or not synth.overfit:
        return None
    return (
        f"Synthetic control: its close fit before funding (error {synth.rmspe_pre:.2f} of the "
        f"pre-funding mean) is not evidence. It had {synth.n_donors} donor areas to match "
        f"only {synth.n_pre} months before funding, so it can copy almost any pre-funding "
        "path, chance ups and downs included (overfitting). Its gap after funding "
        f"({synth.gap * 100:+.0f}%) is illustrative only; more months before funding, or "
        "fewer donors, are needed before it can be relied on."
    )
