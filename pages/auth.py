"""Sign-in state, navigation and page guards for the partner pages (Streamlit glue).

The rules live in :mod:`geo.partners`; this module only keeps the signed-in
:class:`~geo.partners.accounts.Account` in ``st.session_state``, applies the idle timeout,
registers the pages the role may open, and stops a page whose role check fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from geo.checks import GeoInputError
from geo.partners import accounts, analysis, config, retention, roles
from geo.partners.accounts import Account
from geo.partners.db import Database
from geo.partners.errors import DatabaseUnavailableError
from geo.safety import escape_markdown
from pages import common

ACCOUNT = "partners_account"
LAST_SEEN = "partners_last_seen"
NOTICE = "partners_notice"

#: Partner page name -> (file, menu title, icon); which of them a role sees is geo's rule.
PAGE_FILES: dict[str, tuple[str, str, str]] = {
    "report": ("pages/report.py", "Report an incident", ":material/add_alert:"),
    "good_news": ("pages/good_news.py", "Good news", ":material/celebration:"),
    "outcomes": ("pages/outcomes.py", "Record an outcome", ":material/gavel:"),
    "partner_reports": ("pages/partner_reports.py", "Partner reports", ":material/table:"),
    "subjects": ("pages/subjects.py", "Subjects (case files)", ":material/person_search:"),
    "gallery": ("pages/gallery.py", "Subject gallery", ":material/photo_library:"),
    "meeting_pack": ("pages/meeting_pack.py", "Meeting pack", ":material/summarize:"),
    "patterns": ("pages/patterns.py", "Times and repeats", ":material/schedule:"),
}


def database() -> Database:
    """The hub's database named by ``DATABASE_URL`` / ``ASB_DATA_DIR`` (one engine each)."""
    return common.hub_database(config.database_url())


def partner_access() -> common.PartnerAccess | None:
    """The signed-in user's access to partner reports in the sidebar.

    None when nobody is signed in, the role may not analyse partner reports, or the
    database cannot be read (the partner pages then say why). The role and organisation
    are the database's now, not the session's.
    """
    account = signed_in()
    if account is None:
        return None
    db = database()
    try:
        current = accounts.current_account(db, account)
        version = analysis.data_version(db)
    except (GeoInputError, PermissionError):
        return None
    if current.role not in analysis.ANALYSTS:
        return None
    return common.PartnerAccess(db.url, current, version)


def signed_in() -> Account | None:
    """The signed-in account, or None; signs out after the idle timeout."""
    common.run_through_entry_script()  # a partner page opened first on a fresh server
    account = st.session_state.get(ACCOUNT)
    if account is None:
        return None
    now = dt.datetime.now(dt.UTC)
    if accounts.session_expired(st.session_state.get(LAST_SEEN), now):
        sign_out()
        st.session_state[NOTICE] = "You were signed out after a while without activity."
        return None
    st.session_state[LAST_SEEN] = now
    return account


def sign_in(account: Account) -> None:
    """Remember ``account`` for this browser session."""
    st.session_state[ACCOUNT] = account
    st.session_state[LAST_SEEN] = dt.datetime.now(dt.UTC)


def sign_out() -> None:
    """Forget the signed-in account."""
    st.session_state.pop(ACCOUNT, None)
    st.session_state.pop(LAST_SEEN, None)


def account_pages() -> list:
    """The sign-in page and the partner pages of the signed-in role, and no others.

    A page left out is not registered, so its URL does not open it either.
    """
    _run_retention_if_due()
    account = signed_in()
    title = "Partner sign-in" if account is None else "My account"
    pages = [st.Page("pages/login.py", title=title, icon=":material/login:", url_path="login")]
    for name in roles.pages_for_role(account.role if account else None):
        path, page_title, icon = PAGE_FILES[name]
        pages.append(st.Page(path, title=page_title, icon=icon, url_path=name))
    return pages


def _run_retention_if_due() -> None:
    """Apply the retention rule at most once a day while the dashboard is up (geo decides)."""
    # No hub database yet (or not migrated): nothing is held, so nothing to delete.
    with contextlib.suppress(DatabaseUnavailableError):
        retention.run_if_due(database())


def require_role(page: str) -> Account:
    """Stop the page unless the user, as the database has them now, may open ``page``."""
    account = signed_in()
    if account is None:
        st.warning("Sign in on the Partner sign-in page first.")
        st.stop()
    current = run_or_stop(accounts.current_account, database(), account)
    try:
        roles.require_role(current.role, roles.PAGE_ROLES[page], "This page")
    except PermissionError as error:
        st.error(escape_markdown(error))
        st.stop()
    return current


def run_or_stop(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a :mod:`geo.partners` call; show its one-line refusal or error and stop."""
    try:
        return call(*args, **kwargs)
    except (GeoInputError, PermissionError) as error:
        st.error(escape_markdown(error))
        st.stop()


# Streamlit's legacy mode also lists this helper module as a page (``/auth``).
if __name__ == "__main__":
    common.run_through_entry_script()
