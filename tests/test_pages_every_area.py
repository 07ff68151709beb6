"""Every page, opened with its defaults, gives a useful result for every area and an upload.

"Useful" means more than no exception: the Overview and the Hotspot explorer list
hotspots, Hotspot change compares two periods, the Impact page reaches its headline, the
Patrol planner plans visits, and Patrol coverage either measures the SYNTHETIC demo
patrols (Torbay) or says that patrols must be uploaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.io import datasets

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")
UPLOAD = ROOT / "data" / "police-uk" / "city-of-london-street.zip"  # a real download


def _metric(at: AppTest, label: str) -> str | None:
    return next((m.value for m in at.metric if m.label == label), None)


def _number(text: str | None) -> float:
    assert text is not None
    return float(text.replace(",", "").rstrip("%"))


def _open(area: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=180)
    if area == "upload":
        at.run()
        at.selectbox(key="dataset").select("upload").run()
        upload = ("city-of-london-street.zip", UPLOAD.read_bytes(), "application/zip")
        at.file_uploader(key="upload").set_value(upload).run()
    else:
        at.query_params["dataset"] = area
        at.run()
    return at


def _assert_clean(at: AppTest, page: str) -> None:
    assert not at.exception, f"{page}: {at.exception[0].message if at.exception else ''}"
    errors = [e.value for e in at.error if "Parallel-trends check" not in e.value]
    assert not errors, f"{page}: {errors}"


def _assert_impact_reaches_its_headline(at: AppTest) -> None:
    at.switch_page("pages/impact.py").run()
    _assert_clean(at, "impact")
    assert "Headline" in [s.value for s in at.subheader]
    assert at.multiselect(key="impact_treated").value  # a treated hotspot is chosen


@pytest.mark.parametrize("area", [*datasets.DATASETS, "upload"])
def test_every_page_is_useful_with_the_defaults(area):
    at = _open(area)
    _assert_clean(at, "overview")
    assert _number(_metric(at, "Hotspots")) > 0
    assert 0 < _number(_metric(at, "Incidents in hotspots")) < 100

    at.switch_page("pages/hotspots.py").run()
    _assert_clean(at, "hotspots")
    assert _number(_metric(at, "Hotspots")) > 0

    at.switch_page("pages/change.py").run()
    _assert_clean(at, "change")
    assert _number(_metric(at, "Incidents (earlier)")) > 0
    assert _number(_metric(at, "Incidents (later)")) > 0

    _assert_impact_reaches_its_headline(at)

    at.switch_page("pages/planner.py").run()
    _assert_clean(at, "planner")
    assert _number(_metric(at, "Hotspots in plan")) > 0

    at.switch_page("pages/coverage.py").run()
    _assert_clean(at, "coverage")
    if area == "torbay":
        assert _metric(at, "Patrol min/week in hotspots") is not None
    else:
        assert any("Demo patrols exist only for Torbay" in i.value for i in at.info)


def test_impact_opens_on_each_areas_own_funding_date_and_treated_hotspot():
    at = _open("west-end")
    at.switch_page("pages/impact.py").run()
    defaults = datasets.get_dataset("west-end").defaults
    assert at.date_input(key="impact_funding").value == defaults.funding_date
    treated = at.multiselect(key="impact_treated")
    labels = [treated.format_func(value) for value in treated.value]
    assert labels and all("Oxford Street" in label for label in labels)
    # The date is the user's choice.
    at.date_input(key="impact_funding").set_value(defaults.funding_date.replace(month=4)).run()
    _assert_clean(at, "impact")
    assert "Headline" in [s.value for s in at.subheader]
