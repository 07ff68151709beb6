"""The incident store: GeoParquet 1.1 files in the canonical schema (:mod:`geo.schema`).

Files are written with a geometry column in EPSG:4326 plus a ``bbox`` covering column,
zstd compression, and rows sorted along a Hilbert curve so that row groups are spatially
compact. The loader pushes month, category and bbox filters down to pyarrow, so only the
row groups that can match are read. A store may also be a folder partitioned by force and
month (:mod:`geo.io.partitioned`); then only the partitions that can match are opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo import schema
from geo.checks import check_columns, fail
from geo.io.geoparquet import ROW_GROUP_SIZE
from geo.timeseries import parse_month


def write_incidents(incidents: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write canonical incidents to a GeoParquet 1.1 file and return its path.

    Rows are sorted along a Hilbert curve (spatial order). ``incidents`` must have the
    columns of :data:`geo.schema.INCIDENT_COLUMNS` and geometry in EPSG:4326.
    """
    check_columns("incidents", incidents.columns, schema.INCIDENT_COLUMNS)
    if incidents.crs is None or incidents.crs.to_string() != schema.WGS84:
        fail(f"`incidents` must be in {schema.WGS84}, got {incidents.crs}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = incidents
    if len(incidents):
        order = np.argsort(incidents.geometry.hilbert_distance().to_numpy(), kind="stable")
        ordered = incidents.iloc[order]
    ordered.reset_index(drop=True).to_parquet(
        path,
        compression="zstd",
        schema_version="1.1.0",
        write_covering_bbox=True,
        row_group_size=ROW_GROUP_SIZE,
    )
    return path


def read_incidents(
    path: str | Path,
    months: tuple[str | dt.date | None, str | dt.date | None] | None = None,
    categories: Sequence[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    forces: Sequence[str] | None = None,
    *,
    within: shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """Load incidents from a GeoParquet store, filtered at the file level.

    Parameters
    ----------
    path
        GeoParquet file written by :func:`write_incidents`, or a partitioned store folder
        written by ``python -m geo ingest --out FOLDER``.
    months
        ``(first, last)`` inclusive, as ``"YYYY-MM"`` strings or dates; either end may be
        ``None`` for an open range.
    categories
        Keep only these categories (exact names, e.g. ``"Anti-social behaviour"``).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in EPSG:4326 degrees.
    forces
        Keep only these forces (police.uk ``Falls within`` names).
    within
        Keep only rows in or on this polygon (EPSG:4326 degrees; e.g. a named area of a
        store, :func:`geo.io.areas.area_polygon`). Partitions and row groups outside its
        bounding box are never read; the rest are tested point by point in EPSG:27700.

    Returns
    -------
    GeoDataFrame
        Canonical columns, geometry in EPSG:4326, ``month`` as dates.
    """
    path = Path(path)
    if not path.exists():
        fail("no such incident store", fix="Create one with `python -m geo ingest`", file=path)
    if path.is_dir() or forces is not None or within is not None:
        from geo.io.query import Selection

        return _read_selection(path, Selection.of(forces, months, categories, bbox, within))
    filters = _filters(months, categories)
    frame = gpd.read_parquet(path, filters=filters or None, bbox=bbox)
    frame = frame.drop(columns=["bbox"], errors="ignore")
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame.reset_index(drop=True)


def _read_selection(path: Path, selection) -> gpd.GeoDataFrame:
    """Rows of a :class:`geo.io.query.Selection` from a file or a partitioned folder, as
    :func:`read_incidents` returns them."""
    from geo.io.geoparquet import geometries_from_wkb, incident_schema
    from geo.io.query import read_table

    # The bbox covering column serves the filter only: not read into the result.
    columns = [name for name in incident_schema().names if name != "bbox"]
    table = read_table(path, selection, columns=columns)
    if table is None:
        table = incident_schema().empty_table().select(columns)
    geometry = geometries_from_wkb(table.column("geometry"))
    frame = table.drop_columns(["geometry"]).to_pandas()
    frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.WGS84)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame.reset_index(drop=True)


def filter_incidents(
    incidents: gpd.GeoDataFrame,
    months: tuple[str | dt.date | None, str | dt.date | None] | None = None,
    categories: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """The rows of in-memory ``incidents`` that :func:`read_incidents` would return."""
    keep = np.ones(len(incidents), dtype=bool)
    for column, op, value in _filters(months, categories):
        values = incidents[column]
        if op == "in":
            keep &= values.isin(value.to_pylist()).to_numpy(dtype=bool)
        else:
            keep &= (values >= value if op == ">=" else values <= value).to_numpy(dtype=bool)
    return incidents[keep].reset_index(drop=True)


def _filters(
    months: tuple[str | dt.date | None, str | dt.date | None] | None,
    categories: Sequence[str] | None,
) -> list[tuple]:
    filters: list[tuple] = []
    if months is not None:
        first, last = months
        if first is not None:
            filters.append(("month", ">=", parse_month(first, "months")))
        if last is not None:
            filters.append(("month", "<=", parse_month(last, "months")))
    if categories is not None:
        # A typed array, so that an empty selection filters to no rows instead of failing.
        filters.append(("category", "in", pa.array(list(categories), pa.large_string())))
    return filters
