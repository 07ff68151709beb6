"""The start command after one successful set-up: no package index, no npm, still starts.

``scripts/setup.sh`` and ``scripts/run-dashboard.sh`` run for real in a copy of the
project's layout whose ``.venv/bin/python`` is a small wrapper: it hands over to the
interpreter running these tests, except that ``python -m pip`` plays a machine with no
network (it fails, as pip does when the index cannot be reached). Every
call is logged, so the tests see whether set-up asked pip for anything.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: A package index that cannot be reached (the discard port on this machine).
UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"

WRAPPER = """#!/usr/bin/env bash
echo "python $*" >>"{log}"
if [ "${{1:-}}" = -m ] && [ "${{2:-}}" = pip ]; then
    [ -e "{online}" ] && exit 0  # a set-up with network: pretend the install worked
    echo "pip: cannot reach the package index $PIP_INDEX_URL" >&2
    exit 1
fi
exec "{target}" "$@"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the scripts and requirement files, the rest linked to this checkout."""
    copy = tmp_path / "project"
    (copy / "scripts").mkdir(parents=True)
    for name in ("setup.sh", "run-dashboard.sh", "serve.py", "vendor_assets.py"):
        shutil.copy2(ROOT / "scripts" / name, copy / "scripts" / name)
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("dashboard.py", "pages", "geo", "data", "static", ".streamlit"):
        (copy / name).symlink_to(ROOT / name)
    wrapper = copy / ".venv" / "bin" / "python"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(
        WRAPPER.format(
            log=tmp_path / "calls.log", online=tmp_path / "online", target=sys.executable
        )
    )
    wrapper.chmod(0o755)
    # npm must never be needed once the map assets are in place
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "npm").write_text("#!/bin/sh\necho npm called >&2\nexit 1\n")
    (tools / "npm").chmod(0o755)
    return copy


def _env(project: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PIP_INDEX_URL": UNREACHABLE_INDEX,
        "PATH": f"{project.parent / 'tools'}:{os.environ['PATH']}",
    }


def _setup(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/setup.sh"],
        check=False,
        cwd=project,
        env=_env(project),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _pip_calls(project: Path) -> list[str]:
    log = project.parent / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if line.startswith("python -m pip")]


def _needs_vendor_assets() -> None:
    if subprocess.run(
        [sys.executable, "scripts/vendor_assets.py", "--check"],
        check=False,
        cwd=ROOT,
        capture_output=True,
    ).returncode:
        pytest.skip("map assets missing in static/vendor: run scripts/vendor_assets.py")


def test_set_up_runs_pip_once_then_never_while_requirements_are_unchanged(project):
    _needs_vendor_assets()
    offline = _setup(project)
    assert offline.returncode != 0, "a first set-up cannot succeed without the index"
    assert "cannot reach the package index" in offline.stderr

    (project.parent / "online").touch()
    first = _setup(project)
    assert first.returncode == 0, first.stderr
    assert _pip_calls(project) == [
        "python -m pip install -q -r requirements.txt",  # the failed offline try
        "python -m pip install -q -r requirements.txt",
        "python -m pip install -q --no-deps -e .",
    ]

    (project.parent / "online").unlink()  # the network goes away
    again = _setup(project)
    assert again.returncode == 0, again.stderr
    assert len(_pip_calls(project)) == 3, "set-up used pip although nothing changed"
    assert "npm called" not in again.stderr

    with (project / "requirements.txt").open("a") as requirements:
        requirements.write("# a changed requirement set\n")
    changed = _setup(project)
    assert changed.returncode != 0, "changed requirements must be installed, not skipped"
    assert len(_pip_calls(project)) == 4


def _wait_healthy(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the dashboard exited with {process.returncode}"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"the dashboard did not answer within {timeout_s} s")


def test_run_dashboard_starts_offline_after_one_set_up(project):
    _needs_vendor_assets()
    (project.parent / "online").touch()
    assert _setup(project).returncode == 0
    (project.parent / "online").unlink()

    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from streamlit_server import free_port

    port = free_port()
    process = subprocess.Popen(
        [
            "bash",
            "scripts/run-dashboard.sh",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=project,
        env=_env(project),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    assert len(_pip_calls(project)) == 2  # only the one set-up's installs
    started = [
        line
        for line in (project.parent / "calls.log").read_text().splitlines()
        if "serve.py" in line
    ]
    assert started == [
        "python scripts/serve.py --server.address 127.0.0.1 "
        f"--server.port {port} --server.address 127.0.0.1"
    ]
