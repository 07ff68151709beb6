"""Hostile text is stored and exported as text; CSV exports cannot start formulas."""

from __future__ import annotations

import pandas as pd
from hub_helpers import FLEET_STREET, london

from geo.partners import incidents
from geo.safety import escape_html, escape_markdown, write_csv

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def test_markup_is_stored_verbatim_and_escaped_for_display(db, people):
    for text in (SCRIPT, IMAGE):
        incidents.report_incident(
            db,
            people["shop_a"],
            occurred_at=london(2026, 1, 5, 10, 0),
            category="Other",
            description=text,
            **FLEET_STREET,
        )
    stored = set(incidents.visible_incidents(db, people["shop_a"])["description"])
    assert stored == {SCRIPT, IMAGE}
    assert "<" not in escape_html(SCRIPT) + escape_html(IMAGE)
    assert "<" not in escape_markdown(SCRIPT).replace("\\<", "")


def test_exported_csv_neutralises_formulas(db, people, tmp_path):
    incidents.report_incident(
        db,
        people["shop_a"],
        occurred_at=london(2026, 1, 5, 10, 0),
        category="Other",
        description=FORMULA,
        police_reference="@SUM(A1)",
        **FLEET_STREET,
    )
    path = write_csv(incidents.export_visible(db, people["shop_a"]), tmp_path / "export.csv")
    row = pd.read_csv(path, dtype=str).iloc[0]
    assert row["description"] == "'" + FORMULA
    assert row["police_reference"] == "'@SUM(A1)"
