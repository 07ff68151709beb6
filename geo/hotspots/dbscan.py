"""DBSCAN hotspots in metres, exact on police.uk's heavily duplicated snap points.

police.uk moves every incident to the nearest of ~750,000 anonymous snap points, so a
year of ASB for a town sits on a few thousand distinct coordinates. We collapse the
duplicates into weighted unique points (``np.unique(..., return_inverse=True,
return_counts=True)``) and run an exact weighted DBSCAN on them:

1. neighbour pairs within ``eps_m`` (inclusive, as scikit-learn) from a k-d tree;
2. a unique point is *core* when the total weight in its neighbourhood, its own weight
   included, is at least ``min_samples``: exactly the count each of its raw duplicates
   would see, because duplicates are neighbours of one another at distance 0;
3. clusters are the connected components of the core-core neighbour graph;
4. a non-core point with a core neighbour is a *border* point and joins the cluster of
   its nearest core neighbour (ties: lowest cluster number); the rest is noise.

This equals :class:`sklearn.cluster.DBSCAN` on the raw points: the same noise set, the
same partition of core points, and every border point in a cluster that has a core point
within ``eps_m``. (scikit-learn gives a border point to whichever cluster reaches it
first; any such cluster is a valid answer, ours is the nearest.) All distances are metres
on the British National Grid (``EPSG:27700``) in Great Britain, else on the data's UTM
zone (:func:`geo.projection.metric_crs_for`).

Default parameters (street-level ASB, one to two years): ``eps_m = 100`` and
``min_samples = 30``. police.uk's location precision is about one street segment, so an
``eps`` below ~50 m mostly re-finds single snap points; 100 m joins the snap points of
neighbouring street segments without jumping across a block. 30 incidents is roughly one
or more a month over two years, so a hotspot is a recurring place, not a one-off event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo import timeseries
from geo.checks import (
    GeoInputError,
    check_columns,
    check_min_int,
    check_not_empty,
    check_positive,
    fail,
)
from geo.hotspots.concentration import pai
from geo.hotspots.naming import (
    count_by_id,
    join_by_id,
    load_gazetteer,
    name_clusters,
    ranked_counts,
    street_codes,
)
from geo.io.datasets import AreaDefaults, halfway_date
from geo.projection import metric_crs_for, metric_xy
from geo.schema import ASB, WGS84

DEFAULT_EPS_M = 100.0


DEFAULT_MIN_SAMPLES = 30


#: Months (the latest) on which :func:`suggest_defaults` chooses DBSCAN's settings.
SUGGEST_MONTHS = 12


#: The largest share (0-1) of the study area that one suggested hotspot may cover.
MAX_AREA_SHARE = 0.10


#: sfhotspot's ``density_adjust``: auto eps looks for twice the typical local density.
AUTO_DENSITY_ADJUST = 2.0


#: Concave-hull ratio for hotspot polygons (0 = most concave, 1 = convex hull).
HULL_RATIO = 0.5


#: Trend labels: recent-half mean at least this many times the earlier-half mean is
#: "rising", at most its inverse is "falling".
TREND_FACTOR = 1.25


#: At least this many months of data are needed to call a trend.
TREND_MIN_MONTHS = 4


TREND_LABELS = ("rising", "falling", "steady", "too few months")


#: How many categories / streets go into ``top_categories`` / ``top_streets``.
TOP_N = 3


HOTSPOT_COLUMNS: tuple[str, ...] = (
    "hotspot_id",
    "rank",
    "name",
    "incidents",
    "share",
    "area_m2",
    "density_per_ha",
    "pai",
    "first_month",
    "last_month",
    "months_active",
    "top_categories",
    "top_streets",
    "trend",
    "trend_ratio",
    "geometry",
)


@dataclass(frozen=True)
class Clustering:
    """DBSCAN output per input point: ``labels`` (0..k-1, ``-1`` noise) and ``core`` mask."""

    labels: np.ndarray
    core: np.ndarray


@dataclass(frozen=True)
class HotspotResult:
    """Hotspots found by :func:`find_hotspots`.

    ``hotspots`` is a GeoDataFrame in EPSG:4326 with :data:`HOTSPOT_COLUMNS`, one row per
    hotspot, ``id == rank``. ``labels`` is aligned with the input rows: the hotspot ``id``
    of each incident, or ``-1`` for noise. ``eps_m`` (metres) and ``min_samples``
    (incidents) are the values actually used, ``auto`` says whether they were chosen by
    the sfhotspot rule, and ``metric_crs`` is the CRS the distances were measured in.
    """

    hotspots: gpd.GeoDataFrame
    labels: np.ndarray
    eps_m: float
    min_samples: int
    auto: bool
    metric_crs: str

    @property
    def noise_share(self) -> float:
        """Share of incidents (0-1) that belong to no hotspot."""
        return float(np.mean(self.labels == -1)) if len(self.labels) else 0.0

    @property
    def share_in_hotspots(self) -> float:
        """Share of incidents (0-1) inside a hotspot: ``1 - noise_share``."""
        return 1.0 - self.noise_share if len(self.labels) else 0.0


def collapse_duplicates(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse repeated coordinates.

    Returns ``(xy_unique (m, 2), inverse (n,), counts (m,))`` with
    ``xy_unique[inverse] == xy`` and ``counts`` the number of points on each unique point.
    Pairs are packed into complex numbers because ``np.unique(axis=0)`` on a 2-column
    array is ten times slower (1.8 s against 0.18 s for a million points).
    """
    packed = np.asarray(x, dtype="float64") + 1j * np.asarray(y, dtype="float64")
    unique, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    return np.column_stack([unique.real, unique.imag]), inverse.ravel(), counts


