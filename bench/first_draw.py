"""Benchmark the first page a user sees on a cold server: ``/`` to a drawn Overview.

Each repeat starts a fresh ``streamlit run dashboard.py`` (new process: nothing imported,
nothing cached), waits until it answers its health check, then opens ``/`` in headless
Debian Chromium with no network and times, from the request:

- ``title``: the Overview's title is on screen;
- ``figures``: its headline figures (the "Incidents" metric) are on screen;
- ``done``: the script run has finished (every element drawn, the map frame attached).

The target is ``figures`` <= 3 s. Run: ``python bench/first_draw.py [--repeats 5]``;
``--record`` also rewrites the "## First page on a cold server" section of
``bench/README.md``. Needs ``/usr/bin/chromium`` and Playwright (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, is_local  # noqa: E402

TARGET_S = 3.0
#: What scripts/run-dashboard.sh starts: Streamlit after importing the app's libraries.
LAUNCHER = ROOT / "scripts" / "serve.py"
SECTION = "## First page on a cold server"


def one_cold_start(browser, launcher: Path | None) -> dict[str, float]:
    """Seconds from opening ``/`` to title, headline figures and finished run."""
    with StreamlitServer(ROOT / "dashboard.py", launcher=launcher) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
        page = context.new_page()
        start = time.perf_counter()
        page.goto(server.url, wait_until="commit")
        page.locator("h1", has_text="Overview").first.wait_for(timeout=120_000)
        title = time.perf_counter() - start
        page.locator('[data-testid="stMetric"]', has_text="Incidents").first.wait_for(
            timeout=120_000
        )
        figures = time.perf_counter() - start
        page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000
        )
        done = time.perf_counter() - start
        context.close()
    return {"title": title, "figures": figures, "done": done}


def report(runs: list[dict[str, float]]) -> str:
    lines = [
        f"date: {date.today().isoformat()}",
        f"machine: {platform.machine()}, Python {platform.python_version()}",
        f"cold starts: {len(runs)} (a new server process each)",
    ]
    for key in ("title", "figures", "done"):
        values = [run[key] for run in runs]
        lines.append(
            f"{key:>8}: median {statistics.median(values):.2f} s, "
            f"best {min(values):.2f} s, worst {max(values):.2f} s"
        )
    figures = statistics.median(run["figures"] for run in runs)
    verdict = "met" if figures <= TARGET_S else "NOT met"
    lines.append(f"target: headline figures <= {TARGET_S:.0f} s (median) -> {verdict}")
    return "\n".join(lines)


def record(text: str) -> None:
    readme = ROOT / "bench" / "README.md"
    content = readme.read_text(encoding="utf-8")
    body = (
        f"{SECTION}\n\n`python bench/first_draw.py`: a fresh server per repeat, started as "
        "the dashboard command starts it (`scripts/serve.py`; `--plain` for `streamlit run "
        "dashboard.py`), `/` opened in headless Chromium with no network; seconds from the "
        "request to the Overview's title, its headline figures, and the end of the run.\n\n"
        f"```\n{text}\n```\n"
    )
    pattern = re.compile(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", re.S)
    content = pattern.sub(body, content) if pattern.search(content) else f"{content}\n{body}"
    readme.write_text(content, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="rewrite bench/README.md")
    parser.add_argument(
        "--plain", action="store_true", help="plain `streamlit run dashboard.py`, no warm-up"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        runs = []
        for i in range(args.repeats):
            runs.append(one_cold_start(browser, None if args.plain else LAUNCHER))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()))
        browser.close()
    text = report(runs)
    print(text)
    if args.record:
        record(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
