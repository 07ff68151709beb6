"""Benchmark the hotspot engine on police.uk-like synthetic data (synthetic, not real).

1,000,000 incidents on 100,000 snap points in a 20 x 20 km square on the British
National Grid: 60 % of the snap points sit in 40 Gaussian "town centres" (sigma
200-1,500 m), the rest are spread evenly; incidents per snap point follow a Zipf-like
law (1 + multinomial with p ~ rank^-0.8, busiest point ~2 % of all incidents), like the
heavy stacking of real police.uk data.

Measures
- the clustering step (:func:`geo.hotspots.cluster_points`: dedupe + exact weighted
  DBSCAN on all 1M incidents), best of ``--repeat`` runs; target <= 0.5 s;
- the whole :func:`geo.hotspots.find_hotspots` (table, polygons, names) on 1M incidents;
- plain ``sklearn.cluster.DBSCAN`` (same eps and min_samples) on 100,000 of the
  incidents (raw duplicates) and the engine on the same 100,000, checked equal, for the
  speed ratio;
- peak memory of the whole run: ``resource.getrusage`` max RSS and tracemalloc's peak
  of Python allocations; target <= 1 GB.

Run: ``python bench/hotspots.py`` (about a minute; ``--quick`` for a 10x smaller run).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.hotspots.dbscan import cluster_points, find_hotspots  # noqa: E402
from geo.projection import bng_to_lonlat  # noqa: E402
from geo.schema import WGS84  # noqa: E402

ORIGIN_BNG = (280_000.0, 55_000.0)  # south-west corner, near Torbay
SIDE_M = 20_000.0
EPS_M, MIN_SAMPLES = 100.0, 30


def make_snap_points(n_snaps: int, rng: np.random.Generator) -> np.ndarray:
    """``n_snaps`` distinct synthetic snap points (metres, EPSG:27700), clustered."""
    n_centres, clustered = 40, int(n_snaps * 0.6)
    centres = rng.uniform(0, SIDE_M, (n_centres, 2))
    sigma = rng.uniform(200, 1_500, n_centres)
    which = rng.integers(0, n_centres, clustered)
    points = np.vstack(
        [
            centres[which] + rng.normal(size=(clustered, 2)) * sigma[which, None],
            rng.uniform(0, SIDE_M, (n_snaps - clustered, 2)),
        ]
    )
    points = np.unique(np.round(points, 1), axis=0)
    while len(points) < n_snaps:  # rounding merged a few; top up
        extra = rng.uniform(0, SIDE_M, (n_snaps - len(points), 2)).round(1)
        points = np.unique(np.vstack([points, extra]), axis=0)
    return points[rng.permutation(n_snaps)] + np.array(ORIGIN_BNG)


def make_incidents(n_incidents: int, n_snaps: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Synthetic incident coordinates ``(x, y)`` in metres, every snap point used."""
    rng = np.random.default_rng(seed)
    snaps = make_snap_points(n_snaps, rng)
    weight = np.arange(1, n_snaps + 1, dtype="float64") ** -0.8
    counts = 1 + rng.multinomial(n_incidents - n_snaps, weight / weight.sum())
    which = rng.permutation(np.repeat(np.arange(n_snaps), counts))
    return snaps[which, 0], snaps[which, 1]


def make_frame(x: np.ndarray, y: np.ndarray, seed: int = 0) -> gpd.GeoDataFrame:
    """Wrap coordinates as schema incidents (synthetic months, categories, streets)."""
    rng = np.random.default_rng(seed)
    lon, lat = bng_to_lonlat(x, y)
    months = pd.period_range("2024-01", "2025-12", freq="M").to_timestamp().date
    categories = np.array(["Anti-social behaviour", "Shoplifting", "Criminal damage and arson"])
    street = (x // 200).astype(np.int64) * 1_000 + (y // 200).astype(np.int64)
    return gpd.GeoDataFrame(
        {
            "month": months[rng.integers(0, len(months), len(x))],
            "category": pd.Categorical(categories[rng.integers(0, 3, len(x))]),
            "location": pd.Categorical.from_codes(
                *np.unique(street, return_inverse=True)[::-1],
            ).rename_categories(lambda code: f"On or near Synthetic Street {code}"),
            "easting": x,
            "northing": y,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )


def best_of(repeat: int, function, *args) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def same_dbscan(sk_labels: np.ndarray, sk_core: np.ndarray, ours) -> bool:
    """Same noise set, same core mask and the same partition of core points."""
    if not ((sk_labels == -1) == (ours.labels == -1)).all() or not (sk_core == ours.core).all():
        return False
    pairs = set(zip(sk_labels[sk_core], ours.labels[sk_core], strict=True))
    return len(pairs) == len(set(sk_labels[sk_core])) == len(set(ours.labels[sk_core]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k incidents on 10k points")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_incidents, n_snaps, n_sklearn = 1_000_000 // scale, 100_000 // scale, 100_000 // scale

    tracemalloc.start()
    x, y = make_incidents(n_incidents, n_snaps)
    cluster_s, clustering = best_of(args.repeat, cluster_points, x, y, EPS_M, MIN_SAMPLES)
    n_clusters = int(clustering.labels.max()) + 1
    noise = float(np.mean(clustering.labels == -1))

    frame = make_frame(x, y)
    start = time.perf_counter()
    result = find_hotspots(frame, EPS_M, MIN_SAMPLES, gazetteer=pd.DataFrame())
    table_s = time.perf_counter() - start
    del frame

    from sklearn.cluster import DBSCAN

    pick = np.random.default_rng(1).choice(n_incidents, n_sklearn, replace=False)
    xy = np.column_stack([x[pick], y[pick]])
    start = time.perf_counter()
    sk = DBSCAN(eps=EPS_M, min_samples=MIN_SAMPLES).fit(xy)
    sklearn_s = time.perf_counter() - start
    sk_core = np.zeros(n_sklearn, dtype=bool)
    sk_core[sk.core_sample_indices_] = True
    ours_s, ours = best_of(args.repeat, cluster_points, xy[:, 0], xy[:, 1], EPS_M, MIN_SAMPLES)
    equal = same_dbscan(sk.labels_, sk_core, ours)

    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    print(f"date: {date.today().isoformat()}")
    print(
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.system()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"data: {n_incidents:,} synthetic incidents on {len(np.unique(x + 1j * y)):,} "
        f"snap points; eps = {EPS_M:g} m, min_samples = {MIN_SAMPLES}"
    )
    print(
        f"clustering step (dedupe + weighted DBSCAN), best of {args.repeat}: "
        f"{cluster_s:.3f} s  [target <= 0.5 s]  -> {n_clusters} clusters, "
        f"{noise:.1%} noise"
    )
    print(
        f"find_hotspots (clustering + table + polygons + names): {table_s:.2f} s, "
        f"{len(result.hotspots)} hotspots"
    )
    print(
        f"sklearn DBSCAN on {n_sklearn:,} raw incidents (same eps, min_samples): "
        f"{sklearn_s:.2f} s; engine on the same points: {ours_s:.3f} s; "
        f"ratio {sklearn_s / ours_s:.0f}x; identical result: {equal}"
    )
    print(
        f"peak memory, whole run: max RSS {max_rss / 2**30:.2f} GiB, "
        f"tracemalloc peak {traced_peak / 2**30:.2f} GiB  [target <= 1 GB]"
    )


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
