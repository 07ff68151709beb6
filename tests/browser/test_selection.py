"""Hotspot explorer in Chromium: the table and the map select hotspots both ways.

A table row highlights its hotspot on the map and zooms to it; after that, clicking
another hotspot on the map selects that one. Run: ``pytest -m browser``.
"""

from __future__ import annotations

import re

import pytest
from streamlit_server import StreamlitServer
from test_e2e import MAP_FRAME, PAGE_TIMEOUT_MS, assert_no_exception, open_page, wait_until_idle

pytestmark = pytest.mark.browser

#: The outline colour of the chosen hotspot (geo.maps.hotspot.focus_layer).
FOCUS = "#00e5ff"

#: Finds the folium map object inside the map's frame.
FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"


def chosen_heading(page: object) -> str:
    """The detail heading, "#3 Name", of the hotspot shown below the table."""
    heading = page.locator("h3").filter(has_text=re.compile(r"^#\d+ "))
    heading.first.wait_for(timeout=PAGE_TIMEOUT_MS)
    return heading.first.inner_text()


def focus_outline(frame: object) -> object:
    outline = frame.locator(f'.leaflet-overlay-pane path[stroke="{FOCUS}"]')
    outline.first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    return outline


def click_table_row(page: object, row: int) -> None:
    """Tick row ``row`` (0-based) in the hotspot table's row-selection column."""
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    row_px, header_px = 35, 35
    page.mouse.click(box["x"] + 18, box["y"] + header_px + row_px * row + row_px / 2)
    wait_until_idle(page)


def test_table_row_zooms_the_map_and_a_map_click_still_selects(
    dashboard: StreamlitServer, offline_page
) -> None:
    page = offline_page.page
    open_page(offline_page, dashboard, "")  # the app's root registers the pages first
    open_page(offline_page, dashboard, "hotspots")
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-overlay-pane path").first.wait_for(
        state="attached", timeout=PAGE_TIMEOUT_MS
    )
    assert chosen_heading(page).startswith("#1 ")
    start_zoom = frame.locator(".leaflet-container").evaluate(f"() => {FIND_MAP}.getZoom()")

    # Table -> map: the third row highlights hotspot #3 and the map zooms to it.
    click_table_row(page, 2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('#3 '))",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.wait_for_timeout(1_500)  # st_folium moves the map in place
    assert focus_outline(frame).count() >= 1
    zoom = frame.locator(".leaflet-container").evaluate(f"() => {FIND_MAP}.getZoom()")
    assert zoom > start_zoom, (start_zoom, zoom)
    offline_page.screenshot("hotspots-table-to-map")

    # Map -> table: zoom out as a user would, then click hotspot #1's polygon.
    frame.locator(".leaflet-container").evaluate(
        f"""() => {{
            const map = {FIND_MAP};
            let target = null;
            map.eachLayer(layer => {{
                const name = layer.feature && layer.feature.properties.hotspot;
                if (typeof name === "string" && name.startsWith("#1 ")) {{ target = layer; }}
            }});
            map.fitBounds(target.getBounds(), {{animate: false}});
            map.setZoom(map.getZoom() - 1, {{animate: false}});
            target.getElement().setAttribute("data-test-hotspot", "1");
        }}"""
    )
    page.wait_for_timeout(500)
    frame.locator('path[data-test-hotspot="1"]').click(force=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('#1 '))",
        timeout=PAGE_TIMEOUT_MS,
    )
    wait_until_idle(page)
    assert chosen_heading(page).startswith("#1 ")
    offline_page.screenshot("hotspots-map-to-table")
    assert_no_exception(offline_page, "hotspots")
    assert not offline_page.page_errors, offline_page.page_errors


#: Boxes of the labels Leaflet shows, as [left, top, right, bottom].
VISIBLE_LABELS = """() => [...document.querySelectorAll('.geo-label')]
    .filter(span => getComputedStyle(span.parentElement).visibility !== 'hidden'
                    && span.getBoundingClientRect().width > 0)
    .map(span => { const r = span.getBoundingClientRect();
                   return [r.left, r.top, r.right, r.bottom]; })"""


def test_map_labels_never_overprint(dashboard: StreamlitServer, offline_page) -> None:
    """Place and street labels (the offline base shows streets) at two zoom levels."""
    page = offline_page.page
    open_page(offline_page, dashboard, "")
    open_page(offline_page, dashboard, "hotspots")
    frame = page.frame_locator(MAP_FRAME).first
    container = frame.locator(".leaflet-container")
    container.wait_for(timeout=PAGE_TIMEOUT_MS)
    frame.locator(".geo-street").first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    for zoom_change in (0, 2):
        container.evaluate(
            f"() => {{ const m = {FIND_MAP}; m.setZoom(m.getZoom() + {zoom_change}, "
            "{animate: false}); }"
        )
        page.wait_for_timeout(800)
        boxes = container.evaluate(VISIBLE_LABELS)
        total = container.evaluate("() => document.querySelectorAll('.geo-label').length")
        assert 3 <= len(boxes) < total  # some shown, and some hidden to make room
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                assert not overlap, (a, b)
    offline_page.screenshot("hotspots-labels")
