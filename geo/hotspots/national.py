"""Hotspots of every force in a national store, in parallel, with a halo at force edges.

Each force is an independent task (:func:`force_hotspots`), run here or on Dask
(:func:`geo.distributed.ordered_map`). A task clusters per-snap-point weights
(:func:`geo.io.query.snap_weights`), never rows, with the exact weighted DBSCAN of
:func:`geo.hotspots.dbscan.weighted_dbscan`. Its input is the force's own points plus a
*halo*: the other forces' points inside the force's bounding box widened by
``halo_m`` metres. So a hotspot on a force boundary is found whole:

- a point's core status needs only the points within ``eps_m`` of it, so it is exact
  for every point at least ``eps_m`` inside the halo's outer edge;
- a cluster is accepted only when none of its points is within ``eps_m`` of that edge
  (there a core point may look like a border point, and the cluster could continue
  beyond); otherwise the halo is doubled and the force is clustered again, up to the
  whole country;
- a cluster that spans several forces is found by each of them; it is reported once,
  by the force holding most of its incidents (ties: the force's name in sort order).

Areas may also be the polygons of a boundary file (e.g. partnerships or local
authorities): an area's points are those inside or on its polygon, and a cluster is
reported by the area holding its heaviest point.

All distances are metres on the British National Grid (EPSG:27700).

Summary measures per force: incidents; hotspots; the share of the force's incidents in
any hotspot; and the Gini coefficient of incidents over the force's snap points that
have any (police.uk publishes no list of empty snap points, so zeros cannot be counted,
and this Gini understates concentration: see Bernasco & Steenbeek 2017,
https://doi.org/10.1007/s10940-016-9309-1, for the generalised Gini with zeros).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.checks import check_columns, check_positive
from geo.hotspots.concentration import gini
from geo.hotspots.dbscan import (
    DEFAULT_EPS_M,
    DEFAULT_MIN_SAMPLES,
    Clustering,
    collapse_duplicates,
    rank_clusters,
    weighted_dbscan,
)
from geo.hotspots.naming import GAZETTEER_PATH, load_gazetteer, name_clusters, street_codes
from geo.io.datasets import AreaDefaults, national_summary
from geo.io.partitioned import MANIFEST, is_partitioned
from geo.io.query import Selection, SnapWeights, forces, snap_weights
from geo.projection import bng_to_lonlat
from geo.safety import write_bytes_atomic
from geo.schema import BNG, GB_EXTENT_BNG, WGS84

#: Default halo around a force's bounding box, metres: ten default eps. Halos grow on
#: their own when a hotspot reaches their edge, so this only sets the first try.
DEFAULT_HALO_M = 1_000.0

NATIONAL_HOTSPOT_COLUMNS = (
    "area",
    "rank",
    "name",
    "incidents",
    "share",
    "area_m2",
    "density_per_ha",
    "geometry",
)

SUMMARY_COLUMNS = ("area", "incidents", "hotspots", "share_in_hotspots", "gini", "top_hotspot")


@dataclass(frozen=True)
class ForceTask:
    """One area's hotspot task: plain values, so it can be sent to a Dask worker.

    The area is the force named ``force``, or, when ``area_wkb`` is given, the points
    inside (or on the edge of) that polygon (WKB, EPSG:27700 metres), named ``force``.
    """

    store: str
    force: str
    months: tuple[dt.date | None, dt.date | None] | None
    categories: tuple[str, ...] | None
    eps_m: float
    min_samples: float
    halo_m: float
    area_wkb: bytes | None = None

    def owns(self, points: SnapWeights) -> np.ndarray:
        """Mask of the points that belong to this task's area."""
        if self.area_wkb is None:
            return points.of_force(self.force)
        polygon = shapely.from_wkb(self.area_wkb)
        return shapely.intersects_xy(polygon, points.xy[:, 0], points.xy[:, 1])


@dataclass(frozen=True)
class ForceHotspots:
    """A task's answer: the hotspots it reports (EPSG:27700) and its summary row."""

    hotspots: gpd.GeoDataFrame
    summary: dict


