"""Benchmark: ingest a 1,000,000-row police.uk street CSV.

Generates a police.uk-format file (snap-point coordinates around Torbay, blank Crime IDs
on ASB rows, ~1 % rows without coordinates), then times in separate processes:

- ``geo``: :func:`geo.ingest.ingest` (pyarrow reader, validation, reasons, projection);
- ``baseline``: plain ``pandas.read_csv`` + ``geopandas.points_from_xy`` + ``to_crs(27700)``,
  dropping rows without coordinates and nothing more.

Each variant runs ``--repeats`` times (default 5), each in a fresh process, the two
variants taking turns (and turns to go first); the best time is reported with the
median, and peak memory is the largest maximum resident set size of those processes.
Run from the repo root: ``python bench/ingest.py [--rows 1000000] [--repeats 5]``.
Targets: geo at least 3x the baseline's rows per second and under 1.5 GB peak.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "generated"
CATEGORIES = [
    "Anti-social behaviour",
    "Violence and sexual offences",
    "Shoplifting",
    "Criminal damage and arson",
    "Public order",
    "Other theft",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a police.uk street CSV with ``rows`` rows (deterministic)."""
    rng = np.random.default_rng(seed)
    snap_lon = -3.53 + rng.normal(0, 0.02, 20_000).round(6)
    snap_lat = 50.46 + rng.normal(0, 0.02, 20_000).round(6)
    pick = np.minimum(rng.zipf(1.6, rows) - 1, 19_999)
    category = np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), rows)]
    asb = category == CATEGORIES[0]
    # Crime IDs are 64 hex characters (a SHA-256), blank on ASB rows.
    hex_pairs = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")
    digests = hex_pairs[rng.integers(0, 256, (rows, 32))].view("S64").ravel().astype(str)
    ids = np.where(asb, "", digests)
    lon = np.char.mod("%.6f", snap_lon[pick]).astype(object)
    lat = np.char.mod("%.6f", snap_lat[pick]).astype(object)
    no_location = rng.random(rows) < 0.01
    lon[no_location] = ""
    lat[no_location] = ""
    month = np.char.mod("2025-%02d", rng.integers(1, 13, rows))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
            "LSOA code,LSOA name,Crime type,Last outcome category,Context\n"
        )
        force = "Devon & Cornwall Police"
        for i in range(rows):
            out.write(
                f"{ids[i]},{month[i]},{force},{force},{lon[i]},{lat[i]},"
                f"On or near Street {pick[i]},E0101{pick[i] % 1000:04d},Torbay {pick[i] % 90:03d}A,"
                f"{category[i]},,\n"
            )


def run_geo(path: Path) -> int:
    """Ingest with the library; return accepted rows."""
    from geo.io.incidents import ingest

    return len(ingest([path]).incidents)


def run_baseline(path: Path) -> int:
    """Plain pandas + geopandas: read, drop rows without coordinates, make points, project."""
    frame = pd.read_csv(path).dropna(subset=["Longitude", "Latitude"])
    points = gpd.points_from_xy(frame["Longitude"], frame["Latitude"], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(frame, geometry=points).to_crs("EPSG:27700")
    return len(frame)


def _measure(which: str, path: Path) -> dict:
    """Run one variant in this process and report its time and peak memory.

    Both variants first run once on a 1,000-row file, so that imports and one-off set-up
    (pyproj transformers, lazy modules) are not timed for either.
    """
    run = {"geo": run_geo, "baseline": run_baseline}[which]
    warm_up = WORK / "warm-up-street.csv"
    if not warm_up.exists():
        generate(warm_up, 1_000)
    run(warm_up)
    start = time.perf_counter()
    rows = run(path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": which, "rows_accepted": rows, "seconds": seconds, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="fresh runs per variant")
    parser.add_argument("--measure", choices=["geo", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, Path(args.path))))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"ingest-{args.rows}-street.csv"
    if not path.exists():
        generate(path, args.rows)
    runs: dict[str, list[dict]] = {"baseline": [], "geo": []}
    for repeat in range(args.repeats):
        # Interleaved, each in a fresh process, taking turns to go first: the machine is
        # shared and its speed drifts, and a run is slower just after a memory-hungry one.
        order = list(runs.items()) if repeat % 2 == 0 else list(runs.items())[::-1]
        for which, measured in order:
            out = subprocess.run(
                [sys.executable, __file__, "--measure", which, "--path", str(path)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            measured.append(json.loads(out.stdout.strip().splitlines()[-1]))
    results = {}
    for which, measured in runs.items():
        best = min(measured, key=lambda r: r["seconds"])
        best["median_seconds"] = sorted(r["seconds"] for r in measured)[len(measured) // 2]
        best["peak_mb"] = max(r["peak_mb"] for r in measured)
        results[which] = best
    speed = {k: args.rows / v["seconds"] for k, v in results.items()}
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"rows: {args.rows:,} ({path.stat().st_size / 1e6:.0f} MB CSV)")
    for which, result in results.items():
        print(
            f"{which:>8}: best {result['seconds']:.2f} s "
            f"(median {result['median_seconds']:.2f} s), "
            f"{speed[which]:,.0f} rows/s, peak {result['peak_mb']:.0f} MB, "
            f"accepted {result['rows_accepted']:,}"
        )
    median_ratio = results["baseline"]["median_seconds"] / results["geo"]["median_seconds"]
    print(
        f"speed ratio geo / baseline: best {speed['geo'] / speed['baseline']:.1f}x, "
        f"median {median_ratio:.1f}x (target >= 3x)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
