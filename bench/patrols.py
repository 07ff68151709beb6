"""Benchmark: patrol coverage for 10,000,000 pings (30 units, a year, 30 s pings), 50 hotspots.

Target: <= 20 s and <= 4 GB peak on a 2-core machine. Run from the repository root:

    .venv/bin/python bench/patrols.py

Pings are random walks (synthetic) around Torquay and Paignton, already in the canonical
table; hotspots are 50 circles of 40-120 m radius. Reports the wall time of
``geo.coverage.measure_coverage`` (every table) and the process's peak RSS. Reading and
validating CSV text is not included.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.patrols.measure import measure_coverage  # noqa: E402
from geo.schema import BNG, TIMEZONE  # noqa: E402

UNITS, DAYS, PINGS_PER_DAY, STEP_S, HOTSPOTS = 30, 365, 914, 30, 50
#: Torquay-Paignton town centres, EPSG:27700 metres.
BOX = (289_000.0, 60_500.0, 292_500.0, 64_800.0)


def synthetic_pings(seed: int = 1) -> pd.DataFrame:
    """10M synthetic canonical pings: each unit one 7.6 h shift a day, a ping every 30 s."""
    rng = np.random.default_rng(seed)
    per_unit = DAYS * PINGS_PER_DAY
    day_start = pd.Timestamp("2024-01-01", tz=TIMEZONE).value // 1_000_000
    day = np.repeat(np.arange(DAYS, dtype="int64"), PINGS_PER_DAY)
    within = np.tile(np.arange(PINGS_PER_DAY, dtype="int64"), DAYS) * STEP_S * 1000
    frames = []
    for unit in range(UNITS):
        shift_start = rng.integers(6, 16, DAYS).repeat(PINGS_PER_DAY) * 3_600_000
        t_ms = day_start + day * 86_400_000 + shift_start + within
        walk = np.cumsum(rng.normal(0, 25, (per_unit, 2)), axis=0)
        size = np.array([BOX[2] - BOX[0], BOX[3] - BOX[1]])
        folded = np.abs(np.mod(walk + rng.uniform(0, 1, 2) * size, 2 * size) - size)
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": f"U{unit:02d}",
                    "role": ("police", "pcso", "marshal")[unit % 3],
                    "shift_id": pd.NA,
                    "timestamp": pd.to_datetime(t_ms, unit="ms", utc=True).tz_convert(TIMEZONE),
                    "easting": BOX[0] + folded[:, 0],
                    "northing": BOX[1] + folded[:, 1],
                    "source": "bench-synthetic",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def synthetic_hotspots(seed: int = 2) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    centres = points(rng.uniform(BOX[0], BOX[2], HOTSPOTS), rng.uniform(BOX[1], BOX[3], HOTSPOTS))
    circles = gpd.GeoSeries(centres, crs=BNG).buffer(rng.uniform(40, 120, HOTSPOTS))
    frame = gpd.GeoDataFrame(
        {"id": [f"h{i:02d}" for i in range(HOTSPOTS)], "rank": np.arange(1, HOTSPOTS + 1)},
        geometry=circles,
        crs=BNG,
    )
    return frame.to_crs("EPSG:4326")


def main() -> None:
    started = time.perf_counter()
    pings, hotspots = synthetic_pings(), synthetic_hotspots()
    setup_s = time.perf_counter() - started
    print(f"setup: {len(pings):,} pings, {len(hotspots)} hotspots in {setup_s:.1f} s")
    started = time.perf_counter()
    result = measure_coverage(pings, hotspots, "2024-06-01")
    elapsed = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"measure_coverage: {elapsed:.1f} s (target <= 20 s)")
    print(f"peak RSS (whole process, incl. the input table): {peak_gb:.2f} GB (target <= 4 GB)")
    print(f"{len(result.intervals):,} presence intervals, {len(result.visits):,} visit rows")
    share = result.share.set_index(["period", "role"])["hotspot_share_pct"]
    print(f"share of patrol time in hotspots (after, all): {share[('after', 'all')]:.1f} %")


if __name__ == "__main__":
    main()
