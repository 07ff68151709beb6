"""Impact statistics against published and hand-computed answers."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.checks import GeoInputError
from geo.hotspots import concentration
from geo.impact.did import DidResult, TrendsResult, did_rate_ratio, parallel_trends
from geo.impact.wdd import rri, wdd, wdd_reading
from geo.impact.wdq import wdq
from geo.impact.windows import season_matched_windows
from geo.impact.wording import headline_sentence

MINUS = "\N{MINUS SIGN}"
counts = st.integers(min_value=0, max_value=5_000)


# --------------------------------------------------------------------------- RRI


def test_rri_hand_computed():
    # Hotspots held 50 of 1000 incidents, then 60 of 800: (60/50) / (800/1000) = 1.5.
    assert rri(50, 60, 1000, 800) == pytest.approx(1.5)


def test_rri_is_vectorised_and_equals_pai_ratio():
    n1, n2 = np.array([50, 10, 7]), np.array([60, 10, 14])
    big_n1, big_n2 = np.array([1000, 100, 70]), np.array([800, 200, 70])
    area, area_total = 2.0, 40.0
    pai_t1 = (n1 / big_n1) / (area / area_total)
    pai_t2 = (n2 / big_n2) / (area / area_total)
    np.testing.assert_allclose(rri(n1, n2, big_n1, big_n2), [1.5, 0.5, 2.0])
    np.testing.assert_allclose(rri(n1, n2, big_n1, big_n2), pai_t2 / pai_t1)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((-1, 5, 100, 100), "n_t1"),
        ((0, 5, 100, 100), "n_t1"),
        ((5, math.nan, 100, 100), "n_t2"),
        ((5, 5, 0, 100), "total_t1"),
        ((50, 5, 10, 100), "n_t1"),
        (("many", 5, 100, 100), "n_t1"),
    ],
)
def test_rri_rejects_bad_counts(args, named):
    with pytest.raises(GeoInputError, match=named):
        rri(*args)


def test_generalised_gini_matches_bernasco_steenbeek_example():
    # Bernasco & Steenbeek (2017): 10 units, 8 crimes (5, 2, 1, 0, ...) give G' = 0.75.
    assert concentration.generalised_gini([5, 2, 1, 0, 0, 0, 0, 0, 0, 0]) == pytest.approx(0.75)


# --------------------------------------------------------------------------- WDQ


def test_wdq_bowers_johnson_complete_displacement():
    result = wdq(100, 50, 100, 150, 100, 100)
    assert result.success_measure == pytest.approx(-0.5)
    assert result.buffer_measure == pytest.approx(0.5)
    assert result.wdq == pytest.approx(-1.0)
    assert result.meaningful
    assert result.band == "complete-displacement"
    assert "Complete displacement" in result.interpretation


@pytest.mark.parametrize(
    ("buffer_after", "expected", "band"),
    [
        (88, 0.3, "diffusion"),  # SM = -0.4, BM = -0.12
        (40, 1.5, "diffusion-beyond"),  # BM = -0.6
        (101, -0.025, "neutral"),  # BM = +0.01
        (120, -0.5, "displacement"),  # BM = +0.2
        (180, -2.0, "displacement-exceeds"),  # BM = +0.8
    ],
)
def test_wdq_bands_hand_computed(buffer_after, expected, band):
    result = wdq(100, 60, 100, buffer_after, 100, 100)
    assert result.success_measure == pytest.approx(-0.4)
    assert result.wdq == pytest.approx(expected)
    assert result.band == band


def test_wdq_uses_control_as_divisor():
    # Control doubled: SM = 60/200 - 100/100 = -0.7, BM = 150/200 - 100/100 = -0.25.
    result = wdq(100, 60, 100, 150, 100, 200)
    assert result.wdq == pytest.approx(-0.25 / -0.7)


def test_wdq_not_meaningful_when_treated_did_not_improve():
    result = wdq(100, 120, 100, 150, 100, 100)
    assert result.success_measure == pytest.approx(0.2)
    assert math.isnan(result.wdq)
    assert not result.meaningful
    assert result.band == "not-meaningful"
    assert "not meaningful" in result.interpretation


def test_wdq_unstable_when_success_is_nearly_zero():
    result = wdq(1000, 999, 100, 150, 1000, 1000)
    assert math.isnan(result.wdq)
    assert result.band == "unstable"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((-1, 50, 100, 150, 100, 100), "treated_before"),
        ((100, 50, 100, -150, 100, 100), "buffer_after"),
        ((100, 50, 100, 150, 0, 100), "control_before"),
        ((100, 50, 100, 150, 100, "x"), "control_after"),
    ],
)
def test_wdq_rejects_bad_counts(args, named):
    with pytest.raises(GeoInputError, match=named):
        wdq(*args)


@settings(max_examples=50, deadline=None)
@given(
    counts, counts, counts, counts, st.integers(1, 5_000), st.integers(1, 5_000), st.integers(2, 9)
)
def test_wdq_ignores_control_scale(rb, ra, db, da, cb, ca, factor):
    # Scaling both control counts by the same factor scales SM and BM alike: WDQ unchanged.
    plain = wdq(rb, ra, db, da, cb, ca)
    scaled = wdq(rb, ra, db, da, cb * factor, ca * factor)
    assert plain.band == scaled.band
    if plain.meaningful:
        assert scaled.wdq == pytest.approx(plain.wdq)


# --------------------------------------------------------------------------- WDD


def test_wdd_reproduces_wheeler_ratcliffe_2018():
    # Paper example (ptools test "Est & Variance Paper"): control 308->318, treated 207->110,
    # displacement control 150->140, displacement 178->157.
    result = wdd(207, 110, 178, 157, 308, 318, buffer_control_before=150, buffer_control_after=140)
    assert result.estimate == pytest.approx(-118)
    assert result.variance == pytest.approx(1568)
    assert round(result.z, 2) == -2.98
    assert round(result.ci_low) == -196
    assert round(result.ci_high) == -40
    assert result.local_estimate == pytest.approx(-107)
    assert result.displacement_estimate == pytest.approx(-11)
    assert result.p_value == pytest.approx(0.00288, abs=1e-5)
    assert not result.shared_control


def test_wdd_time_weights_match_ptools():
    # andrewpwheeler.com/2021/01/09: control 100->50, treated 80->20, two years before, one after.
    result = wdd(80, 20, None, None, 100, 50, time_weights=(2, 1))
    assert result.estimate == pytest.approx(-20)
    assert result.variance == pytest.approx(115)


def test_wdd_area_weights_match_ptools():
    # andrewpwheeler.com/2021/02/23; ptools order (control, treated, disp_control, disp_treated)
    # = (0.9, 1.2, 1.6, 1.5) becomes (treated, buffer, control, buffer_control) here.
    result = wdd(
        207,
        110,
        178,
        157,
        308,
        318,
        buffer_control_before=150,
        buffer_control_after=140,
        area_weights=(1.2, 1.5, 0.9, 1.6),
    )
    assert result.estimate == pytest.approx(-99.69444444)
    assert result.se == pytest.approx(35.4280755)
    assert result.z == pytest.approx(-2.813995483)
    assert result.ci_low == pytest.approx(-169.1321965)
    assert result.ci_high == pytest.approx(-30.25669241)


def test_wdd_without_buffer_and_its_p_value():
    # ptools example: wdd(c(0,20), c(0,10)) has two-tailed p ~ 0.068.
    result = wdd(0, 10, None, None, 0, 20)
    assert result.estimate == pytest.approx(-10)
    assert result.variance == pytest.approx(30)
    assert result.p_value == pytest.approx(0.068, abs=1e-3)


def test_wdd_shared_control_counts_control_twice():
    # Bowers & Johnson check: the buffer rise cancels the treated fall, WDD = 0.
    # Var = T (150) + D (250) + 4 * C (200) = 1200.
    result = wdd(100, 50, 100, 150, 100, 100)
    assert result.shared_control
    assert result.estimate == pytest.approx(0)
    assert result.local_estimate == pytest.approx(-50)
    assert result.displacement_estimate == pytest.approx(50)
    assert result.variance == pytest.approx(1200)
    # Control fell by 10: subtracted once for the treated area and once for the buffer.
    assert wdd(100, 50, 100, 150, 100, 90).estimate == pytest.approx(20)


def test_wdd_ci_is_95_percent_by_default():
    result = wdd(20, 10, None, None, 20, 20)
    assert result.ci_high - result.estimate == pytest.approx(1.959964 * math.sqrt(70))
    wider = wdd(20, 10, None, None, 20, 20, alpha=0.01)
    assert wider.ci_high > result.ci_high


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"treated_before": -5}, "treated_before"),
        ({"buffer_after": None}, "buffer_before"),
        ({"buffer_control_before": 5}, "buffer_control"),
        ({"time_weights": (1, 0)}, "time_weights"),
        ({"area_weights": (1, 1)}, "area_weights"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_wdd_rejects_bad_inputs(kwargs, named):
    args = {
        "treated_before": 20,
        "treated_after": 10,
        "buffer_before": 5,
        "buffer_after": 6,
        "control_before": 20,
        "control_after": 20,
    } | kwargs
    with pytest.raises(GeoInputError, match=named):
        wdd(**args)


@settings(max_examples=50, deadline=None)
@given(counts, counts, counts, counts, counts, counts)
def test_wdd_swapping_periods_negates_estimate(tb, ta, db, da, cb, ca):
    if tb + ta + db + da + cb + ca == 0:
        return
    forward, backward = wdd(tb, ta, db, da, cb, ca), wdd(ta, tb, da, db, ca, cb)
    assert backward.estimate == pytest.approx(-forward.estimate)
    assert backward.variance == pytest.approx(forward.variance)


# --------------------------------------------------------------------------- Poisson DiD


def make_panel(
    rate_ratio: float,
    *,
    n_areas: int = 12,
    n_treated: int = 5,
    n_months: int = 24,
    pre_trend_gap: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Monthly Poisson panel: funding after month 12, treated areas scaled by ``rate_ratio``."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2023-01", periods=n_months, freq="M")
    base = rng.uniform(20, 60, n_areas)
    season = 1 + 0.2 * np.sin(2 * np.pi * months.month.to_numpy() / 12)
    treated = np.arange(n_areas) < n_treated
    post = np.arange(n_months) >= 12
    t = np.arange(n_months)
    mean = (
        base[:, None]
        * season[None, :]
        * np.where(treated[:, None] & post[None, :], rate_ratio, 1.0)
        * np.exp(pre_trend_gap * t[None, :] * treated[:, None])
    )
    return pd.DataFrame(
        {
            "area_id": np.repeat([f"A{i:02d}" for i in range(n_areas)], n_months),
            "month": np.tile(months.astype(str), n_areas),
            "count": rng.poisson(mean).ravel(),
            "treated": np.repeat(treated, n_months),
            "post": np.tile(post, n_areas),
        }
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Perfect separation")
def test_did_two_by_two_equals_closed_form():
    # Saturated 2 areas x 2 months: RR = (Ta/Tb) / (Ca/Cb), Poisson SE of log RR =
    # sqrt(1/Tb + 1/Ta + 1/Cb + 1/Ca).
    panel = pd.DataFrame(
        {
            "area_id": ["T", "T", "C", "C"],
            "month": ["2024-01", "2025-01", "2024-01", "2025-01"],
            "count": [100, 50, 100, 100],
            "treated": [True, True, False, False],
            "post": [False, True, False, True],
        }
    )
    result = did_rate_ratio(panel)
    se = math.sqrt(1 / 100 + 1 / 50 + 1 / 100 + 1 / 100)
    assert result.rate_ratio == pytest.approx(0.5)
    assert result.ci_low == pytest.approx(math.exp(math.log(0.5) - 1.959964 * se), rel=1e-5)
    assert result.ci_high == pytest.approx(math.exp(math.log(0.5) + 1.959964 * se), rel=1e-5)
    assert result.percent_change == pytest.approx(-50)
    assert math.isnan(result.dispersion)
    assert (result.n_areas, result.n_months, result.n_observations) == (2, 2, 4)


def test_did_recovers_known_effect():
    result = did_rate_ratio(make_panel(0.8))
    assert result.ci_low < 0.8 < result.ci_high
    assert result.ci_high < 1
    assert result.p_value < 0.05
    assert (result.n_areas, result.n_months, result.n_observations) == (12, 24, 288)
    assert 0.5 < result.dispersion < 1.5
    assert result.confidence == pytest.approx(0.95)


def test_did_interval_covers_the_true_effect_about_95_percent_of_the_time():
    results = [did_rate_ratio(make_panel(0.8, n_areas=6, n_treated=3, seed=s)) for s in range(40)]
    covered = sum(r.ci_low < 0.8 < r.ci_high for r in results)
    assert 34 <= covered <= 40  # Binomial(40, 0.95): P(covered < 34) < 1 %
    assert np.mean([math.log(r.rate_ratio) for r in results]) == pytest.approx(
        math.log(0.8), abs=0.03
    )


def test_did_no_effect_ci_contains_one():
    result = did_rate_ratio(make_panel(1.0, seed=11))
    assert result.ci_low < 1 < result.ci_high


@pytest.mark.parametrize("se_type", ["cluster", "poisson"])
def test_did_other_standard_errors_also_recover_effect(se_type):
    result = did_rate_ratio(make_panel(0.8), se_type=se_type)
    assert result.ci_low < 0.8 < result.ci_high
    assert result.se_type == se_type


def test_did_quasi_poisson_widens_interval_for_overdispersion():
    panel = make_panel(0.8)
    rng = np.random.default_rng(3)
    panel["count"] = rng.negative_binomial(2, 2 / (2 + panel["count"].to_numpy() + 1))
    quasi = did_rate_ratio(panel)
    poisson = did_rate_ratio(panel, se_type="poisson")
    assert quasi.dispersion > 2
    assert quasi.ci_high - quasi.ci_low > poisson.ci_high - poisson.ci_low


def test_did_excludes_missing_months_instead_of_zero_filling():
    panel = make_panel(0.8)
    # Devon & Cornwall style gap: two months absent for every area, one more for one area.
    gap = panel["month"].isin(["2023-11", "2023-12"]) | (
        (panel["area_id"] == "A01") & (panel["month"] == "2024-05")
    )
    absent = panel.loc[~gap]
    result = did_rate_ratio(absent)
    assert result.n_observations == len(absent)
    assert result.n_months == 22
    assert result.excluded_rows == 0
    # A missing count (NaN) is left out, not read as 0, and gives the same answer.
    marked = panel.astype({"count": float})
    marked.loc[gap, "count"] = np.nan
    from_nan = did_rate_ratio(marked)
    assert from_nan.excluded_rows == int(gap.sum())
    assert from_nan.rate_ratio == pytest.approx(result.rate_ratio)
    # Zero-filling would be a different (wrong) answer.
    zero_filled = did_rate_ratio(marked.fillna({"count": 0}))
    assert zero_filled.rate_ratio != pytest.approx(result.rate_ratio)


def test_did_drops_areas_without_incidents():
    panel = make_panel(0.8)
    panel.loc[panel["area_id"] == "A11", "count"] = 0
    result = did_rate_ratio(panel)
    assert result.dropped_areas == ("A11",)
    assert result.n_areas == 11


def test_did_accepts_dates_and_integer_flags():
    panel = make_panel(0.8)
    as_dates = panel.assign(
        month=pd.PeriodIndex(panel["month"], freq="M").to_timestamp().date,
        treated=panel["treated"].astype(int),
        post=panel["post"].astype(int),
    )
    assert did_rate_ratio(as_dates).rate_ratio == pytest.approx(did_rate_ratio(panel).rate_ratio)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p: p.assign(count=p["count"].where(p.index != 3, -1)), "count"),
        (lambda p: p.drop(columns="post"), "post"),
        (lambda p: p.assign(treated=p.index == 0), "treated"),
        (lambda p: p.assign(treated=False), "treated"),
        (lambda p: p.assign(post=False), "after funding"),
        (lambda p: pd.concat([p, p.head(1)]), "more than one row"),
        (lambda p: p.assign(month="soon"), "not a month"),
        (lambda p: p.head(0), "empty"),
        (lambda p: p.assign(treated="yes"), "True/False"),
    ],
)
def test_did_rejects_bad_panels(change, match):
    with pytest.raises(GeoInputError, match=match):
        did_rate_ratio(change(make_panel(0.8)))


def test_did_rejects_unknown_se_type():
    with pytest.raises(GeoInputError, match="se_type"):
        did_rate_ratio(make_panel(0.8), se_type="robust")


# --------------------------------------------------------------------------- parallel trends


def test_parallel_trends_pass_on_parallel_panel():
    result = parallel_trends(make_panel(0.8))
    assert result.passes
    assert result.n_months == 12
    assert "parallel" in result.reason
    assert result.p_value >= 0.05


def test_parallel_trends_fail_when_treated_was_already_rising():
    result = parallel_trends(make_panel(0.8, pre_trend_gap=0.05))
    assert not result.passes
    assert result.slope_difference == pytest.approx(0.05, abs=0.02)
    assert result.percent_per_month > 0
    assert "faster" in result.reason
    assert "may not show" in result.reason


def test_parallel_trends_need_enough_months():
    panel = make_panel(0.8)
    short = panel.loc[~panel["post"] & (panel["month"] >= "2023-09") | panel["post"]]
    result = parallel_trends(short)
    assert not result.passes
    assert result.n_months == 4
    assert math.isnan(result.p_value)
    assert "too few" in result.reason


# --------------------------------------------------------------------------- windows


def torbay_months() -> list[str]:
    return [f"2024-{m:02d}" for m in range(1, 5)] + [f"2025-{m:02d}" for m in range(1, 13)]


def test_windows_torbay_street_data():
    windows = season_matched_windows(torbay_months(), "2024-06-01")
    assert windows.before == ("2024-01", "2024-02", "2024-03", "2024-04")
    assert windows.after == ("2025-01", "2025-02", "2025-03", "2025-04")
    assert windows.transition is None
    assert windows.unused == tuple(f"2025-{m:02d}" for m in range(5, 13))


def test_windows_accept_dates_and_any_order():
    months = [date(int(m[:4]), int(m[5:]), 1) for m in reversed(torbay_months())]
    windows = season_matched_windows(months, date(2024, 6, 1))
    assert windows.before == ("2024-01", "2024-02", "2024-03", "2024-04")


def test_windows_lsoa_series_with_mid_month_funding():
    months = pd.period_range("2022-05", "2025-04", freq="M").astype(str)
    windows = season_matched_windows(months, "2024-06-15")
    assert windows.transition == "2024-06"
    # June is the transition month and May has no after month, so both are unmatched.
    expected_months = [7, 8, 9, 10, 11, 12, 1, 2, 3, 4]
    assert [int(m[5:]) for m in windows.before] == expected_months
    assert [int(m[5:]) for m in windows.after] == expected_months
    assert windows.before[0] == "2023-07"
    assert windows.after[-1] == "2025-04"
    assert "2024-06" in windows.unused
    assert "2024-05" in windows.unused


def test_windows_skip_missing_months():
    # Devon & Cornwall lack Nov-Dec 2022: those calendar months drop from both windows.
    months = pd.period_range("2022-01", "2023-12", freq="M").astype(str)
    months = [m for m in months if m not in ("2022-11", "2022-12")]
    windows = season_matched_windows(months, "2023-01-01")
    assert windows.before == tuple(f"2022-{m:02d}" for m in range(1, 11))
    assert windows.after == tuple(f"2023-{m:02d}" for m in range(1, 11))


def test_windows_use_the_nearest_year_on_each_side():
    months = pd.period_range("2021-01", "2025-12", freq="M").astype(str)
    windows = season_matched_windows(months, "2023-07-01")
    assert windows.before == tuple(pd.period_range("2022-07", "2023-06", freq="M").astype(str))
    assert windows.after == tuple(pd.period_range("2023-07", "2024-06", freq="M").astype(str))
    # Three-month spans (Apr-Jun 2023 against Jul-Sep 2023) share no calendar month.
    with pytest.raises(GeoInputError, match="calendar month"):
        season_matched_windows(months, "2023-07-01", max_months=3)


@pytest.mark.parametrize(
    ("months", "funding", "kwargs", "match"),
    [
        (["2025-01", "2025-02"], "2024-06-01", {}, "before"),
        (["2024-01", "2024-02"], "2024-06-01", {}, "after"),
        (["2024-01", "2025-02"], "2024-06-01", {}, "calendar month"),
        ([], "2024-06-01", {}, "empty"),
        (["2024-01", "2025-01"], "someday", {}, "funding_date"),
        (["2024-01", "Jan"], "2024-06-01", {}, "not a month"),
        (["2024-01", "2025-01"], "2024-06-01", {"max_months": 13}, "max_months"),
    ],
)
def test_windows_reject_bad_input(months, funding, kwargs, match):
    with pytest.raises(GeoInputError, match=match):
        season_matched_windows(months, funding, **kwargs)


# --------------------------------------------------------------------------- headline


def did_result(rate_ratio: float, ci_low: float, ci_high: float) -> DidResult:
    return DidResult(
        rate_ratio=rate_ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=0.01,
        percent_change=(rate_ratio - 1) * 100,
        n_areas=10,
        n_months=8,
        n_observations=80,
        dispersion=1.1,
        se_type="quasi-poisson",
        confidence=0.95,
        excluded_rows=0,
        dropped_areas=(),
    )


def test_headline_matches_issue_example():
    sentence = headline_sentence(
        did_result(0.82, 0.70, 0.96), displacement=wdq(100, 60, 100, 88, 100, 100)
    )
    assert sentence == (
        f"ASB in the funded hotspots fell 18% (95% CI {MINUS}30% to {MINUS}4%) relative to "
        "comparison areas; no sign of displacement into the 100 m buffer (WDQ 0.3)."
    )


def test_headline_rise_is_reported_as_rise():
    sentence = headline_sentence(did_result(1.12, 1.03, 1.22), category="Business crime")
    assert sentence == (
        "Business crime in the funded hotspots rose 12% (95% CI +3% to +22%) relative to "
        "comparison areas."
    )


def test_headline_weak_evidence_when_ci_crosses_one():
    sentence = headline_sentence(did_result(0.93, 0.80, 1.08))
    assert sentence.startswith("No clear change in ASB in the funded hotspots")
    assert "a 7% fall" in sentence
    assert f"({MINUS}20% to +8%)" in sentence
    assert "evidence is weak" in sentence
    assert "fell" not in sentence


def test_headline_keeps_small_bounds_visible():
    sentence = headline_sentence(did_result(0.9, 0.8, 0.997))
    assert f"to {MINUS}0.3%)" in sentence


def test_headline_wdq_not_meaningful():
    sentence = headline_sentence(
        did_result(0.93, 0.80, 1.08), displacement=wdq(100, 120, 100, 150, 100, 100)
    )
    assert "WDQ isn't meaningful here because ASB did not fall" in sentence


@pytest.mark.parametrize(
    ("buffer_after", "clause"),
    [
        (120, "some displacement into the 50 m buffer, smaller than the fall in Castle Circus"),
        (140, "displacement into the 50 m buffer cancels the fall in Castle Circus"),
        (180, "displacement into the 50 m buffer outweighs the fall in Castle Circus"),
    ],
)
def test_headline_displacement_wording(buffer_after, clause):
    displacement = wdq(100, 60, 100, buffer_after, 100, 100)
    sentence = headline_sentence(
        did_result(0.6, 0.5, 0.7),
        displacement=displacement,
        treated_label="Castle Circus",
        buffer_m=50,
    )
    value = f"{displacement.wdq:.1f}".replace("-", MINUS)
    assert sentence.endswith(f"; {clause} (WDQ {value}).")


def test_headline_warns_when_parallel_trends_fail():
    trends = TrendsResult(
        slope_difference=0.05,
        percent_per_month=5.1,
        p_value=0.001,
        passes=False,
        reason="Before funding, incidents in the treated areas grew 5.1% a month faster.",
        n_months=12,
    )
    sentence = headline_sentence(did_result(0.82, 0.70, 0.96), trends=trends)
    assert "parallel-trends check failed" in sentence
    assert sentence.endswith(trends.reason)
    passing = replace(trends, passes=True)
    assert "caution" not in headline_sentence(did_result(0.82, 0.70, 0.96), trends=passing)


# --------------------------------------------------------------------------- WDD reading


def test_wdd_reading_explains_a_significant_wdd_against_a_weak_rate_ratio():
    # Torbay 2024-01..04 vs 2025-01..04: treated 44->29, buffer 11->7, comparison 106->61.
    counts = (44, 29, 11, 7, 106, 61)
    result = wdd(*counts)
    assert result.estimate == pytest.approx(71)
    assert result.p_value < 0.05  # "significant" on its own
    text = wdd_reading(result, *counts, category="ASB incidents", did=did_result(1.15, 0.62, 2.13))
    assert text.startswith("How to read WDD (+71 ASB incidents, 95% CI +17 to +125, z = 2.58)")
    assert "subtracted twice" in text
    assert f"{MINUS}19 {MINUS} 2 \N{MULTIPLICATION SIGN} ({MINUS}45) = +71" in text
    assert "2.4 times as many ASB incidents as the treated areas" in text
    assert "9.6 times as many as the buffer" in text
    assert "z-test says nothing about the scheme's effect" in text
    assert text.endswith("rate ratio (1.15, 95% CI 0.62 to 2.13, which includes no change).")


def test_wdd_reading_without_scale_mismatch_or_buffer():
    similar = wdd_reading(wdd(100, 50, 100, 150, 100, 100), 100, 50, 100, 150, 100, 100)
    assert "times as many" not in similar
    assert "similar numbers of incidents" in similar
    plain = wdd_reading(wdd(80, 20, None, None, 100, 50), 80, 20, None, None, 100, 50)
    assert f"change (80 \N{RIGHTWARDS ARROW} 20, {MINUS}60) minus" in plain
    assert "subtracted twice" not in plain
    # A quieter comparison is flagged too, without claiming it drives the figure.
    quiet = wdd_reading(wdd(300, 200, None, None, 100, 100), 300, 200, None, None, 100, 100)
    assert "0.3 times as many" in quiet and "not on the same scale" in quiet


def test_wdd_reading_uses_the_interval_level():
    result = wdd(20, 10, None, None, 20, 20, alpha=0.01)
    assert result.confidence == pytest.approx(0.99)
    assert "99% CI" in wdd_reading(result, 20, 10, None, None, 20, 20)


def test_did_excludes_no_change_property():
    assert did_result(0.82, 0.70, 0.96).excludes_no_change
    assert did_result(1.12, 1.03, 1.22).excludes_no_change
    assert not did_result(0.93, 0.80, 1.08).excludes_no_change


def test_headline_calls_an_uncertain_fall_estimated():
    sentence = headline_sentence(
        did_result(0.9, 0.7, 1.1), displacement=wdq(100, 60, 100, 120, 100, 100)
    )
    assert "smaller than the estimated fall in the funded hotspots" in sentence


def test_headline_says_when_trends_could_not_be_checked():
    trends = TrendsResult(
        math.nan, math.nan, math.nan, passes=False, reason="Only 4 month(s).", n_months=4
    )
    sentence = headline_sentence(did_result(0.82, 0.70, 0.96), trends=trends)
    assert "parallel-trends check could not be made" in sentence
    assert "failed" not in sentence
