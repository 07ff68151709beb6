"""Benchmark: peak memory of ``geo ingest`` on hostile and very large inputs (<= 200 MB).

Target: every input of at most 200 MB on disk keeps the CLI under 1.5 GB of resident
memory, and each hostile one ends in one clear line (exit 2) or a normal summary.
Each case runs ``python -m geo ingest`` in a fresh child process; its peak is the
child's ``ru_maxrss`` (resource.getrusage(RUSAGE_CHILDREN)).

Run from the repository root: ``python bench/hostile_inputs.py``. Inputs are generated
deterministically under ``bench/generated/hostile/`` (git-ignored) and reused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate  # noqa: E402

WORK = ROOT / "bench" / "generated" / "hostile"
LIMIT_MB = 1_500
MB = 2**20

MEASURE_PEAK = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=False)
print(json.dumps({"rc": done.returncode, "err": done.stderr.strip()[-300:],
                  "out": done.stdout, "peak_kb":
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _valid(path: Path, rows: int = 1_000_000) -> None:
    generate(path, rows)


def _zip_at_limit(path: Path) -> None:
    """About 290 MB of real-looking CSVs (under the 300 MB default) in one zip."""
    big, small = WORK / "valid-200mb.csv", WORK / "valid-100mb.csv"
    if not small.exists():
        generate(small, 500_000, seed=8)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(big, "2025/2025-01-devon-street.csv")
        archive.write(small, "2025/2025-02-devon-street.csv")


def _bomb(path: Path) -> None:
    """One member of 2 GiB of zeros (about 2 MB on disk)."""
    zeros = b"0" * MB
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("2025-01-bomb-street.csv", "w", force_zip64=True) as out,
    ):
        out.write(b"Crime ID,Month\n")
        for _ in range(2048):
            out.write(zeros)


def _wide(path: Path) -> None:
    path.write_bytes((",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2\n").encode())


def _unclosed_quote(path: Path) -> None:
    lines = (WORK / "valid-200mb.csv").read_bytes().split(b"\n")
    lines[101] = lines[101].replace(b"On or near", b'"On or near', 1)
    path.write_bytes(b"\n".join(lines))


def _cr_only(path: Path) -> None:
    path.write_bytes((WORK / "valid-200mb.csv").read_bytes().replace(b"\n", b"\r"))


def _nul_body(path: Path) -> None:
    with path.open("wb") as out:
        out.write(b"Crime ID,Month,Longitude,Latitude,Crime type\n")
        for _ in range(200):
            out.write(b"\x00" * MB)


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(200 * MB))


def _one_long_line(path: Path) -> None:
    path.write_bytes(b"a" * (200 * MB))


CASES: list[tuple[str, str, Callable[[Path], None], tuple[str, ...]]] = [
    ("valid police.uk CSV, 1,000,000 rows", "valid-200mb.csv", _valid, ()),
    ("zip of 1,500,000 rows (290 MB unpacked)", "at-limit.zip", _zip_at_limit, ()),
    ("zip bomb: 2 GiB of zeros in 2 MB", "bomb.zip", _bomb, ()),
    ("1,000,000-column header (7.9 MB)", "wide.csv", _wide, ()),
    ("unclosed quote at row 101 of 1,000,000", "unclosed.csv", _unclosed_quote, ()),
    ("CR-only line ends, 1,000,000 rows", "cr-only.csv", _cr_only, ()),
    ("header then 200 MB of NUL bytes", "nul.csv", _nul_body, ()),
    ("200 MB of random bytes named .csv", "random.csv", _random_bytes, ()),
    ("200 MB on one line", "one-line.csv", _one_long_line, ()),
]


def measure(path: Path, extra: tuple[str, ...]) -> dict:
    out = WORK / "out.parquet"
    command = [sys.executable, "-c", MEASURE_PEAK, sys.executable, "-m", "geo", "ingest"]
    command += [str(path), "--out", str(out), "--rejected", str(WORK / "rejected.csv"), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout)
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = result.pop("peak_kb") / 1024
    out.unlink(missing_ok=True)
    return result


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"date: {time.strftime('%Y-%m-%d')}")
    worst = 0.0
    for label, name, make, extra in CASES:
        path = WORK / name
        if not path.exists():
            make(path)
        result = measure(path, extra)
        worst = max(worst, result["peak_mb"])
        if result["rc"] == 0:
            accepted = [line for line in result["out"].splitlines() if "accepted" in line]
            outcome = f"read: {accepted[0].split(':')[1].strip()} rows accepted"
        else:
            outcome = f"exit {result['rc']}: {result['err'].splitlines()[-1][:110]}"
        size = path.stat().st_size / MB
        print(
            f"{label} [{size:,.0f} MB]: peak {result['peak_mb']:,.0f} MB, "
            f"{result['seconds']:.1f} s; {outcome}"
        )
    verdict = "met" if worst < LIMIT_MB else "NOT met"
    print(f"worst peak {worst:,.0f} MB against {LIMIT_MB:,} MB: target {verdict}")


if __name__ == "__main__":
    main()
