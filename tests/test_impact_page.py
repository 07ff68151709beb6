"""The Impact page, headless with AppTest: numbers equal geo's, widgets change the result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.hotspots.dbscan import find_hotspots
from geo.impact import design
from geo.impact.evaluate import evaluate
from geo.io import datasets, store
from geo.schema import ASB

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def expected():
    """What geo says for the page's default inputs (Torbay, ASB, Castle Circus, 100 m)."""
    asb = store.read_incidents(datasets.get_dataset("torbay").incidents_path, categories=[ASB])
    hotspots = find_hotspots(asb, study_area=datasets.load_study_area("torbay")).hotspots
    treated = design.select_hotspots(hotspots, ["Castle Circus"])
    summary = datasets.load_summary("torbay")
    lsoa = (
        design.read_lsoa_monthly(ROOT / "data/lsoa-counts/torbay-lsoa-monthly-all-crime.csv"),
        datasets.load_boundaries("torbay"),
    )
    return evaluate(
        asb,
        treated,
        "2024-06-01",
        candidates=hotspots,
        months=(summary["first_month"], summary["last_month"]),
        missing_months=summary["months_missing"]["Devon & Cornwall Police"],
        lsoa=lsoa,
    )


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _impact_page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    return at.switch_page("pages/impact.py").run()


def test_impact_page_matches_geo(expected):
    at = _impact_page()
    assert not at.exception
    assert "Impact: Torbay" in at.title[0].value
    messages = [m.value for m in at.warning] + [m.value for m in at.success]
    assert expected.headline in messages
    did = expected.did
    assert _metric(at, "Change vs comparison") == f"{did.percent_change:+.0f}%"
    ci = f"{(did.ci_low - 1) * 100:+.0f}…{(did.ci_high - 1) * 100:+.0f}%"
    assert _metric(at, "95% CI") == ci
    assert _metric(at, "WDD") == f"{expected.wdd.estimate:+.0f}"
    errors = " ".join(e.value for e in at.error)
    assert "FAILS" in errors or expected.key_trends.passes
    assert any("SYNTHETIC" in w.value for w in at.warning)
    labels = [b.label for b in at.get("download_button")]
    assert "Funder report (HTML)" in labels and "Funder report (PDF)" in labels
    assert "Figures (CSV)" in labels
    # The WDD is explained beside it, so a "significant" WDD is not read as the effect.
    assert expected.wdd_reading in [i.value for i in at.info]


def test_buffer_and_funding_date_change_the_result(expected):
    at = _impact_page()
    at.number_input(key="impact_buffer").set_value(200).run()
    assert not at.exception
    assert _metric(at, "WDD") != f"{expected.wdd.estimate:+.0f}"
    reasons = [frame.value["reason"].tolist() for frame in at.dataframe if "reason" in frame.value]
    assert any("within 200 m of a treated area" in r for rows in reasons for r in rows)
    at.date_input(key="impact_funding").set_value(dt.date(2025, 4, 1)).run()
    assert not at.exception
    windows = " ".join(c.value for c in at.caption)
    assert "before 2024-04; after 2025-04" in windows  # only April is on both sides
