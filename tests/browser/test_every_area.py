"""Every page for every area (and an uploaded police.uk download) in Chromium, with no
internet: no exception, maps drawn, and a screenshot of each under ``artifacts/``
(``area-<area>-<page>.png``) for a person to look at."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import ROOT
from streamlit_server import StreamlitServer
from test_e2e import (
    PAGES_WITH_MAPS,
    assert_no_exception,
    assert_offline_clean,
    nav_paths,
    open_page,
    wait_for_maps,
    wait_until_idle,
)

from geo.io import datasets

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser

UPLOAD = ROOT / "data" / "police-uk" / "city-of-london-street.zip"


def _check_and_shoot(seen: OfflinePage, area: str, path: str) -> None:
    assert_no_exception(seen, f"{path} ({area})")
    # Patrol coverage maps patrols: only Torbay has (SYNTHETIC) demo patrols to map.
    has_map = path in PAGES_WITH_MAPS and (path != "coverage" or area == "torbay")
    maps = wait_for_maps(seen, path if has_map else "(no map expected)")
    assert maps >= has_map, f"page {path!r} ({area}) shows no map"
    assert seen.page.locator("h1").count() > 0, f"page {path!r} ({area}) has no title"
    seen.page.wait_for_timeout(500)  # let tiles fail over to the offline basemap
    seen.screenshot(f"area-{area}-{path or 'overview'}")


@pytest.mark.parametrize("area", list(datasets.DATASETS))
def test_every_page_of_every_area(dashboard: StreamlitServer, offline_page, area) -> None:
    open_page(offline_page, dashboard, f"?dataset={area}")
    paths = nav_paths(offline_page.page)
    assert "hotspots" in paths
    for path in paths:
        open_page(offline_page, dashboard, f"{path}?dataset={area}")
        shown = offline_page.page.locator('[data-testid="stSidebar"] input[aria-label="Area"]')
        assert shown.input_value() == datasets.get_dataset(area).label
        _check_and_shoot(offline_page, area, path)
    assert not offline_page.page_errors, offline_page.page_errors
    assert_offline_clean(offline_page)


def test_every_page_of_an_upload(dashboard: StreamlitServer, offline_page) -> None:
    page = offline_page.page
    open_page(offline_page, dashboard, "?dataset=upload")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(UPLOAD))
    page.locator("h1", has_text=UPLOAD.name).first.wait_for(timeout=120_000)
    wait_until_idle(page)
    for path in nav_paths(page):
        # the menu keeps this browser session, and with it the uploaded file
        page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        # the sidebar still holds the one uploaded file (its chip shows a shortened name)
        assert page.locator('[data-testid="stSidebar"] [data-testid="stFileChipName"]').count() == 1
        _check_and_shoot(offline_page, "upload", path)
    assert not offline_page.page_errors, offline_page.page_errors
