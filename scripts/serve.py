"""Start the dashboard with its default page already run once (caches and imports warm).

``streamlit run dashboard.py`` imports nothing of the app until the first visitor
arrives, so that visitor waits several seconds for geopandas, scipy, altair, folium and
SQLAlchemy to load and for the default area to be read and clustered. This launcher runs
the default page once first, then hands over to Streamlit's own command line in the same
process, so the first page draws as fast as any later one. Usage (from the repository
root; scripts/run-dashboard.sh does this): ``python scripts/serve.py [streamlit options]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def warm_up() -> None:
    """Run the default Overview once (and each national store's), headless, in this
    process before the server opens.

    Streamlit's caches (``st.cache_data``, ``st.cache_resource``) live in the process, so
    what this run fills (the default area's incidents, summary and hotspots) is there for
    the first visitor. So are the imports (geopandas, scipy, altair, folium, SQLAlchemy,
    argon2), the compiled regular expressions Streamlit builds on first use (its emoji
    table for the page icon) and the per-thread projection set-up. The server answers
    its health check only after this, so nobody waits on a half-warm server.
    """
    from streamlit.testing.v1 import AppTest

    from geo.io.datasets import national_stores

    print("Warming up: running the default page once before the server opens ...", flush=True)
    # Then each national store's all-forces Overview, so that its first visitor does not
    # wait for every force to be clustered; it is kept in the store folder, so after the
    # first start of a store's version this reads files instead of clustering
    # (bench/README.md, "The dashboard on a national store").
    for dataset in (None, *national_stores()):
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
        if dataset is not None:
            print(f"Warming up: the national store {dataset!r} ...", flush=True)
            app.query_params["dataset"] = dataset
        app.run()
        if app.exception:  # a broken page must not stop the server: it shows the error
            print(f"warm-up: the Overview raised {app.exception[0].message}", file=sys.stderr)
    forget_components()


#: Modules that declare Streamlit custom components (the maps' streamlit-folium), and
#: the project module that holds on to one.
COMPONENT_MODULES = ("streamlit_folium", "pages.mapview")


def forget_components() -> None:
    """Unload the modules that declared custom components during the warm-up.

    A component registers with the Streamlit runtime that runs when its module is first
    imported: the warm-up's, not the server's. The server would then answer the map's
    component files with 404 and draw no map. Unloaded, they are imported again by the
    server's first run and register with it; the caches they filled stay warm.
    """
    for name in list(sys.modules):
        if name.split(".")[0] == COMPONENT_MODULES[0] or name in COMPONENT_MODULES:
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules:  # else ``from parent import child`` finds the old one
                vars(sys.modules[parent]).pop(child, None)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # Route every first request through dashboard.py's st.navigation: without this, a
    # fresh server treats pages/ as Streamlit's legacy page folder until some session
    # runs the entry script (pages.common.run_through_entry_script explains).
    PagesManager.uses_pages_directory = False
    warm_up()

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    raise SystemExit(main())
