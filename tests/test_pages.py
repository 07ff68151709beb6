"""Pages, headless with AppTest: no exception, numbers equal to geo's, widgets change results."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import datasets, store, timeseries

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")


def _app(**query) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def torbay():
    return store.read_incidents(datasets.get_dataset("torbay").incidents_path)


def test_overview_numbers_match_geo(torbay):
    at = _app()
    assert not at.exception
    assert _metric(at, "Incidents") == f"{len(torbay):,}"
    summary = datasets.load_summary("torbay")
    assert _metric(at, "Rows read") == f"{summary['rows_read']:,}"
    assert _metric(at, "Rejected") == f"{summary['rows_rejected']:,}"
    counts = timeseries.monthly_counts(
        torbay, "2024-01", "2025-12", summary["months_missing"]["Devon & Cornwall Police"]
    )
    yoy = timeseries.year_on_year(counts, "2024-01", "2025-12")
    assert _metric(at, "Change on a year earlier") == f"{yoy.percent_change:+.0f}%"
    assert any("2024-05" in w.value for w in at.warning)  # missing months shown


def test_overview_category_and_dataset_widgets_change_results(torbay):
    at = _app()
    at.multiselect(key="categories").set_value(["Anti-social behaviour"]).run()
    assert not at.exception
    assert _metric(at, "Incidents") == f"{(torbay['category'] == 'Anti-social behaviour').sum():,}"
    at.select_slider(key="months").set_value(("2025-01", "2025-03")).run()
    asb_q1 = torbay[(torbay["category"] == "Anti-social behaviour")]
    asb_q1 = asb_q1[asb_q1["month"].astype(str).between("2025-01-01", "2025-03-01")]
    assert _metric(at, "Incidents") == f"{len(asb_q1):,}"
    at.selectbox(key="dataset").select("city-of-london").run()
    assert not at.exception
    assert "City of London" in at.title[0].value


def test_query_params_preset_the_view():
    # Bound widgets keep their displayed label in the URL: ?dataset=West+End
    at = _app(dataset="West End")
    assert not at.exception
    assert "West End" in at.title[0].value
    west_end = store.read_incidents(datasets.get_dataset("west-end").incidents_path)
    assert _metric(at, "Incidents") == f"{len(west_end):,}"
    at = _app(dataset="Torbay", months=["2025-01", "2025-03"], categories=["Shoplifting"])
    assert at.caption[0].value == "2025-01 to 2025-03 · Shoplifting"
