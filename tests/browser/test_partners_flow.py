"""The partnership hub's "Done when" flow in headless Chromium, and stored markup as text.

On a fresh server with the demo seeded in a temporary ``ASB_DATA_DIR``: the demo partner
reports an incident by clicking the map and sees its reference at once; the coordinator
records an arrest against it; the partner then sees "An arrest was made after your report
<reference>" in the good-news feed with an unread count, and finds their reports as an
Area of the Overview, with its weekday-by-hour heatmap. Screenshots go to
``artifacts/partners-flow-*.png``. A report and an outcome note made of markup show as
text (the note as a cell of the report's outcome history), open no dialog and add no
``img[src=x]`` to any frame.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit_server import StreamlitServer, dashboard_server
from test_e2e import MAP_FRAME, PAGE_TIMEOUT_MS, assert_no_exception, wait_until_idle
from test_partners_roles import change_address_in_app, sign_in

from geo.partners import accounts, demo, incidents, outcomes
from geo.partners.db import Database
from geo.partners.models import LONDON

if TYPE_CHECKING:
    from conftest import OfflinePage

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"BCP-\d{4}-\d{6}")
#: Fleet Street, Torquay: inside the partnership area, where the partner clicks the map.
CLICK_AT = (50.46315, -3.52655)
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def partner_email() -> str:
    return next(email for email, role, _ in demo.demo_accounts() if role == "partner")


def coordinator_email() -> str:
    return next(email for email, role, _ in demo.demo_accounts() if role == "coordinator")


@pytest.fixture(scope="module")
def hub(browser_ready, tmp_path_factory) -> Iterator[tuple[StreamlitServer, Database]]:
    """The dashboard on a fresh ``ASB_DATA_DIR`` holding the seeded demo, and its database."""
    folder = tmp_path_factory.mktemp("hub-flow-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("ASB_DATA_DIR", str(folder))
        db = Database(f"sqlite:///{folder / 'partners.db'}")
        demo.seed_demo(db)
        with dashboard_server() as server:
            yield server, db


def sign_out(seen: OfflinePage) -> None:
    page = seen.page
    page.locator('[data-testid="stSidebarNav"] a[href$="/login"]').click()
    wait_until_idle(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector('text="Partner sign-in"', timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)


def open_nav(seen: OfflinePage, path: str) -> None:
    seen.page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').click()
    wait_until_idle(seen.page)


def click_map_at(seen: OfflinePage, latitude: float, longitude: float) -> None:
    """Click the report page's Leaflet map where (latitude, longitude) is drawn."""
    page = seen.page
    page.wait_for_selector(MAP_FRAME, state="attached", timeout=PAGE_TIMEOUT_MS)
    frame = page.frame_locator(MAP_FRAME).first
    container = frame.locator(".leaflet-container")
    container.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(1_000)  # let the map fit its bounds
    point = container.evaluate(
        "(node, at) => { const p = window.map.latLngToContainerPoint(at); "
        "return {x: p.x, y: p.y}; }",
        [latitude, longitude],
    )
    container.click(position=point)


def choose_report(seen: OfflinePage, reference: str) -> None:
    """Pick exactly the report ``reference`` in the outcome form's "Reports" multiselect."""
    page = seen.page
    chooser = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Reports")
    chooser.locator("input").click()
    chooser.locator("input").press_sequentially(reference)
    page.get_by_role("option", name=re.compile(re.escape(reference))).first.click()
    page.keyboard.press("Escape")
    assert REFERENCE.findall(chooser.inner_text()) == [reference], chooser.inner_text()


