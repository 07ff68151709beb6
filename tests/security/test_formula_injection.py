"""CSV formula injection (OWASP "CSV Injection"): attacker text never starts a formula."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from geo.safety import FORMULA_STARTS, csv_text
from tests.security.helpers import attack, ingest_rejecting, street_csv, street_rows

ATTACKS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_attacks_are_quoted_and_numbers_stay_numbers():
    frame = pd.DataFrame({"name": ATTACKS, "minutes": [-1.5, 2, 3, -4, 5, 6]})
    rows = list(csv.DictReader(io.StringIO(csv_text(frame), newline="")))
    assert [r["name"] for r in rows] == ["'" + a for a in ATTACKS]
    assert [float(r["minutes"]) for r in rows] == [-1.5, 2, 3, -4, 5, 6]


@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_no_text_cell_ever_starts_a_formula(values):
    cells = _cells(csv_text(pd.DataFrame({"text": values})))
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]


def test_cli_rejected_rows_csv_is_formula_safe(tmp_path):
    rows = street_rows(3)
    rows[0] = rows[0].replace("-3.530", "")  # rejected: no coordinates
    source = "=HYPERLINK(1)-street.csv"
    (tmp_path / source).write_bytes(street_csv(rows))
    ingest_rejecting(tmp_path, source)
    text = (tmp_path / "r.csv").read_text()
    assert "'=HYPERLINK(1)-street.csv" in text
    assert not [c for c in _cells(text) if c.startswith(FORMULA_STARTS)]


def test_coverage_cli_csvs_are_formula_safe(tmp_path):
    square = [[-3.527, 50.461], [-3.524, 50.461], [-3.524, 50.463], [-3.527, 50.463]]
    feature = {
        "type": "Feature",
        "properties": {"id": "=cmd|'/c calc'!A1", "name": "@SUM(1+1)"},
        "geometry": {"type": "Polygon", "coordinates": [[*square, square[0]]]},
    }
    (tmp_path / "h.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]})
    )
    lines = ["unit_id,timestamp,lat,lon"]
    lines += [f"+PC1,2024-07-{d}T10:{m:02d}:00,50.462,-3.5255" for d in (3, 20) for m in range(20)]
    lines.append("-PC2,not a time,50.462,-3.5255")  # rejected, its unit id kept
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    attack(
        tmp_path, "coverage", "p.csv", "--hotspots", "h.geojson", "--funding-date", "2024-07-10",
        "--out", "cov.csv", "--rejected", "rej.csv",
        writes=["cov.csv", "rej.csv"],
    )  # fmt: skip
    coverage, rejected = ((tmp_path / name).read_text() for name in ("cov.csv", "rej.csv"))
    assert "'=cmd|'/c calc'!A1" in coverage and "'@SUM(1+1)" in coverage
    assert '""unit_id"": ""-PC2""' in rejected  # kept, inside the raw row
    for text in (coverage, rejected):
        assert not [c for c in _cells(text) if c.startswith(FORMULA_STARTS)]


def test_plan_and_coverage_exports_use_the_safe_writer():
    from geo.impact import report
    from geo.planning import exports

    # Their CSVs come from geo.safety.csv_text, so one property test covers them.
    for module in (exports, report):
        assert module.csv_text is csv_text
