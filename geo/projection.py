"""Projection to metric coordinates.

Distances in this library are metres. Inside Great Britain we use the British National
Grid (``EPSG:27700``, scale error under 0.04 %); elsewhere the UTM zone (WGS84) that
contains the data's centre.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

from geo.schema import BNG, WGS84

#: Longitude/latitude box of Great Britain (degrees, EPSG:4326) used to choose the grid.
_GB_LONLAT_BOX = (-8.7, 49.8, 1.9, 60.9)


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> str:
    """Return the metric CRS for points in degrees (EPSG:4326).

    ``EPSG:27700`` when the points' median lies in Great Britain, else the WGS84 UTM
    zone of the median (``EPSG:326zz`` north, ``EPSG:327zz`` south).
    """
    lon_c, lat_c = float(np.nanmedian(lon)), float(np.nanmedian(lat))
    west, south, east, north = _GB_LONLAT_BOX
    if west <= lon_c <= east and south <= lat_c <= north:
        return BNG
    zone = int((lon_c + 180) // 6) % 60 + 1
    return f"EPSG:{32600 + zone if lat_c >= 0 else 32700 + zone}"


def transform_xy(
    x: np.ndarray, y: np.ndarray, source: str, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays from CRS ``source`` to CRS ``target`` (x = lon/easting)."""
    out_x, out_y = _transformer(source, target).transform(
        np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    )
    return np.asarray(out_x), np.asarray(out_y)


def lonlat_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees (EPSG:4326) to British National Grid metres (EPSG:27700)."""
    return transform_xy(lon, lat, WGS84, BNG)


def bng_to_lonlat(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres (EPSG:27700) to WGS84 degrees (EPSG:4326)."""
    return transform_xy(easting, northing, BNG, WGS84)
