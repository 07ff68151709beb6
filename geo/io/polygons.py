"""Users' polygon files (hotspots, study areas, boundaries) read in EPSG:4326 with
clear errors naming the file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo import schema
from geo.checks import fail


def read_polygons(path: str | Path, what: str) -> gpd.GeoDataFrame:
    """Read a user's polygon file (GeoJSON or any GDAL vector format) in EPSG:4326.

    ``what`` names the contents in messages ("hotspot", "area", "boundary"). Fails naming
    the file when it is missing, unreadable or empty. A file without a CRS is taken as
    EPSG:4326, as GeoJSON is.
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
    return frame.to_crs(schema.WGS84) if frame.crs else frame.set_crs(schema.WGS84)