def _lonlat_box(box_m: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A lon/lat box (EPSG:4326) holding a BNG box: its edges sampled, then widened."""
    west, south, east, north = box_m
    t = np.linspace(0, 1, 9)
    x = np.r_[west + (east - west) * t, west + (east - west) * t, [west] * 9, [east] * 9]
    y = np.r_[[south] * 9, [north] * 9, south + (north - south) * t, south + (north - south) * t]
    lon, lat = bng_to_lonlat(x, y)
    margin = 0.01  # degrees; ~1 km, covers the curvature between samples
    return (lon.min() - margin, lat.min() - margin, lon.max() + margin, lat.max() + margin)


def _with_halo(
    task: ForceTask, own: SnapWeights, halo_m: float, everything: SnapWeights | None = None
) -> tuple[SnapWeights, tuple]:
    """The force's points followed by other forces' points inside its widened bbox.

    The other points come from ``everything`` (the whole selection's weights, already
    read) when given, else from a bbox query of the store: the same points in the same
    order either way, since both are sorted as :class:`SnapWeights` says.
    """
    box = (
        own.xy[:, 0].min() - halo_m,
        own.xy[:, 1].min() - halo_m,
        own.xy[:, 0].max() + halo_m,
        own.xy[:, 1].max() + halo_m,
    )
    around = everything
    if around is None:
        around = snap_weights(
            task.store,
            Selection(None, task.months, task.categories, _lonlat_box(box)),
            with_location=True,
        )
    inside = (
        ~task.owns(around)
        & (around.xy[:, 0] >= box[0])
        & (around.xy[:, 0] <= box[2])
        & (around.xy[:, 1] >= box[1])
        & (around.xy[:, 1] <= box[3])
    )
    halo = around.subset(inside)
    both = SnapWeights(
        np.concatenate([own.xy, halo.xy]),
        np.concatenate([own.weights, halo.weights]),
        np.concatenate([own.force, halo.force]),
        np.concatenate([own.location, halo.location]),
    )
    return both, box


def _reaches_edge(
    points: SnapWeights, labels: np.ndarray, n_own: int, box: tuple, eps_m: float
) -> bool:
    """Whether a cluster holding some of the force's points reaches within ``eps_m`` of
    the box edge, where a point may look non-core only because its neighbours beyond the
    edge are missing, so that the cluster could continue outside."""
    x, y = points.xy[:, 0], points.xy[:, 1]
    near_edge = (
        (x < box[0] + eps_m) | (x > box[2] - eps_m) | (y < box[1] + eps_m) | (y > box[3] - eps_m)
    )
    ours = np.unique(labels[:n_own][labels[:n_own] >= 0])
    return bool((near_edge & np.isin(labels, ours)).any())


def _whole_country(box: tuple) -> bool:
    west, south, east, north = GB_EXTENT_BNG
    return box[0] <= west and box[1] <= south and box[2] >= east and box[3] >= north


def _own_points(task: ForceTask, everything: SnapWeights | None = None) -> SnapWeights:
    """The area's points; an area's own points carry its name in ``force``."""
    if task.area_wkb is None and everything is not None:
        return everything.subset(everything.of_force(task.force))
    if task.area_wkb is None:
        selection = Selection((task.force,), task.months, task.categories)
        return snap_weights(task.store, selection, with_location=True)
    box = shapely.from_wkb(task.area_wkb).bounds
    selection = Selection(None, task.months, task.categories, _lonlat_box(box))
    around = snap_weights(task.store, selection, with_location=True)
    mine = task.owns(around)
    return SnapWeights(
        around.xy[mine],
        around.weights[mine],
        np.full(int(mine.sum()), task.force, dtype=object),
        around.location[mine],
    )


def force_hotspots(task: ForceTask, everything: SnapWeights | None = None) -> ForceHotspots:
    """Hotspots reported by one area, and its summary row (see the module docstring).

    ``everything``: the snap-point weights of the whole selection (all forces, with
    location text), when already read; then the store is not queried again. Only for
    force areas (``task.area_wkb`` None).
    """
    own = _own_points(task, everything)
    if len(own) == 0:
        return ForceHotspots(_empty_hotspots(), _summary_row(task.force, own, [], None, ""))
    halo_m = task.halo_m
    while True:
        points, box = _with_halo(task, own, halo_m, everything)
        clustering = weighted_dbscan(points.xy, points.weights, task.eps_m, task.min_samples)
        reaches = _reaches_edge(points, clustering.labels, len(own), box, task.eps_m)
        if not reaches or _whole_country(box):
            break
        halo_m *= 2
    if task.area_wkb is None:
        mine = _clusters_owned_by(points, clustering.labels, task.force)
    else:
        mine = _clusters_whose_heaviest_point_is_own(points, clustering.labels, len(own))
    hotspots = _describe(points, clustering.labels, mine, task, own.incidents)
    top = hotspots["name"].iloc[0] if len(hotspots) else ""
    return ForceHotspots(hotspots, _summary_row(task.force, own, hotspots, clustering, top))


def _clusters_owned_by(points: SnapWeights, labels: np.ndarray, force: str) -> np.ndarray:
    """Labels of the clusters whose largest share of incidents is ``force``'s."""
    member = labels >= 0
    if not member.any():
        return np.empty(0, dtype=np.int64)
    code, names = pd.factorize(points.force[member], sort=True)  # codes in name order
    key, pair = np.unique(labels[member] * len(names) + code, return_inverse=True)
    weight = np.bincount(pair.ravel(), weights=points.weights[member], minlength=len(key))
    label, code = key // len(names), key % len(names)
    order = np.lexsort((code, -weight, label))  # per label: heaviest, then first name
    first = order[np.r_[True, label[order][1:] != label[order][:-1]]]
    owned = first[np.asarray(names, dtype=object)[code[first]] == force]
    return np.sort(label[owned])


def _clusters_whose_heaviest_point_is_own(
    points: SnapWeights, labels: np.ndarray, n_own: int
) -> np.ndarray:
    """Labels of the clusters whose heaviest point (ties: west-most, then south-most) is
    one of the area's own points, the first ``n_own``. Every area running this on the
    same cluster picks the same point, so each cluster is reported by exactly one area
    (by each area whose polygon holds that point, when polygons overlap)."""
    member = np.flatnonzero(labels >= 0)
    if len(member) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort(
        (points.xy[member, 1], points.xy[member, 0], -points.weights[member], labels[member])
    )
    ranked = member[order]
    first = np.r_[True, labels[ranked][1:] != labels[ranked][:-1]]
    heaviest = ranked[first]
    return np.sort(labels[heaviest[heaviest < n_own]])


def _describe(
    points: SnapWeights, labels: np.ndarray, mine: np.ndarray, task: ForceTask, own_total: int
) -> gpd.GeoDataFrame:
    if len(mine) == 0:
        return _empty_hotspots()
    keep = np.isin(labels, mine)
    relabel = np.full(labels.max() + 1, -1)
    relabel[mine] = np.arange(len(mine))
    local = np.where(keep, relabel[np.maximum(labels, 0)], -1)
    polygons, rank_of_label = rank_clusters(points.xy, points.weights, local, task.eps_m)
    ids = np.where(local >= 0, rank_of_label[np.maximum(local, 0)], -1)
    # Naming counts incidents: each point counts as its weight, never expanded to rows.
    # Factorised as plain objects: each distinct text is cleaned once either way, and
    # turning every point's text into a string array first cost more than the cleaning.
    streets = street_codes(pd.Series(points.location, dtype=object), keep_generic=True)
    names = name_clusters(
        ids,
        np.arange(len(points)),
        points.xy,
        BNG,
        gazetteer=_gazetteer(),
        streets=streets,
        weights=points.weights,
    )
    k = len(polygons)
    incidents = np.bincount(ids[ids >= 0], weights=points.weights[ids >= 0], minlength=k + 1)[1:]
    area_m2 = shapely.area(polygons)
    table = pd.DataFrame(
        {
            # An array, not the bare name: pandas would repeat a scalar through a slow
            # extension-array path, for every force.
            "area": np.full(k, task.force, dtype=object),
            "rank": np.arange(1, k + 1),
            "name": names.reindex(np.arange(1, k + 1)).to_numpy(dtype=object),
            "incidents": incidents.astype(np.int64),
            "share": incidents / own_total,
            "area_m2": area_m2,
            "density_per_ha": incidents / (area_m2 / 10_000),
        }
    )
    return gpd.GeoDataFrame(table, geometry=polygons, crs=BNG)


@cache
def _gazetteer() -> pd.DataFrame:
    """The embedded gazetteer, read once per process (every area's task names with it;
    naming never modifies it)."""
    return load_gazetteer()


def _empty_hotspots() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: [] for c in NATIONAL_HOTSPOT_COLUMNS if c != "geometry"})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=BNG).to_numpy(), crs=BNG)


