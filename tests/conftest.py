"""Shared test set-up."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from geo.projection import bng_to_lonlat
from geo.schema import ASB, WGS84

#: Torquay, metres EPSG:27700: the origin of :func:`make_incidents` offsets.
TORQUAY_ORIGIN = np.array([292_000.0, 63_000.0])


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Put back ``sys.modules["__main__"]`` after a test that ran a Streamlit script.

    Streamlit's script runner installs the script as ``__main__`` and leaves it there, so
    a later test that starts worker processes by spawning (Dask's LocalCluster) would
    re-run that script in every worker.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def _apptest_is_one_server(monkeypatch):
    """Let each AppTest keep Streamlit's multipage mode from run to run, as a server does.

    A fresh server starts in the legacy ``pages/`` mode (a ``pages/`` folder sits beside
    ``dashboard.py``) and leaves it for good once ``st.navigation`` has run. AppTest,
    though, forgets the mode before every run, so every run would be a server's very first
    request. Here an AppTest's first run starts from the fresh-server state and each later
    run inherits the state the previous one left, so tests see what a user of one server
    sees. Deep links on fresh servers are covered by ``tests/browser/test_links.py``.
    """
    original_run, original_init = AppTest._run, PagesManager.__init__

    def run(self, *args, **kwargs):
        mode = getattr(self, "_server_pages_mode", None)

        def init(manager, *init_args, **init_kwargs):
            PagesManager.uses_pages_directory = mode  # None: detect, as a fresh server
            original_init(manager, *init_args, **init_kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(PagesManager, "__init__", init)
            result = original_run(self, *args, **kwargs)
        self._server_pages_mode = PagesManager.uses_pages_directory
        return result

    monkeypatch.setattr(AppTest, "_run", run)


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
