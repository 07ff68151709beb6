"""Patrol coverage page, headless with AppTest: numbers equal geo's on the same inputs,
widgets change the result, the demo is labelled synthetic, uploads are validated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.hotspots import dbscan as hotspots
from geo.io import pings as patrols
from geo.patrols import synthetic
from geo.patrols.measure import measure_coverage
from geo.patrols.summaries import dosage_change

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")
PAGE = "pages/coverage.py"
TOP_N = 20  # the page's default number of hotspots analysed
CASTLE_CIRCUS = "Castle Circus"


def _page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    return at.switch_page(PAGE).run()


def _row(frame: pd.DataFrame, name_column: str) -> pd.Series:
    (index,) = np.flatnonzero(frame[name_column].str.contains(CASTLE_CIRCUS))
    return frame.iloc[index]


def _dosage(at: AppTest) -> pd.DataFrame:
    """The per-hotspot table (the page may also show a table of flagged pings)."""
    return next(d.value for d in at.dataframe if "Name" in d.value.columns)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def torbay_hotspots(torbay_incidents):
    incidents = torbay_incidents
    return hotspots.find_hotspots(incidents).hotspots.sort_values("rank").head(TOP_N)


@pytest.fixture(scope="module")
def demo_pings():
    return synthetic.read_synthetic_pings(ROOT / "data" / "synthetic" / synthetic.PINGS_FILE)


def _expected(pings, zones, funding=synthetic.FUNDING_DATE, role="all") -> pd.DataFrame:
    result = measure_coverage(pings, zones, funding)  # windows: all the pings
    return dosage_change(result.table, role)


def test_demo_page_matches_geo_and_is_labelled_synthetic(torbay_hotspots, demo_pings):
    at = _page()
    assert not at.exception
    assert not at.error
    assert "SYNTHETIC" in at.title[0].value
    assert any("synthetic" in w.value.lower() for w in at.warning)
    expected = _expected(demo_pings, torbay_hotspots)
    shown = _dosage(at)
    assert len(shown) == TOP_N
    page_row, geo_row = _row(shown, "Name"), _row(expected, "name")
    assert page_row["Before (min/week)"] == pytest.approx(geo_row["patrol_minutes_per_week_before"])
    assert page_row["After (min/week)"] == pytest.approx(geo_row["patrol_minutes_per_week_after"])
    assert page_row["Koper visits after"] == geo_row["koper_visits_after"]
    assert page_row["Days visited % after"] == pytest.approx(geo_row["days_visited_pct_after"])
    total = expected["patrol_minutes_per_week_after"].sum()
    assert _metric(at, "Patrol min/week in hotspots") == f"{total:,.0f}"
    # police.uk has months only: hour-of-day coverage is shown alone, and says why.
    assert any("month of each incident" in i.value for i in at.info)
    # The map: a heat layer of patrol time, hotspots by dosage, synthetic in the legend.
    (component,) = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    assert "L.heatLayer" in args["script"]
    assert "SYNTHETIC" in args["script"]
    assert args["returned_objects"] == []


def test_role_and_funding_date_change_the_result(torbay_hotspots, demo_pings):
    at = _page()
    at.selectbox(key="cov_role").select("marshal").run()
    assert not at.exception
    marshal = _row(_dosage(at), "Name")
    expected = _row(_expected(demo_pings, torbay_hotspots, role="marshal"), "name")
    assert marshal["Before (min/week)"] == 0  # street marshals start with the funding
    assert marshal["After (min/week)"] == pytest.approx(expected["patrol_minutes_per_week_after"])

    at.selectbox(key="cov_role").select("all").run()
    before_default = _row(_dosage(at), "Name")["Before (min/week)"]
    later = dt.date(2024, 9, 1)
    at.date_input(key="cov_funding").set_value(later).run()
    assert not at.exception
    moved = _row(_dosage(at), "Name")
    expected = _row(_expected(demo_pings, torbay_hotspots, funding=later), "name")
    assert moved["Before (min/week)"] != pytest.approx(before_default)
    assert moved["Before (min/week)"] == pytest.approx(expected["patrol_minutes_per_week_before"])


def test_synthetic_zones_recover_more_koper_visits_after_funding():
    at = _page()
    at.radio(key="cov_hotspots").set_value("zones").run()
    assert not at.exception
    shown = _dosage(at).set_index("Hotspot")
    assert len(shown) == 5
    assert (shown["Koper visits after"] > shown["Koper visits before"]).all()
    assert (shown["Change class"] == "doubled or more").all()


def test_other_areas_have_no_demo_patrols():
    at = _page()
    at.selectbox(key="dataset").select("city-of-london").run()
    assert not at.exception
    assert any("Demo patrols exist only for Torbay" in i.value for i in at.info)
    assert not at.dataframe


def _upload_csv() -> bytes:
    """Two short patrols at Castle Circus around 1 June 2024, and one row with no unit."""
    lines = ["unit_id,timestamp,lat,lon,role"]
    for day, minutes in (("2024-05-31", 6), ("2024-06-03", 12)):
        start = pd.Timestamp(f"{day} 10:00")
        for step in range(minutes * 2 + 1):
            time = start + pd.Timedelta(seconds=30 * step)
            lines.append(f"U1,{time:%Y-%m-%d %H:%M:%S},50.468426,-3.531704,police")
    lines.append(",2024-06-03 11:00:00,50.468426,-3.531704,police")
    return ("\n".join(lines) + "\n").encode()


def test_uploaded_pings_are_validated_and_measured(tmp_path, torbay_hotspots):
    content = _upload_csv()
    at = _page()
    at.radio(key="cov_source").set_value("upload").run()
    assert any("Upload one or more" in i.value for i in at.info)
    at.file_uploader(key="cov_upload").set_value([("pings.csv", content, "text/csv")]).run()
    assert not at.exception
    assert "SYNTHETIC" not in at.title[0].value
    (tmp_path / "pings.csv").write_bytes(content)
    read = patrols.read_patrols([tmp_path / "pings.csv"])
    assert _metric(at, "Pings read") == f"{read.read:,}"
    assert _metric(at, "Rejected") == "1"
    expected = _row(_expected(read.rows, torbay_hotspots), "name")
    shown = _row(_dosage(at), "Name")
    assert shown["After (min/week)"] == pytest.approx(expected["patrol_minutes_per_week_after"])
    assert shown["Koper visits after"] == 1


def test_demo_pings_are_validated_and_koper_figures_explained():
    at = _page()
    assert not at.exception
    read = patrols.read_patrols([ROOT / "data" / "synthetic" / synthetic.PINGS_FILE])
    assert _metric(at, "Pings read") == f"{read.read:,}"
    assert _metric(at, "Accepted") == f"{len(read.rows):,}"
    assert any("SYNTHETIC demo pings" in e.label for e in at.expander)
    (note,) = [i.value for i in at.info if "Reading the Koper figures" in i.value]
    assert "one large polygon" in note and "SYNTHETIC demo target zones" in note
    assert any("totals over each window" in c.value for c in at.caption)
    at.radio(key="cov_hotspots").set_value("zones").run()
    assert not any("Reading the Koper figures" in i.value for i in at.info)