def _summary_row(
    force: str, own: SnapWeights, hotspots, clustering: Clustering | None, top: str
) -> dict:
    n_own = len(own)
    if clustering is None or n_own == 0:
        in_any = 0
    else:
        # The force's own points come first in the clustered input (see _with_halo).
        in_any = int(own.weights[clustering.labels[:n_own] >= 0].sum())
    return {
        "area": force,
        "incidents": own.incidents,
        "hotspots": len(hotspots),
        "share_in_hotspots": in_any / own.incidents if own.incidents else np.nan,
        "gini": gini(_per_point(own)) if own.incidents else np.nan,
        "top_hotspot": top,
    }


def _per_point(points: SnapWeights) -> np.ndarray:
    """Incidents per distinct point (rows of one point with several location texts summed)."""
    _, inverse, _ = collapse_duplicates(points.xy[:, 0], points.xy[:, 1])
    return np.bincount(inverse, weights=points.weights)


def national_hotspots(
    store: str | Path,
    *,
    areas: gpd.GeoDataFrame | None = None,
    area_name: str = "name",
    months: tuple[str | dt.date | None, str | dt.date | None] | None = None,
    categories: tuple[str, ...] | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: float = DEFAULT_MIN_SAMPLES,
    halo_m: float = DEFAULT_HALO_M,
    scheduler: str = "none",
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every force's (or area's) hotspots and the national summary table.

    ``areas`` (polygons, any CRS, names in column ``area_name``) replaces the forces as
    the areas. The ``area`` column of both outputs names the force or area.

    Returns ``(hotspots, summary)``: hotspots (EPSG:4326, :data:`NATIONAL_HOTSPOT_COLUMNS`,
    ``share`` = the hotspot's incidents over its area's) sorted by area and rank, and
    one summary row per area (:data:`SUMMARY_COLUMNS`; shares 0-1). ``scheduler`` as
    :func:`geo.distributed.ordered_map`. By force in this process (``"none"``), the
    selection's snap-point weights are read once and every force is cut from them.
    """
    from geo.distributed import ordered_map

    eps_m = check_positive("eps_m", eps_m, fix="Use a radius in metres, e.g. 100")
    min_samples = check_positive("min_samples", min_samples, fix="Use incidents, e.g. 30")
    halo_m = check_positive("halo_m", halo_m, fix="Use metres, e.g. 1000")
    selection = Selection.of(None, months, categories)
    common = (selection.months, selection.categories, eps_m, min_samples, halo_m)
    if areas is None:
        tasks = [ForceTask(str(store), force, *common) for force in forces(store)]
    else:
        check_columns("areas", areas.columns, [area_name])
        metric = areas.to_crs(BNG)
        tasks = [
            ForceTask(str(store), str(name), *common, area_wkb=shapely.to_wkb(polygon))
            for name, polygon in zip(metric[area_name], metric.geometry, strict=True)
        ]
    if areas is None and scheduler == "none":
        everything = snap_weights(store, selection, with_location=True)
        results = [force_hotspots(task, everything) for task in tasks]
    else:
        results = list(ordered_map(scheduler)(force_hotspots, tasks))
    hotspots, summary = _combine(results)
    return hotspots.to_crs(WGS84), summary


def _combine(results: list[ForceHotspots]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """All areas' hotspots (EPSG:27700) and the summary table, in the tasks' order."""
    parts = [r.hotspots for r in results if len(r.hotspots)]
    hotspots = (pd.concat(parts, ignore_index=True) if parts else _empty_hotspots()).reset_index(
        drop=True
    )
    summary = pd.DataFrame([r.summary for r in results], columns=list(SUMMARY_COLUMNS))
    return gpd.GeoDataFrame(hotspots, geometry="geometry", crs=BNG), summary


@dataclass(frozen=True)
class NationalOverview:
    """What the Overview of a national store shows.

    ``metric_hotspots`` (EPSG:27700 metres) and ``summary`` as :func:`national_hotspots`
    (by force). ``forces``: one outline per force (EPSG:4326) with the summary's columns:
    the convex hull of the force's snap points widened by :data:`OUTLINE_MARGIN_M`,
    because police force boundaries are not shipped with the app (so outlines of
    neighbours overlap).
    """

    metric_hotspots: gpd.GeoDataFrame
    summary: pd.DataFrame
    forces: gpd.GeoDataFrame

    @cached_property
    def hotspots(self) -> gpd.GeoDataFrame:
        """The hotspots in EPSG:4326, exactly as :func:`national_hotspots` gives them.

        Reprojected when first asked for: the Overview draws forces, not hotspots, and
        moving every vertex of tens of thousands of polygons takes most of a second.
        """
        return self.metric_hotspots.to_crs(WGS84)

    @property
    def hotspot_count(self) -> int:
        """Hotspots of all forces (each counted once, by the force that reports it)."""
        return len(self.metric_hotspots)

    @property
    def incidents(self) -> int:
        """Incidents of the selection, all forces."""
        return int(self.summary["incidents"].sum())

    @property
    def share_in_hotspots(self) -> float:
        """Share (0-1) of all forces' incidents that are in a hotspot."""
        total = self.summary["incidents"].sum()
        inside = (self.summary["share_in_hotspots"].fillna(0) * self.summary["incidents"]).sum()
        return float(inside / total) if total else float("nan")


