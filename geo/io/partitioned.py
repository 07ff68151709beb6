"""A national incident store: GeoParquet files partitioned by force and month.

Layout (hive-style, so DuckDB, pyarrow and Spark all see the partitions)::

    STORE/
      _manifest.json
      force=Devon%20%26%20Cornwall%20Police/month=2025-01/part-<source hash>.parquet
      ...

Each part file is a complete GeoParquet 1.1 file in the canonical schema (its rows keep
their ``force`` and ``month`` columns), written by :class:`geo.io.geoparquet.GeoParquetWriter`.
The manifest lists every partition with its row count, bounding boxes (EPSG:4326 degrees
and EPSG:27700 metres), category counts and files, and the source files already
ingested. Readers choose files from the manifest, so a query for one force or a few
months opens only those partitions' files; inside a file, month, category and bbox
filters are pushed down to Parquet row-group statistics.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from geo.checks import fail
from geo.io.geoparquet import GeoParquetWriter
from geo.safety import write_bytes_atomic

MANIFEST = "_manifest.json"

#: Hive's name for a partition whose value is missing (rows without a force).
NO_FORCE = "__HIVE_DEFAULT_PARTITION__"

MANIFEST_VERSION = 1

_OWN_KEYS = {"version", "sources", "partitions"}


def is_partitioned(path: str | Path) -> bool:
    """Whether ``path`` is a partitioned store folder (it holds a manifest)."""
    return (Path(path) / MANIFEST).is_file()


def partition_dir(force: str | None, month: str) -> str:
    """Relative folder of one force-month, ``force=<URI-escaped name>/month=YYYY-MM``."""
    value = NO_FORCE if force is None else quote(force, safe="")
    return f"force={value}/month={month}"


@dataclass(frozen=True)
class Partition:
    """One force-month of the store, as the manifest records it."""

    force: str | None
    month: str
    rows: int
    bbox: tuple[float, float, float, float]
    bbox_bng: tuple[float, float, float, float]
    categories: dict[str, int]
    files: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "force": self.force,
            "month": self.month,
            "rows": self.rows,
            "bbox": list(self.bbox),
            "bbox_bng": list(self.bbox_bng),
            "categories": dict(sorted(self.categories.items())),
            "files": list(self.files),
        }

    @classmethod
    def from_json(cls, item: dict) -> Partition:
        return cls(
            item["force"],
            item["month"],
            int(item["rows"]),
            tuple(item["bbox"]),
            tuple(item["bbox_bng"]),
            dict(item["categories"]),
            tuple(item["files"]),
        )


def _merge(a: Partition, b: Partition) -> Partition:
    categories = dict(a.categories)
    for name, n in b.categories.items():
        categories[name] = categories.get(name, 0) + n

    def union(x: tuple, y: tuple) -> tuple:
        return (min(x[0], y[0]), min(x[1], y[1]), max(x[2], y[2]), max(x[3], y[3]))

    return Partition(
        a.force,
        a.month,
        a.rows + b.rows,
        union(a.bbox, b.bbox),
        union(a.bbox_bng, b.bbox_bng),
        categories,
        a.files + b.files,
    )


class PartitionedStore:
    """A store folder: its manifest, and the sink the streaming ingest writes into."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            fail("is a file, not a store folder", fix="Name a folder or a .parquet file", file=root)
        manifest = self.root / MANIFEST
        if manifest.is_file():
            stat = manifest.stat()
            version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            sources, partitions, extra = _parsed(str(manifest), version)
            self.sources: list[str] = list(sources)
            # What other writers record (the named areas, geo.io.areas) survives an append;
            # a fresh copy, since writers change it.
            self.extra = json.loads(extra)
        elif self.root.is_dir() and any(self.root.iterdir()):
            fail(
                "is a folder with files but no store manifest",
                fix="Name an empty or new folder for the store",
                file=root,
            )
        else:
            self.sources, partitions = [], []
            self.extra = {}
        self.partitions = {(p.force, p.month): p for p in partitions}
        self._written: list[Path] = []

    # --- the sink side (geo.io.stream.RowSink) ---

    def skip(self, names: list[str]) -> list[str]:
        # By file name alone: the same police.uk month may be re-downloaded into another
        # folder or zip, and its name (YYYY-MM-<force>-street.csv) still says what it is.
        known = {_file_name(name) for name in self.sources}
        return [name for name in names if _file_name(name) in known]

    def existing_ids(self, force: str | None) -> list[str]:
        files = [f for (f_, _), p in self.partitions.items() if f_ == force for f in p.files]
        if not files:
            return []
        table = ds.dataset([str(self.root / f) for f in files]).to_table(columns=["incident_id"])
        return [i for i in table.column("incident_id").to_pylist() if i is not None]

    def write(self, rows: pa.Table, source: str) -> None:
        if rows.num_rows == 0:
            return
        tag = hashlib.sha1(source.encode()).hexdigest()[:16]
        for key, part in split_by_partition(rows):
            month_text = key["month"].isoformat()[:7]
            relative = f"{partition_dir(key['force'], month_text)}/part-{tag}.parquet"
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = GeoParquetWriter(path)
            writer.write(part)
            writer.close()
            self._written.append(path)
            self._add(_describe(part, key["force"], month_text, relative))

    def _add(self, partition: Partition) -> None:
        key = (partition.force, partition.month)
        old = self.partitions.get(key)
        self.partitions[key] = partition if old is None else _merge(old, partition)

    def close(self, names: list[str]) -> None:
        self.sources += names
        self.save()

    def save(self) -> None:
        """Write the manifest (atomically): partitions, sources and :attr:`extra`."""
        self.root.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.partitions.values(), key=lambda p: (p.force or "", p.month))
        manifest = {
            "version": MANIFEST_VERSION,
            "sources": self.sources,
            "partitions": [p.to_json() for p in ordered],
            **self.extra,
        }
        text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
        write_bytes_atomic(self.root / MANIFEST, text.encode("utf-8"))

    def abort(self) -> None:
        # Files of this run are not in the manifest, so readers never see them; remove
        # them so that a re-run starts clean.
        for path in self._written:
            path.unlink(missing_ok=True)

    # --- the reader side ---

    def forces(self) -> list[str]:
        """Forces with data in the store, sorted (rows without a force are left out)."""
        return sorted({p.force for p in self.partitions.values() if p.force is not None})

    def select(
        self,
        forces: Sequence[str] | None = None,
        months: tuple[dt.date | None, dt.date | None] | None = None,
        categories: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        *,
        bbox_crs: str = "EPSG:4326",
    ) -> list[Partition]:
        """Partitions that may hold matching rows, from the manifest alone (no file read).

        ``months`` are inclusive first days of months (either end may be None); ``bbox``
        is ``(min_x, min_y, max_x, max_y)`` in degrees (EPSG:4326) or, with
        ``bbox_crs="EPSG:27700"``, in metres.
        """
        chosen = []
        wanted_forces = None if forces is None else set(forces)
        wanted_categories = None if categories is None else set(categories)
        first, last = months if months is not None else (None, None)
        for partition in self.partitions.values():
            month = dt.date.fromisoformat(partition.month + "-01")
            if wanted_forces is not None and partition.force not in wanted_forces:
                continue
            if (first is not None and month < first) or (last is not None and month > last):
                continue
            if wanted_categories is not None and not wanted_categories & set(partition.categories):
                continue
            box = partition.bbox_bng if bbox_crs == "EPSG:27700" else partition.bbox
            if bbox is not None and not _overlaps(box, bbox):
                continue
            chosen.append(partition)
        return sorted(chosen, key=lambda p: (p.force or "", p.month))

    def files(self, partitions: Sequence[Partition]) -> list[str]:
        """Paths of the part files of ``partitions``."""
        return [str(self.root / f) for p in partitions for f in p.files]


