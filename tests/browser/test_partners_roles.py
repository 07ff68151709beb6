"""Role checks of the partnership hub in headless Chromium, against a server holding the demo.

A partner cannot open a subject's case file by URL, and a funder cannot download (or even
see) the subject gallery: the navigation does not register those pages for those roles,
so neither a typed address nor an in-app address change reaches them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit_server import StreamlitServer, dashboard_server
from test_e2e import PAGE_TIMEOUT_MS, assert_no_exception, nav_paths, wait_until_idle

from geo.partners import demo
from geo.partners.db import Database

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "S-000001"
SUBJECT_NAME = "Dale Pryce"  # the demo's top subject: only coordinators and police see it


@pytest.fixture(scope="module")
def hub_server(browser_ready, tmp_path_factory) -> Iterator[StreamlitServer]:
    """The dashboard with ``ASB_DATA_DIR`` at a fresh folder holding the seeded demo."""
    folder = tmp_path_factory.mktemp("hub-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ASB_DATA_DIR", str(folder))
        demo.seed_demo(Database(f"sqlite:///{folder / 'partners.db'}"))
        with dashboard_server() as server:
            yield server


def sign_in(seen: OfflinePage, server: StreamlitServer, email: str) -> None:
    page = seen.page
    # From the app's root, so dashboard.py's navigation (by role) is in charge from the start.
    page.goto(server.url, timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    page.locator('[data-testid="stSidebarNav"] a[href$="/login"]').click()
    wait_until_idle(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('text="My account"', timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)


def change_address_in_app(seen: OfflinePage, path: str) -> None:
    """Change the address as a link inside the app would (the session stays signed in)."""
    script = (
        "path => { history.pushState({}, '', path); dispatchEvent(new PopStateEvent('popstate')); }"
    )
    seen.page.evaluate(script, path)
    wait_until_idle(seen.page)


def visible_text(seen: OfflinePage) -> str:
    """The text of the page's main area (not the sidebar)."""
    return seen.page.locator('[data-testid="stMain"]').inner_text()


def test_partner_cannot_open_a_subject_page_by_url(hub_server, offline_page) -> None:
    sign_in(offline_page, hub_server, "pharmacy@demo.example")
    paths = nav_paths(offline_page.page)
    assert "gallery" in paths and "subjects" not in paths

    change_address_in_app(offline_page, f"/subjects?subject={SUBJECT}")
    text = visible_text(offline_page)
    assert "Case file" not in text and SUBJECT_NAME not in text
    assert "/subjects" not in offline_page.page.url  # sent back to the default page
    assert "subjects" not in nav_paths(offline_page.page)
    offline_page.screenshot("partners-partner-subject-url-in-app")

    offline_page.page.goto(f"{hub_server.url}/subjects?subject={SUBJECT}")
    wait_until_idle(offline_page.page)
    text = visible_text(offline_page)
    assert "Case file" not in text and SUBJECT_NAME not in text
    offline_page.screenshot("partners-partner-subject-url-typed")
    assert_no_exception(offline_page, "subjects")


def test_funder_cannot_download_a_gallery(hub_server, offline_page) -> None:
    sign_in(offline_page, hub_server, "funder@demo.example")
    paths = nav_paths(offline_page.page)
    assert "meeting_pack" in paths and "gallery" not in paths

    change_address_in_app(offline_page, "/gallery")
    page = offline_page.page
    assert page.get_by_role("button", name="Download gallery (PDF)").count() == 0
    assert page.get_by_text("Prepare the gallery for printing").count() == 0
    assert page.locator('[data-testid="stImage"]').count() == 0
    assert SUBJECT not in visible_text(offline_page)
    offline_page.screenshot("partners-funder-gallery-url")
    assert_no_exception(offline_page, "gallery")


def test_coordinator_sees_the_case_file_and_the_gallery_download(hub_server, offline_page):
    """The same steps succeed for a coordinator, so the refusals above are not vacuous."""
    sign_in(offline_page, hub_server, "coordinator@demo.example")
    change_address_in_app(offline_page, f"/subjects?subject={SUBJECT}")
    offline_page.page.wait_for_selector(f'text="Case file {SUBJECT}"', timeout=PAGE_TIMEOUT_MS)
    assert SUBJECT_NAME in visible_text(offline_page)
    offline_page.screenshot("partners-coordinator-case-file")

    change_address_in_app(offline_page, "/gallery")
    page = offline_page.page
    page.get_by_role("button", name="Prepare the gallery for printing (watermarked PDF)").click()
    wait_until_idle(page)
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download gallery (PDF)").click()
    assert download.value.suggested_filename == "subject-gallery.pdf"
    assert_no_exception(offline_page, "gallery")
