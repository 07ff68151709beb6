"""Markdown injection: names from Location text and the upload's file name show as text."""

from __future__ import annotations

import re

from geo.safety import escape_markdown
from tests.security.helpers import street_csv, street_rows, upload_to_app

IMAGE = "![x](http://host/img.png)"

# An unescaped image or link: "![" or "](" not preceded by a backslash.
_LIVE_MARKDOWN = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(")


def test_escape_markdown_leaves_no_live_image_or_link():
    escaped = escape_markdown(f"{IMAGE} [link](http://x) :red[big] $x$")
    assert not _LIVE_MARKDOWN.search(escaped)
    assert escaped.replace("\\", "") == f"{IMAGE} [link](http://x) :red[big] $x$"


def test_uploaded_names_and_locations_never_render_as_markdown(tmp_path):
    data = street_csv(street_rows(40, location=IMAGE))
    name = "![y](x.png) [click](evil).csv"
    shown = upload_to_app(tmp_path, name, data)
    assert shown.exceptions == [] and shown.errors == []
    assert shown.titles[0].replace("\\", "") == f"Overview: {name}"  # the name is shown ...
    assert not [text for text in shown.texts if _LIVE_MARKDOWN.search(text)]  # ... as text
