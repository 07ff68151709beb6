"""Fixtures for end-to-end tests in headless Debian Chromium with no network.

The tests skip (saying why) when ``/usr/bin/chromium``, Playwright or the map assets in
``static/vendor/`` are missing; ``.ci/run`` installs all three. Every request that does
not go to this machine is aborted and recorded, so the tests see the app as a
locked-down police network would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, dashboard_server, is_local

from geo.maps.base import missing_vendor_files

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    missing = missing_vendor_files(ROOT / "static" / "vendor")
    if missing:
        return (
            f"map assets missing in static/vendor ({missing[0]}, ...): run scripts/vendor_assets.py"
        )
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = _missing_requirement()
    if reason:
        # In CI a missing browser is a broken set-up, not a reason to skip.
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {reason}")
        print(f"browser tests skipped: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def dashboard(browser_ready: None) -> Iterator[StreamlitServer]:
    """The real app (``dashboard.py``) on a free localhost port."""
    with dashboard_server() as server:
        yield server


@pytest.fixture(scope="session")
def browser(browser_ready: None) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class OfflinePage:
    """A Playwright page that can only reach localhost, with what it tried and saw."""

    page: object
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def offline_page(browser: object) -> Iterator[OfflinePage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    seen = OfflinePage(page)

    def route(request_route: object) -> None:
        url = request_route.request.url
        if is_local(url):
            request_route.continue_()
        else:
            seen.blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    yield seen
    context.close()
