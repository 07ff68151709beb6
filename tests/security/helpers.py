"""Helpers of the attack tests: CLI runs with their peak memory, and a small valid
police.uk street CSV to damage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Peak resident memory a hostile input may take the CLI to, MB (the project's bound for
#: inputs up to 200 MB is 1.5 GB; these inputs are tiny, so the bound is far tighter).
PEAK_LIMIT_MB = 1_500

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)

# Runs the command as a child and reports the child's own peak RSS (kB on Linux), so the
# measure is that process alone, not the test runner.
MEASURE_PEAK = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=False)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "out": done.stdout, "err": done.stderr,
                  "peak_kb": peak_kb}))
"""


@dataclass
class Run:
    """One CLI run: exit code, stdout, stderr and peak memory (MB)."""

    rc: int
    out: str
    err: str
    peak_mb: float

    def assert_one_line_error(self, *words: str) -> None:
        """Exit 2, one ``error:`` line on stderr naming ``words``, no traceback."""
        assert self.rc == 2, (self.rc, self.err)
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: ")
        assert "Traceback" not in self.err
        for word in words:
            assert word in lines[0], (word, lines[0])


def street_rows(n: int, *, month: str = "2024-01", location: str = "On or near High Street"):
    """``n`` valid police.uk street rows in Torquay (no header)."""
    return [
        f"id{i:06d},{month},Devon & Cornwall Police,Devon & Cornwall Police,"
        f"-3.53{i % 10},50.46{i % 10},{location},E01015{i % 100:03d},Torbay 001A,"
        "Anti-social behaviour,,"
        for i in range(n)
    ]


def street_csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
