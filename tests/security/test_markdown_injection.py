"""Markdown injection: names from Location text and the upload's file name show as text."""

from __future__ import annotations

import re

from geo.safety import escape_markdown
from geo.schema import ASB
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


def test_hotspot_names_and_top_streets_from_locations_show_as_text(tmp_path):
    # Three dense snap points whose Location is an image, in scattered other incidents.
    rows = [
        f"c{c}i{i},2024-01,X,X,{lon},{lat},{IMAGE} {c},E01015001,Torbay 001A,{ASB},,"
        for c, (lon, lat) in enumerate([(-3.530, 50.460), (-3.515, 50.468), (-3.500, 50.455)])
        for i in range(60)
    ]
    rows += [
        f"n{i},2024-01,X,X,{-3.54 + i % 10 * 0.005:.4f},{50.44 + i // 10 * 0.004:.4f},"
        f"On or near Noise,E01015001,Torbay 001A,{ASB},,"
        for i in range(100)
    ]
    shown = upload_to_app(tmp_path, "a.csv", street_csv(rows), page="pages/hotspots.py")
    assert shown.exceptions == [] and shown.errors == []
    plain = [text.replace("\\", "") for text in shown.texts]
    assert f"#1 {IMAGE} 0" in plain  # the selected hotspot's name, shown ...
    assert any(text.startswith(f"**Top streets:** {IMAGE} 0 (60)") for text in plain)
    assert not [text for text in shown.texts if _LIVE_MARKDOWN.search(text)]  # ... as text