def test_partner_reports_by_map_click_and_hears_of_the_arrest(hub, offline_page) -> None:
    server, _ = hub
    page = offline_page.page
    partner = partner_email()

    sign_in(offline_page, server, partner)
    offline_page.screenshot("partners-flow-1-partner-signed-in")
    open_nav(offline_page, "report")
    page.wait_for_selector('text="Where did it happen?"', timeout=PAGE_TIMEOUT_MS)
    page.get_by_text("A point on the map", exact=True).click()
    wait_until_idle(page)
    offline_page.screenshot("partners-flow-2-report-page")
    click_map_at(offline_page, *CLICK_AT)
    page.wait_for_selector("text=/Location: 50\\.46/", timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    offline_page.screenshot("partners-flow-2b-map-clicked")
    # Date and time keep their defaults: now, to the minute (never in the future).
    page.get_by_role("textbox", name="What happened").fill(
        "Two people took razors from the front shelf."
    )
    page.get_by_role("button", name="Save report").click()
    page.wait_for_selector('text="Saved. Your reference is"', timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    saved = page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    found = REFERENCE.search(saved)
    assert found, f"no reference in {saved!r}"
    reference = found.group(0)
    offline_page.screenshot("partners-flow-3-reference-shown")
    assert_no_exception(offline_page, "report")
    sign_out(offline_page)

    sign_in(offline_page, server, coordinator_email())
    open_nav(offline_page, "outcomes")
    choose_report(offline_page, reference)
    outcome = page.locator('[data-testid="stSelectbox"]').filter(has_text="Outcome")
    shown = outcome.inner_text() + " " + outcome.locator("input").input_value()
    assert "arrest" in shown, shown  # the first kind is the default
    offline_page.screenshot("partners-flow-4-outcome-form")
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_selector(f"text=/Recorded arrest against {reference}/", timeout=PAGE_TIMEOUT_MS)
    wait_until_idle(page)
    offline_page.screenshot("partners-flow-5-arrest-recorded")
    assert_no_exception(offline_page, "outcomes")
    sign_out(offline_page)

    sign_in(offline_page, server, partner)
    open_nav(offline_page, "good_news")
    message = f"An arrest was made after your report {reference}"
    try:
        page.get_by_text(message).wait_for(timeout=PAGE_TIMEOUT_MS)
    finally:
        offline_page.screenshot("partners-flow-6-good-news")
    assert page.get_by_text(message).count() == 1
    unread = page.locator('[data-testid="stMetric"]').filter(has_text="Unread")
    count = int(unread.locator('[data-testid="stMetricValue"]').inner_text())
    assert count >= 1
    offline_page.screenshot("partners-flow-6-good-news")
    assert_no_exception(offline_page, "good_news")

    # Signed in, the partner's own reports are an Area of the analysis pages, with times.
    page.locator('[data-testid="stSidebar"] input[aria-label="Area"]').click()
    page.get_by_role("option", name="Partner reports (SYNTHETIC demo)").click()
    page.wait_for_function("() => location.search.includes('dataset=partners')")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Overview").first.click()
    page.get_by_text("When: day of week and hour of day").wait_for(timeout=PAGE_TIMEOUT_MS)
    offline_page.screenshot("partners-flow-7-overview-of-partner-reports")
    assert "SYNTHETIC" in page.locator("h1").first.inner_text()
    # Every category, the partner reports' default: not the ASB Torbay opened with.
    assert "· all categories" in page.locator('[data-testid="stMain"]').inner_text()
    assert_no_exception(offline_page, "overview")
    assert not offline_page.page_errors, offline_page.page_errors


def test_stored_markup_is_shown_as_text(hub, offline_page) -> None:
    """A description and an outcome note full of markup are text; nothing runs or loads."""
    server, db = hub
    page = offline_page.page
    partner = accounts.authenticate(db, partner_email(), demo.DEMO_PASSWORD)
    coordinator = accounts.authenticate(db, coordinator_email(), demo.DEMO_PASSWORD)
    shop = incidents.visible_incidents(db, partner)
    reference = incidents.report_incident(
        db,
        partner,
        occurred_at=dt.datetime.now(LONDON) - dt.timedelta(hours=2),
        category="Other",
        description=XSS,
        latitude=CLICK_AT[0],
        longitude=CLICK_AT[1],
    )
    assert len(incidents.visible_incidents(db, partner)) == len(shop) + 1
    outcomes.record_outcome(
        db, coordinator, "CBO issued", [reference], decided_on=dt.date.today(), note=XSS
    )

    sign_in(offline_page, server, partner_email())
    open_nav(offline_page, "partner_reports")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=PAGE_TIMEOUT_MS)
    history = page.locator('[data-testid="stSelectbox"]').filter(has_text="Report history")
    history.locator("input").click()
    history.locator("input").press_sequentially(reference)
    page.get_by_role("option", name=reference, exact=True).click()
    wait_until_idle(page)
    page.wait_for_timeout(1_000)  # let the grids draw their cells
    offline_page.screenshot("partners-flow-xss-partner-reports")
    # The report's outcome history holds the note as a cell's text (markup left as text).
    grids = page.locator('[data-testid="stDataFrame"]')
    as_text = [
        grids.nth(i).evaluate("(node, x) => node.textContent.includes(x)", XSS)
        for i in range(grids.count())
    ]
    assert any(as_text), "the outcome note is not shown as text"
    assert_no_exception(offline_page, "partner_reports")

    open_nav(offline_page, "good_news")
    cbo = f"A Criminal Behaviour Order was issued after your report {reference}"
    page.get_by_text(cbo).wait_for(timeout=PAGE_TIMEOUT_MS)
    offline_page.screenshot("partners-flow-xss-good-news")
    assert_no_exception(offline_page, "good_news")
    sign_out(offline_page)

    sign_in(offline_page, server, coordinator_email())
    open_nav(offline_page, "outcomes")
    choose_report(offline_page, reference)
    offline_page.screenshot("partners-flow-xss-outcomes")
    change_address_in_app(offline_page, "/partner_reports")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=PAGE_TIMEOUT_MS)
    offline_page.screenshot("partners-flow-xss-coordinator-reports")
    assert_no_exception(offline_page, "partner_reports")

    page.wait_for_timeout(1_000)  # an onerror would fire once the broken image failed
    assert offline_page.dialogs == []
    assert page.locator("img[src=x]").count() == 0
    for frame in page.frames:
        assert frame.locator("img[src=x]").count() == 0, frame.url
        assert frame.locator("script:text('alert(1)')").count() == 0, frame.url
    assert not offline_page.page_errors, offline_page.page_errors
