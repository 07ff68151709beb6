"""Aoristic hour-of-week profile, repeat locations and the Knox test, on hand-worked examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hub_helpers import london

from geo.checks import GeoInputError
from geo.partners import repetition


def test_an_incident_window_is_spread_over_the_hours_it_covers():
    # Monday 10:30 to 12:30: 30 of 120 minutes in hour 10, 60 in 11, 30 in 12.
    # A point-in-time incident on Sunday 23:05 puts its whole weight in Sun 23.
    starts = [london(2026, 11, 23, 10, 30), london(2026, 11, 29, 23, 5)]
    ends = [london(2026, 11, 23, 12, 30), london(2026, 11, 29, 23, 5)]
    profile = repetition.aoristic_hour_of_week(starts, ends)
    weights = profile.set_index(["weekday", "hour"])["weight"]
    assert len(profile) == 168
    assert weights[("Mon", 10)] == pytest.approx(0.25)
    assert weights[("Mon", 11)] == pytest.approx(0.5)
    assert weights[("Mon", 12)] == pytest.approx(0.25)
    assert weights[("Sun", 23)] == pytest.approx(1.0)
    assert profile["weight"].sum() == pytest.approx(2.0)


def test_a_window_across_midnight_sunday_wraps_to_monday():
    # Sunday 23:30 to Monday 00:30 (GMT): half in Sun 23, half in Mon 0.
    profile = repetition.aoristic_hour_of_week(
        [london(2026, 11, 29, 23, 30)], [london(2026, 11, 30, 0, 30)]
    ).set_index(["weekday", "hour"])["weight"]
    assert profile[("Sun", 23)] == pytest.approx(0.5)
    assert profile[("Mon", 0)] == pytest.approx(0.5)


def test_repeat_locations_need_three_incidents_within_ninety_days():
    now = london(2026, 6, 30, 12)
    frame = pd.DataFrame(
        {
            "occurred_at": [
                london(2026, 6, 1, 9),
                london(2026, 5, 1, 9),
                london(2026, 4, 5, 9),  # A: 3
                london(2026, 6, 2, 9),
                london(2026, 6, 3, 9),
                london(2026, 3, 1, 9),  # B: 2+1 old
                london(2026, 6, 4, 9),
                london(2026, 6, 5, 9),
                london(2026, 6, 6, 9),  # street
            ],
            "location": ["A", "A", "A", "B", "B", "B", None, None, None],
        }
    )
    table = repetition.repeat_locations(frame, now)
    assert table["location"].tolist() == ["A"]
    assert table["incidents"].tolist() == [3]


def test_timed_analyses_say_why_they_cannot_run_on_police_uk_months():
    months_only = pd.DataFrame({"occurred_at": [pd.NaT, pd.NaT], "location": ["x", "y"]})
    assert "police.uk gives only the month" in repetition.timing_unavailable(months_only)
    with pytest.raises(GeoInputError, match="only the month"):
        repetition.repeat_locations(months_only, london(2026, 6, 1, 0))


def test_knox_counts_pairs_by_band_and_matches_the_exact_permutation_answer():
    # A (0 m, day 0), B (50 m, day 3), C (1000 m, day 100).
    # Pairs: AB 50 m / 3 days; AC 1000 m / 100 days; BC 950 m / 97 days.
    # Of the 3! = 6 ways to hand the times to the places, AB is close in time only when C
    # keeps day 100 (2 ways): P(close-close count >= 1) = 1/3, expected count 1/3.
    result = repetition.knox_test(
        [0, 50, 1000],
        [0, 0, 0],
        [0, 3, 100],
        [0, 100, 2000],
        [0, 7, 200],
        permutations=4000,
        seed=7,
    )
    assert result.observed.to_numpy().tolist() == [[1, 0], [0, 2]]
    assert result.expected.iloc[0, 0] == pytest.approx(1 / 3, abs=0.03)
    assert result.ratio.iloc[0, 0] == pytest.approx(3, abs=0.3)
    assert result.p_value.iloc[0, 0] == pytest.approx(1 / 3, abs=0.03)
    assert result.observed.index.tolist() == ["0–100 m", "100–2000 m"]


def test_knox_finds_a_planted_near_repeat_chain_and_not_shuffled_times():
    rng = np.random.default_rng(3)
    far_x, far_t = rng.uniform(0, 5000, 40), rng.uniform(0, 365, 40)
    chain_x, chain_t = 2500 + np.arange(10) * 10.0, 100 + np.arange(10) * 1.0
    x, t = np.r_[far_x, chain_x], np.r_[far_t, chain_t]
    planted = repetition.knox_test(
        x, np.zeros_like(x), t, [0, 100, 6000], [0, 14, 400], permutations=199, seed=1
    )
    assert planted.p_value.iloc[0, 0] == pytest.approx(1 / 200)
    assert planted.ratio.iloc[0, 0] > 5


def test_knox_refuses_bad_bands_and_too_few_incidents():
    with pytest.raises(GeoInputError, match="at least 3"):
        repetition.knox_test([0, 1], [0, 1], [0, 1])
    with pytest.raises(GeoInputError, match="increasing"):
        repetition.knox_test([0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 100, 50])


def test_knox_on_a_report_frame_uses_days_between_reports():
    frame = pd.DataFrame(
        {
            "easting": [0.0, 50.0, 1000.0],
            "northing": [0.0, 0.0, 0.0],
            "occurred_at": [london(2026, 1, 1, 0) + dt.timedelta(days=d) for d in (0, 3, 100)],
        }
    )
    result = repetition.knox_test_frame(
        frame, distance_bands_m=[0, 100, 2000], time_bands_days=[0, 7, 200], permutations=9
    )
    assert result.observed.to_numpy().tolist() == [[1, 0], [0, 2]]