#: Metres added around a force's convex hull when drawn, so a force with few points
#: still shows as an area.
OUTLINE_MARGIN_M = 500.0


def national_overview(
    store: str | Path,
    *,
    months: tuple[str | dt.date | None, str | dt.date | None] | None = None,
    categories: tuple[str, ...] | None = None,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: float = DEFAULT_MIN_SAMPLES,
    keep: bool = False,
) -> NationalOverview:
    """Per-force hotspots, the national summary and force outlines, from one read of
    the selection's snap-point weights (never rows).

    With ``keep``, the answer is kept in a partitioned store's folder (``_overviews/``) and read
    from there by later calls with the same arguments, while the store's manifest and
    the code that computes it are unchanged (both are in the file names' key): a new
    server process then shows the Overview without clustering again. A store folder
    that cannot be written to is simply not kept in.
    """
    eps_m = check_positive("eps_m", eps_m, fix="Use a radius in metres, e.g. 100")
    min_samples = check_positive("min_samples", min_samples, fix="Use incidents, e.g. 30")
    selection = Selection.of(None, months, categories)
    if not (keep and is_partitioned(store)):
        return _overview(store, selection, eps_m, min_samples)
    kept = _kept_paths(store, selection, eps_m, min_samples)
    if all(path.is_file() for path in kept.values()):
        try:
            return _read_kept(kept)
        except (OSError, ValueError):  # damaged (pyarrow's errors are ValueErrors): redo
            pass
    found = _overview(store, selection, eps_m, min_samples)
    _write_kept(kept, found)
    return found