def weighted_dbscan(
    xy: np.ndarray, weights: np.ndarray, eps_m: float, min_samples: float
) -> Clustering:
    """Exact DBSCAN on distinct points carrying integer or real weights.

    Parameters
    ----------
    xy : (m, 2) array of distinct points, metres.
    weights : (m,) positive weights (incidents per point).
    eps_m : neighbourhood radius in metres; a distance equal to ``eps_m`` counts.
    min_samples : total weight (own weight included) that makes a point core.

    Returns
    -------
    Clustering
        ``labels`` 0..k-1 per unique point (``-1`` noise), numbered by each cluster's
        first core point in input order, and the ``core`` mask.
    """
    m = len(xy)
    weights = np.asarray(weights, dtype="float64")
    if m == 0:
        return Clustering(np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))
    pairs = cKDTree(xy).query_pairs(eps_m, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    neighbourhood = (
        weights
        + np.bincount(i, weights=weights[j], minlength=m)
        + np.bincount(j, weights=weights[i], minlength=m)
    )
    core = neighbourhood >= min_samples
    labels = _core_components(m, i, j, core)
    _assign_border_points(xy, i, j, core, labels)
    return Clustering(labels, core)


def _core_components(m: int, i: np.ndarray, j: np.ndarray, core: np.ndarray) -> np.ndarray:
    both = core[i] & core[j]
    graph = sparse.coo_matrix((np.ones(both.sum(), dtype=np.int8), (i[both], j[both])), (m, m))
    _, component = connected_components(graph, directed=False)
    labels = np.full(m, -1, dtype=np.int64)
    core_components = component[core]
    # Renumber components 0..k-1 in order of their first core point.
    _, first, renumbered = np.unique(core_components, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    labels[core] = order[renumbered]
    return labels


def _assign_border_points(
    xy: np.ndarray, i: np.ndarray, j: np.ndarray, core: np.ndarray, labels: np.ndarray
) -> None:
    """Give each non-core point with a core neighbour the label of its nearest core point."""
    mixed = core[i] != core[j]
    border = np.where(core[i[mixed]], j[mixed], i[mixed])
    anchor = np.where(core[i[mixed]], i[mixed], j[mixed])
    if len(border) == 0:
        return
    distance = np.hypot(*(xy[border] - xy[anchor]).T)
    order = np.lexsort((labels[anchor], distance, border))
    border, anchor = border[order], anchor[order]
    first = np.r_[True, border[1:] != border[:-1]]
    labels[border[first]] = labels[anchor[first]]


def cluster_points(x: np.ndarray, y: np.ndarray, eps_m: float, min_samples: int) -> Clustering:
    """DBSCAN on raw points in metres via weighted unique points.

    Same contract as ``sklearn.cluster.DBSCAN(eps=eps_m, min_samples=min_samples)`` on
    ``np.column_stack([x, y])`` (see the module docstring); returns labels and the core
    mask per input point.
    """
    eps_m, min_samples = _check_parameters(eps_m, min_samples)
    unique, inverse, counts = collapse_duplicates(x, y)
    clustering = weighted_dbscan(unique, counts, eps_m, min_samples)
    return Clustering(clustering.labels[inverse], clustering.core[inverse])


def _check_parameters(eps_m: float, min_samples: int) -> tuple[float, int]:
    """``(eps_m, min_samples)`` as float metres and int incidents, or a clear error."""
    eps_m = check_positive("eps_m", eps_m, fix="Use a neighbourhood radius in metres, e.g. 100")
    min_samples = check_min_int(
        "min_samples", min_samples, 1, fix="Use a number of incidents, e.g. 30"
    )
    return eps_m, min_samples


def auto_min_samples(n: int) -> int:
    """sfhotspot's rule: ``min(n, 50, max(5, ceil(sqrt(n))))`` for ``n`` incidents."""
    return int(min(n, 50, max(5, math.ceil(math.sqrt(n)))))


def k_distances(xy: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Distance (m) from each unique point to its ``k``-th nearest *other* incident.

    Computed on weighted unique points exactly as on the raw duplicates: the ``w - 1``
    other incidents on the same point are at distance 0. Returns one value per unique
    point; every incident on that point has the same value. Needs ``k < weights.sum()``.
    """
    if k <= 0:
        return np.zeros(len(xy))
    neighbours = min(k + 1, len(xy))
    distance, index = cKDTree(xy).query(xy, k=neighbours)
    distance, index = distance.reshape(len(xy), -1), index.reshape(len(xy), -1)
    counted = weights[index].astype("float64")
    counted[:, 0] -= 1  # the query point itself is its own nearest neighbour
    reached = np.cumsum(counted, axis=1) >= k
    return distance[np.arange(len(xy)), reached.argmax(axis=1)]


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Median of ``values`` repeated ``weights`` (integer) times, as R's ``median``."""
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    total = cumulative[-1]
    low = values[np.searchsorted(cumulative, (total + 1) // 2)]
    high = values[np.searchsorted(cumulative, total // 2 + 1)]
    return float((low + high) / 2)


def auto_parameters(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Choose ``(eps_m, min_samples)`` by sfhotspot's ``hotspot_dbscan`` rule.

    ``min_samples = min(n, 50, max(5, ceil(sqrt(n))))``; ``eps_m`` = median over all
    incidents of the distance to the ``(min_samples - 1)``-th nearest other incident,
    divided by ``sqrt(2)`` (twice the typical local density). Duplicated coordinates
    count as separate incidents, as in sfhotspot.
    """
    n = len(x)
    if n < 2:
        fail(
            f"automatic parameters need at least 2 incidents, got {n}",
            fix="Widen the selection or give eps and min_samples yourself",
        )
    min_samples = auto_min_samples(n)
    unique, _, counts = collapse_duplicates(x, y)
    distance = k_distances(unique, counts, min_samples - 1)
    eps_m = weighted_median(distance, counts) / math.sqrt(AUTO_DENSITY_ADJUST)
    if not eps_m > 0:
        fail(
            f"automatic eps is 0 m: more than half of the {n} incidents share a snap point "
            f"with at least {min_samples - 1} others",
            fix="Give eps yourself (e.g. 100 m) instead of using auto",
        )
    return eps_m, min_samples


def suggest_defaults(
    incidents: gpd.GeoDataFrame, first_month: str, last_month: str
) -> AreaDefaults:
    """Opening settings for a user's own file, where no one has chosen them yet.

    DBSCAN's ``min_samples`` and a first ``eps_m`` follow sfhotspot's rule
    (:func:`auto_parameters`) on the file's ASB (all of it when it has no ASB) in its last
    :data:`SUGGEST_MONTHS` months, the span the patrol planner learns from, so that every
    page finds hotspots; when the rule cannot choose (most incidents on one snap point) the
    street-level :data:`DEFAULT_EPS_M` / :data:`DEFAULT_MIN_SAMPLES` apply. On the whole
    file, denser, clusters then chain further, so ``eps_m`` shrinks (by a fifth, in 5 m
    steps) until no hotspot covers more than :data:`MAX_AREA_SHARE` of the incidents'
    convex hull, the study area of a file that comes without one. The funding date is the
    first day of the month half-way from ``first_month`` to ``last_month`` (``YYYY-MM``),
    so that both sides of it have data; the user is expected to set the real one.
    """
    has_asb = bool((incidents["category"] == ASB).any())
    chosen = incidents[incidents["category"] == ASB] if has_asb else incidents
    months = timeseries.month_range(first_month, last_month)
    recent = pd.to_datetime(chosen["month"]) >= pd.Timestamp(months[-SUGGEST_MONTHS:][0])
    x, y, _ = metric_xy(chosen)
    try:
        eps_m, min_samples = auto_parameters(x[recent.to_numpy()], y[recent.to_numpy()])
    except GeoInputError:
        eps_m, min_samples = DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES
    eps_m = max(5.0, 5.0 * round(eps_m / 5.0))
    while eps_m > 5.0 and largest_hotspot_share(x, y, eps_m, min_samples) > MAX_AREA_SHARE:
        # At least one 5 m step each time: rounding alone keeps 10 m at 10 m (8 -> 10).
        eps_m = max(5.0, min(eps_m - 5.0, 5.0 * round(eps_m * 0.8 / 5.0)))
    return AreaDefaults(
        eps_m=eps_m,
        min_samples=min_samples,
        funding_date=halfway_date(first_month, last_month),
        funding_note="Half-way through your file's months: set the real start date.",
        category=ASB if has_asb else None,
    )


def largest_hotspot_share(x: np.ndarray, y: np.ndarray, eps_m: float, min_samples: int) -> float:
    """Largest cluster polygon's share (0-1) of the points' convex hull; 0 without clusters.

    ``x``/``y`` in metres. Polygons as :func:`find_hotspots` draws them.
    """
    unique, _, counts = collapse_duplicates(x, y)
    labels = weighted_dbscan(unique, counts, eps_m, min_samples).labels
    if labels.max() < 0:
        return 0.0
    polygons, _ = rank_clusters(unique, counts, labels, eps_m)
    hull_m2 = _study_area_m2(None, unique, "")
    return float(shapely.area(polygons).max() / hull_m2) if hull_m2 > 0 else 0.0


def k_distance_curve(x: np.ndarray, y: np.ndarray, k: int, n_points: int = 200) -> pd.DataFrame:
    """Sorted k-distance data for an eps chart (the "elbow" plot).

    Returns at most ``n_points`` rows with ``share`` (0-1, incidents with a smaller
    k-distance) and ``distance_m`` (metres to the ``k``-th nearest other incident), in
    ascending order. Use ``k = min_samples - 1``.
    """
    k = check_min_int("k", k, 0)
    check_not_empty("incidents", len(x))
    if k >= len(x):
        fail(f"`k` must be smaller than the number of incidents ({len(x)}), got {k}")
    unique, _, counts = collapse_duplicates(x, y)
    distance = k_distances(unique, counts, k)
    order = np.argsort(distance, kind="stable")
    cumulative = np.cumsum(counts[order]) / counts.sum()
    share = np.linspace(0, 1, min(n_points, len(x)))
    index = np.minimum(np.searchsorted(cumulative, share), len(order) - 1)
    return pd.DataFrame({"share": share, "distance_m": distance[order][index]})


def find_hotspots(
    incidents: gpd.GeoDataFrame,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    *,
    auto: bool = False,
    study_area: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    gazetteer: pd.DataFrame | None = None,
    clusterer: Callable[[np.ndarray, np.ndarray, float, int], Clustering] | None = None,
) -> HotspotResult:
    """Find, describe and name DBSCAN hotspots of incidents.

    Parameters
    ----------
    incidents : GeoDataFrame in the canonical schema (:mod:`geo.schema`); needs
        ``geometry``, ``month`` and ``category``; ``location`` is used when present.
    eps_m : neighbourhood radius in metres (ignored when ``auto``).
    min_samples : incidents within ``eps_m`` that make a core point (ignored when ``auto``).
    auto : choose both by sfhotspot's rule (:func:`auto_parameters`).
    study_area : boundary (any CRS; a bare shapely geometry is taken as EPSG:4326) whose
        area is the ``A`` of PAI; default the convex hull of all incidents.
    gazetteer : places for naming (:func:`geo.naming.load_gazetteer` columns); ``None``
        uses the embedded ``data/gazetteer.csv``, an empty frame names by streets only.
    clusterer : ``clusterer(xy, weights, eps_m, min_samples)`` in place of
        :func:`weighted_dbscan` with the same result, e.g.
        :func:`geo.hotspots.tiles.tiled_dbscan` (tiles as Dask tasks) for sources whose
        distinct points are not bounded by police.uk's snap points (partner reports, GPS
        fixes). ``None``: :func:`weighted_dbscan`, in one piece, in this process.

    Returns
    -------
    HotspotResult
        The table (EPSG:4326, :data:`HOTSPOT_COLUMNS`), per-incident ``labels`` (hotspot
        ``id`` or ``-1``) and the parameters actually used.
    """
    check_not_empty("incidents", len(incidents), fix="Widen the month or category filter")
    check_columns("incidents", incidents.columns, ["geometry", "month", "category"])
    x, y, crs = metric_xy(incidents)
    if auto:
        eps_m, min_samples = auto_parameters(x, y)
    eps_m, min_samples = _check_parameters(eps_m, min_samples)
    unique, inverse, counts = collapse_duplicates(x, y)
    clustering = (clusterer or weighted_dbscan)(unique, counts, eps_m, min_samples)
    if clustering.labels.max() < 0:
        _fail_all_noise(len(x), eps_m, min_samples, auto)
    polygons, rank_of_label = rank_clusters(unique, counts, clustering.labels, eps_m)
    ids = np.where(clustering.labels >= 0, rank_of_label[clustering.labels], -1)[inverse]
    area_total_m2 = _study_area_m2(study_area, unique, crs)
    ids, polygons = drop_unconcentrated(ids, polygons, area_total_m2)
    if not len(polygons):
        fail(
            f"no hotspots: with eps = {eps_m:g} m and min_samples = {min_samples}, every "
            "cluster holds no more than its share of the area's incidents (PAI <= 1)",
            fix="Decrease eps, or increase min_samples, so that clusters are tighter",
        )
    table = describe_hotspots(
        incidents,
        ids,
        polygons,
        points=(inverse, unique, crs),
        area_total_m2=area_total_m2,
        gazetteer=load_gazetteer() if gazetteer is None else gazetteer,
    )
    return HotspotResult(table, ids, float(eps_m), int(min_samples), auto, crs)


def drop_unconcentrated(
    ids: np.ndarray, polygons: np.ndarray, area_total_m2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop clusters with PAI <= 1 and renumber the rest 1..k, keeping their order.

    A cluster whose share of the incidents is no larger than its share of the study area
    (Proportional Area Index <= 1) concentrates nothing, so it is not a hotspot: PAI 1 is
    what an area drawn at random would score (Chainey, Tompson & Uhlig 2008, "The utility
    of hotspot mapping for predicting spatial patterns of crime", Security Journal 21).
    Its incidents become noise (-1). ``ids`` is the hotspot id (1..k) of each incident or
    -1; ``polygons`` are in id order, in metres, as is ``area_total_m2``. A cluster whose
    PAI cannot be worked out (a study area of 0 m²) is kept.
    """
    incidents_per = np.bincount(ids[ids >= 0], minlength=len(polygons) + 1)[1:]
    value = pai(incidents_per, len(ids), shapely.area(polygons), area_total_m2)
    keep = ~(value <= 1)
    # new_id[old id] for old ids 1..k, and new_id[0] = -1 for noise
    new_id = np.concatenate([[-1], np.where(keep, np.cumsum(keep), -1)])
    return new_id[np.maximum(ids, 0)], polygons[keep]


def _fail_all_noise(n: int, eps_m: float, min_samples: int, auto: bool) -> None:
    fix = (
        "Automatic parameters found no dense place: give a larger eps or a smaller "
        "min_samples yourself"
        if auto
        else "Increase eps or decrease min_samples"
    )
    fail(
        f"no hotspots: all {n} incidents are noise with eps = {eps_m:g} m and "
        f"min_samples = {min_samples}",
        fix=fix,
    )


def hotspot_polygons(
    xy: np.ndarray, labels: np.ndarray, n_clusters: int, eps_m: float
) -> np.ndarray:
    """One polygon per cluster 0..n_clusters-1, in the CRS of ``xy`` (metres).

    The concave hull (ratio :data:`HULL_RATIO`) of the member points, buffered by
    ``eps_m / 2``: a single point becomes a circle, two points a capsule; never empty.
    Every cluster needs at least one member in ``labels``.
    """
    order = np.argsort(labels, kind="stable")
    # Coordinates straight in: no shapely Point per member on the way.
    members = shapely.multipoints(xy[order], indices=labels[order])
    hulls = shapely.concave_hull(members, ratio=HULL_RATIO)
    return shapely.buffer(hulls, eps_m / 2)[:n_clusters]


def rank_clusters(
    xy: np.ndarray, weights: np.ndarray, labels: np.ndarray, eps_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Polygons in rank order and the rank (1 = first) of each cluster label.

    Rank: incidents (sum of ``weights``) descending, then polygon area ascending, then
    label. ``xy``/``weights``/``labels`` are per unique point (metres).
    """
    n_clusters = int(labels.max()) + 1
    member = labels >= 0
    incidents = np.bincount(labels[member], weights=weights[member], minlength=n_clusters)
    polygons = hotspot_polygons(xy[member], labels[member], n_clusters, eps_m)
    order = np.lexsort((np.arange(n_clusters), shapely.area(polygons), -incidents))
    rank_of_label = np.empty(n_clusters, dtype=np.int64)
    rank_of_label[order] = np.arange(1, n_clusters + 1)
    return polygons[order], rank_of_label


def _study_area_m2(study_area, unique: np.ndarray, crs: str) -> float:
    """Area (m²) of the study boundary, or of the convex hull of all incidents."""
    if study_area is None:
        return float(shapely.convex_hull(shapely.multipoints(unique)).area)
    if isinstance(study_area, shapely.Geometry):
        study_area = gpd.GeoSeries([study_area], crs=WGS84)
    if study_area.crs is None:
        fail("`study_area` has no CRS", fix="Set its CRS, e.g. .set_crs('EPSG:4326')")
    return float(study_area.to_crs(crs).union_all().area)


def describe_hotspots(
    incidents: gpd.GeoDataFrame,
    ids: np.ndarray,
    polygons: np.ndarray,
    *,
    points: tuple[np.ndarray, np.ndarray, str],
    area_total_m2: float,
    gazetteer: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """The hotspot table (EPSG:4326, :data:`HOTSPOT_COLUMNS`).

    ``ids`` = hotspot id (1..k) per incident or -1; ``polygons`` in id order, metres;
    ``points = (point index per incident, distinct points (m, 2) in metres, metric CRS)``;
    ``area_total_m2`` = the ``A`` of PAI.
    """
    point, xy, crs = points
    k = len(polygons)
    member = ids >= 0
    incidents_per = np.bincount(ids[member], minlength=k + 1)[1:]
    area_m2 = shapely.area(polygons)
    codes, months = month_codes(incidents["month"])
    by_month = _counts_by_month(ids[member] - 1, codes[member], k, len(months))
    active = by_month > 0
    trend_label, trend_ratio = trend(by_month)
    category_codes, categories = pd.factorize(incidents["category"])
    location = incidents.get("location")
    streets = None if location is None else street_codes(location, keep_generic=True)
    table = pd.DataFrame(
        {
            "hotspot_id": np.arange(1, k + 1),
            "rank": np.arange(1, k + 1),
            "name": name_clusters(
                ids,
                point,
                xy,
                crs,
                gazetteer=gazetteer,
                streets=streets,
            ).reindex(np.arange(1, k + 1)),
            "incidents": incidents_per,
            "share": incidents_per / len(ids),
            "area_m2": area_m2,
            "density_per_ha": incidents_per / (area_m2 / 10_000),
            "pai": pai(incidents_per, len(ids), area_m2, area_total_m2),
            "first_month": months[active.argmax(axis=1)],
            "last_month": months[len(months) - 1 - active[:, ::-1].argmax(axis=1)],
            "months_active": active.sum(axis=1),
            "top_categories": _top_values(ids, category_codes, np.asarray(categories), k),
            # Generic snap names ("Police Station") say nothing about where: left out.
            "top_streets": "" if location is None else _top_values(ids, *street_codes(location), k),
            "trend": trend_label,
            "trend_ratio": trend_ratio,
        }
    )
    geometry = gpd.GeoSeries(polygons, crs=crs).to_crs(WGS84)
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=WGS84)


def month_codes(month: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(code per row into months, sorted distinct months as python dates)``."""
    codes, uniques = pd.factorize(month)
    if (codes < 0).any():
        fail("`month` has missing values", fix="Drop or repair the rows without a month")
    periods = pd.PeriodIndex(pd.to_datetime(np.asarray(uniques, dtype=object)), freq="M")
    order = np.argsort(periods.asi8)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return position[codes], np.asarray(periods[order].to_timestamp().date)


def _counts_by_month(index: np.ndarray, month: np.ndarray, k: int, n_months: int) -> np.ndarray:
    """(k, n_months) incident counts from 0-based hotspot index and month code per row."""
    flat = np.bincount(index * n_months + month, minlength=k * n_months)
    return flat.reshape(k, n_months)


def _top_values(ids: np.ndarray, codes: np.ndarray, names: np.ndarray, k: int) -> np.ndarray:
    """``"A (12); B (3)"`` of the :data:`TOP_N` most frequent values per id 1..k."""
    counts = ranked_counts(count_by_id(ids[ids >= 0], codes[ids >= 0]), names)
    top = counts.groupby("hotspot_id").head(TOP_N)
    text = top["name"].astype(str) + " (" + top["n"].astype(str) + ")"
    joined = join_by_id(top["hotspot_id"].to_numpy(), text.to_numpy(), "; ")
    return joined.reindex(np.arange(1, k + 1), fill_value="").to_numpy(dtype=object)


def trend(by_month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trend label and ratio per row of a (k, n_months) count matrix, months in order.

    The months are those present in the whole selection (a month with no data at all is
    missing, not zero). ``trend_ratio`` = mean incidents per month in the recent half /
    in the earlier half (the middle month is left out when their number is odd; ``inf``
    when the earlier half had none). "rising" at >= :data:`TREND_FACTOR`, "falling" at
    <= 1 / :data:`TREND_FACTOR`, else "steady"; fewer than :data:`TREND_MIN_MONTHS`
    months (or none outside the middle month) give "too few months" and NaN.
    """
    k, n_months = by_month.shape
    if n_months < TREND_MIN_MONTHS:
        return np.full(k, TREND_LABELS[3], dtype=object), np.full(k, np.nan)
    half = n_months // 2
    earlier = by_month[:, :half].sum(axis=1).astype("float64")
    recent = by_month[:, n_months - half :].sum(axis=1).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = recent / earlier
    # 0 / 0: every incident fell in the middle month, so there is nothing to compare.
    label = np.select(
        [np.isnan(ratio), ratio >= TREND_FACTOR, ratio <= 1 / TREND_FACTOR],
        [TREND_LABELS[3], *TREND_LABELS[:2]],
        TREND_LABELS[2],
    )
    return label.astype(object), ratio


def hotspots_geojson(hotspots: gpd.GeoDataFrame) -> str:
    """The hotspot table as GeoJSON FeatureCollection text (EPSG:4326).

    Dates become ISO strings (``"2025-01-01"``) and non-finite numbers (an ``inf``
    trend ratio) become null, so any GeoJSON reader accepts the file.
    """
    out = hotspots.to_crs(WGS84).copy()
    for column in ("first_month", "last_month"):
        out[column] = [month.isoformat() for month in out[column]]
    numbers = out.select_dtypes("number").columns
    out[numbers] = out[numbers].astype(object).where(np.isfinite(out[numbers].astype(float)))
    return out.to_json(drop_id=True, na="null")


def write_hotspots(hotspots: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write :func:`hotspots_geojson` to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hotspots_geojson(hotspots), encoding="utf-8")
    return path


def covered_area_ha(hotspots: gpd.GeoDataFrame) -> float:
    """Area covered by the hotspot polygons together, in hectares (overlaps counted once)."""
    return covered_area_m2(hotspots) / 10_000


def covered_area_m2(hotspots: gpd.GeoDataFrame) -> float:
    """Area covered by the hotspot polygons together, in m² (overlaps counted once).

    Measured in the metric CRS of the polygons' centre (EPSG:27700 in Great Britain).
    """
    if hotspots.empty:
        return 0.0
    polygons = hotspots.to_crs(WGS84)
    centre = polygons.union_all().centroid
    crs = metric_crs_for(np.array([centre.x]), np.array([centre.y]))
    return float(polygons.to_crs(crs).union_all().area)


def hotspot_members(
    incidents: gpd.GeoDataFrame, labels: np.ndarray, hotspot_id: int
) -> gpd.GeoDataFrame:
    """The incidents in hotspot ``hotspot_id`` (``labels`` as in :class:`HotspotResult`)."""
    return incidents[np.asarray(labels) == hotspot_id]


@dataclass(frozen=True)
class HotspotProfile:
    """One hotspot's incidents and what the explorer shows of them.

    Attributes
    ----------
    members
        The incidents in the hotspot (:func:`hotspot_members`).
    monthly
        Incidents per month over the study period (:func:`geo.timeseries.monthly_counts`;
        NaN in months without data).
    categories
        Incidents per category, most first (:func:`geo.timeseries.category_counts`).
    """

    members: gpd.GeoDataFrame
    monthly: pd.DataFrame
    categories: pd.DataFrame


def profile_hotspot(
    incidents: gpd.GeoDataFrame,
    labels: np.ndarray,
    hotspot_id: int,
    *,
    first_month: str,
    last_month: str,
    missing_months: Sequence[str] = (),
) -> HotspotProfile:
    """Incidents, monthly counts and categories of hotspot ``hotspot_id``.

    ``labels`` as in :class:`HotspotResult`; the months (``YYYY-MM``) bound the monthly
    counts, and ``missing_months`` (months without data) are NaN there, never zero.
    """
    members = hotspot_members(incidents, labels, hotspot_id)
    monthly = timeseries.monthly_counts(members, first_month, last_month, missing_months)
    return HotspotProfile(members, monthly, timeseries.category_counts(members))
