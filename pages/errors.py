"""The dashboard's error boundary: a short message with an error id on the page, the full
traceback in the server log.

Not a page itself (``dashboard.py`` registers pages explicitly).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st

from geo.checks import GeoInputError
from geo.safety import escape_markdown

log = logging.getLogger("asb_dashboard")


def run_guarded(body: Callable[[], object]) -> None:
    """Run ``body`` (a page); show any error it raises as one short message.

    Unusable input (:class:`~geo.checks.GeoInputError`) is shown as its own one-line
    message. Any other error is logged with its traceback under a short id, and the page
    shows only that id, so that a user can report it without seeing server internals.
    Streamlit's own stop and rerun signals are not errors and pass through.
    """
    try:
        body()
    except GeoInputError as error:
        st.error(escape_markdown(error))
    except MemoryError:
        error_id = _log_error("out of memory")
        st.error(
            "This needs more memory than the server has. Try fewer months or a smaller "
            f"file. (error id {error_id})"
        )
    except Exception:  # noqa: BLE001 - the boundary: every other error becomes an id
        error_id = _log_error("page failed")
        st.error(
            "Something went wrong drawing this page. Try again, or report error id "
            f"{error_id} to the dashboard's administrator."
        )


def _log_error(what: str) -> str:
    error_id = uuid.uuid4().hex[:8]
    log.exception("%s (error id %s)", what, error_id)
    return error_id
