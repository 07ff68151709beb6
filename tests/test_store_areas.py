"""Named areas of a national store: `geo store-areas`, reading an area with pruning, and
the sidebar's areas within a force, on a store of real police.uk rows (Torbay and the
City of London) with Torbay's real LSOA boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo import schema
from geo.cli import main
from geo.io import areas, datasets, query, store
from geo.io.partitioned import MANIFEST
from geo.io.stream import ingest_to_store

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")
TORBAY_ZIP = ROOT / "data" / "police-uk" / "torbay-street.zip"
CITY_ZIP = ROOT / "data" / "police-uk" / "city-of-london-street.zip"
DEVON = "Devon & Cornwall Police"
CITY = "City of London Police"


def _areas_file(folder: Path) -> Path:
    """Torbay's 93 LSOAs and Westminster's outline, saved in British National Grid
    metres (EPSG:27700) as a GeoPackage, with the names in ``NAME``."""
    lsoas = gpd.read_file(ROOT / "data" / "boundaries" / "torbay-lsoa.geojson")
    westminster = gpd.read_file(ROOT / "data" / "boundaries" / "westminster.geojson")
    frame = pd.concat(
        [
            lsoas.rename(columns={"lsoa_name": "NAME"})[["NAME", "geometry"]],
            westminster.rename(columns={"name": "NAME"})[["NAME", "geometry"]],
        ],
        ignore_index=True,
    )
    path = folder / "areas.gpkg"
    gpd.GeoDataFrame(frame, crs=schema.WGS84).to_crs(schema.BNG).to_file(path)
    return path


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """``var/`` with the store ``national`` (Torbay and City of London rows) holding the
    areas of :func:`_areas_file`, added through the command line."""
    root = tmp_path_factory.mktemp("areas")
    path = root / "var" / datasets.STORES_FOLDER / "national"
    ingest_to_store([TORBAY_ZIP, CITY_ZIP], path)
    assert main(["store-areas", str(path), str(_areas_file(root)), "--name-field", "NAME"]) == 0
    return path


def _torbay_lsoas() -> gpd.GeoDataFrame:
    return gpd.read_file(ROOT / "data" / "boundaries" / "torbay-lsoa.geojson")


def _inside(rows: gpd.GeoDataFrame, polygon) -> gpd.GeoDataFrame:
    """Rows whose BNG point lies in or on ``polygon`` (EPSG:4326), with geopandas."""
    metres = gpd.GeoSeries([polygon], crs=schema.WGS84).to_crs(schema.BNG).iloc[0]
    points = gpd.GeoSeries(gpd.points_from_xy(rows["easting"], rows["northing"]), crs=schema.BNG)
    return rows[points.intersects(metres).to_numpy()]


def test_cli_stores_the_areas_in_the_manifest_with_the_forces_in_them(national, capsys):
    manifest = json.loads((national / MANIFEST).read_text(encoding="utf-8"))
    recorded = manifest["areas"]
    assert recorded["file"] == areas.AREAS_FILE and recorded["name_field"] == "NAME"
    assert recorded["source"] == "areas.gpkg"
    names = [a["name"] for a in recorded["areas"]]
    assert names == sorted([*_torbay_lsoas()["lsoa_name"], "Westminster"])
    assert (national / areas.AREAS_FILE).is_file()
    # Every Torbay LSOA holds Devon & Cornwall incidents; Westminster none of theirs.
    devon = [a.name for a in areas.store_areas(national, DEVON)]
    assert devon == sorted(_torbay_lsoas()["lsoa_name"])
    assert "Westminster" not in devon
    # The polygons came in metres and are kept in degrees, inside Torbay.
    polygon = areas.area_polygon(national, "Torbay 001A")
    lsoa = _torbay_lsoas().set_index("lsoa_name").geometry["Torbay 001A"]
    assert polygon.symmetric_difference(lsoa).area < 1e-4 * lsoa.area  # reprojected twice


def test_cli_refuses_a_missing_name_field_and_a_non_store(national, tmp_path, capsys):
    areas_file = _areas_file(tmp_path)
    assert main(["store-areas", str(national), str(areas_file), "--name-field", "LAD"]) == 2
    error = capsys.readouterr().err
    assert "'LAD' is not a field" in error and "NAME" in error
    assert main(["store-areas", str(tmp_path), str(areas_file), "--name-field", "NAME"]) == 2
    assert "not a partitioned store" in capsys.readouterr().err


def test_cli_refuses_metres_labelled_as_degrees(national, tmp_path, capsys):
    frame = gpd.read_file(_areas_file(tmp_path))
    wrong = tmp_path / "wrong.geojson"
    frame.set_crs(schema.WGS84, allow_override=True).to_file(wrong)  # metres as degrees
    assert main(["store-areas", str(national), str(wrong), "--name-field", "NAME"]) == 2
    assert "outside Great Britain" in capsys.readouterr().err


def test_reading_an_area_opens_only_partitions_whose_box_meets_it(national, tmp_path):
    polygon = areas.area_polygon(national, "Torbay 001A")
    every_devon_row = store.read_incidents(national, forces=[DEVON])
    expected = _inside(every_devon_row, polygon)
    assert 0 < len(expected) < len(every_devon_row) / 10
    # Another copy of the store whose City of London files cannot be read.
    copy = tmp_path / "copy"
    ingest_to_store([TORBAY_ZIP, CITY_ZIP], copy)
    main(["store-areas", str(copy), str(_areas_file(tmp_path)), "--name-field", "NAME"])
    for part in copy.glob("force=City%20of%20London%20Police/*/*.parquet"):
        part.write_bytes(b"not parquet at all")  # any read of these files would fail
    rows = store.read_incidents(copy, within=polygon)
    key = ["month", "category", "easting", "northing", "location", "incident_id"]
    pd.testing.assert_frame_equal(
        rows.sort_values(key).reset_index(drop=True).drop(columns="source"),
        expected.sort_values(key).reset_index(drop=True).drop(columns="source"),
    )
    asb = query.Selection.of(categories=[schema.ASB], within=polygon)
    counts = query.monthly_counts(copy, asb)
    expected_asb = expected[expected["category"] == schema.ASB]
    assert counts["incidents"].tolist() == expected_asb.groupby("month").size().tolist()
    weights = query.snap_weights(copy, asb)
    assert weights.incidents == len(expected_asb)
    assert len(weights) == len(expected_asb.groupby(["easting", "northing"]))
    with pytest.raises(Exception, match="(?i)parquet"):
        store.read_incidents(copy, forces=[CITY])


def test_an_append_keeps_the_areas_and_links_new_forces(tmp_path):
    path = tmp_path / "store"
    ingest_to_store([TORBAY_ZIP], path)
    main(["store-areas", str(path), str(_areas_file(tmp_path)), "--name-field", "NAME"])
    assert areas.store_areas(path, CITY) == []
    ingest_to_store([CITY_ZIP], path)
    assert len(areas.store_areas(path)) == 94
    assert [a.name for a in areas.store_areas(path, DEVON)] == sorted(_torbay_lsoas()["lsoa_name"])
    assert DEVON in areas.store_areas(path)[0].forces


@pytest.fixture
def app_data(national, monkeypatch):
    monkeypatch.setenv("ASB_DATA_DIR", str(national.parents[1]))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield national
    st.cache_data.clear()
    st.cache_resource.clear()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_sidebar_lists_a_forces_areas_and_the_pages_work_on_one_area(app_data):
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params["dataset"] = "national"
    at.query_params["force"] = DEVON
    at.run()
    assert not at.exception
    chooser = at.sidebar.selectbox(key="force_area")
    assert chooser.options == ["Whole force", *sorted(_torbay_lsoas()["lsoa_name"])]
    whole = int(_metric(at, "Incidents").replace(",", ""))
    chooser.set_value("Torbay 001A").run()
    assert not at.exception
    polygon = areas.area_polygon(app_data, "Torbay 001A")
    rows = _inside(store.read_incidents(app_data, forces=[DEVON], categories=[schema.ASB]), polygon)
    assert _metric(at, "Incidents") == f"{len(rows):,}"
    assert 0 < len(rows) < whole
    # The title names the area, the force and the store, escaped for Markdown.
    assert at.title[0].value.startswith(r"Overview: Torbay 001A, Devon \& Cornwall Police")
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="force_area").value == "Torbay 001A"
    at.switch_page("pages/coverage.py").run()  # demo patrols are Torbay's embedded area's
    assert not at.exception
    assert any(r"the sidebar shows Torbay 001A, Devon \& Cornwall" in i.value for i in at.info)


def test_choosing_another_force_starts_it_on_the_whole_force(app_data):
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params["dataset"] = "national"
    at.query_params["force"] = DEVON
    at.query_params["force_area"] = "Torbay 001A"
    at.run()
    assert at.sidebar.selectbox(key="force_area").value == "Torbay 001A"
    at.sidebar.selectbox(key="force").set_value(CITY).run()
    assert not at.exception
    # Some City of London incidents lie across the boundary, in Westminster.
    assert [a.name for a in areas.store_areas(app_data, CITY)] == ["Westminster"]
    chooser = at.sidebar.selectbox(key="force_area")
    assert chooser.options == ["Whole force", "Westminster"]
    assert chooser.value == "Whole force"


def test_pai_on_one_area_is_measured_against_the_areas_outline(app_data):
    from geo.hotspots.dbscan import find_hotspots
    from pages import common

    selection = common.Selection(
        "national",
        "Torbay 001A",
        "2024-01",
        "2025-12",
        (schema.ASB,),
        (schema.ASB,),
        force=DEVON,
        area="Torbay 001A",
    )
    found = common.find_hotspots(selection, 50, 5)
    polygon = areas.area_polygon(app_data, "Torbay 001A")
    outline = gpd.GeoDataFrame(geometry=[polygon], crs=schema.WGS84)
    rows = _inside(store.read_incidents(app_data, forces=[DEVON], categories=[schema.ASB]), polygon)
    expected = find_hotspots(rows, eps_m=50, min_samples=5, study_area=outline).hotspots
    assert len(expected) > 0
    pd.testing.assert_series_equal(found.hotspots["pai"], expected["pai"])
    whole = find_hotspots(rows, eps_m=50, min_samples=5).hotspots  # the points' hull
    assert not np.allclose(whole["pai"], expected["pai"])
