"""Benchmark: a police.uk-like national archive, streamed ingest, store reads, hotspots.

Generates (deterministically, into ``bench/generated/``, git-ignored) an archive laid
out like the police.uk download: one ``YYYY-MM/YYYY-MM-<force>-street.csv`` per force
and month, 43 forces, as many months as the row count needs at police.uk's national
rate (about 540,000 rows a month), ~17,000 snap points per force with Zipf-skewed use
and "On or near ..." location text, 64-hex Crime IDs (blank on ASB), 14 crime types at
roughly national shares, 1 % rows without coordinates, and 0.1 % ids republished in a
later month (duplicates).

Then, each in a fresh process (wall time and peak resident memory):

- ``geo ingest ARCHIVE --out STORE/`` (streamed, every check, partitioned store);
- DuckDB's typed CSV -> one Parquet file on the same files (the parsing limit);
- store reads: one force (all months) through ``geo.io.store.read_incidents``, against
  reading every row; monthly counts; ASB snap-point weights (geo.io.query, which groups
  with DuckDB) and the same as one raw DuckDB query;
- ``geo hotspots STORE --by force`` on ASB rows.

Run from the repo root: ``python bench/national.py --rows 3000000``; ``--paired 3`` runs only
DuckDB then ``geo ingest`` three times back to back (with the load average), for the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io.incidents import POLICE_UK_STREET_COLUMNS  # noqa: E402

WORK = ROOT / "bench" / "generated"
PYTHON = sys.executable

#: Approximate national shares of police.uk street-level categories (England & Wales).
CATEGORIES = {
    "Anti-social behaviour": 0.33,
    "Violence and sexual offences": 0.27,
    "Public order": 0.07,
    "Criminal damage and arson": 0.07,
    "Shoplifting": 0.06,
    "Other theft": 0.05,
    "Vehicle crime": 0.04,
    "Burglary": 0.035,
    "Drugs": 0.025,
    "Theft from the person": 0.01,
    "Bicycle theft": 0.01,
    "Robbery": 0.01,
    "Possession of weapons": 0.006,
    "Other crime": 0.014,
}
ASB = "Anti-social behaviour"
FORCES = 43
SNAPS_PER_FORCE = 17_000
ROWS_PER_MONTH = 540_000
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Road",
    "Victoria Street",
    "Green Lane",
    "Mill Road",
    "Kings Road",
    "London Road",
    "Market Place",
    "Supermarket",
    "Parking Area",
    "Petrol Station",
    "Sports/Recreation Area",
]


def force_layout(rng: np.random.Generator) -> list[dict]:
    """43 forces on a 7 x 7 grid of 60 km squares over England and Wales (BNG metres)."""
    from geo.projection import bng_to_lonlat

    forces = []
    for k in range(FORCES):
        x0, y0 = 150_000 + (k % 7) * 60_000, 50_000 + (k // 7) * 80_000
        # Snap points cluster around towns; neighbouring forces touch at the edges.
        towns = np.column_stack([x0 + rng.uniform(0, 60_000, 12), y0 + rng.uniform(0, 80_000, 12)])
        town = rng.integers(0, 12, SNAPS_PER_FORCE)
        xy = towns[town] + rng.normal(0, 1_500, (SNAPS_PER_FORCE, 2))
        xy = np.round(xy)
        lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
        streets = np.array(STREETS)[rng.integers(0, len(STREETS), SNAPS_PER_FORCE)]
        location = np.char.add("On or near ", np.char.add(streets, np.char.mod(" %d", town)))
        forces.append(
            {
                "name": f"Force {k + 1:02d} Police",
                "slug": f"force-{k + 1:02d}",
                "lon": np.char.mod("%.6f", lon),
                "lat": np.char.mod("%.6f", lat),
                "location": location,
                "weight": 1.0 / np.arange(1, SNAPS_PER_FORCE + 1) ** 0.9,
            }
        )
    return forces


def generate(rows: int, seed: int = 16) -> Path:
    """Write the archive for ``rows`` rows (skipped when already there); its folder."""
    folder = WORK / f"national-{rows // 1_000}k"
    done = folder / "DONE"
    if done.exists():
        return folder
    rng = np.random.default_rng(seed)
    forces = force_layout(rng)
    months = max(1, round(rows / ROWS_PER_MONTH))
    per_file = rows // (months * FORCES)
    # From January 2020, or earlier when the months would run past mid-2026: a later month
    # is implausible for the ingest and rejected (100M rows = 185 months, from 2011).
    first = min(2020 * 12, 2026 * 12 + 5 - months)
    names, shares = list(CATEGORIES), np.array(list(CATEGORIES.values()))
    shares /= shares.sum()
    hex_pairs = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")
    previous_ids = None
    for m in range(months):
        month = f"{(first + m) // 12}-{(first + m) % 12 + 1:02d}"
        (folder / month).mkdir(parents=True, exist_ok=True)
        for force in forces:
            pick = rng.choice(SNAPS_PER_FORCE, per_file, p=force["weight"] / force["weight"].sum())
            category = np.array(names)[rng.choice(len(names), per_file, p=shares)]
            asb = category == names[0]
            ids = hex_pairs[rng.integers(0, 256, (per_file, 32))].view("S64").ravel().astype(str)
            if previous_ids is not None:
                again = rng.random(per_file) < 0.001
                ids[again] = previous_ids[rng.integers(0, len(previous_ids), again.sum())]
            ids = np.where(asb, "", ids)
            previous_ids = ids[~asb]
            lon, lat = force["lon"][pick].astype(object), force["lat"][pick].astype(object)
            missing = rng.random(per_file) < 0.01
            lon[missing], lat[missing] = "", ""
            lsoa = pick // 400
            table = pa.table(
                {
                    "Crime ID": ids,
                    "Month": [month] * per_file,
                    "Reported by": [force["name"]] * per_file,
                    "Falls within": [force["name"]] * per_file,
                    "Longitude": lon.astype(str),
                    "Latitude": lat.astype(str),
                    "Location": np.where(missing, "No Location", force["location"][pick]),
                    "LSOA code": np.char.mod("E0100%04d", lsoa),
                    "LSOA name": np.char.add(force["slug"], np.char.mod(" %03d", lsoa)),
                    "Crime type": category,
                    "Last outcome category": np.where(
                        asb, "", "Investigation complete; no suspect identified"
                    ),
                    "Context": [""] * per_file,
                }
            )
            table = table.select(list(POLICE_UK_STREET_COLUMNS))
            pacsv.write_csv(table, folder / month / f"{month}-{force['slug']}-street.csv")
    done.write_text(f"{months * FORCES * per_file} rows\n")
    return folder


def measure(setup: str, code: str) -> dict:
    """Run Python ``setup`` (imports, untimed) then ``code`` (timed, sets ``out``) in a
    fresh process; wall seconds of ``code`` and the process's peak resident memory (GB)."""
    script = (
        "import time, resource, json\n"
        f"{setup}\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'s': time.perf_counter() - t0, 'cpu': use.ru_utime + use.ru_stime, "
        "'gb': use.ru_maxrss / 1024**2, 'out': str(out)}))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"s": float("nan"), "gb": float("nan"), "out": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_cli(args: list[str]) -> dict:
    """Wall seconds (imports included) and peak RSS (GB) of ``python -m geo ARGS``."""
    script = (
        "import json, resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"done = subprocess.run([sys.executable, '-m', 'geo', *{args!r}], capture_output=True, "
        "text=True)\n"
        "lines = (done.stdout or done.stderr).strip().splitlines() or ['']\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'s': time.perf_counter() - t0, 'out': lines[-1], "
        "'cpu': use.ru_utime + use.ru_stime, 'gb': use.ru_maxrss / 1024**2}))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_duckdb(archive: Path, parquet: Path) -> dict:
    """DuckDB's typed CSV -> one zstd Parquet over every file of ``archive``."""
    parquet.unlink(missing_ok=True)
    columns = dict.fromkeys(POLICE_UK_STREET_COLUMNS, "VARCHAR") | {
        "Longitude": "DOUBLE",
        "Latitude": "DOUBLE",
    }
    return measure(
        "import duckdb",
        f"cols = {columns!r}\n"
        f"duckdb.sql(f\"COPY (SELECT * FROM read_csv('{archive}/*/*.csv', header=true, "
        "columns={cols})) TO '" + str(parquet) + "' (FORMAT parquet, COMPRESSION zstd)\")\n"
        "out = 'ok'",
    )


def measure_geo_ingest(archive: Path, store: Path) -> dict:
    """``python -m geo ingest ARCHIVE --out STORE/`` into a fresh store (imports timed)."""
    subprocess.run(["rm", "-rf", str(store)], check=True)
    return measure_cli(["ingest", str(archive), "--out", str(store)])


def paired(rows: int, pairs: int, outputs: Path | None = None) -> None:
    """``pairs`` runs of DuckDB then ``geo ingest`` on the same files, back to back, with
    the load average before each pair; prints each pair's ratio and the median ratio.

    Outputs go beside the archive, or into ``outputs`` (so that two people benchmarking
    on one shared archive folder never replace each other's store).
    """
    archive = generate(rows)
    folder = outputs or archive.parent
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / f"{archive.name}-store"
    parquet = folder / f"{archive.name}-duckdb.parquet"
    ratios, cpu_ratios = [], []
    for k in range(pairs):
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        duck = measure_duckdb(archive, parquet)
        geo = measure_geo_ingest(archive, store)
        ratios.append(geo["s"] / duck["s"])
        cpu_ratios.append(geo["cpu"] / duck["cpu"])
        print(
            f"pair {k + 1} (load {load}): DuckDB {duck['s']:.1f} s ({duck['cpu']:.1f} s CPU) "
            f"{duck['gb']:.2f} GB, geo ingest {geo['s']:.1f} s ({geo['cpu']:.1f} s CPU) "
            f"{geo['gb']:.2f} GB, ratio {ratios[-1]:.2f}x wall, {cpu_ratios[-1]:.2f}x CPU"
        )
    print(
        f"median ratio geo / DuckDB: {float(np.median(ratios)):.2f}x wall, "
        f"{float(np.median(cpu_ratios)):.2f}x CPU (target <= 1.5x)"
    )


def run(rows: int) -> dict:
    archive = generate(rows)
    store = archive.parent / f"{archive.name}-store"
    parquet = archive.parent / f"{archive.name}-duckdb.parquet"
    results = {"rows": rows}
    results["geo ingest (partitioned)"] = measure_geo_ingest(archive, store)
    results["duckdb typed CSV -> Parquet"] = measure_duckdb(archive, parquet)
    force = "Force 22 Police"
    results["read one force (pyarrow, pruned)"] = measure(
        "from geo.io.store import read_incidents",
        f"out = len(read_incidents({str(store)!r}, forces=[{force!r}]))",
    )
    if rows <= 5_000_000:  # every row of 10M needs ~9 GB on a machine shared by six
        results["read every row (pyarrow)"] = measure(
            "from geo.io.store import read_incidents", f"out = len(read_incidents({str(store)!r}))"
        )
    results["monthly counts, one force (manifest)"] = measure(
        "from geo.io.query import Selection, monthly_counts",
        f"counts = monthly_counts({str(store)!r}, Selection.of(forces=[{force!r}]))\n"
        "out = int(counts['incidents'].sum())",
    )
    results["ASB snap weights, national (geo.io.query: DuckDB)"] = measure(
        "from geo.io.query import Selection, snap_weights",
        f"out = len(snap_weights({str(store)!r}, Selection.of(categories=[{ASB!r}])))",
    )
    results["ASB snap weights, national (raw DuckDB SQL)"] = measure(
        "import duckdb",
        'out = len(duckdb.sql("SELECT force, easting, northing, count(*) '
        f"FROM read_parquet('{store}/*/*/*.parquet') "
        f"WHERE category = '{ASB}' GROUP BY ALL\").fetchnumpy()['force'])",
    )
    results["read one force (duckdb, hive)"] = measure(
        "import duckdb",
        'out = duckdb.sql("SELECT * EXCLUDE (geometry, bbox) FROM read_parquet('
        f"'{store}/force=Force%2022%20Police/*/*.parquet')\").df().shape[0]",
    )
    results["geo hotspots --by force (ASB, no Dask)"] = measure_cli(
        [
            "hotspots",
            str(store),
            "--by",
            "force",
            "--category",
            "Anti-social behaviour",
            "--scheduler",
            "none",
            "--out",
            str(archive.parent / "national-hotspots.parquet"),
        ]
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument(
        "--paired",
        type=int,
        metavar="N",
        help="only N back-to-back pairs of DuckDB and geo ingest per size",
    )
    parser.add_argument(
        "--outputs", type=Path, help="folder for the paired runs' store and Parquet file"
    )
    args = parser.parse_args()
    for rows in args.rows or [3_000_000]:
        if args.paired:
            print(f"rows: {rows:,}")
            paired(rows, args.paired, args.outputs)
            continue
        results = run(rows)
        print(f"rows: {rows:,}")
        for name, value in results.items():
            if isinstance(value, dict):
                print(
                    f"  {name:42s} {value['s']:7.2f} s  {value['gb']:5.2f} GB   {value['out'][:70]}"
                )


if __name__ == "__main__":
    main()
