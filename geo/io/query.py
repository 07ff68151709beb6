"""Small answers from a big store: counts and snap-point weights, never all rows.

Every function takes a store (one GeoParquet file, or a partitioned folder,
:mod:`geo.io.partitioned`) and the user's selection: forces, an inclusive month range,
categories and a bounding box. Partitions are chosen from the manifest, and the rest of
the selection is pushed down to Parquet row-group statistics, so a query reads only
the columns and row groups it needs. Arguments are plain values (strings, tuples of
strings and dates), so callers can cache results on them.

The pages' figures and ``geo hotspots --by`` both use these functions: monthly and
category counts from the manifest when no bounding box is given (no file is opened),
and per-snap-point weights for :func:`geo.hotspots.dbscan.weighted_dbscan`. police.uk
moves every incident to one of about 750,000 snap points, so the weights of any
selection, however many rows it covers, fit in a few megabytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import shapely

from geo.checks import fail
from geo.io.partitioned import PartitionedStore, is_partitioned
from geo.projection import lonlat_to_bng, unique_pairs
from geo.timeseries import parse_month

Months = tuple[str | dt.date | None, str | dt.date | None] | None
BBox = tuple[float, float, float, float] | None


@dataclass(frozen=True)
class Selection:
    """What the user is looking at. ``bbox`` in EPSG:4326 degrees
    ``(min_lon, min_lat, max_lon, max_lat)``; ``months`` inclusive, either end open;
    ``within`` a polygon (WKB, EPSG:27700 metres) that rows' easting and northing must
    fall in or on, with ``bbox`` then inside the polygon's bounds."""

    forces: tuple[str, ...] | None = None
    months: tuple[dt.date | None, dt.date | None] | None = None
    categories: tuple[str, ...] | None = None
    bbox: tuple[float, float, float, float] | None = None
    within: bytes | None = None

    @classmethod
    def of(
        cls,
        forces: Sequence[str] | None = None,
        months: Months = None,
        categories: Sequence[str] | None = None,
        bbox: BBox = None,
        within: shapely.Geometry | None = None,
    ) -> Selection:
        """A selection from loose arguments, months parsed (``"YYYY-MM"`` or dates);
        ``within`` is a polygon in EPSG:4326 degrees (e.g. a named area of the store)."""
        if months is not None:
            months = tuple(None if m is None else parse_month(m, "months") for m in months)
        if bbox is not None:
            bbox = tuple(float(v) for v in bbox)
        wkb = None
        if within is not None:
            if within.is_empty:
                fail("`within` is an empty polygon", fix="Pass an area with a boundary")
            # Padded by about 10 m: the row test is on the polygon in EPSG:27700, whose
            # edges bow slightly away from the same edges drawn straight in degrees.
            west, south, east, north = (float(v) for v in within.bounds)
            pad = 1e-4
            bbox = _intersect_boxes(bbox, (west - pad, south - pad, east + pad, north + pad))
            wkb = shapely.to_wkb(to_bng(within))
        return cls(
            None if forces is None else tuple(forces),
            months,
            None if categories is None else tuple(categories),
            bbox,
            wkb,
        )

    def inside(self, easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
        """Mask of the points (EPSG:27700 metres) in or on :attr:`within` (all True
        without one); each distinct point is tested once, NaN is outside."""
        if self.within is None:
            return np.ones(len(easting), dtype=bool)
        polygon = shapely.from_wkb(self.within)
        shapely.prepare(polygon)
        codes, x, y = unique_pairs(easting, northing)
        return np.append(shapely.intersects_xy(polygon, x, y), False)[codes]

    def expression(self) -> ds.Expression | None:
        """Row filter for Parquet pushdown (months, categories, bbox covering column)."""
        parts = []
        if self.forces is not None:
            parts.append(ds.field("force").isin(list(self.forces)))
        if self.months is not None:
            first, last = self.months
            if first is not None:
                parts.append(ds.field("month") >= pa.scalar(first, pa.date32()))
            if last is not None:
                parts.append(ds.field("month") <= pa.scalar(last, pa.date32()))
        if self.categories is not None:
            parts.append(ds.field("category").isin(pa.array(self.categories, pa.string())))
        if self.bbox is not None:
            west, south, east, north = self.bbox
            parts += [
                ds.field("bbox", "xmax") >= west,
                ds.field("bbox", "xmin") <= east,
                ds.field("bbox", "ymax") >= south,
                ds.field("bbox", "ymin") <= north,
            ]
        if not parts:
            return None
        expression = parts[0]
        for part in parts[1:]:
            expression = expression & part
        return expression


def to_bng(shape: shapely.Geometry) -> shapely.Geometry:
    """A geometry in EPSG:4326 degrees transformed to EPSG:27700 metres (vertex by vertex)."""
    return shapely.transform(shape, lambda xy: np.column_stack(lonlat_to_bng(xy[:, 0], xy[:, 1])))


def _intersect_boxes(a: BBox, b: tuple[float, float, float, float]) -> tuple:
    """The overlap of two ``(min_x, min_y, max_x, max_y)`` boxes (``a`` may be None); an
    empty overlap stays an inverted box, which no partition or row group matches."""
    if a is None:
        return b
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _check_store(store: str | Path) -> Path:
    path = Path(store)
    if not path.exists():
        fail("no such incident store", fix="Create one with `python -m geo ingest`", file=path)
    return path


def files_for(store: str | Path, selection: Selection) -> list[str]:
    """The Parquet files a selection needs: partitions pruned by the manifest."""
    path = _check_store(store)
    if not is_partitioned(path):
        return [str(path)]
    partitioned = PartitionedStore(path)
    months = selection.months
    chosen = partitioned.select(selection.forces, months, selection.categories, selection.bbox)
    return partitioned.files(chosen)


def read_table(
    store: str | Path, selection: Selection, columns: Sequence[str] | None = None
) -> pa.Table | None:
    """Rows of the selection as Arrow (only ``columns`` when given), or None when no
    file can match. Only the pruned files and their matching row groups are read."""
    files = files_for(store, selection)
    if not files:
        return None
    dataset = ds.dataset(files, format="parquet")
    wanted = list(columns) if columns else None
    coordinates = [] if wanted is None else [c for c in ("easting", "northing") if c not in wanted]
    if selection.within is None:
        coordinates = []
    table = dataset.to_table(
        columns=None if wanted is None else wanted + coordinates, filter=selection.expression()
    )
    if selection.within is None:
        return table
    xy = [table.column(c).to_numpy(zero_copy_only=False) for c in ("easting", "northing")]
    return table.filter(selection.inside(*xy)).drop_columns(coordinates)


def forces(store: str | Path) -> list[str]:
    """Forces with data in the store, sorted; read from the manifest of a folder."""
    path = _check_store(store)
    if is_partitioned(path):
        return PartitionedStore(path).forces()
    table = ds.dataset(str(path)).to_table(columns=["force"])
    return sorted(v for v in pc.unique(table.column("force")).to_pylist() if v is not None)


def monthly_counts(store: str | Path, selection: Selection) -> pd.DataFrame:
    """Incidents per month of the selection: columns ``month`` (date) and ``incidents``.

    Months without rows are absent (no data, not zero). Without a bounding box a
    partitioned store answers from its manifest alone.
    """
    counts = _counts(store, selection, "month")
    return counts.rename(columns={"key": "month"}).sort_values("month", ignore_index=True)


def category_counts(store: str | Path, selection: Selection) -> pd.DataFrame:
    """Incidents per category of the selection, most first: ``category``, ``incidents``."""
    counts = _counts(store, selection, "category").rename(columns={"key": "category"})
    return counts.sort_values(["incidents", "category"], ascending=[False, True], ignore_index=True)


def _counts(store: str | Path, selection: Selection, by: str) -> pd.DataFrame:
    path = _check_store(store)
    if is_partitioned(path) and selection.bbox is None:
        return _manifest_counts(PartitionedStore(path), selection, by)
    table = read_table(store, selection, columns=[by])
    if table is None or table.num_rows == 0:
        return pd.DataFrame({"key": pd.Series(dtype=object), "incidents": pd.Series(dtype="int64")})
    grouped = table.group_by(by).aggregate([([], "count_all")])
    return pd.DataFrame(
        {"key": grouped.column(by).to_pylist(), "incidents": grouped.column("count_all").to_numpy()}
    )


def _manifest_counts(store: PartitionedStore, selection: Selection, by: str) -> pd.DataFrame:
    totals: dict = {}
    wanted = None if selection.categories is None else set(selection.categories)
    for partition in store.select(selection.forces, selection.months, selection.categories):
        for category, n in partition.categories.items():
            if wanted is not None and category not in wanted:
                continue
            key = dt.date.fromisoformat(partition.month + "-01") if by == "month" else category
            totals[key] = totals.get(key, 0) + n
    return pd.DataFrame(
        {"key": list(totals), "incidents": np.fromiter(totals.values(), "int64", len(totals))}
    )


@dataclass(frozen=True)
class SnapWeights:
    """Incidents per distinct point (snap point) of a selection, metres EPSG:27700.

    ``xy`` is (m, 2) easting/northing, ``weights`` incidents per point, ``force`` the
    force of each point (a snap point shared by two forces appears once per force).
    Points are sorted by (force, easting, northing), so equal selections give equal
    arrays whatever order the files were read in. ``location`` (police.uk's "On or near
    ..." text of the snap point) is given when asked for; then a point whose rows carry
    two texts appears once per text.
    """

    xy: np.ndarray
    weights: np.ndarray
    force: np.ndarray
    location: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def incidents(self) -> int:
        """Incidents in the selection."""
        return int(self.weights.sum())

    def of_force(self, force: str) -> np.ndarray:
        """Mask of the points of ``force``: integer codes, worked out once per object,
        are compared instead of the text of every point for each force asked."""
        codes, names = self._force_codes
        found = np.flatnonzero(names == force)
        return codes == (found[0] if len(found) else -2)

    def force_codes(self, names: Sequence[str]) -> np.ndarray:
        """Position in ``names`` of each point's force, -1 for a force not among them,
        from the integer codes worked out once per object (not the text of every point)."""
        codes, found = self._force_codes
        position = {name: i for i, name in enumerate(names)}
        lookup = np.array([position.get(name, -1) for name in found] + [-1], dtype=np.int64)
        return lookup[codes]  # a missing force has code -1: the -1 appended last

    @cached_property
    def _force_codes(self) -> tuple[np.ndarray, np.ndarray]:
        codes, names = pd.factorize(self.force)
        return codes, np.asarray(names, dtype=object)

    def subset(self, mask: np.ndarray) -> SnapWeights:
        """The points where ``mask`` (boolean, one per point) is true, order kept."""
        return SnapWeights(
            self.xy[mask],
            self.weights[mask],
            self.force[mask],
            None if self.location is None else self.location[mask],
        )


def snap_weights(
    store: str | Path, selection: Selection, *, with_location: bool = False
) -> SnapWeights:
    """Per-snap-point incident counts of the selection (three or four columns read).

    Grouped by DuckDB over the pruned part files: four to five times faster than
    pyarrow's ``group_by`` on the same files (bench/README.md, "National scale"), with
    the same answer.
    """
    keys = ["force", "easting", "northing"] + (["location"] if with_location else [])
    files = files_for(store, selection)
    grouped = _grouped_counts(files, selection, keys) if files else None
    if grouped is None or grouped.num_rows == 0:
        nothing = np.empty(0, dtype=object)
        return SnapWeights(
            np.empty((0, 2)),
            np.empty(0, dtype=np.int64),
            nothing,
            nothing if with_location else None,
        )
    xy = np.column_stack(
        [grouped.column("easting").to_numpy(), grouped.column("northing").to_numpy()]
    )
    weights = SnapWeights(
        xy,
        grouped.column("count_all").to_numpy().astype(np.int64),
        np.asarray(grouped.column("force").to_pylist(), dtype=object),
        np.asarray(grouped.column("location").to_pylist(), dtype=object) if with_location else None,
    )
    if selection.within is None:
        return weights
    return weights.subset(selection.inside(weights.xy[:, 0], weights.xy[:, 1]))


def _grouped_counts(files: list[str], selection: Selection, keys: list[str]) -> pa.Table | None:
    """Rows of the selection in ``files`` counted per distinct ``keys``, sorted by them
    (text in byte order, missing values last, as pyarrow sorts); None when the
    selection's categories are an empty list."""
    import duckdb

    conditions, parameters = ["true"], {"files": files}
    if selection.forces is not None:
        conditions.append("force IN (SELECT unnest($forces))")
        parameters["forces"] = list(selection.forces)
    if selection.months is not None:
        first, last = selection.months
        if first is not None:
            conditions.append("month >= $first")
            parameters["first"] = first
        if last is not None:
            conditions.append("month <= $last")
            parameters["last"] = last
    if selection.categories is not None:
        if not selection.categories:
            return None
        conditions.append("category IN (SELECT unnest($categories))")
        parameters["categories"] = list(selection.categories)
    if selection.bbox is not None:
        conditions.append(
            "bbox.xmax >= $west AND bbox.xmin <= $east AND bbox.ymax >= $south "
            "AND bbox.ymin <= $north"
        )
        parameters.update(zip(("west", "south", "east", "north"), selection.bbox, strict=True))
    columns = ", ".join(keys)
    sql = (
        f"SELECT {columns}, count(*)::BIGINT AS count_all "
        "FROM read_parquet($files, hive_partitioning = false) "
        f"WHERE {' AND '.join(conditions)} GROUP BY {columns} "
        f"ORDER BY {', '.join(f'{k} ASC NULLS LAST' for k in keys)}"
    )
    with duckdb.connect() as connection:
        return connection.sql(sql, params=parameters).to_arrow_table()
