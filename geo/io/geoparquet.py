"""Write canonical incidents as GeoParquet 1.1 straight from Arrow, chunk by chunk.

:func:`geo.io.store.write_incidents` writes a whole GeoDataFrame at once. A national
archive does not fit in memory, so the streaming ingest (:mod:`geo.io.stream`) hands
Arrow tables of accepted rows, with ``lon``/``lat`` in EPSG:4326 degrees, to the writers
here. They produce the same file layout as ``write_incidents`` (same columns and types,
``geometry`` as WKB points, a ``bbox`` covering column, zstd, rows in Hilbert order,
GeoParquet 1.1 ``geo`` metadata) without building one shapely object per row.

GeoParquet 1.1: https://geoparquet.org/releases/v1.1.0/
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# geopandas' own Hilbert encoder, so that a chunk is ordered exactly as
# GeoSeries.hilbert_distance() orders it, without building point objects.
from geopandas.tools.hilbert_curve import _continuous_to_discrete_coords, _encode

from geo import schema

#: Columns with few distinct values, Parquet dictionary-encoded.
DICTIONARY_COLUMNS = (
    "month",
    "category",
    "location",
    "lsoa_code",
    "lsoa_name",
    "force",
    "outcome",
    "source",
)

#: Rows per Parquet row group; small enough for pruning on force-sized files.
ROW_GROUP_SIZE = 65_536

#: Bytes of one little-endian 2D WKB point: byte order, geometry type, x, y.
_WKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


@cache
def incident_schema() -> pa.Schema:
    """The Arrow schema (with pandas and ``geo`` metadata) geopandas writes for incidents.

    Taken from a one-row file written by geopandas itself, so streamed files read back
    with exactly the dtypes of :func:`geo.io.store.write_incidents` files.
    """
    frame = pd.DataFrame(
        {
            name: pd.array(
                [dt.date(2000, 1, 1)] if name == "month" else [None],
                dtype=object if name == "month" else None,
            )
            for name in schema.ARROW_SCHEMA.names
        }
    )
    table = pa.Table.from_pandas(frame, schema=schema.ARROW_SCHEMA, preserve_index=False)
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    sample = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([0.0], [51.0]), crs=schema.WGS84)
    buffer = io.BytesIO()
    sample.to_parquet(buffer, schema_version="1.1.0", write_covering_bbox=True)
    return pq.read_schema(pa.BufferReader(buffer.getvalue()))


def hilbert_order(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Stable order of points along geopandas' level-16 Hilbert curve over their own bounds."""
    if len(lon) == 0:
        return np.empty(0, dtype=np.int64)
    bounds = np.column_stack([lon, lat, lon, lat])
    x, y = _continuous_to_discrete_coords(bounds, 16, None)
    return np.argsort(_encode(16, x, y), kind="stable")


def wkb_points(lon: np.ndarray, lat: np.ndarray) -> pa.Array:
    """WKB point per ``(lon, lat)``, built in one numpy pass (no shapely objects)."""
    records = np.empty(len(lon), dtype=_WKB_POINT)
    records["order"], records["type"] = 1, 1
    records["x"], records["y"] = lon, lat
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(_WKB_POINT.itemsize), len(lon), [None, pa.py_buffer(records.tobytes())]
    )
    return fixed.cast(pa.binary())


