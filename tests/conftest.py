"""Shared test set-up."""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager


@pytest.fixture(autouse=True)
def _apptest_navigation_only(monkeypatch):
    """Make AppTest treat ``pages/`` as plain files registered by ``st.navigation``.

    AppTest rebuilds its PagesManager on every run, and a folder named ``pages`` beside
    the entry script switches that manager to the legacy multipage mode, which runs a
    page file without the entry script (and so without the shared sidebar) from the
    second run on. The real server leaves that mode as soon as ``st.navigation`` runs.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
