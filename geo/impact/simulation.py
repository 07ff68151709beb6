"""Simulated evaluations with no true effect: how often does the headline claim one?

Each run draws a study area of ``n_units`` units (one funded, ``n_comparison`` comparison
areas, the rest placebo-only), monthly Poisson counts around unit baselines, a shared
month pattern, and an area x period shock (log-normal, SD ``shock_sd``: each area's
before-to-after change differs, as in real places). The scheme does nothing. The
headline's verdict (:func:`geo.impact.wording.verdict`) should claim a change in about
``alpha`` of runs; the model interval of :func:`geo.impact.did.did_rate_ratio` claims
one far more often. Used by the tests (few runs) and ``bench/impact_simulation.py``
(500 runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.impact.did import did_rate_ratio
from geo.impact.placebo import placebo_in_space
from geo.impact.power import minimum_detectable_effect
from geo.impact.wording import verdict


@dataclass(frozen=True)
class NullSimulation:
    """Outcome of :func:`simulate_no_effect`.

    Attributes
    ----------
    verdicts : tuple of str
        The headline verdict of each run.
    model_claims : tuple of bool
        Whether the model interval (quasi-Poisson DiD) excluded no change in each run.
    """

    verdicts: tuple[str, ...]
    model_claims: tuple[bool, ...]

    @property
    def claim_rate(self) -> float:
        """Share of runs whose headline claims a change (fell or rose)."""
        return float(np.mean([v in ("fell", "rose") for v in self.verdicts]))

    @property
    def model_claim_rate(self) -> float:
        return float(np.mean(self.model_claims))


def simulated_counts(
    rng: np.random.Generator,
    *,
    n_units: int,
    months_before: int,
    months_after: int,
    shock_sd: float,
    mean_count: float,
) -> pd.DataFrame:
    """One study area's monthly counts: ``area_id`` ("u0".."), ``month``, ``count``, ``post``."""
    months = pd.period_range("2023-01", periods=months_before + months_after, freq="M")
    post = np.arange(len(months)) >= months_before
    baseline = mean_count * rng.gamma(4.0, 0.25, size=n_units)
    season = np.exp(rng.normal(0, 0.1, size=len(months)))
    shocks = rng.normal(0, shock_sd, size=(n_units, 2))[:, post.astype(int)]
    rate = baseline[:, None] * season[None, :] * np.exp(shocks)
    counts = rng.poisson(rate)
    return pd.DataFrame(
        {
            "area_id": np.repeat([f"u{i}" for i in range(n_units)], len(months)),
            "month": np.tile(months.astype(str), n_units),
            "count": counts.ravel().astype(float),
            "post": np.tile(post, n_units),
        }
    )


def simulate_no_effect(
    n_runs: int,
    *,
    n_units: int = 24,
    n_comparison: int = 3,
    months_before: int = 8,
    months_after: int = 8,
    shock_sd: float = 0.3,
    mean_count: float = 6.0,
    seed: int = 0,
    model_runs: int | None = None,
) -> NullSimulation:
    """Run ``n_runs`` evaluations with no true effect (see the module docstring).

    The model interval is fitted in the first ``model_runs`` runs only (default: all), as
    each fit costs a GLM.
    """
    model_runs = n_runs if model_runs is None else model_runs
    rng = np.random.default_rng(seed)
    treated, comparison = ["u0"], [f"u{i}" for i in range(1, n_comparison + 1)]
    verdicts, model = [], []
    for run in range(n_runs):
        counts = simulated_counts(
            rng,
            n_units=n_units,
            months_before=months_before,
            months_after=months_after,
            shock_sd=shock_sd,
            mean_count=mean_count,
        )
        months = sorted(counts["month"].unique())
        before, after = months[:months_before], months[months_before:]
        placebos = [f"u{i}" for i in range(1, n_units)]
        permutation = placebo_in_space(
            counts, treated, comparison, placebos, before=before, after=after
        )
        power = minimum_detectable_effect(permutation.placebo_estimates.to_numpy())
        verdicts.append(verdict(permutation, power))
        if run >= model_runs:
            continue
        panel = counts[counts["area_id"].isin(treated + comparison)].assign(
            treated=lambda f: f["area_id"].isin(treated)
        )
        model.append(did_rate_ratio(panel).excludes_no_change)
    return NullSimulation(tuple(verdicts), tuple(model))