def _overview(
    store: str | Path, selection: Selection, eps_m: float, min_samples: float
) -> NationalOverview:
    everything = snap_weights(store, selection, with_location=True)
    names = sorted(set(everything.force.tolist()) - {None})
    common = (selection.months, selection.categories, eps_m, min_samples, DEFAULT_HALO_M)
    results = [force_hotspots(ForceTask(str(store), force, *common), everything) for force in names]
    hotspots, summary = _combine(results)
    return NationalOverview(hotspots, summary, _force_outlines(everything, summary))


#: Folder of a store holding kept overviews (an underscore, so dataset readers skip it).
KEPT_FOLDER = "_overviews"

#: Overviews kept per store at most (the oldest go first): each is a few megabytes.
KEPT_MAX = 12

#: What an overview depends on besides the store and the arguments: this code and the
#: gazetteer it names hotspots with.
_OVERVIEW_SOURCES = (
    "hotspots/national.py",
    "hotspots/dbscan.py",
    "hotspots/naming.py",
    "hotspots/concentration.py",
    "io/query.py",
    "projection.py",
)


@cache
def _code_version() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _OVERVIEW_SOURCES:
        digest.update((root / name).read_bytes())
    digest.update(GAZETTEER_PATH.read_bytes())
    return digest.hexdigest()


def _kept_paths(
    store: str | Path, selection: Selection, eps_m: float, min_samples: float
) -> dict[str, Path]:
    """Where the overview of these arguments is kept: one file per part."""
    root = Path(store)
    digest = hashlib.sha256()
    digest.update((root / MANIFEST).read_bytes())
    digest.update(_code_version().encode())
    digest.update(repr((selection.months, selection.categories, eps_m, min_samples)).encode())
    key = digest.hexdigest()[:32]
    folder = root / KEPT_FOLDER
    return {part: folder / f"{key}-{part}.parquet" for part in ("hotspots", "summary", "forces")}


def _read_kept(kept: dict[str, Path]) -> NationalOverview:
    return NationalOverview(
        gpd.read_parquet(kept["hotspots"]),  # in metres, as kept
        pd.read_parquet(kept["summary"]),
        gpd.read_parquet(kept["forces"]),
    )


