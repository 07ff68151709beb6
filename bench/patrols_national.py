"""Benchmark: patrol dosage of a generated national fleet, one Parquet file per service day.

A deterministic generator (SYNTHETIC) writes, into ``bench/generated/pings/``, one
``day=YYYY-MM-DD.parquet`` per day: 20 towns across England with 50 units each, every
unit one 8-hour shift a day (07:00, 15:00 or 23:00 local, so a third of the shifts run
past midnight and stay in the file of the day they began), a ping every 30 s, a random
walk folded into a 3.5 km box around its town. Each day file is generated from its own
seed and written before the next, so the pings are never all in memory. 200 hotspots
(ten 40-120 m circles per town).

Then :func:`geo.patrols.measure.coverage_of_files` measures dosage per file on a Dask
``LocalCluster`` (``--workers`` single-threaded processes, default 2): each task reads
one day, and only presence intervals and patrol-time sums come back. Reports wall time,
pings per second, the client's peak RSS and each worker's peak RSS.

Run from the repo root: ``python bench/patrols_national.py --pings 100000000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.schema import BNG, TIMEZONE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "generated" / "pings"
#: Town centres (EPSG:27700 metres): Torquay, Exeter, Bristol, Cardiff, Southampton,
#: Brighton, London, Oxford, Birmingham, Nottingham, Leicester, Norwich, Cambridge,
#: Manchester, Liverpool, Leeds, Sheffield, Hull, Newcastle, Carlisle.
TOWNS = np.array(
    [
        (291_400, 64_300), (292_000, 92_500), (358_700, 173_000), (318_500, 176_500),
        (442_000, 112_000), (531_000, 104_300), (530_000, 180_500), (451_300, 206_200),
        (407_000, 286_800), (457_200, 340_000), (458_600, 304_500), (623_000, 308_600),
        (545_200, 258_500), (383_900, 398_200), (334_800, 390_500), (430_000, 433_400),
        (435_300, 387_300), (509_500, 428_900), (424_900, 564_200), (340_000, 556_000),
    ],
    dtype="float64",
)  # fmt: skip
UNITS_PER_TOWN, HOTSPOTS_PER_TOWN, BOX_M, STEP_S, SHIFT_H = 50, 10, 3_500.0, 30, 8
SHIFT_STARTS_H = (7, 15, 23)
ROLES = ("police", "pcso", "marshal")
FIRST_DAY = dt.date(2025, 1, 1)
SEED = 2026


def pings_per_day() -> int:
    return len(TOWNS) * UNITS_PER_TOWN * SHIFT_H * 3600 // STEP_S


def day_pings(day: dt.date) -> pd.DataFrame:
    """The canonical pings of every shift that starts on ``day`` (same day, same pings)."""
    rng = np.random.default_rng([SEED, day.toordinal()])
    units = len(TOWNS) * UNITS_PER_TOWN
    per_shift = SHIFT_H * 3600 // STEP_S
    unit = np.arange(units)
    start_h = np.asarray(SHIFT_STARTS_H)[(unit + day.toordinal()) % len(SHIFT_STARTS_H)]
    midnight_ms = pd.Timestamp(day, tz=TIMEZONE).value // 1_000_000
    t_ms = (
        midnight_ms
        + start_h[:, None] * 3_600_000
        + np.arange(per_shift)[None, :] * STEP_S * 1000
        + rng.integers(0, 3000, (units, per_shift))
    )
    walk = np.cumsum(rng.normal(0, 25, (units, per_shift, 2)), axis=1)
    walk += rng.uniform(0, BOX_M, (units, 1, 2))
    folded = np.abs(np.mod(walk, 2 * BOX_M) - BOX_M) - BOX_M / 2
    centre = TOWNS[unit // UNITS_PER_TOWN]
    xy = folded + centre[:, None, :]
    return pd.DataFrame(
        {
            "unit_id": np.repeat([f"T{u // UNITS_PER_TOWN:02d}-U{u:04d}" for u in unit], per_shift),
            "role": np.repeat(np.asarray(ROLES)[unit % len(ROLES)], per_shift),
            "timestamp": pd.to_datetime(t_ms.ravel(), unit="ms", utc=True).tz_convert(TIMEZONE),
            "easting": xy[..., 0].ravel(),
            "northing": xy[..., 1].ravel(),
        }
    )


def hotspots() -> gpd.GeoDataFrame:
    """200 circles, 40-120 m radius, within 1.2 km of the town centres (EPSG:4326)."""
    rng = np.random.default_rng(SEED)
    centres = np.repeat(TOWNS, HOTSPOTS_PER_TOWN, axis=0) + rng.uniform(-1200, 1200, (200, 2))
    radius = rng.uniform(40, 120, len(centres))
    circles = shapely.buffer(shapely.points(centres), radius)
    return gpd.GeoDataFrame(
        {"hotspot_id": [f"h{i:03d}" for i in range(len(circles))]}, geometry=circles, crs=BNG
    ).to_crs("EPSG:4326")


def generate(days: int) -> tuple[list[Path], float]:
    """Write (or reuse) ``days`` day files; return their paths and the seconds spent."""
    WORK.mkdir(parents=True, exist_ok=True)
    started, paths = time.perf_counter(), []
    for offset in range(days):
        day = FIRST_DAY + dt.timedelta(days=offset)
        path = WORK / f"day={day.isoformat()}.parquet"
        if not path.exists():
            day_pings(day).to_parquet(path.with_suffix(".tmp"), index=False)
            path.with_suffix(".tmp").rename(path)
        paths.append(path)
    return paths, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=100_000_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    days = max(2, math.ceil(args.pings / pings_per_day()))
    paths, generate_s = generate(days)
    total = days * pings_per_day()
    size_gb = sum(p.stat().st_size for p in paths) / 1e9
    print(
        f"{total:,} pings in {days} day files ({size_gb:.2f} GB), generated in {generate_s:.0f} s"
    )

    from dask.distributed import Client, LocalCluster

    from geo.patrols.measure import coverage_of_files

    funding = FIRST_DAY + dt.timedelta(days=days // 2)
    end = FIRST_DAY + dt.timedelta(days=days)
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter()
        result = coverage_of_files(
            paths,
            hotspots(),
            funding,
            start=FIRST_DAY,
            end=end,
            scheduler=cluster.scheduler_address,
        )
        elapsed = time.perf_counter() - started
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    client_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    worker_gb = [kb / 1024**2 for kb in workers.values()]
    print(
        f"dosage, {args.workers} workers: {elapsed:.1f} s, {total / elapsed:,.0f} pings/s, "
        f"{elapsed / days:.2f} s per day file"
    )
    print(
        f"peak RSS: client {client_gb:.2f} GB, workers "
        + ", ".join(f"{g:.2f} GB" for g in worker_gb)
    )
    print(f"{len(result.intervals):,} presence intervals, {len(result.visits):,} visit rows")
    share = result.share.set_index(["period", "role"])["hotspot_share_pct"]
    print(f"share of patrol time in hotspots (after, all roles): {share[('after', 'all')]:.2f} %")


if __name__ == "__main__":
    main()
