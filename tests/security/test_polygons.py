"""Hotspot polygon files: wrong types, missing geometry, wrong CRS and bow-ties."""

from __future__ import annotations

import json

import pytest
import shapely

from geo.checks import GeoInputError
from geo.io.polygons import read_polygons

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


def test_coverage_cli_refuses_null_geometry_in_one_line(tmp_path, geo_cli, snapshot):
    hotspots = _geojson(tmp_path, None)
    pings = tmp_path / "p.csv"
    pings.write_text("unit_id,timestamp,lat,lon\nPC1,2024-07-03T10:00:00,50.46,-3.52\n")
    before = snapshot()
    run = geo_cli(
        "coverage",
        pings,
        "--hotspots",
        hotspots,
        "--funding-date",
        "2024-07-10",
        "--out",
        "cov.csv",
    )
    run.assert_one_line_error("hotspots.geojson", "hotspot h1 has no geometry")
    assert snapshot() == before
