"""A national (partitioned) store as a dashboard dataset: sidebar, Overview, explorer,
figures from store queries, pruning and one cached copy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_national import write_month
from test_pages import _app as page_run
from test_pages import _metric

from geo import schema, timeseries
from geo.io import datasets, query, store
from geo.io.stream import ingest_to_store
from geo.projection import bng_to_lonlat

ROOT = Path(__file__).resolve().parents[1]
FORCES = {"Force A": 290_000, "Force B": 300_000, "Force C": 310_000}
MONTHS = ("2025-01", "2025-02", "2025-03")


def _asb_rows(force: str, k: int) -> int:
    """Known answer: ASB rows of ``force`` in month ``k`` (0-based), 40 on one street
    (a hotspot at the defaults: eps 100 m, 30 incidents) plus some scattered."""
    return 40 + 5 * k + list(FORCES).index(force)


def write_national_store(root: Path) -> Path:
    """``root/var``, a data folder with one national store ``demo`` (3 forces x 3
    months) made by the real ingest, plus store folders that must not be offered."""
    archive = root / "archive"
    archive.mkdir()
    rng = np.random.default_rng(7)
    for force, x0 in FORCES.items():
        for k, month in enumerate(MONTHS):
            n = _asb_rows(force, k)
            street = np.column_stack([x0 + rng.integers(0, 4, 40) * 20, np.full(40, 63_000)])
            scattered = np.column_stack(
                [x0 + 2_000 + rng.integers(0, 50, n - 40) * 300, np.full(n - 40, 66_000)]
            )
            folder = archive / force.replace(" ", "")
            folder.mkdir(exist_ok=True)
            write_month(folder, force, month, np.vstack([street, scattered]))
            burglary = archive / f"burglary-{force[-1]}"
            burglary.mkdir(exist_ok=True)
            write_month(burglary, force, month, [[x0 + 500, 64_000]] * 3, category="Burglary")
    stores = root / "var" / datasets.STORES_FOLDER
    ingest_to_store([archive], stores / "demo")
    ingest_to_store([archive / "ForceA"], stores / "Not A Key")  # not a URL-safe name
    (stores / "empty").mkdir()  # no manifest
    return root / "var"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """``ASB_DATA_DIR`` set to :func:`write_national_store`'s folder; its stores folder."""
    monkeypatch.setenv("ASB_DATA_DIR", str(write_national_store(tmp_path)))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path / "var" / datasets.STORES_FOLDER
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(**query_params) -> AppTest:
    return page_run(timeout=120, **query_params)


def test_only_store_folders_with_a_manifest_and_a_url_safe_name_are_offered(data_dir):
    found = datasets.national_stores()
    assert list(found) == ["demo"]
    assert found["demo"].path == data_dir / "demo"
    assert datasets.store_path("demo") == data_dir / "demo"


def test_sidebar_lists_the_forces_and_the_overview_shows_every_force(data_dir):
    at = _app(dataset="demo")
    assert not at.exception
    assert at.sidebar.selectbox(key="force").options == ["All forces", *FORCES]
    asb = sum(_asb_rows(f, k) for f in FORCES for k in range(3))
    assert _metric(at, "Incidents") == f"{asb:,}"
    assert _metric(at, "Forces") == "3"
    assert _metric(at, "Hotspots") == "3"  # one street per force
    table = next(t.value for t in at.dataframe if "Force or area" in t.value.columns)
    assert table["Force or area"].tolist() == list(FORCES)
    assert table["Incidents"].tolist() == [sum(_asb_rows(f, k) for k in range(3)) for f in FORCES]
    assert (table["Top hotspot"] != "").all()


def test_one_force_overview_and_explorer_render_from_that_force_only(data_dir):
    at = _app(dataset="demo", force="Force B")
    assert not at.exception
    assert _metric(at, "Incidents") == f"{sum(_asb_rows('Force B', k) for k in range(3)):,}"
    assert (
        _metric(at, "Rows in the store")
        == f"{sum(_asb_rows(f, k) + 3 for f in FORCES for k in range(3)):,}"
    )
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert _metric(at, "Hotspots") == "1"
    at.switch_page("pages/change.py").run()
    assert not at.exception


def test_pages_that_need_one_force_say_so_on_the_national_view(data_dir):
    at = _app(dataset="demo")
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert any("choose a force" in i.value for i in at.info)


