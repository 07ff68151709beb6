"""Run a Streamlit app in a subprocess on a free localhost port, for browser tests.

    with StreamlitServer(ROOT / "dashboard.py") as server:
        page.goto(server.url)

The server runs from the script's folder, so ``.streamlit/config.toml`` and ``static/``
beside the script apply. It is stopped (process group) when the block ends, and its
output is kept in :attr:`StreamlitServer.log` for failure messages.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Chromium as installed by Debian's ``chromium`` package (Playwright's own download
#: needs a host that is not reachable here).
CHROMIUM = Path("/usr/bin/chromium")

#: Flags for headless Chromium in containers and with no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_local(url: str) -> bool:
    """True for URLs served by this machine (what an offline browser may load)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return url.startswith(("data:", "blob:", "about:")) or host in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


ROOT = Path(__file__).resolve().parents[2]


def dashboard_server(*, timeout_s: float = 180.0, **options) -> StreamlitServer:
    """The dashboard started as README's command starts it: ``scripts/serve.py``, which
    warms the default page up before the server opens (not yet started)."""
    return StreamlitServer(
        ROOT / "dashboard.py",
        timeout_s=timeout_s,
        launcher=ROOT / "scripts" / "serve.py",
        **options,
    )


class StreamlitServer:
    """``streamlit run script`` on 127.0.0.1:<free port>, waited for until healthy."""

    def __init__(
        self,
        script: Path,
        *,
        timeout_s: float = 60.0,
        extra_args: tuple = (),
        launcher: Path | None = None,
    ):
        """``launcher``: a script that runs ``script`` itself and takes Streamlit's options
        (``scripts/serve.py``), instead of ``streamlit run script``."""
        self.script = Path(script).resolve()
        self.launcher = launcher
        self.timeout_s = timeout_s
        self.extra_args = tuple(extra_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        # open for the server's lifetime, closed in __exit__
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115

    @property
    def log(self) -> str:
        """Everything the server printed so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def start(self) -> StreamlitServer:
        start = (
            [sys.executable, str(self.launcher)]
            if self.launcher
            else [sys.executable, "-m", "streamlit", "run", str(self.script)]
        )
        command = [
            *start,
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.enableStaticServing",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *self.extra_args,
        ]
        self._process = subprocess.Popen(
            command,
            cwd=self.script.parent,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self._process.returncode}:\n{self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"streamlit not healthy after {self.timeout_s} s:\n{self.log}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
