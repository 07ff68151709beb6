"""Placebo, bootstrap, power, event-study, synthetic-control and WDQ-interval figures,
each checked against a hand-computed answer or a constructed example with a known effect,
and the no-effect simulation that the headline must pass."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.impact.bootstrap import cluster_bootstrap
from geo.impact.event_study import event_study
from geo.impact.placebo import log_rate_ratio, placebo_in_space, placebo_in_time
from geo.impact.power import minimum_detectable_effect
from geo.impact.simulation import simulate_no_effect
from geo.impact.synth import overfit_caveat, synthetic_control
from geo.impact.wdq import wdq_interval
from geo.impact.wording import verdict


def long_counts(table: dict[str, list[float]], months: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"area_id": area, "month": month, "count": float(value)}
            for area, values in table.items()
            for month, value in zip(months, values, strict=True)
        ]
    )


MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]
BEFORE, AFTER = MONTHS[:2], MONTHS[2:]


def test_log_rate_ratio_adds_half_an_incident_to_each_total():
    assert log_rate_ratio(43.5, 28.5, 99.5, 99.5) == pytest.approx(math.log(29 / 44))


def design_counts() -> pd.DataFrame:
    # Treated T falls 40 -> 20; comparison C1, C2 flat; placebos P1..P3 change by known ratios.
    return long_counts(
        {
            "T": [20, 20, 10, 10],
            "C1": [25, 25, 25, 25],
            "C2": [25, 25, 25, 25],
            "P1": [10, 10, 10, 10],
            "P2": [10, 10, 15, 15],
            "P3": [10, 10, 5, 5],
        },
        MONTHS,
    )


def test_placebo_in_space_ranks_the_treated_estimate_among_placebos():
    result = placebo_in_space(
        design_counts(),
        ["T"],
        ["C1", "C2"],
        ["C1", "C2", "P1", "P2", "P3"],
        before=BEFORE,
        after=AFTER,
    )
    assert result.estimate == pytest.approx(math.log(20.5 / 40.5) - math.log(100.5 / 100.5))
    expected_p3 = math.log(10.5 / 20.5)
    assert result.placebo_estimates["P3"] == pytest.approx(expected_p3)
    assert result.placebo_estimates["C1"] == pytest.approx(0.0)
    # |T| = 0.681 beats every placebo (largest |P3| = 0.669): rank 1 of 6.
    assert result.rank == 1
    assert result.p_value == pytest.approx(1 / 6)
    assert not result.significant and not result.can_reach_alpha


def test_placebo_in_time_finds_no_fake_effect_when_areas_move_together():
    months = [f"2023-{m:02d}" for m in range(1, 11)]
    counts = long_counts(
        {"T": [10, 12, 8, 10, 11, 9, 10, 12, 8, 10], "C": [20, 24, 16, 20, 22, 18, 20, 24, 16, 20]},
        months,
    )
    result = placebo_in_time(counts, ["T"], ["C"], months, estimate=-0.5, months_each_side=3)
    assert list(result.estimates["fake_funding"]) == months[3:8]
    # Doubled counts differ only through the half incident added to each total.
    assert result.estimates["log_rate_ratio"].abs().max() < 0.02
    assert result.share_as_large == 0.0


def test_cluster_bootstrap_collapses_when_comparison_areas_are_identical():
    interval = cluster_bootstrap(design_counts(), ["T"], ["C1", "C2"], BEFORE, AFTER)
    assert interval.ci_low == pytest.approx(20.5 / 40.5 / (50.5 / 50.5) * (100.5 / 100.5), 0.02)
    assert interval.ci_low == pytest.approx(interval.ci_high)
    assert not interval.treated_varies


def test_cluster_bootstrap_widens_with_unlike_comparison_areas():
    interval = cluster_bootstrap(
        design_counts(), ["T"], ["P1", "P2", "P3"], BEFORE, AFTER, n_boot=999
    )
    assert interval.ci_low < 20.5 / 40.5 < interval.ci_high


def test_mde_from_placebo_spread():
    placebos = np.array([-0.2, -0.1, 0.0, 0.1, 0.2] * 4)
    result = minimum_detectable_effect(placebos)
    expected = math.exp(-(1.959964 + 0.841621) * placebos.std(ddof=1))
    assert result.mde_ratio == pytest.approx(expected, rel=1e-5)
    assert result.can_detect_hoped_fall is (expected >= 0.8)


def test_mde_with_too_few_placebos_cannot_detect_anything():
    result = minimum_detectable_effect(np.array([0.0, 0.1, -0.1]))
    assert result.mde_ratio == 0.0
    assert result.detectable_fall_pct == 100.0
    assert not result.can_detect_hoped_fall


def test_verdict_keys_on_permutation_then_power():
    counts = design_counts()
    wide = placebo_in_space(
        counts, ["T"], ["C1", "C2"], ["P1", "P2", "P3"], before=BEFORE, after=AFTER
    )
    assert verdict(wide, minimum_detectable_effect(np.zeros(3))) == "cannot_tell"
    tight = minimum_detectable_effect(np.linspace(-0.01, 0.01, 25))
    assert verdict(wide, tight) == "no_clear_change"


def test_event_study_shows_missing_months_as_gaps():
    months = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    counts = long_counts({"T": [10, 10, 10, 5, 5, 5], "C": [10, 10, 10, 10, 10, 10]}, months)
    counts = counts[counts["month"] != "2024-02"]
    result = event_study(counts, ["T"], ["C"], months, "2024-04")
    table = result.table.set_index("month")
    assert math.isnan(table.loc["2024-02", "difference"])
    assert table.loc["2024-01", "difference"] == pytest.approx(0.0)
    assert table.loc["2024-05", "difference"] == pytest.approx(math.log(5.5 / 10.5))
    assert table.loc["2024-01", "segment"] != table.loc["2024-03", "segment"]
    assert list(table["months_from_funding"]) == [-3, -2, -1, 0, 1, 2]


def test_synthetic_control_recovers_a_known_30_percent_fall():
    rng = np.random.default_rng(3)
    pre, post = 12, 6
    months = [str(p) for p in pd.period_range("2023-01", periods=pre + post, freq="M")]
    factors = 1 + 0.3 * np.sin(np.arange(pre + post) / 2.0)
    donors = {f"D{i}": 20 * (factors ** rng.uniform(0, 2)) for i in range(8)}
    treated = (
        0.5 * donors["D1"] / donors["D1"][:pre].mean()
        + 0.5 * donors["D5"] / donors["D5"][:pre].mean()
    )
    treated = 40 * treated
    treated[pre:] *= 0.7
    counts = long_counts({"T": list(treated)} | {k: list(v) for k, v in donors.items()}, months)
    result = synthetic_control(counts, ["T"], list(donors), months[:pre], months[pre:])
    assert result.gap == pytest.approx(-0.3, abs=0.01)
    assert result.rmspe_pre < 0.01
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-3)
    assert result.rank == 1


def _sine_donors(n_donors: int, months: list[str], seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    factors = 1 + 0.3 * np.sin(np.arange(len(months)) / 2.0)
    return {f"D{i}": 20 * (factors ** rng.uniform(0, 2)) for i in range(n_donors)}


def test_synthetic_control_with_many_pre_months_is_not_overfit():
    months = [str(p) for p in pd.period_range("2023-01", periods=18, freq="M")]
    donors = _sine_donors(8, months)
    counts = long_counts(
        {"T": list(donors["D1"] * 2)} | {k: list(v) for k, v in donors.items()}, months
    )
    result = synthetic_control(counts, ["T"], list(donors), months[:12], months[12:])
    assert (result.n_pre, result.n_donors) == (12, 8)
    assert not result.overfit
    assert overfit_caveat(result) is None


def test_synthetic_control_with_more_donors_than_pre_months_is_flagged_overfit():
    months = [str(p) for p in pd.period_range("2023-01", periods=8, freq="M")]
    donors = _sine_donors(6, months)
    rng = np.random.default_rng(5)
    treated = 30 + rng.normal(0, 5, len(months))  # noise the donors can copy in 4 months
    counts = long_counts({"T": list(treated)} | {k: list(v) for k, v in donors.items()}, months)
    result = synthetic_control(counts, ["T"], list(donors), months[:4], months[4:])
    assert (result.n_pre, result.n_donors) == (4, 6)
    assert result.overfit
    text = overfit_caveat(result)
    assert "6 donor areas to match only 4 months before funding" in text
    assert "overfitting" in text


def test_wdq_interval_wording_follows_the_interval():
    small = wdq_interval(100, 50, 10, 20, 100, 100)
    assert small.ci_low < 0 or small.ci_high > 0
    assert "too few to tell" in small.reading
    big = wdq_interval(10_000, 5_000, 10_000, 12_000, 10_000, 10_000)
    assert big.ci_high < 0
    assert big.reading.startswith("Displacement")
    assert big.ci_low < -0.4 < big.ci_high  # the point WDQ: 0.2 / -0.5


def test_headline_claims_a_change_in_at_most_7_percent_of_no_effect_runs():
    # Area x period shocks SD 0.3, no true effect. 200 runs here, 500 in bench/.
    result = simulate_no_effect(200, shock_sd=0.3, seed=11, model_runs=40)
    assert result.claim_rate <= 0.07
    # The model interval alone claims a change far more often.
    assert result.model_claim_rate >= 0.15
