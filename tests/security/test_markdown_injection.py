"""Markdown injection: names from Location text and the upload's file name show as text."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from geo.safety import escape_markdown
from tests.security.helpers import ROOT, street_csv, street_rows

IMAGE = "![x](http://host/img.png)"

# An unescaped image or link: "![" or "](" not preceded by a backslash.
_LIVE_MARKDOWN = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(")


def test_escape_markdown_leaves_no_live_image_or_link():
    escaped = escape_markdown(f"{IMAGE} [link](http://x) :red[big] $x$")
    assert not _LIVE_MARKDOWN.search(escaped)
    assert escaped.replace("\\", "") == f"{IMAGE} [link](http://x) :red[big] $x$"


def test_uploaded_names_and_locations_never_render_as_markdown():
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.selectbox(key="dataset").select("upload").run()
    data = street_csv(street_rows(40, location=IMAGE))
    name = "![y](x.png) [click](evil).csv"
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception
    shown = [e.value for e in (*at.title, *at.subheader, *at.markdown, *at.error, *at.caption)]
    assert at.title[0].value.replace("\\", "") == f"Overview: {name}"  # the name is shown ...
    assert not [text for text in shown if _LIVE_MARKDOWN.search(text)]  # ... as text
