"""Benchmark: many people opening the Hotspot explorer at once on one local server.

Starts ``streamlit run dashboard.py`` on 127.0.0.1, then opens the Hotspot explorer
(Torbay, default settings) in ``--sessions`` new Streamlit sessions at the same moment.
Three kinds of client:

- ``--client ws`` (default): websocket-level clients speaking Streamlit's protocol, as
  the browser does: a session's *first draw* is the time from asking for the page until
  the server reports the script run finished. This measures the server alone.
- ``--client browser``: headless Chromium pages, each in its own browser context; the
  first draw also waits for the map's polygons on screen. On this 2-core machine the
  20 Chromium renderers compete with the server for the same cores.
- ``--client mixed``: what each of 20 people sees on their own computer. One real
  Chromium page is timed, as above, while the other sessions, started at the same
  moment, each make every request that page's browser makes to the server: the same
  HTML, scripts, styles and map component files (listed from the browser's own
  single-session visits, not hard-coded), then the same websocket message. The server
  does all 20 sessions' work; only the other 19 browsers' drawing, which would run on
  their users' own machines, is left out. Repeated ``--trials`` times.

The server's resident memory (the process and its children) is sampled every 0.2 s,
and its CPU seconds during the concurrent sessions are recorded.

Targets: each session's first draw within 4x the single-session time, and peak server
memory at most 2 GB.

Run from the repository root: ``python bench/load.py [--sessions 20]`` (needs
/usr/bin/chromium, Playwright and ``scripts/vendor_assets.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from streamlit_server import CHROMIUM, CHROMIUM_ARGS, dashboard_server, is_local  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402

PAGE = "hotspots"
TIMEOUT_MS = 600_000
MAP_POLYGON = ".leaflet-overlay-pane path"


class PeakMemory:
    """Peak resident memory (MB) of a process tree, sampled on a thread."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.peak_mb = 0.0
        self._cpu_start = 0.0
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree)
            except psutil.Error:
                rss = 0
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            time.sleep(self.every_s)

    def _cpu(self) -> float:
        tree = [self.process, *self.process.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in tree)

    def report(self) -> dict:
        return {"peak_mb": self.peak_mb, "server_cpu_s": self.cpu_s}

    def __enter__(self) -> PeakMemory:
        self._cpu_start = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu_s = self._cpu() - self._cpu_start
        self._stop.set()
        self._thread.join()


