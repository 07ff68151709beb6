"""Hotspot polygon files: wrong types, missing geometry, wrong CRS and bow-ties."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely

from geo.checks import GeoInputError
from geo.io.polygons import read_polygons
from tests.security.helpers import attack

SQUARE = [[-3.527, 50.461], [-3.524, 50.461], [-3.524, 50.463], [-3.527, 50.463], [-3.527, 50.461]]
BOW_TIE = [[-3.527, 50.461], [-3.524, 50.463], [-3.524, 50.461], [-3.527, 50.463], [-3.527, 50.461]]


def _geojson(tmp_path, *geometries, crs=None):
    features = [
        {"type": "Feature", "properties": {"id": f"h{i}"}, "geometry": g}
        for i, g in enumerate(geometries, start=1)
    ]
    collection = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "hotspots.geojson"
    path.write_text(json.dumps(collection))
    return path


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [-3.52, 50.46]}, "hotspot h2 is a Point, not a polygon"),
        ({"type": "LineString", "coordinates": SQUARE[:2]}, "hotspot h2 is a LineString"),
        (None, "hotspot h2 has no geometry"),
        ({"type": "Polygon", "coordinates": []}, "hotspot h2 has no geometry"),
    ],
)
def test_non_polygons_and_missing_geometry_are_refused_naming_the_feature(
    tmp_path, geometry, message
):
    path = _geojson(tmp_path, {"type": "Polygon", "coordinates": [SQUARE]}, geometry)
    with pytest.raises(GeoInputError, match=rf"hotspots\.geojson: {message}"):
        read_polygons(path, "hotspot")


def test_bng_metres_in_a_wgs84_file_are_refused(tmp_path):
    metres = [[292000, 63000], [292300, 63000], [292300, 63300], [292000, 63000]]
    path = _geojson(tmp_path, {"type": "Polygon", "coordinates": [metres]})
    with pytest.raises(GeoInputError, match=r"hotspot h1 lies outside Great Britain.*metres"):
        read_polygons(path, "hotspot")


def test_a_declared_bng_file_is_reprojected_and_accepted(tmp_path):
    metres = [[292000, 63000], [292300, 63000], [292300, 63300], [292000, 63000]]
    path = _geojson(tmp_path, {"type": "Polygon", "coordinates": [metres]}, crs="EPSG:27700")
    frame = read_polygons(path, "hotspot")
    assert -3.6 < frame.geometry.iloc[0].centroid.x < -3.5


def test_a_bow_tie_is_repaired_and_reported(tmp_path):
    path = _geojson(tmp_path, {"type": "Polygon", "coordinates": [BOW_TIE]})
    frame = read_polygons(path, "hotspot")
    assert frame.attrs["repaired"] == ["hotspot h1"]
    shape = frame.geometry.iloc[0]
    assert shape.is_valid and shape.geom_type == "MultiPolygon"
    # Two triangles, each a quarter of the square's area.
    assert shape.area == pytest.approx(shapely.Polygon(SQUARE).area / 2)


NOT_POLYGONS = {
    "point": ({"type": "Point", "coordinates": [-3.52, 50.46]}, "hotspot h1 is a Point"),
    "line": ({"type": "LineString", "coordinates": SQUARE[:2]}, "hotspot h1 is a LineString"),
    "null": (None, "hotspot h1 has no geometry"),
    "empty": ({"type": "Polygon", "coordinates": []}, "hotspot h1 has no geometry"),
    "bng-in-wgs84": (
        {"type": "Polygon", "coordinates": [[[292000, 63000], [292300, 63000], [292300, 63300],
                                             [292000, 63000]]]},
        "hotspot h1 lies outside Great Britain",
    ),
}  # fmt: skip


def _pings(tmp_path):
    """One unit's pings: 20 minutes on 3 and on 20 July 2024 inside the bow-tie's right
    triangle (and so inside SQUARE)."""
    lines = ["unit_id,timestamp,lat,lon"]
    lines += [f"PC1,2024-07-{d}T10:{m:02d}:00,50.462,-3.5245" for d in (3, 20) for m in range(20)]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("case", NOT_POLYGONS)
def test_coverage_cli_refuses_hotspots_that_are_not_usable_polygons_in_one_line(tmp_path, case):
    geometry, message = NOT_POLYGONS[case]
    _geojson(tmp_path, geometry)
    _pings(tmp_path)
    attack(
        tmp_path, "coverage", "p.csv", "--hotspots", "hotspots.geojson",
        "--funding-date", "2024-07-10", "--out", "cov.csv",
        error=["hotspots.geojson", message],
    )  # fmt: skip


def test_coverage_cli_measures_a_bow_tie_on_its_repair_and_says_so(tmp_path):
    _geojson(tmp_path, {"type": "Polygon", "coordinates": [BOW_TIE]})
    _pings(tmp_path)
    run = attack(
        tmp_path, "coverage", "p.csv", "--hotspots", "hotspots.geojson",
        "--funding-date", "2024-07-10", "--out", "cov.csv",
        writes=["cov.csv"],
    )  # fmt: skip
    assert pd.read_csv(tmp_path / "cov.csv")["visits"].tolist() == [1, 1]
    assert "repaired: hotspot h1 crossed itself; measured on its make_valid repair" in run.out
