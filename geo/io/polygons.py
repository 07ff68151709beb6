"""Users' polygon files (hotspots, study areas, boundaries) read in EPSG:4326 with
clear errors naming the file and the feature.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geo import schema
from geo.checks import fail

#: Great Britain and its islands in WGS84 degrees (EPSG:4326): west, south, east, north.
#: Generous, like :data:`geo.schema.GB_EXTENT_BNG`; its job is to catch British National
#: Grid metres or another CRS mislabelled as longitude/latitude, not to trim coastlines.
GB_EXTENT_LONLAT = (-11.0, 49.0, 3.0, 61.5)

_POLYGONAL = {"Polygon", "MultiPolygon"}


def read_polygons(path: str | Path, what: str) -> gpd.GeoDataFrame:
    """Read a user's polygon file (GeoJSON or any GDAL vector format) in EPSG:4326.

    ``what`` names the contents in messages ("hotspot", "area", "boundary"). Fails naming
    the file when it is missing, unreadable or empty, and naming the feature when its
    geometry is missing, empty or not a polygon, or lies outside Great Britain (usually
    metres labelled as degrees). A file without a CRS is taken as EPSG:4326, as GeoJSON
    is. Self-intersecting polygons are repaired with ``shapely.make_valid``; the repaired
    features' ids are listed in ``frame.attrs["repaired"]`` so callers can report them.
    """
    path = Path(path)
    if not path.is_file():
        fail(f"{what} file not found", fix="Check the path", file=path)
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # noqa: BLE001 - GDAL raises many types for a bad file
        fail(f"not a readable {what} file ({error})", fix="Save it as GeoJSON", file=path)
    if frame.empty:
        fail(f"the {what} file has no features", fix="Save at least one polygon", file=path)
    frame = frame.to_crs(schema.WGS84) if frame.crs else frame.set_crs(schema.WGS84)
    _check_geometries(frame, what, path)
    frame, repaired = _repaired(frame, what)
    _check_inside_gb(frame, what, path)
    frame.attrs["repaired"] = repaired
    return frame


def feature_ids(frame: gpd.GeoDataFrame, what: str) -> list[str]:
    """How messages name each feature: its ``id``, else ``name``, else its position."""
    for column in ("id", "name"):
        if column in frame.columns:
            return [f"{what} {value!s}" for value in frame[column]]
    return [f"{what} feature {i}" for i in range(1, len(frame) + 1)]


def _check_geometries(frame: gpd.GeoDataFrame, what: str, path: Path) -> None:
    geometry = frame.geometry
    ids = feature_ids(frame, what)
    missing = (geometry.isna() | geometry.is_empty).to_numpy()
    if missing.any():
        first = ids[int(missing.argmax())]
        fail(
            f"{first} has no geometry ({int(missing.sum())} feature(s) without one)",
            fix=f"Draw a polygon for each {what} or remove the empty ones",
            file=path,
        )
    kinds = geometry.geom_type.to_numpy()
    wrong = [i for i, kind in enumerate(kinds) if kind not in _POLYGONAL]
    if wrong:
        fail(
            f"{ids[wrong[0]]} is a {kinds[wrong[0]]}, not a polygon "
            f"({len(wrong)} feature(s) are not polygons)",
            fix=f"Draw each {what} as an area (Polygon or MultiPolygon)",
            file=path,
        )


def _repaired(frame: gpd.GeoDataFrame, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``frame`` with invalid polygons made valid (polygon parts only), and their ids."""
    invalid = ~frame.geometry.is_valid.to_numpy()
    if not invalid.any():
        return frame, []
    fixed = shapely.make_valid(frame.geometry.to_numpy()[invalid])
    # make_valid can return a collection with stray lines or points; only areas count.
    fixed = [_polygon_parts(shape) for shape in fixed]
    frame = frame.copy()
    frame.loc[invalid, frame.geometry.name] = fixed
    ids = [name for name, bad in zip(feature_ids(frame, what), invalid, strict=True) if bad]
    return frame, ids


def _polygon_parts(shape: shapely.Geometry) -> shapely.Geometry:
    if shape.geom_type in _POLYGONAL:
        return shape
    parts = [p for p in getattr(shape, "geoms", []) if p.geom_type in _POLYGONAL]
    return shapely.unary_union(parts) if parts else shapely.Polygon()


def _check_inside_gb(frame: gpd.GeoDataFrame, what: str, path: Path) -> None:
    west, south, east, north = GB_EXTENT_LONLAT
    bounds = frame.geometry.bounds.to_numpy()
    outside = (
        (bounds[:, 0] < west)
        | (bounds[:, 1] < south)
        | (bounds[:, 2] > east)
        | (bounds[:, 3] > north)
    )
    if outside.any():
        first = int(outside.argmax())
        x, y = bounds[first, 0], bounds[first, 1]
        metres = abs(x) > 180 or abs(y) > 90
        fail(
            f"{feature_ids(frame, what)[first]} lies outside Great Britain "
            f"(corner at {x:.6g}, {y:.6g}"
            + (", which look like metres, not degrees)" if metres else ")"),
            fix="Save it in EPSG:4326 longitude/latitude, or declare its real CRS "
            "(e.g. EPSG:27700 for British National Grid)",
            file=path,
        )