def _write_kept(kept: dict[str, Path], found: NationalOverview) -> None:
    """Keep ``found`` (the forces' part last: readers wait for all three); a folder
    that cannot be written leaves nothing half-written and is not an error."""
    folder = kept["forces"].parent
    try:
        folder.mkdir(exist_ok=True)
        for part, frame in (
            ("hotspots", found.metric_hotspots),
            ("summary", found.summary),
            ("forces", found.forces),
        ):
            buffer = io.BytesIO()
            frame.to_parquet(buffer, compression="zstd")
            write_bytes_atomic(kept[part], buffer.getvalue())
        _forget_oldest(folder)
    except OSError:
        for path in kept.values():
            path.unlink(missing_ok=True)


def _forget_oldest(folder: Path) -> None:
    by_key: dict[str, float] = {}
    for path in folder.glob("*-forces.parquet"):
        by_key[path.name.split("-")[0]] = path.stat().st_mtime
    for key in sorted(by_key, key=by_key.get)[:-KEPT_MAX]:
        for path in folder.glob(f"{key}-*.parquet"):
            path.unlink(missing_ok=True)


def _force_outlines(points: SnapWeights, summary: pd.DataFrame) -> gpd.GeoDataFrame:
    codes = points.force_codes(summary["area"].tolist())
    keep = codes >= 0
    order = np.argsort(codes[keep], kind="stable")
    xy, group = points.xy[keep][order], codes[keep][order]
    candidate = _hull_candidates(xy, group)
    members = shapely.multipoints(xy[candidate], indices=group[candidate])
    hulls = shapely.buffer(shapely.convex_hull(members), OUTLINE_MARGIN_M)
    outlines = gpd.GeoSeries(hulls, crs=BNG).to_crs(WGS84)
    return gpd.GeoDataFrame(summary.reset_index(drop=True), geometry=outlines.to_numpy(), crs=WGS84)


#: Points closer than this (metres) to the octagon's edge are kept as hull candidates:
#: a margin far above the rounding of the cross products, so no hull vertex is lost.
_HULL_MARGIN_M = 0.001


def _hull_candidates(xy: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Mask of the points that may be convex hull vertices of their group (Akl &
    Toussaint 1978, https://doi.org/10.1016/0020-0190(78)90026-4): a point strictly inside
    the octagon of its group's extreme points (least and greatest y, x - y, x, x + y)
    cannot be one, and is dropped, so shapely builds points only for the rest.

    ``xy`` (n, 2) metres; ``group`` (n,) sorted, each group's points in one run.
    """
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    run = np.cumsum(np.r_[True, group[1:] != group[:-1]]) - 1
    x, y = xy[:, 0], xy[:, 1]
    index = np.arange(len(xy))
    # Anticlockwise: bottom, bottom-right, right, top-right, top, ..., bottom-left.
    directions = ((y, -1), (x - y, 1), (x, 1), (x + y, 1))
    directions += tuple((values, -sign) for values, sign in directions)
    corners = [_extreme(sign * values, starts, run, index) for values, sign in directions]
    inside = np.ones(len(xy), dtype=bool)
    for k in range(8):
        a, b = xy[corners[k]][run], xy[corners[(k + 1) % 8]][run]
        edge = b - a
        length = np.hypot(edge[:, 0], edge[:, 1])
        cross = edge[:, 0] * (y - a[:, 1]) - edge[:, 1] * (x - a[:, 0])
        inside &= (length == 0) | (cross > _HULL_MARGIN_M * length)
    for corner in corners:  # a group of one point, or of one repeated point
        inside[corner] = False
    return ~inside


def _extreme(values: np.ndarray, starts: np.ndarray, run: np.ndarray, index: np.ndarray):
    """Index of the first point with its group's greatest ``values``, per group."""
    greatest = np.maximum.reduceat(values, starts)
    return np.minimum.reduceat(np.where(values == greatest[run], index, len(index)), starts)


def national_defaults(key: str) -> AreaDefaults:
    """The settings the national store ``key`` opens with: the library's DBSCAN defaults
    (:data:`DEFAULT_EPS_M`, :data:`DEFAULT_MIN_SAMPLES`) and, as an example funding date,
    the month half-way through the store's months."""
    summary = national_summary(key)
    months = pd.period_range(summary["first_month"], summary["last_month"], freq="M")
    return AreaDefaults(
        eps_m=DEFAULT_EPS_M,
        min_samples=DEFAULT_MIN_SAMPLES,
        funding_date=months[len(months) // 2].to_timestamp().date(),
        funding_note="An example date half-way through the data, not a real funding start.",
    )
