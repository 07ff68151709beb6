"""ASB Hotspot Dashboard: Streamlit entry point.

Run with ``streamlit run dashboard.py``. It draws the shared sidebar (area, months,
categories; all kept in the URL) and the navigation; each page lives in ``pages/``.
"""

from __future__ import annotations

import streamlit as st

from pages import auth, common, errors

st.set_page_config(page_title="ASB Hotspot Dashboard", page_icon="🗺️", layout="wide")

PAGES = [
    st.Page(
        "pages/overview.py",
        title="Overview",
        icon=":material/dashboard:",
        url_path="home",
        default=True,
    ),
    # A default page is served only at the root, so links to /overview need this alias.
    st.Page("pages/overview.py", title="Overview", url_path="overview", visibility="hidden"),
    st.Page(
        "pages/hotspots.py", title="Hotspot explorer", icon=":material/layers:", url_path="hotspots"
    ),
    st.Page(
        "pages/change.py",
        title="Hotspot change",
        icon=":material/compare_arrows:",
        url_path="change",
    ),
    st.Page(
        "pages/coverage.py",
        title="Patrol coverage",
        icon=":material/directions_walk:",
        url_path="coverage",
    ),
    st.Page("pages/impact.py", title="Impact", icon=":material/balance:", url_path="impact"),
    st.Page(
        "pages/planner.py",
        title="Patrol planner",
        icon=":material/event_note:",
        url_path="planner",
    ),
]

navigation = st.navigation(PAGES + auth.account_pages())  # partner pages: by role


def _draw() -> None:
    st.session_state["_selection"] = common.sidebar(auth.partner_access())
    navigation.run()


errors.run_guarded(_draw)
