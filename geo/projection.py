"""Projection to metric coordinates.

Distances in this library are metres. Inside Great Britain we use the British National
Grid (``EPSG:27700``, scale error under 0.04 %); elsewhere the UTM zone (WGS84) that
contains the data's centre.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.checks import fail
from geo.schema import BNG, WGS84

#: Longitude/latitude box of Great Britain (degrees, EPSG:4326) used to choose the grid.
_GB_LONLAT_BOX = (-8.7, 49.8, 1.9, 60.9)


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> str:
    """Return the metric CRS for points in degrees (EPSG:4326).

    ``EPSG:27700`` when the points' median lies in Great Britain, else the WGS84 UTM
    zone of the median (``EPSG:326zz`` north, ``EPSG:327zz`` south). Fails when there is
    no finite point to take the median of.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any():
        fail(
            "`lon` and `lat` have no finite pair, so no metric CRS can be chosen",
            fix="Pass at least one incident with a longitude and latitude",
        )
    lon_c, lat_c = float(np.median(lon[finite])), float(np.median(lat[finite]))
    west, south, east, north = _GB_LONLAT_BOX
    if west <= lon_c <= east and south <= lat_c <= north:
        return BNG
    zone = int((lon_c + 180) // 6) % 60 + 1
    return f"EPSG:{32600 + zone if lat_c >= 0 else 32700 + zone}"


def unique_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(x, y)`` pairs and the index of each input row's pair.

    Returns ``(codes, unique_x, unique_y)`` with ``x == unique_x[codes]``. police.uk
    snaps every incident to a fixed map point, so a force's million rows share a few
    tens of thousands of coordinates; working on the distinct ones is much cheaper.
    """
    # One complex number per pair lets pandas' hash table factorise both columns at once.
    codes, uniques = pd.factorize(np.asarray(x, "float64") + 1j * np.asarray(y, "float64"))
    return codes, uniques.real.copy(), uniques.imag.copy()


def transform_xy(
    x: np.ndarray, y: np.ndarray, source: str, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays from CRS ``source`` to CRS ``target`` (x = lon/easting).

    Each distinct pair is transformed once; NaN in gives NaN out.
    """
    codes, ux, uy = unique_pairs(x, y)
    out_x, out_y = _transformer(source, target).transform(ux, uy)
    # factorize codes NaN pairs as -1, which picks the NaN appended last
    return np.append(out_x, np.nan)[codes], np.append(out_y, np.nan)[codes]


def points_from_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Shapely points (EPSG:4326) for degree arrays; rows with the same pair share one point.

    Sharing is safe because shapely geometries are immutable. NaN pairs give None.
    """
    codes, ux, uy = unique_pairs(lon, lat)
    return np.append(shapely.points(ux, uy), None)[codes]


def lonlat_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees (EPSG:4326) to British National Grid metres (EPSG:27700)."""
    return transform_xy(lon, lat, WGS84, BNG)


def bng_to_lonlat(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres (EPSG:27700) to WGS84 degrees (EPSG:4326)."""
    return transform_xy(easting, northing, BNG, WGS84)


def metric_xy(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Return incident coordinates in metres and the metric CRS they are in.

    Uses the schema's ``easting``/``northing`` (EPSG:27700) when the data lie in Great
    Britain and the columns are complete; otherwise projects ``geometry`` to the CRS from
    :func:`geo.projection.metric_crs_for`.
    """
    if incidents.crs is None:
        fail("`incidents` has no CRS", fix="Set it, e.g. .set_crs('EPSG:4326')")
    lonlat = incidents.geometry.to_crs(WGS84) if incidents.crs != WGS84 else incidents.geometry
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    crs = metric_crs_for(lon, lat)
    if crs == BNG and {"easting", "northing"} <= set(incidents.columns):
        x = incidents["easting"].to_numpy(dtype="float64", na_value=np.nan)
        y = incidents["northing"].to_numpy(dtype="float64", na_value=np.nan)
        if np.isfinite(x).all() and np.isfinite(y).all():
            return x, y, crs
    x, y = transform_xy(lon, lat, WGS84, crs)
    bad = int((~np.isfinite(x) | ~np.isfinite(y)).sum())
    if bad:
        fail(
            f"{bad} incident(s) have no usable coordinates",
            fix="Load incidents through geo.ingest, which sets such rows aside with a reason",
        )
    return x, y, crs
