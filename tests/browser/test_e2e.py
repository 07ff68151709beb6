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
KNOWN_PAGES = ("overview", "hotspots", "change", "coverage", "impact", "planner", "login")
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


#: Pages that show at least one folium map ("" is the default page, the Overview).
PAGES_WITH_MAPS = ("", "overview", "hotspots", "change", "coverage", "planner")


def wait_for_maps(seen: OfflinePage, path: str) -> int:
    """Wait until every map on the page has drawn vector layers; return how many maps."""
    if path in PAGES_WITH_MAPS:  # the map's frame can appear after the script run ends
        seen.page.wait_for_selector(MAP_FRAME, state="attached", timeout=PAGE_TIMEOUT_MS)
    frames = seen.page.locator(MAP_FRAME)
    for i in range(frames.count()):
        frame = seen.page.frame_locator(MAP_FRAME).nth(i)
        frame.locator(".leaflet-container").wait_for(timeout=PAGE_TIMEOUT_MS)
        drawn = frame.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas")
        drawn.first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
        assert drawn.count() > 0, f"map {i} on page {path!r} drew nothing"
    return frames.count()


def test_every_page_renders_without_error(dashboard: StreamlitServer, offline_page) -> None:
    open_page(offline_page, dashboard, "")
    paths = nav_paths(offline_page.page) or [""]
    unknown = [p for p in paths if p and p not in KNOWN_PAGES]
    assert not unknown, f"pages not covered by this test: {unknown}"
    for path in paths:
        open_page(offline_page, dashboard, path)
        assert_no_exception(offline_page, path)
        maps = wait_for_maps(offline_page, path)
        assert maps >= (path in PAGES_WITH_MAPS), f"page {path!r} shows no map"
        offline_page.page.wait_for_timeout(500)  # let tiles fail over to the plain basemap
        offline_page.screenshot(f"page-{path or 'home'}")
    assert not offline_page.page_errors, offline_page.page_errors
    assert_offline_clean(offline_page)


def test_hotspot_map_draws_polygons_offline(dashboard: StreamlitServer, offline_page) -> None:
    open_page(offline_page, dashboard, "")
    assert "hotspots" in nav_paths(offline_page.page)
    open_page(offline_page, dashboard, "hotspots")
    frame = offline_page.page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=PAGE_TIMEOUT_MS)
    paths = frame.locator(".leaflet-overlay-pane svg path")
    paths.first.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert paths.count() > 0
    # Leaflet and the legend came from static/vendor, not a CDN
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert frame.locator(".geo-legend").count() >= 1  # hotspot ranks, and the basemap's
    offline_page.page.wait_for_timeout(1_000)  # let the basemap fallback settle
    offline_page.screenshot("hotspot-map")
    assert_no_exception(offline_page, "hotspots")
    assert_offline_clean(offline_page)


def test_script_in_an_uploaded_location_is_shown_as_text(
    dashboard: StreamlitServer, offline_page, tmp_path
) -> None:
    """A hostile Location in an upload names a hotspot; it must render as text, not run."""
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    header = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
        "LSOA code,LSOA name,Crime type,Last outcome category,Context"
    )
    rows = [
        f',2025-0{1 + i % 3},F,F,-3.531704,50.468426,"On or near {payload}",'
        f"E01015217,Torbay 008A,Anti-social behaviour,,"
        for i in range(40)
    ]
    upload = tmp_path / "2025-01-hostile-street.csv"
    upload.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")

    page = offline_page.page
    open_page(offline_page, dashboard, "hotspots?dataset=Upload+a+file")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    wait_until_idle(page)
    page.wait_for_selector('text="Hotspots"', timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    frame = page.frame_locator(MAP_FRAME).first
    polygon = frame.locator(".leaflet-overlay-pane path").first
    polygon.wait_for(timeout=PAGE_TIMEOUT_MS)
    popup = frame.locator(".leaflet-popup-content")
    # A click opens the popup with the hotspot's name and streets; it also selects the
    # hotspot, and on a busy machine the rerun that follows may land after the click and
    # close the popup, so click again once the run has finished.
    for _attempt in range(3):
        polygon.click(force=True)
        wait_until_idle(page)
        if popup.count():
            break
    assert payload in popup.first.inner_text(timeout=PAGE_TIMEOUT_MS)
    assert frame.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
    assert not offline_page.dialogs, offline_page.dialogs
    offline_page.screenshot("hostile-upload")
    assert_no_exception(offline_page, "hotspots")
