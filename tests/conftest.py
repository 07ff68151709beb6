"""Shared test set-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pytest
from streamlit.runtime.pages_manager import PagesManager

from geo.projection import bng_to_lonlat
from geo.schema import ASB, WGS84

#: Torquay, metres EPSG:27700: the origin of :func:`make_incidents` offsets.
TORQUAY_ORIGIN = np.array([292_000.0, 63_000.0])


@pytest.fixture(autouse=True)
def _apptest_navigation_only(monkeypatch):
    """Make AppTest treat ``pages/`` as plain files registered by ``st.navigation``.

    AppTest rebuilds its PagesManager on every run, and a folder named ``pages`` beside
    the entry script switches that manager to the legacy multipage mode, which runs a
    page file without the entry script (and so without the shared sidebar) from the
    second run on. The real server leaves that mode as soon as ``st.navigation`` runs.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def _make_incidents(xy, months=None, categories=None, locations=None) -> gpd.GeoDataFrame:
    """Schema-like incidents at BNG offsets ``xy`` (metres) from Torquay."""
    xy = np.asarray(xy, dtype="float64").reshape(-1, 2) + TORQUAY_ORIGIN
    n = len(xy)
    lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
    return gpd.GeoDataFrame(
        {
            "month": months if months is not None else [dt.date(2025, 1, 1)] * n,
            "category": categories if categories is not None else [ASB] * n,
            "location": locations if locations is not None else ["On or near Test Road"] * n,
            "easting": xy[:, 0],
            "northing": xy[:, 1],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )


@pytest.fixture
def make_incidents() -> Callable[..., gpd.GeoDataFrame]:
    """Factory of schema-like incidents: ``make_incidents(xy, months=None, categories=None,
    locations=None)`` with ``xy`` offsets in metres (EPSG:27700) from Torquay."""
    return _make_incidents


# ---------------------------------------------------------------- embedded data, read once


@pytest.fixture(scope="session")
def torbay_incidents() -> gpd.GeoDataFrame:
    """Every incident of the embedded Torbay store (read once per test session; read-only)."""
    from geo.io.datasets import get_dataset
    from geo.io.store import read_incidents

    return read_incidents(get_dataset("torbay").incidents_path)


@pytest.fixture(scope="session")
def torbay_asb(torbay_incidents) -> gpd.GeoDataFrame:
    """The embedded Torbay store's anti-social behaviour, all months (read-only)."""
    return torbay_incidents[torbay_incidents["category"] == ASB].reset_index(drop=True)


#: The Impact page's default inputs on embedded Torbay: hotspot 3 funded from June 2024.
TORBAY_IMPACT = {"dataset": "torbay", "treated": ["3"], "funding_date": "2024-06-01"}


@pytest.fixture(scope="session")
def torbay_impact_inputs() -> dict:
    """The Impact page's default inputs on embedded Torbay (:data:`TORBAY_IMPACT`)."""
    return dict(TORBAY_IMPACT)


@pytest.fixture(scope="session")
def torbay_impact(torbay_impact_inputs):
    """:func:`geo.impact.evaluate.evaluate_dataset` on the Impact page's defaults (read-only)."""
    from geo.impact.evaluate import evaluate_dataset

    inputs = torbay_impact_inputs
    return evaluate_dataset(inputs["dataset"], inputs["treated"], inputs["funding_date"])
