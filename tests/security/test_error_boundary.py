"""Unexpected errors on a page: a short message with an id, the traceback only in the log.

The CLI's side (one ``error:`` line, exit code 2, ``--debug`` for the traceback) is in
test_cli_outputs.py; every CLI case in this folder goes through ``helpers.attack``.
"""

from __future__ import annotations

import logging
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.security.helpers import ROOT, street_csv, street_rows

_ERROR_ID = re.compile(r"error id ([0-9a-f]{8})")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (MemoryError(), "This needs more memory than the server has"),
        (RuntimeError("secret /srv/app/internal path"), "Something went wrong drawing this page"),
    ],
)
def test_an_unexpected_error_shows_a_short_message_with_an_id(monkeypatch, caplog, error, words):
    def explode(*_, **__):
        raise error

    monkeypatch.setattr("pages.common.ingest_groups", explode)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.selectbox(key="dataset").select("upload").run()
    # Rows unique to this case, so no cached read from another test answers instead.
    data = street_csv(street_rows(3, location=f"On or near {type(error).__name__} Street"))
    with caplog.at_level(logging.ERROR, logger="asb_dashboard"):
        at.file_uploader(key="upload").set_value(("x.csv", data, "text/csv")).run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert message.startswith(words) and "\n" not in message
    assert "secret" not in message and "Traceback" not in message
    (error_id,) = _ERROR_ID.findall(message)
    (record,) = [r for r in caplog.records if r.name == "asb_dashboard"]
    assert error_id in record.getMessage() and record.exc_info[0] is type(error)
