"""Tests for geo.kde: the heat-layer surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from geo.checks import GeoInputError
from geo.hotspots.kde import kde_grid, nrd_bandwidth, quartic_kernel
from geo.schema import BNG

ORIGIN = np.array([292_000.0, 63_000.0])


def test_quartic_kernel_integrates_to_one():
    r = np.linspace(0, 100, 100_001)
    integral = np.trapezoid(quartic_kernel(r, 100) * 2 * np.pi * r, r)
    assert integral == pytest.approx(1.0, rel=1e-6)
    assert quartic_kernel(np.array([100.0, 150.0]), 100).tolist() == [0.0, 0.0]


def test_kde_grid_integrates_to_the_number_of_incidents():
    xy = np.random.default_rng(0).normal(scale=300, size=(2_000, 2)).round(-1) + ORIGIN
    cells = kde_grid(xy[:, 0], xy[:, 1], BNG, cell_size_m=20)
    total = (cells["density_per_km2"] / 1e6 * 20**2).sum()
    assert total == pytest.approx(2_000, rel=0.01)
    assert cells.attrs["bandwidth_m"] == pytest.approx(nrd_bandwidth(xy[:, 0], xy[:, 1]))
    assert cells.crs == "EPSG:4326"


def test_bad_bandwidth_is_rejected():
    xy = np.zeros((5, 2)) + ORIGIN
    with pytest.raises(GeoInputError, match="bandwidth"):
        kde_grid(xy[:, 0], xy[:, 1], BNG)


def test_one_incident_needs_a_given_bandwidth():
    x, y = np.array([ORIGIN[0]]), np.array([ORIGIN[1]])
    with pytest.raises(GeoInputError, match="from 1 incident.*bandwidth_m"):
        kde_grid(x, y, BNG)
    cells = kde_grid(x, y, BNG, bandwidth_m=100, cell_size_m=20)
    assert (cells["density_per_km2"] / 1e6 * 20**2).sum() == pytest.approx(1, rel=0.02)
