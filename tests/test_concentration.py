"""Tests for geo.concentration against the published worked example and hand counts."""

from __future__ import annotations

import numpy as np
import pytest

from geo.checks import GeoInputError
from geo.hotspots.concentration import (
    generalised_gini,
    generalised_gini_ci,
    gini,
    lorenz_curve,
    pai,
    share_in_top_area,
)

WORKED_EXAMPLE = [5, 2, 1, 0, 0, 0, 0, 0, 0, 0]  # 10 units, 8 crimes (Bernasco & Steenbeek 2017)


def test_worked_example_of_bernasco_and_steenbeek():
    assert gini(WORKED_EXAMPLE) == pytest.approx(0.80)
    assert generalised_gini(WORKED_EXAMPLE) == pytest.approx(0.75)


def test_gini_extremes():
    assert gini([4, 4, 4, 4]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # (N - 1) / N
    assert generalised_gini([1, 1, 1, 0, 0, 0]) == pytest.approx(0.0)  # as even as 3 can be


def test_generalised_equals_standard_when_incidents_outnumber_units():
    counts = [9, 3, 0, 1]
    assert generalised_gini(counts) == pytest.approx(gini(counts))
    assert generalised_gini(counts, unbiased=True) == pytest.approx(gini(counts) * 4 / 3)


def test_bootstrap_interval_contains_the_estimate():
    counts = np.random.default_rng(0).poisson(0.5, 200) * 3
    low, high = generalised_gini_ci(counts, n_boot=200)
    assert low < generalised_gini(counts) < high


def test_lorenz_curve_of_the_worked_example():
    curve = lorenz_curve(WORKED_EXAMPLE)
    assert curve["area_share"].tolist()[:4] == pytest.approx([0, 0.1, 0.2, 0.3])
    assert curve["incident_share"].tolist()[:4] == pytest.approx([0, 5 / 8, 7 / 8, 1.0])
    assert share_in_top_area(WORKED_EXAMPLE, area_share=0.1) == pytest.approx(5 / 8)
    assert share_in_top_area(WORKED_EXAMPLE, area_share=0.05) == pytest.approx(5 / 16)


def test_lorenz_curve_sorts_by_density_with_areas():
    curve = lorenz_curve([10, 10], areas=[1, 4])
    assert curve["area_share"].tolist() == pytest.approx([0, 0.2, 1.0])
    assert curve["incident_share"].tolist() == pytest.approx([0, 0.5, 1.0])


def test_pai_is_vectorised_and_safe():
    value = pai(np.array([50, 10, 5]), 100, np.array([2.0, 10.0, 0.0]), 100.0)
    np.testing.assert_allclose(value[:2], [25.0, 1.0])
    assert np.isnan(value[2])
    assert float(pai(25, 100, 1, 100)) == pytest.approx(25.0)


@pytest.mark.parametrize("counts", [[], [1, -1], [0, 0]])
def test_bad_counts_are_rejected(counts):
    with pytest.raises(GeoInputError):
        gini(counts)


def test_generalised_gini_of_zeros_is_nan_and_its_interval_an_error():
    assert np.isnan(generalised_gini([0, 0, 0]))
    with pytest.raises(GeoInputError, match="bootstrap replicate"):
        generalised_gini_ci([0, 0, 0])
