"""Start the dashboard with its heavy libraries already imported.

``streamlit run dashboard.py`` imports nothing of the app until the first visitor
arrives, so that visitor waits several seconds for geopandas, scipy, altair and folium to
load and for the default area to be read. This launcher does that work first, then hands
over to Streamlit's own command line in the same process, so the first page draws as
fast as any later one. Usage (from the repository root; scripts/run-dashboard.sh does
this): ``python scripts/serve.py [streamlit options]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def warm_up() -> None:
    """Import what the pages import, and run the default Overview's geo calls once.

    The results are thrown away (Streamlit's caches start with the server); what stays is
    the imported code, the files in the OS cache, and the one-off set-up that a first call
    pays (projections, templates), which is most of a first call's time.
    """
    import altair  # noqa: F401
    import streamlit_folium  # noqa: F401

    import pages.common  # noqa: F401
    from geo.hotspots import dbscan
    from geo.io import datasets, query, store
    from geo.maps.hotspot import build_hotspot_map

    default = next(iter(datasets.DATASETS.values()))
    query.category_counts(default.incidents_path, query.Selection())
    datasets.load_summary(default.key)
    incidents = store.read_incidents(default.incidents_path, categories=[default.defaults.category])
    found = dbscan.find_hotspots(
        incidents,
        default.defaults.eps_m,
        default.defaults.min_samples,
        study_area=datasets.load_study_area(default.key),
    )
    build_hotspot_map(found.hotspots.head(10), incident_style="none", tiles=True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    warm_up()
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # Route every first request through dashboard.py's st.navigation: without this, a
    # fresh server treats pages/ as Streamlit's legacy page folder until some session
    # runs the entry script (pages.common.run_through_entry_script explains).
    PagesManager.uses_pages_directory = False

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    raise SystemExit(main())
