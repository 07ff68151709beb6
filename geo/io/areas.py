"""Named areas of a national store: a boundary file's polygons kept in the store folder.

``python -m geo store-areas STORE FILE --name-field NAME`` reads a boundary file of named
polygons (community safety partnerships, local authorities; EPSG:27700, EPSG:4326 or any
declared CRS), checks it as every polygon file is checked (:mod:`geo.io.polygons`), and
keeps it in the store as ``_areas.parquet`` (GeoParquet, EPSG:4326, one row per name).
The manifest records each area's name, bounding boxes and the forces with incidents in
it, so that listing the areas of a force opens no file. Reading an area's incidents
prunes partitions by the manifest's bounding boxes, then keeps the points in the polygon
(:func:`geo.io.store.read_incidents` with ``within=``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.checks import fail
from geo.io.partitioned import PartitionedStore, is_partitioned
from geo.io.polygons import read_polygons
from geo.io.query import Selection, snap_weights, to_bng
from geo.safety import write_bytes_atomic

AREAS_FILE = "_areas.parquet"

#: The manifest's key for the areas (see :class:`geo.io.partitioned.PartitionedStore`).
MANIFEST_KEY = "areas"


@dataclass(frozen=True)
class StoreArea:
    """One named area: bounding boxes in EPSG:4326 degrees and EPSG:27700 metres, and
    the forces with at least one incident in it (sorted)."""

    name: str
    bbox: tuple[float, float, float, float]
    bbox_bng: tuple[float, float, float, float]
    forces: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "bbox": list(self.bbox),
            "bbox_bng": list(self.bbox_bng),
            "forces": list(self.forces),
        }

    @classmethod
    def from_json(cls, item: dict) -> StoreArea:
        return cls(
            item["name"], tuple(item["bbox"]), tuple(item["bbox_bng"]), tuple(item["forces"])
        )


def add_areas(store: str | Path, path: str | Path, name_field: str) -> list[StoreArea]:
    """Keep the polygons of boundary file ``path`` in ``store`` as its named areas.

    ``name_field`` is the attribute holding each area's name. Features sharing a name
    are one area (their union). Replaces any areas the store had. Fails naming the file
    or the argument when the file is not a valid polygon file inside Great Britain, the
    field is missing, or a name is blank.
    """
    root = _partitioned(store)
    frame = read_polygons(path, "area")
    if name_field not in frame.columns or name_field == frame.geometry.name:
        fields = ", ".join(c for c in frame.columns if c != frame.geometry.name) or "none"
        fail(
            f"`--name-field` {name_field!r} is not a field of the file (fields: {fields})",
            fix="Pass the field that holds the areas' names",
            file=path,
        )
    names = frame[name_field].astype("string").str.strip()
    blank = (names.isna() | (names == "")).to_numpy()
    if blank.any():
        fail(
            f"area feature {int(blank.argmax()) + 1} has no name in {name_field!r} "
            f"({int(blank.sum())} feature(s) without one)",
            fix="Give every area a name, or remove the unnamed ones",
            file=path,
        )
    named = gpd.GeoDataFrame({"name": names.astype(str).to_numpy()}, geometry=frame.geometry.values)
    named = named.dissolve(by="name", as_index=False, sort=True)[["name", "geometry"]]
    buffer = io.BytesIO()
    named.to_parquet(buffer, compression="zstd", schema_version="1.1.0")
    write_bytes_atomic(root / AREAS_FILE, buffer.getvalue())
    areas = _describe(root, named)
    opened = PartitionedStore(root)
    opened.extra[MANIFEST_KEY] = {
        "file": AREAS_FILE,
        "source": Path(path).name,
        "name_field": name_field,
        "areas": [area.to_json() for area in areas],
    }
    opened.save()
    return areas


def relink_forces(store: str | Path) -> None:
    """Work out again which forces have incidents in each area (after an ingest added
    partitions); nothing happens for a store without areas."""
    root = Path(store)
    if not (is_partitioned(root) and store_areas(root)):
        return
    opened = PartitionedStore(root)
    named = gpd.read_parquet(root / AREAS_FILE)
    opened.extra[MANIFEST_KEY]["areas"] = [a.to_json() for a in _describe(root, named)]
    opened.save()


def store_areas(store: str | Path, force: str | None = None) -> list[StoreArea]:
    """The store's named areas, by name (from the manifest; empty without areas);
    with ``force``, only the areas holding some of that force's incidents."""
    root = Path(store)
    if not is_partitioned(root):
        return []
    recorded = PartitionedStore(root).extra.get(MANIFEST_KEY)
    if not recorded:
        return []
    areas = [StoreArea.from_json(item) for item in recorded["areas"]]
    return [a for a in areas if force is None or force in a.forces]


def area_polygon(store: str | Path, name: str) -> shapely.Geometry:
    """The polygon of the store's area called ``name`` (EPSG:4326 degrees)."""
    root = _partitioned(store)
    names = [area.name for area in store_areas(root)]
    if name not in names:
        fail(
            f"the store has no area called {name!r}",
            fix="Choose one of its areas, or add them with `python -m geo store-areas`",
            file=root,
        )
    frame = gpd.read_parquet(root / AREAS_FILE, filters=[("name", "==", name)])
    return frame.geometry.iloc[0]


def _partitioned(store: str | Path) -> Path:
    root = Path(store)
    if not is_partitioned(root):
        fail(
            "is not a partitioned store folder (no manifest)",
            fix="Name a folder made by `python -m geo ingest ARCHIVE --out FOLDER`",
            file=root,
        )
    return root


def _describe(root: Path, named: gpd.GeoDataFrame) -> list[StoreArea]:
    """Each area's boxes and the forces of the store's snap points in or on it."""
    points = snap_weights(root, Selection())
    areas = []
    for name, polygon in zip(named["name"], named.geometry, strict=True):
        metres = to_bng(polygon)
        west, south, east, north = metres.bounds
        x, y = points.xy[:, 0], points.xy[:, 1]
        near = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))
        shapely.prepare(metres)
        inside = near[shapely.intersects_xy(metres, x[near], y[near])]
        forces = tuple(sorted({f for f in points.force[inside] if f is not None}))
        lonlat = tuple(float(v) for v in polygon.bounds)
        areas.append(StoreArea(str(name), lonlat, (west, south, east, north), forces))
    return areas