async def first_draw(browser, url: str, requests: set[str] | None = None) -> float:
    """Seconds until one new session's explorer has finished running and drawn its map.

    The server URLs the page fetched (status 200) are added to ``requests`` when given.
    """
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    if requests is not None:
        page.on("response", lambda response: _note_local(requests, response))
    start = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_timeout(300)
    await page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS
    )
    polygon = page.frame_locator('iframe[title*="st_folium"]').first.locator(MAP_POLYGON).first
    await polygon.wait_for(timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - start
    await context.close()
    return seconds


def _note_local(requests: set[str], response) -> None:
    url = response.url
    if response.request.method == "GET" and response.status == 200 and is_local(url):
        requests.add(url)


async def ws_first_draw(root_url: str) -> float:
    """Seconds until a new websocket session's explorer run has finished on the server."""
    stream = root_url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
        rerun = BackMsg()
        rerun.rerun_script.page_name = PAGE
        start = time.perf_counter()
        await ws.send(rerun.SerializeToString())
        drawn = False
        while True:
            message = ForwardMsg()
            message.ParseFromString(await ws.recv())
            drawn = drawn or b"Hotspot explorer: Torbay" in message.SerializeToString()
            if message.WhichOneof("type") == "script_finished":
                if not drawn:
                    raise RuntimeError("the run finished without drawing the explorer")
                return time.perf_counter() - start


async def measure_ws(root_url: str, sessions: int, server_pid: int) -> dict:
    """Like :func:`measure_browser` with websocket clients (server time only)."""
    await ws_first_draw_page(root_url, "")  # the root first, as for a browser
    cold = await ws_first_draw(root_url)
    single = statistics.median([await ws_first_draw(root_url) for _ in range(3)])
    with PeakMemory(server_pid) as memory:
        times = await asyncio.gather(*(ws_first_draw(root_url) for _ in range(sessions)))
    return {"cold": cold, "single": single, "times": list(times), **memory.report()}


async def ws_first_draw_page(root_url: str, page: str) -> None:
    stream = root_url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
        rerun = BackMsg()
        rerun.rerun_script.page_name = page
        await ws.send(rerun.SerializeToString())
        message = ForwardMsg()
        while message.WhichOneof("type") != "script_finished":
            message.ParseFromString(await ws.recv())


async def emulated_first_draw(root_url: str, requests: list[str]) -> float:
    """Seconds for one session's server work as a browser causes it: the page's files,
    six at a time as a browser fetches from one host, then the explorer's run."""
    client = AsyncHTTPClient(force_instance=True, max_clients=6)
    start = time.perf_counter()
    try:
        responses = await asyncio.gather(*(client.fetch(url) for url in requests))
        if any(len(response.body) == 0 for response in responses):
            raise RuntimeError("the server sent an empty file")
        await ws_first_draw(root_url)
    finally:
        client.close()
    return time.perf_counter() - start


@contextlib.asynccontextmanager
async def chromium(root_url: str):
    """Headless Chromium that has drawn the app's root page once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        # Streamlit serves a deep link as a page of the app only once some session has
        # run the entry script to its st.navigation call, so the root is drawn first.
        root = await browser.new_page()
        await root.goto(root_url, timeout=TIMEOUT_MS)
        await root.wait_for_selector("text=Overview: Torbay", timeout=TIMEOUT_MS)
        try:
            yield browser
        finally:
            await browser.close()


async def measure_mixed(root_url: str, sessions: int, server_pid: int, trials: int) -> dict:
    """One timed Chromium page among ``sessions`` starting together, the others emulated
    browsers (:func:`emulated_first_draw`); its first draw against the same page alone."""
    url = f"{root_url}/{PAGE}"
    async with chromium(root_url) as browser:
        requests: set[str] = set()
        cold = await first_draw(browser, url, requests)
        single = statistics.median([await first_draw(browser, url, requests) for _ in range(3)])
        files = sorted(requests)
        with PeakMemory(server_pid) as memory:
            times, others = [], []
            for _ in range(trials):
                timed, *emulated = await asyncio.gather(
                    first_draw(browser, url),
                    *(emulated_first_draw(root_url, files) for _ in range(sessions - 1)),
                )
                times.append(timed)
                others.extend(emulated)
    return {
        "cold": cold,
        "single": single,
        "times": times,
        "emulated": others,
        "files": len(files),
        **memory.report(),
    }


async def measure_browser(root_url: str, sessions: int, server_pid: int) -> dict:
    """First-draw seconds: cold, single (median of 3) and ``sessions`` at once; peak MB."""
    url = f"{root_url}/{PAGE}"
    async with chromium(root_url) as browser:
        cold = await first_draw(browser, url)  # fills the shared caches
        single = statistics.median([await first_draw(browser, url) for _ in range(3)])
        with PeakMemory(server_pid) as memory:
            times = await asyncio.gather(*(first_draw(browser, url) for _ in range(sessions)))
    return {"cold": cold, "single": single, "times": list(times), **memory.report()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--client", choices=["ws", "browser", "mixed"], default="mixed")
    parser.add_argument("--trials", type=int, default=5, help="mixed: rounds of sessions")
    args = parser.parse_args()
    with dashboard_server() as server:
        pid = server._process.pid
        if args.client == "mixed":
            result = asyncio.run(measure_mixed(server.url, args.sessions, pid, args.trials))
        else:
            measure = measure_ws if args.client == "ws" else measure_browser
            result = asyncio.run(measure(server.url, args.sessions, pid))
    times, single = result["times"], result["single"]
    load = ", ".join(f"{value:.1f}" for value in psutil.getloadavg())
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}, client: {args.client}, load average {load}")
    if args.client == "mixed":
        print(
            f"each round: 1 Chromium page timed + {args.sessions - 1} emulated browsers "
            f"({result['files']} files from the server, then the explorer's run); "
            f"{args.trials} rounds"
        )
        emulated = result["emulated"]
        print(
            f"emulated sessions' server time: median {statistics.median(emulated):.2f} s, "
            f"max {max(emulated):.2f} s"
        )
    rounds = args.trials if args.client == "mixed" else 1
    timed = "the timed page" if args.client == "mixed" else "each session"
    print(f"first session (cold caches): {result['cold']:.2f} s")
    print(f"single session (warm caches, median of 3): {single:.2f} s")
    print(
        f"{args.sessions} sessions at once, {timed}: median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s = {max(times) / single:.1f}x single   [target <= 4x]"
    )
    print(f"peak server memory: {result['peak_mb']:,.0f} MB   [target <= 2048 MB]")
    # Streamlit runs every session's script in one Python process, so the sessions' runs
    # share one interpreter: together they take at least their summed CPU time.
    sessions = args.sessions * rounds
    print(
        f"server CPU during the {sessions} sessions: {result['server_cpu_s']:.2f} s "
        f"({result['server_cpu_s'] / sessions:.3f} s a session)"
    )


if __name__ == "__main__":
    main()
