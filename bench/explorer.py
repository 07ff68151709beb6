"""Benchmark: how fast the Hotspot explorer answers a new eps on the embedded Torbay data.

Target: changing eps re-clusters Torbay in under 0.5 s. Measured two ways:

- ``find_hotspots`` alone (clustering, polygons, names, table) on all 20,053 Torbay
  incidents, per eps;
- the whole page rerun in Streamlit's headless ``AppTest`` after moving the eps slider to
  a value not seen before (cache miss), which adds the map build and page layout.

Run from the repository root: ``python bench/explorer.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPS_VALUES = (60, 80, 120, 140, 160, 180, 200, 220)


def time_find_hotspots() -> list[float]:
    """Seconds of :func:`geo.hotspots.find_hotspots` for each eps in :data:`EPS_VALUES`."""
    from geo.hotspots.dbscan import find_hotspots
    from geo.io import datasets, store

    incidents = store.read_incidents(datasets.get_dataset("torbay").incidents_path)
    study_area = datasets.load_study_area("torbay")
    find_hotspots(incidents, eps_m=100, min_samples=30, study_area=study_area)  # warm-up
    seconds = []
    for eps_m in EPS_VALUES:
        start = time.perf_counter()
        find_hotspots(incidents, eps_m=eps_m, min_samples=30, study_area=study_area)
        seconds.append(time.perf_counter() - start)
    return seconds


def time_page_reruns() -> list[float]:
    """Seconds of a full Hotspot explorer rerun after each new eps (cache misses)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def navigation_only(self, *args, **kwargs):  # AppTest quirk, see tests/conftest.py
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = navigation_only
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    app.switch_page("pages/hotspots.py").run()
    seconds = []
    for eps_m in EPS_VALUES:
        start = time.perf_counter()
        app.slider(key="eps").set_value(eps_m).run()
        seconds.append(time.perf_counter() - start)
        assert not app.exception, app.exception
    return seconds


def main() -> None:
    for label, seconds in (
        ("find_hotspots (Torbay, 20,053 incidents)", time_find_hotspots()),
        ("Hotspot explorer rerun after a new eps", time_page_reruns()),
    ):
        print(
            f"{label}: median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s "
            f"over eps {EPS_VALUES[0]}..{EPS_VALUES[-1]} m   [target < 0.5 s]"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
