"""Benchmark: many people opening the Hotspot explorer at once on one local server.

Starts ``streamlit run dashboard.py`` on 127.0.0.1, then opens the Hotspot explorer
(Torbay, default settings) in ``--sessions`` headless Chromium pages at the same moment,
each in its own browser context (its own Streamlit session). A session's *first draw*
is the time from asking for the page until the script run has finished and the map's
polygons are on screen. The server's resident memory (the process and its children) is
sampled every 0.2 s.

Targets: each session's first draw within 4x the single-session time, and peak server
memory at most 2 GB.

Run from the repository root: ``python bench/load.py [--sessions 20]`` (needs
/usr/bin/chromium, Playwright and ``scripts/vendor_assets.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402

PAGE = "hotspots"
TIMEOUT_MS = 600_000
MAP_POLYGON = ".leaflet-overlay-pane path"


class PeakMemory:
    """Peak resident memory (MB) of a process tree, sampled on a thread."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.peak_mb = 0.0
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

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def first_draw(browser, url: str) -> float:
    """Seconds until one new session's explorer has finished running and drawn its map."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
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


async def run_sessions(url: str, sessions: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        times = await asyncio.gather(*(first_draw(browser, url) for _ in range(sessions)))
        await browser.close()
    return list(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    with StreamlitServer(ROOT / "dashboard.py", timeout_s=120) as server:
        url = f"{server.url}/{PAGE}"
        # Warm-up: one session fills the shared caches (data read once per process).
        warm = asyncio.run(run_sessions(url, 1))[0]
        single = statistics.median(asyncio.run(run_sessions(url, 1))[0] for _ in range(3))
        with PeakMemory(server._process.pid) as memory:
            times = asyncio.run(run_sessions(url, args.sessions))
    median = statistics.median(times)
    print(f"date: {time.strftime('%Y-%m-%d')}")
    print(f"first session (cold caches): {warm:.1f} s")
    print(f"single session (warm caches, median of 3): {single:.1f} s")
    print(
        f"{args.sessions} sessions at once: median {median:.1f} s, max {max(times):.1f} s "
        f"= {max(times) / single:.1f}x single   [target <= 4x]"
    )
    print(f"peak server memory: {memory.peak_mb:,.0f} MB   [target <= 2048 MB]")


if __name__ == "__main__":
    main()
