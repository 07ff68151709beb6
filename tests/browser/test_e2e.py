"""End-to-end: the real dashboard in headless Chromium, with no internet.

Starts ``streamlit run dashboard.py``, visits every page in the sidebar navigation,
checks that no page shows a Streamlit exception, that the hotspot explorer's Leaflet map
drew its polygons (SVG paths) from locally served assets, that nothing but map tiles was
asked of the internet, and saves a screenshot of each page under ``artifacts/``.
Run: ``pytest -m browser`` (needs /usr/bin/chromium and ``scripts/vendor_assets.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest
from streamlit_server import StreamlitServer

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser

#: url_path of every page the dashboard may register, in navigation order.
KNOWN_PAGES = ("overview", "hotspots", "change", "coverage", "impact", "planner")
#: Hosts the app may try and fail to reach offline: only the basemap tiles.
TILE_HOSTS = ("tile.openstreetmap.org",)
MAP_FRAME = 'iframe[title*="st_folium"]'
PAGE_TIMEOUT_MS = 60_000


def wait_until_idle(page: object) -> None:
    """Wait for the script run to finish (Streamlit marks the app ``notRunning``)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=PAGE_TIMEOUT_MS
    )


def nav_paths(page: object) -> list[str]:
    """url paths of the pages in the sidebar navigation ([] when there is one page)."""
    hrefs = [
        link.get_attribute("href") or ""
        for link in page.locator('[data-testid="stSidebarNav"] a').all()
    ]
    # The default page links to the app's root, so its path is "".
    return [urlparse(href).path.strip("/").rsplit("/", 1)[-1] for href in hrefs]


def open_page(seen: OfflinePage, server: StreamlitServer, path: str) -> None:
    seen.page.goto(f"{server.url}/{path}", timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(seen.page)


def assert_no_exception(seen: OfflinePage, path: str) -> None:
    errors = seen.page.locator('[data-testid="stException"]')
    assert errors.count() == 0, f"page {path!r} shows: {errors.first.inner_text()[:500]}"
    assert not seen.dialogs, f"page {path!r} opened dialogs (script ran?): {seen.dialogs}"


def assert_offline_clean(seen: OfflinePage) -> None:
    outside = [url for url in seen.blocked if not any(h in url for h in TILE_HOSTS)]
    hint = (
        " (a ':material/...:' page_icon in st.set_page_config is fetched from"
        " fonts.gstatic.com: use a local image file)"
        if any("fonts.gstatic.com" in url for url in outside)
        else ""
    )
    assert not outside, f"the app asked the internet for more than tiles: {outside[:5]}{hint}"


def test_every_page_renders_without_error(dashboard: StreamlitServer, offline_page) -> None:
    open_page(offline_page, dashboard, "")
    paths = nav_paths(offline_page.page) or [""]
    unknown = [p for p in paths if p and p not in KNOWN_PAGES]
    assert not unknown, f"pages not covered by this test: {unknown}"
    for path in paths:
        open_page(offline_page, dashboard, path)
        assert_no_exception(offline_page, path)
        offline_page.screenshot(f"page-{path or 'home'}")
    assert not offline_page.page_errors, offline_page.page_errors
    assert_offline_clean(offline_page)


def test_hotspot_map_draws_polygons_offline(dashboard: StreamlitServer, offline_page) -> None:
    open_page(offline_page, dashboard, "")
    if "hotspots" not in nav_paths(offline_page.page):
        pytest.skip("the dashboard has no 'hotspots' page yet")
    open_page(offline_page, dashboard, "hotspots")
    frame = offline_page.page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=PAGE_TIMEOUT_MS)
    paths = frame.locator(".leaflet-overlay-pane svg path")
    paths.first.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert paths.count() > 0
    # Leaflet and the legend came from static/vendor, not a CDN
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert frame.locator(".geo-legend").count() == 1
    offline_page.page.wait_for_timeout(1_000)  # let the basemap fallback settle
    offline_page.screenshot("hotspot-map")
    assert_no_exception(offline_page, "hotspots")
    assert_offline_clean(offline_page)
