"""Pages, headless with AppTest: no exception, numbers equal to geo's, widgets change results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import timeseries
from geo.io import datasets, store
from geo.schema import ASB

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")


def _app(timeout: float = 60, **query) -> AppTest:
    """The dashboard run once headless with ``query`` as its address's parameters."""
    at = AppTest.from_file(ENTRY, default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def torbay(torbay_incidents):
    return torbay_incidents


def _default_hotspots(incidents, key="torbay"):
    """geo's hotspots at the area's default settings (what the pages open with)."""
    from geo.hotspots.dbscan import find_hotspots

    defaults = datasets.get_dataset(key).defaults
    return find_hotspots(
        incidents,
        eps_m=defaults.eps_m,
        min_samples=defaults.min_samples,
        study_area=datasets.load_study_area(key),
    )


def test_overview_numbers_match_geo(torbay):
    at = _app()
    assert not at.exception
    asb = torbay[torbay["category"] == ASB]
    assert _metric(at, "Incidents") == f"{len(asb):,}"
    summary = datasets.load_summary("torbay")
    assert _metric(at, "Rows read") == f"{summary['rows_read']:,}"
    assert _metric(at, "Rejected") == f"{summary['rows_rejected']:,}"
    counts = timeseries.monthly_counts(
        asb, "2024-01", "2025-12", summary["months_missing"]["Devon & Cornwall Police"]
    )
    yoy = timeseries.year_on_year(counts, "2024-01", "2025-12")
    assert _metric(at, "Change on a year earlier") == f"{yoy.percent_change:+.0f}%"
    assert any("2024-05" in w.value for w in at.warning)  # missing months shown
    found = _default_hotspots(asb)
    assert _metric(at, "Hotspots") == f"{len(found.hotspots):,}"
    assert _metric(at, "Incidents in hotspots") == f"{1 - found.noise_share:.0%}"
    assert at.subheader[1].value == "Top 10 hotspots"


def test_overview_category_and_dataset_widgets_change_results(torbay):
    at = _app()
    # An ASB dashboard opens on ASB, and says so.
    assert at.multiselect(key="categories").value == [ASB]
    assert any(c.value.startswith(f"{ASB} is chosen by default") for c in at.sidebar.caption)
    assert _metric(at, "Incidents") == f"{(torbay['category'] == ASB).sum():,}"
    at.multiselect(key="categories").set_value([]).run()
    assert not at.exception
    assert _metric(at, "Incidents") == f"{len(torbay):,}"
    at.multiselect(key="categories").set_value([ASB]).run()
    at.select_slider(key="months").set_value(("2025-01", "2025-03")).run()
    asb_q1 = torbay[(torbay["category"] == ASB)]
    asb_q1 = asb_q1[asb_q1["month"].astype(str).between("2025-01-01", "2025-03-01")]
    assert _metric(at, "Incidents") == f"{len(asb_q1):,}"
    at.selectbox(key="dataset").select("city-of-london").run()
    assert not at.exception
    assert "City of London" in at.title[0].value
    assert at.query_params["dataset"] == "city-of-london"  # the link names the area's key
    assert at.multiselect(key="categories").value == [ASB]


def test_query_params_preset_the_view():
    at = _app(dataset="west-end")
    assert not at.exception
    assert at.title[0].value == "Overview: West End"
    west_end = store.read_incidents(datasets.get_dataset("west-end").incidents_path)
    assert _metric(at, "Incidents") == f"{(west_end['category'] == ASB).sum():,}"
    # Links from before areas were named by key still work; an unknown area is said so.
    assert _app(dataset="West End").title[0].value == "Overview: West End"
    unknown = _app(dataset="atlantis")
    assert unknown.title[0].value == "Overview: Torbay"
    assert any("No area called 'atlantis'" in w.value for w in unknown.sidebar.warning)
    at = _app(dataset="torbay", months=["2025-01", "2025-03"], categories=["Shoplifting"])
    assert at.main.caption[0].value == "2025-01 to 2025-03 · Shoplifting"
    assert not any("chosen by default" in c.value for c in at.sidebar.caption)


def test_missing_months_are_gaps_not_zeros():
    # West End: the saved police.uk responses have nothing for 2016-03 (SOURCES.md).
    at = _app(dataset="west-end")
    assert not at.exception
    assert any("2016-03" in c.value and c.value.startswith("Gaps") for c in at.caption)
    assert any(
        w.value.startswith("Metropolitan Police Service: no data for 1 month(s) (2016-03)")
        for w in at.warning
    )


FIXTURES = ROOT / "tests" / "fixtures" / "ingest"


def test_upload_goes_through_the_same_validation():
    at = _app()
    at.selectbox(key="dataset").select("upload").run()
    assert not at.exception
    content = (FIXTURES / "bad-rows-street.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("bad-rows-street.csv", content, "text/csv")).run()
    assert not at.exception
    assert _metric(at, "Rows read") == "9"
    assert _metric(at, "Accepted") == "2"
    assert _metric(at, "Rejected") == "7"
    labels = [b.label for b in at.get("download_button")]
    assert "Download rejected rows with reasons (CSV)" in labels


def test_unusable_upload_gets_one_clear_message():
    at = _app()
    at.selectbox(key="dataset").select("upload").run()
    content = (FIXTURES / "missing-columns.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("missing-columns.csv", content, "text/csv")).run()
    assert not at.exception
    # Shown as escaped Markdown: the file name is the user's text.
    errors = [e.value.replace("\\", "") for e in at.sidebar.error]
    assert len(errors) == 1 and "missing-columns.csv" in errors[0]


def _page(page: str, **query) -> AppTest:
    at = _app(**query)
    return at.switch_page(page).run()


def test_hotspot_explorer_matches_geo_and_reacts_to_eps(torbay):
    from geo.hotspots.dbscan import find_hotspots

    at = _page("pages/hotspots.py")
    assert not at.exception
    asb = torbay[torbay["category"] == ASB]
    expected = _default_hotspots(asb)
    assert _metric(at, "Hotspots") == f"{len(expected.hotspots):,}"
    assert _metric(at, "Incidents in hotspots") == f"{1 - expected.noise_share:.0%}"
    top = expected.hotspots.iloc[0]
    assert at.subheader[-1].value == f"#{top['rank']} {top['name']}"
    at.slider(key="eps").set_value(150).run()
    wider = find_hotspots(
        asb, eps_m=150, min_samples=30, study_area=datasets.load_study_area("torbay")
    )
    assert _metric(at, "Hotspots") == f"{len(wider.hotspots):,}" != f"{len(expected.hotspots):,}"
    labels = {b.label for b in at.get("download_button")}
    assert {"Hotspots (GeoJSON)", "Hotspots (CSV)"} <= labels


def test_hotspot_map_is_offline_and_escaped():
    at = _page("pages/hotspots.py")
    component = at.get("component_instance")[0]
    args = json.loads(component.proto.json_args)
    assert "returned_objects" in json.dumps(args)
    script = args["script"]
    assert "L.geoJson" in script or "L.geoJSON" in script
    assert "cdn.jsdelivr" not in json.dumps(args) and "cdnjs" not in json.dumps(args)


def test_hotspot_explorer_all_noise_gives_advice_not_a_traceback():
    at = _page("pages/hotspots.py", dataset="city-of-london", categories=["Bicycle theft"])
    at.number_input(key="min_samples").set_value(1000).run()
    assert not at.exception
    assert any("noise" in e.value.lower() for e in at.error)


def test_change_page_matches_geo_and_reacts_to_periods(torbay):
    from geo.hotspots.change import period_change

    at = _page("pages/change.py", categories=["Anti-social behaviour"])
    assert not at.exception
    asb = torbay[torbay["category"] == "Anti-social behaviour"]
    expected = period_change(
        asb, ("2024-01", "2024-04"), ("2025-01", "2025-04"), eps_m=100, min_samples=30
    )
    assert _metric(at, "Incidents (earlier)") == f"{expected.incidents_before:,}"
    assert _metric(at, "Incidents (later)") == f"{expected.incidents_after:,}"
    at.select_slider(key="after").set_value(("2025-05", "2025-08")).run()
    assert not at.exception
    later = period_change(
        asb, ("2024-01", "2024-04"), ("2025-05", "2025-08"), eps_m=100, min_samples=30
    )
    assert _metric(at, "Incidents (later)") == f"{later.incidents_after:,}"
    assert later.incidents_after != expected.incidents_after


def test_change_page_rejects_overlapping_periods_with_a_message():
    at = _page("pages/change.py")
    at.select_slider(key="after").set_value(("2024-02", "2025-04")).run()
    assert not at.exception
    assert any("overlap" in e.value for e in at.error)


def test_hotspot_explorer_kde_layer():
    at = _page("pages/hotspots.py")
    at.selectbox(key="incident_style").select("kde").run()
    assert not at.exception
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert "Incident density (KDE)" in script


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("pages/hotspots.py", "Hotspot explorer: City of London"),
        ("pages/login.py", "Partner sign-in"),
    ],
)
def test_a_page_opened_first_on_a_fresh_server_has_the_sidebar_and_navigation(page, title):
    # Before its first run, an AppTest is a server that has never run dashboard.py: the
    # page file alone would run, in Streamlit's legacy pages/ mode.
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.query_params["dataset"] = "city-of-london"
    at.switch_page(page).run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "city-of-london"  # the shared sidebar
    assert at.title[0].value == title