def geometries_from_wkb(wkb: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Shapely geometries of a WKB column, each distinct value parsed once.

    police.uk moves every incident to one of a few snap points, so a force's rows hold
    about a tenth as many distinct points as rows: parsing only those and sharing the
    (immutable) geometry objects between rows is several times faster than parsing
    every value, which creates one GEOS object per row.
    """
    import shapely

    encoded = pa.chunked_array(wkb).combine_chunks().dictionary_encode()
    distinct = shapely.from_wkb(encoded.dictionary.to_numpy(zero_copy_only=False))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    if encoded.null_count:
        distinct = np.append(distinct, None)
        codes = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, codes)
    return distinct[codes]


def geoparquet_table(rows: pa.Table) -> pa.Table:
    """Canonical rows (with ``lon``/``lat`` degrees) as a table in :func:`incident_schema`.

    Rows are put in Hilbert order; ``lon``/``lat`` become ``geometry`` and ``bbox``.
    """
    lon = rows.column("lon").to_numpy()
    lat = rows.column("lat").to_numpy()
    order = hilbert_order(lon, lat)
    rows, lon, lat = rows.take(order), lon[order], lat[order]
    target = incident_schema()
    box = pa.StructArray.from_arrays(
        [pa.array(v, pa.float64()) for v in (lon, lat, lon, lat)],
        fields=list(target.field("bbox").type),
    )
    columns = [
        wkb_points(lon, lat) if name == "geometry" else box if name == "bbox" else rows[name]
        for name in target.names
    ]
    return pa.Table.from_arrays(
        [c.cast(f.type) for c, f in zip(columns, target, strict=True)], schema=target
    )


def _geo_metadata(bbox: list[float] | None) -> bytes:
    geo = json.loads(incident_schema().metadata[b"geo"])
    column = geo["columns"]["geometry"]
    if bbox is None:
        column.pop("bbox", None)
    else:
        column["bbox"] = bbox
    return json.dumps(geo).encode()


class GeoParquetWriter:
    """Append Arrow chunks of canonical rows to one GeoParquet file, then close it.

    Chunks are buffered up to :data:`ROW_GROUP_SIZE` rows and each row group is written
    in Hilbert order, so memory holds at most one row group more than the caller's
    chunk. The file appears under ``path`` only when :meth:`close` succeeds (written
    beside it, then renamed), so a failed run never leaves a half file behind.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        # The ``geo`` metadata holds the file's bbox, known only at the end (see close()).
        target = incident_schema()
        without_geo = {k: v for k, v in target.metadata.items() if k != b"geo"}
        self._writer = pq.ParquetWriter(
            self._temporary,
            target.with_metadata(without_geo),
            compression="zstd",
            # Dictionaries only where values repeat: trying one for ids, times,
            # coordinates and WKB costs a quarter of the write and makes files larger.
            use_dictionary=list(DICTIONARY_COLUMNS),
            # Min/max of WKB bytes prunes nothing; the bbox columns' statistics do.
            write_statistics=[
                *(name for name in target.names if name not in ("geometry", "bbox")),
                *(f"bbox.{part}" for part in ("xmin", "ymin", "xmax", "ymax")),
            ],
        )
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows = 0
        self._bbox = [np.inf, np.inf, -np.inf, -np.inf]

    def write(self, rows: pa.Table) -> None:
        """Add canonical rows (with ``lon``/``lat``), flushing whole row groups."""
        if rows.num_rows == 0:
            return
        self._pending.append(rows)
        self._pending_rows += rows.num_rows
        if self._pending_rows >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        rows = pa.concat_tables(self._pending)
        self._pending, self._pending_rows = [], 0
        for start in range(0, rows.num_rows, ROW_GROUP_SIZE):
            self._write_group(rows.slice(start, ROW_GROUP_SIZE))

    def _write_group(self, rows: pa.Table) -> None:
        table = geoparquet_table(rows)
        lon, lat = rows.column("lon").to_numpy(), rows.column("lat").to_numpy()
        self._bbox = [
            min(self._bbox[0], float(lon.min())),
            min(self._bbox[1], float(lat.min())),
            max(self._bbox[2], float(lon.max())),
            max(self._bbox[3], float(lat.max())),
        ]
        self._writer.write_table(
            table.replace_schema_metadata(self._writer.schema.metadata),
            row_group_size=ROW_GROUP_SIZE,
        )
        self.rows += rows.num_rows

    @property
    def bbox(self) -> list[float] | None:
        """``[min_lon, min_lat, max_lon, max_lat]`` of the rows written, None when none."""
        return self._bbox if self.rows else None

    def close(self) -> Path:
        """Write the last row group and the ``geo`` metadata; move the file into place."""
        self._flush()
        if self.rows == 0:
            # A file with no row group still needs its schema on disk to be readable.
            self._writer.write_table(self._writer.schema.empty_table())
        self._writer.add_key_value_metadata({"geo": _geo_metadata(self.bbox)})
        self._writer.close()
        os.replace(self._temporary, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file."""
        self._writer.close()
        self._temporary.unlink(missing_ok=True)