@functools.lru_cache(maxsize=8)
def _parsed(path: str, version: tuple[int, int, int]) -> tuple[tuple, tuple, str]:
    """A manifest's sources, partitions and other keys (as JSON text), parsed once per
    version of the file (inode, modification time and size: the manifest is replaced
    whole by a rename): a national store's manifest takes tens of milliseconds to parse,
    and every query opens the store."""
    del version  # part of the cache key only
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    extra = {k: v for k, v in data.items() if k not in _OWN_KEYS}
    partitions = tuple(Partition.from_json(p) for p in data["partitions"])
    return tuple(data["sources"]), partitions, json.dumps(extra)


def split_by_partition(rows: pa.Table) -> list[tuple[dict, pa.Table]]:
    """``({"force", "month"}, rows of that force and month)`` for each pair in ``rows``.

    A police.uk file holds one force and one month, so that case skips the grouping.
    """
    force, month = rows.column("force").cast(pa.string()), rows.column("month")
    if pc.count_distinct(force, mode="all").as_py() == 1 and len(pc.unique(month)) == 1:
        return [({"force": force[0].as_py(), "month": month[0].as_py()}, rows)]
    keys = pa.table({"force": force, "month": month}).group_by(["force", "month"]).aggregate([])
    parts = []
    for key in keys.to_pylist():
        same_force = pc.is_null(force) if key["force"] is None else pc.equal(force, key["force"])
        mask = pc.and_(pc.fill_null(same_force, False), pc.equal(month, key["month"]))
        parts.append((key, rows.filter(mask)))
    return parts


def _file_name(source: str) -> str:
    """``a/b/2025-01-x-street.csv`` or ``x.zip!dir/2025-01-x-street.csv`` to the file name."""
    return source.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _describe(rows: pa.Table, force: str | None, month: str, relative: str) -> Partition:
    def box(x: str, y: str) -> tuple[float, float, float, float]:
        xs, ys = pc.min_max(rows.column(x)), pc.min_max(rows.column(y))
        return (xs["min"].as_py(), ys["min"].as_py(), xs["max"].as_py(), ys["max"].as_py())

    counts = rows.column("category").value_counts().to_pylist()
    return Partition(
        force,
        month,
        rows.num_rows,
        box("lon", "lat"),
        box("easting", "northing"),
        {c["values"]: c["counts"] for c in counts},
        (relative,),
    )


def dataset(files: Sequence[str]) -> ds.Dataset:
    """A pyarrow dataset over exactly these part files (no folder listing)."""
    if not files:
        return None
    return ds.dataset(list(files), format="parquet", schema=pq.read_schema(files[0]))
