"""Shared links on a fresh server: the first request a server ever gets is a deep link.

A ``pages/`` folder beside the entry script starts Streamlit in its legacy multipage mode,
in which a deep link ran the page file alone (no Area selector, every file listed as a
page). Each test here starts its own server, so the link under test is the first thing
the server sees, as when a colleague opens a link to a dashboard that was just started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ROOT
from streamlit_server import StreamlitServer, dashboard_server, is_local
from test_e2e import KNOWN_PAGES, assert_no_exception, nav_paths, open_page, wait_until_idle

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_server(browser_ready: None):
    with dashboard_server() as server:
        yield server


def sidebar_area(page: object) -> str | None:
    """The area the sidebar's Area selector shows (None when there is no Area selector)."""
    area = page.locator('[data-testid="stSidebar"] input[aria-label="Area"]')
    return area.input_value() if area.count() else None


def open_link(seen: OfflinePage, server: StreamlitServer, link: str) -> None:
    """Open ``link`` and wait for the shared sidebar's Area selector and the end of the run.

    On a fresh server the page file first runs alone and then reruns through the entry
    script, and the run state can read "not running" between the two runs.
    """
    open_page(seen, server, link)
    area = seen.page.locator('[data-testid="stSidebar"] input[aria-label="Area"]')
    area.wait_for(timeout=60_000)
    wait_until_idle(seen.page)


def assert_dashboard_shell(seen: OfflinePage) -> None:
    """The shared sidebar and the dashboard's own navigation, not the legacy file list."""
    paths = nav_paths(seen.page)
    # The legacy mode listed every file in pages/, helpers such as common.py included.
    assert set(KNOWN_PAGES) - {"overview"} <= set(paths), paths
    assert {"common", "auth", "dashboard"}.isdisjoint(paths), paths
    assert sidebar_area(seen.page) is not None


def test_hotspots_link_opened_first(fresh_server: StreamlitServer, offline_page) -> None:
    link = "hotspots?dataset=city-of-london&months=2025-01&months=2025-03"
    open_link(offline_page, fresh_server, link)
    assert_no_exception(offline_page, "hotspots")
    assert_dashboard_shell(offline_page)
    assert sidebar_area(offline_page.page) == "City of London"
    title = offline_page.page.locator("h1").first.inner_text()
    assert title.startswith("Hotspot explorer"), title
    assert "City of London" in title
    query = parse_qs(urlparse(offline_page.page.url).query)
    assert urlparse(offline_page.page.url).path.endswith("/hotspots")
    assert query["dataset"] == ["city-of-london"]
    assert query["months"] == ["2025-01", "2025-03"]
    main = offline_page.page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]')
    caption = main.first.inner_text()
    assert caption.startswith(("Jan 2025 to Mar 2025", "2025-01 to 2025-03")), caption
    offline_page.screenshot("link-hotspots-first")


def test_overview_link_opened_first(fresh_server: StreamlitServer, offline_page) -> None:
    open_link(offline_page, fresh_server, "overview?dataset=west-end")
    assert_no_exception(offline_page, "overview")
    assert_dashboard_shell(offline_page)
    assert "Page not found" not in offline_page.page.content()
    title = offline_page.page.locator("h1").first.inner_text()
    assert title == "Overview: West End", title
    assert urlparse(offline_page.page.url).path.endswith("/overview")
    offline_page.screenshot("link-overview-first")

    # The root address is the Overview too, with the view's settings.
    open_link(offline_page, fresh_server, "?dataset=west-end&months=2016-06&months=2016-09")
    query = parse_qs(urlparse(offline_page.page.url).query)
    assert query["months"] == ["2016-06", "2016-09"] and query["dataset"] == ["west-end"]
    assert offline_page.page.locator("h1").first.inner_text() == "Overview: West End"


def test_link_copied_into_another_session(
    fresh_server: StreamlitServer, offline_page, browser
) -> None:
    """Choose a view in one browser, copy its address, open it in a separate browser."""
    page = offline_page.page
    open_page(offline_page, fresh_server, "")
    page.locator('[data-testid="stSidebarNav"] a[href$="/change"]').click()
    page.wait_for_url("**/change**")
    page.wait_for_timeout(300)
    page.locator('[data-testid="stSidebar"] input[aria-label="Area"]').click()
    page.get_by_role("option", name="City of London").click()
    page.wait_for_function("() => location.search.includes('dataset=city-of-london')")
    copied = page.url

    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other.route("**/*", lambda r: r.continue_() if is_local(r.request.url) else r.abort())
        second = other.new_page()
        second.goto(copied)
        # As in open_link: the page may first run alone, then rerun through the entry
        # script, so wait for the shared sidebar's Area selector and then the run's end.
        second.wait_for_selector(
            '[data-testid="stSidebar"] input[aria-label="Area"]', timeout=60_000
        )
        second.wait_for_timeout(300)
        second.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
        )
        title = second.locator("h1").first.inner_text()
        assert title.startswith("Hotspot change") and "City of London" in title, title
        assert sidebar_area(second) == "City of London"
        assert second.locator('[data-testid="stException"]').count() == 0
        second.screenshot(path=str(ROOT / "artifacts" / "link-copied-second-session.png"))
    finally:
        other.close()
