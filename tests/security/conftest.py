"""Fixtures of the attack tests: the CLI in a subprocess with its peak memory, and file
snapshots (hash before and after).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.helpers import MEASURE_PEAK, ROOT, Run, tree


@pytest.fixture
def geo_cli(tmp_path):
    """``geo_cli(*args)`` runs ``python -m geo`` in ``tmp_path`` and returns a :class:`Run`."""

    def run(*args: str | Path) -> Run:
        env = os.environ | {"TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
        env["PYTHONPATH"] = str(ROOT)
        command = [sys.executable, "-c", MEASURE_PEAK, sys.executable, "-m", "geo", *map(str, args)]
        done = subprocess.run(
            command, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        result = json.loads(done.stdout)
        return Run(result["rc"], result["out"], result["err"], result["peak_kb"] / 1024)

    return run


@pytest.fixture
def snapshot(tmp_path):
    """``snapshot()`` hashes every file under the temp dir and the repository's data/.

    Compare two snapshots to prove inputs unchanged and nothing new written.
    """

    def take() -> dict[str, dict[str, str]]:
        return {"tmp": tree(tmp_path), "data": tree(ROOT / "data")}

    return take
