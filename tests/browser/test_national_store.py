"""A national store in the running app, in Chromium: the all-forces Overview with its
forces map, and one force's Hotspot explorer, offline and without exception."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from streamlit_server import StreamlitServer, dashboard_server
from test_e2e import MAP_FRAME, assert_no_exception, open_page
from test_national_app import FORCES, write_national_store

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(browser_ready, tmp_path_factory):
    """The dashboard with ``ASB_DATA_DIR`` holding a small national store, ``demo``."""
    data = write_national_store(tmp_path_factory.mktemp("national-store"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASB_DATA_DIR", str(data))
        with dashboard_server() as running:
            yield running


def test_all_forces_overview_shows_every_force_and_the_forces_map(
    server: StreamlitServer, offline_page: OfflinePage
) -> None:
    open_page(offline_page, server, "?dataset=demo")
    assert_no_exception(offline_page, "overview")
    title = offline_page.page.locator("h1").first.inner_text()
    assert "all forces" in title, title
    offline_page.page.locator(MAP_FRAME).first.wait_for(timeout=60_000)
    frame = offline_page.page.frame_locator(MAP_FRAME).first
    assert "convex hull" in frame.locator(".leaflet-container").first.evaluate(
        "el => el.ownerDocument.body.innerText"
    )
    offline_page.page.wait_for_timeout(1_000)  # let the grid draw its cells
    table = offline_page.page.locator('[data-testid="stDataFrame"]').first
    shown = [table.evaluate("(node, x) => node.textContent.includes(x)", f) for f in FORCES]
    assert all(shown), dict(zip(FORCES, shown, strict=True))
    areas = frame.locator(".leaflet-overlay-pane path")
    assert areas.count() == len(FORCES)
    offline_page.screenshot("national-overview")


def test_one_force_explorer_draws_its_map(
    server: StreamlitServer, offline_page: OfflinePage
) -> None:
    open_page(offline_page, server, "hotspots?dataset=demo&force=Force%20B")
    assert_no_exception(offline_page, "hotspots")
    title = offline_page.page.locator("h1").first.inner_text()
    assert title.startswith("Hotspot explorer: Force B"), title
    offline_page.page.locator(MAP_FRAME).first.wait_for(timeout=60_000)
    offline_page.screenshot("national-force-explorer")
