"""Tests for geo.gistar: grids, Gi* against esda, FDR against statsmodels."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from esda.getisord import G_Local
from libpysal.weights import W
from statsmodels.stats.multitest import multipletests

from geo.checks import GeoInputError
from geo.grid import assign_cells, auto_cell_size, grid_cells
from geo.hotspots.gistar import binary_weights, fdr_adjust, gi_bin, gistar_z, hotspot_gistar
from geo.projection import metric_xy
from geo.schema import BNG

TORBAY = Path(__file__).resolve().parent.parent / "data" / "incidents" / "torbay.parquet"


def esda_z(counts: np.ndarray, weights) -> np.ndarray:
    """esda's Gi* z-scores for the same neighbours (esda adds the self weight itself)."""
    without_self = weights.tolil()
    without_self.setdiag(0)
    without_self = without_self.tocsr()
    without_self.eliminate_zeros()
    neighbours = {i: list(without_self[i].indices) for i in range(len(counts))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W(neighbours, silence_warnings=True)
        return G_Local(counts.astype(float), w, transform="B", star=True, permutations=0).Zs


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_gistar_matches_esda_on_random_counts(shape):
    centres, _ = grid_cells((0, 0, 2_000, 1_500), 100, shape)
    counts = np.random.default_rng(0).poisson(2, len(centres))
    weights = binary_weights(centres, 100 * math.sqrt(2))
    np.testing.assert_allclose(gistar_z(counts, weights), esda_z(counts, weights))


def test_gistar_matches_esda_on_torbay_asb(torbay_asb):
    asb = torbay_asb
    x, y, crs = metric_xy(asb)
    cells = hotspot_gistar(x, y, crs, 250, fdr=False)
    centres, _ = grid_cells((x.min(), y.min(), x.max(), y.max()), 250)
    weights = binary_weights(centres, 250 * math.sqrt(2))
    np.testing.assert_allclose(cells["gistar"], esda_z(cells["n"].to_numpy(), weights))
    assert cells["n"].sum() == len(asb)
    hottest = cells.loc[cells["gistar"].idxmax()]
    assert hottest.geometry.distance(shapely.Point(-3.5317, 50.4684)) < 0.01  # Torquay


@pytest.mark.parametrize(("shape", "expected"), [("square", 8), ("hex", 6)])
def test_default_neighbours_are_adjacent_cells(shape, expected):
    centres, _ = grid_cells((0, 0, 1_000, 1_000), 100, shape)
    weights = binary_weights(centres, 100 * math.sqrt(2))
    assert np.asarray(weights.sum(axis=1)).max() == expected + 1  # plus self


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_points_fall_in_the_cell_that_contains_them(shape):
    centres, polygons = grid_cells((0, 0, 1_000, 800), 100, shape)
    xy = np.random.default_rng(1).uniform(0, 800, size=(500, 2))
    cell = assign_cells(xy[:, 0], xy[:, 1], centres)
    assert shapely.contains_xy(polygons[cell], xy[:, 0], xy[:, 1]).all()
    assert shapely.area(polygons) == pytest.approx(
        100**2 if shape == "square" else 100**2 * math.sqrt(3) / 2
    )


def test_fdr_matches_benjamini_hochberg():
    p = np.random.default_rng(2).uniform(size=200) ** 3
    np.testing.assert_allclose(fdr_adjust(p), multipletests(p, method="fdr_bh")[1])


def test_gi_bin_follows_arcgis_levels():
    z = np.array([3.0, 2.0, 1.7, 0.5, -2.5])
    p = np.array([0.005, 0.04, 0.09, 0.6, 0.02])
    assert gi_bin(z, p).tolist() == [3, 2, 1, 0, -2]


def test_auto_cell_size_gives_about_50_cells_on_short_side():
    assert auto_cell_size(np.array([0.0, 12_000]), np.array([0.0, 9_000])) == 100
    assert auto_cell_size(np.array([0.0, 2_000]), np.array([0.0, 3_000])) == 40


def test_hotspot_gistar_output_and_boundary(torbay_asb):
    asb = torbay_asb
    x, y, crs = metric_xy(asb)
    cells = hotspot_gistar(x, y, crs, shape="hex")
    assert list(cells.columns) == [
        "cell",
        "n",
        "gistar",
        "pvalue",
        "gi_bin",
        "hot",
        "cold",
        "geometry",
    ]
    assert cells.attrs["cell_size_m"] == auto_cell_size(x, y) and cells.attrs["fdr"]
    assert cells["hot"].any() and cells.crs == "EPSG:4326"
    circle = asb.to_crs(BNG).geometry.iloc[[0]].buffer(1_000)
    clipped = hotspot_gistar(x, y, crs, 100, boundary=circle)
    assert len(clipped) < len(cells) and clipped["n"].sum() < len(asb)


def test_constant_counts_are_rejected():
    centres, _ = grid_cells((0, 0, 500, 500), 100)
    with pytest.raises(GeoInputError, match="counts that differ"):
        gistar_z(np.ones(len(centres)), binary_weights(centres, 150))


def test_too_many_cells_are_rejected():
    with pytest.raises(GeoInputError, match="larger cell size"):
        grid_cells((0, 0, 100_000, 100_000), 10)


def test_boundary_reports_incidents_outside_and_refuses_an_empty_inside():
    x = np.array([0.0, 50.0, 120.0, 900.0, 950.0]) + 292_000.0
    y = np.array([0.0, 80.0, 10.0, 900.0, 990.0]) + 63_000.0
    near = gpd.GeoSeries([shapely.box(291_900, 62_900, 292_400, 63_400)], crs=BNG)
    cells = hotspot_gistar(x, y, BNG, 100, boundary=near)
    assert cells.attrs["outside_boundary"] == 2 and cells["n"].sum() == 3
    far = gpd.GeoSeries([shapely.box(0, 0, 100, 100)], crs=BNG)
    with pytest.raises(GeoInputError, match="no incidents lie inside `boundary`"):
        hotspot_gistar(x, y, BNG, 100, boundary=far)
    with pytest.raises(GeoInputError, match="`boundary` has no CRS"):
        hotspot_gistar(x, y, BNG, 100, boundary=gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))