def test_monthly_counts_on_the_page_equal_the_query_and_a_full_read(data_dir):
    from pages import common

    selection = common.Selection(
        "demo", "Demo", "2025-01", "2025-03", (schema.ASB,), (schema.ASB,), force="Force C"
    )
    known = [float(_asb_rows("Force C", k)) for k in range(3)]
    page = common.monthly(selection)
    assert page["month"].tolist() == list(MONTHS) and page["count"].tolist() == known
    queried = query.monthly_counts(
        data_dir / "demo", query.Selection.of(["Force C"], None, [schema.ASB])
    )
    assert queried["incidents"].tolist() == known
    rows = store.read_incidents(data_dir / "demo")
    rows = rows[(rows["force"] == "Force C") & (rows["category"] == schema.ASB)]
    pd.testing.assert_frame_equal(page, timeseries.monthly_counts(rows, *MONTHS[::2]))


def test_a_force_is_read_without_opening_other_forces_files(data_dir):
    for force in ("Force%20A", "Force%20C"):
        for part in (data_dir / "demo").glob(f"force={force}/*/*.parquet"):
            part.write_bytes(b"not parquet at all")  # any read of these files would fail
    at = _app(dataset="demo", force="Force B")
    assert not at.exception
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert _metric(at, "Hotspots") == "1"
    with pytest.raises(Exception, match="(?i)parquet"):
        store.read_incidents(data_dir / "demo")


def test_the_pages_read_a_store_once_for_all_months_categories_and_pages(data_dir, monkeypatch):
    from pages import common

    reads = []
    real = store.read_incidents

    def counted(path, *args, **kwargs):
        reads.append((Path(path).name, kwargs.get("forces")))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(store, "read_incidents", counted)
    at = _app(dataset="demo", force="Force A")
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert reads == [("demo", ["Force A"])]
    reads.clear()
    torbay = common.Selection(
        "torbay", "Torbay", "2025-01", "2025-06", (schema.ASB,), (schema.ASB,)
    )
    assert set(common.incidents(torbay)["category"]) == {schema.ASB}
    assert len(common.every_incident(torbay)) > len(common.incidents(torbay))
    assert len(common.incidents(torbay, all_months=True)) > len(common.incidents(torbay))
    assert reads == [("torbay.parquet", None)]


def test_snap_weights_equal_the_counts_of_a_full_read(data_dir):
    west, south = 290_000 - 1, 62_000
    lon, lat = bng_to_lonlat(np.array([west, 300_100.0]), np.array([south, 67_000.0]))
    selection = query.Selection.of(
        ["Force A", "Force B"], ("2025-02", None), [schema.ASB], (lon[0], lat[0], lon[1], lat[1])
    )
    weights = query.snap_weights(data_dir / "demo", selection, with_location=True)
    rows = store.read_incidents(
        data_dir / "demo",
        months=("2025-02", None),
        categories=[schema.ASB],
        bbox=selection.bbox,
        forces=["Force A", "Force B"],
    )
    keys = ["force", "easting", "northing", "location"]
    expected = rows.groupby(keys).size().reset_index(name="n").sort_values(keys)
    assert weights.force.tolist() == expected["force"].tolist()
    assert weights.xy.tolist() == expected[["easting", "northing"]].to_numpy().tolist()
    assert weights.location.tolist() == expected["location"].tolist()
    assert weights.weights.tolist() == expected["n"].tolist()
    assert set(weights.force) == {"Force A", "Force B"} and weights.incidents < len(
        store.read_incidents(data_dir / "demo", categories=[schema.ASB], months=("2025-02", None))
    )


def test_the_server_warm_up_keeps_each_national_stores_overview(data_dir, monkeypatch):
    import importlib
    import importlib.util

    from geo.hotspots import national

    spec = importlib.util.spec_from_file_location("serve", ROOT / "scripts" / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    kept = data_dir / "demo" / national.KEPT_FOLDER
    assert not kept.exists()
    # The warm-up unloads the map component's modules for the server to import again;
    # give them back to the later tests of this process.
    for name in [n for n in sys.modules if n.split(".")[0] == "streamlit_folium"]:
        monkeypatch.setitem(sys.modules, name, sys.modules[name])
    monkeypatch.setitem(sys.modules, "pages.mapview", importlib.import_module("pages.mapview"))
    monkeypatch.setattr(sys.modules["pages"], "mapview", sys.modules["pages.mapview"])
    serve.warm_up()
    assert "pages.mapview" not in sys.modules  # reloaded by the server's first run
    assert len(list(kept.glob("*-forces.parquet"))) == 1
    # A new server process's first visitor: the Overview reads what the warm-up kept.
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(national, "_overview", None)  # clustering again would fail
    at = _app(dataset="demo")
    assert not at.exception
    assert _metric(at, "Hotspots") == "3"
