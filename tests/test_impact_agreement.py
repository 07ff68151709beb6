"""The Impact page, the ``python -m geo impact`` JSON and the funder report agree on
embedded Torbay (the page's default inputs: hotspot 3 funded from June 2024).

Each output shows a figure in its own format (the page to 2 decimals, the report's
table to 3 significant figures); each is checked against the JSON's value in that
format, so a figure computed twice, or from different inputs, fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from geo.cli import main
from geo.formatting import month_text, signed
from geo.hotspots.dbscan import find_hotspots
from geo.hotspots.naming import load_gazetteer
from geo.impact import design
from geo.impact.evaluate import evaluate_store, find_design, impact_json, store_missing_months
from geo.impact.report import evidence_text, report_html
from geo.io import datasets
from geo.io.store import read_incidents
from geo.projection import lonlat_to_bng

ROOT = Path(__file__).resolve().parents[1]
INCIDENTS = datasets.get_dataset("torbay").incidents_path
LSOA_ARGS = [
    "--lsoa-counts",
    str(datasets.DATA_DIR / "lsoa-counts" / "torbay-lsoa-monthly-all-crime.csv"),
    "--boundaries",
    str(datasets.DATA_DIR / datasets.get_dataset("torbay").boundary_file),
]


class _Tables(HTMLParser):
    """Every ``<table>`` of an HTML page as lists of row cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def cli_json(tmp_path_factory, torbay_impact_inputs) -> dict:
    """``python -m geo impact`` with the page's inputs, as a user would run it."""
    inputs = torbay_impact_inputs
    folder = tmp_path_factory.mktemp("impact")
    (folder / "treated.csv").write_text("id\n" + "\n".join(inputs["treated"]) + "\n")
    out = folder / "IMPACT.json"
    command = [sys.executable, "-m", "geo", "impact", str(INCIDENTS)]
    command += ["--treated", str(folder / "treated.csv")]
    command += ["--funding-date", inputs["funding_date"], *LSOA_ARGS, "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180).run()
    at = at.switch_page("pages/impact.py").run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def report(torbay_impact) -> tuple[str, dict[str, str], list[list[str]]]:
    """The report's HTML, its figures table (figure -> value) and its event-study table."""
    page = report_html(torbay_impact)
    parser = _Tables()
    parser.feed(page)
    figures = next(t for t in parser.tables if t[0] == ["figure", "value", "note"])
    events = next(t for t in parser.tables if t[0][0] == "Month")
    return page, {row[0]: row[1] for row in figures[1:]}, events[1:]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _event_chart_data(at: AppTest) -> pd.DataFrame:
    """The data behind the page's event-study chart (the layer with ``difference``)."""
    for element in at.main:
        if getattr(element, "type", "") != "vega_lite_chart":
            continue
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if "difference" in frame.columns:
                return frame
    raise AssertionError("no event-study chart on the page")


def test_raw_change_agrees(cli_json, page, report, torbay_impact):
    raw = cli_json["raw_change"]
    assert raw == torbay_impact.raw_change
    assert (raw["treated_before"], raw["treated_after"]) == (38, 27)  # Union Street, ASB
    assert _metric(page, "Treated (before → after)") == (
        f"{raw['treated_before']:,.0f} → {raw['treated_after']:,.0f}"
    )
    assert _metric(page, "Comparison (before → after)") == (
        f"{raw['control_before']:,.0f} → {raw['control_after']:,.0f}"
    )
    html, figures, _ = report
    for key in ("treated_before", "treated_after", "control_before", "control_after"):
        assert float(figures[key.replace("_", " ")]) == raw[key]
    assert f"from {raw['treated_before']:,.0f} to {raw['treated_after']:,.0f}" in html


def test_permutation_p_value_and_verdict_agree(cli_json, page, report):
    p = cli_json["permutation_p"]
    assert _metric(page, "Permutation p-value") == f"{p:.2f}"
    _, figures, _ = report
    assert float(figures["permutation p-value"]) == pytest.approx(p, rel=5e-3)
    assert figures["verdict"] == cli_json["verdict"] == "cannot_tell"
    headlines = [w.value for w in [*page.success, *page.warning, *page.info]]
    assert cli_json["headline"] in headlines
    assert cli_json["headline"].startswith("ASB at Union Street fell from 38 to 27")
    assert "This design cannot tell" in cli_json["headline"]  # the verdict's wording


def test_minimum_detectable_effect_agrees(cli_json, page, report):
    mde = cli_json["mde"]
    assert _metric(page, "Smallest detectable fall (80% power)") == f"{(1 - mde) * 100:.0f}%"
    _, figures, _ = report
    assert float(figures["minimum detectable rate ratio (80% power)"]) == pytest.approx(
        mde, abs=5e-4
    )


def test_design_months_agree(cli_json, page, torbay_impact):
    months = cli_json["design_months"]
    assert months == ["2024-01", "2024-02", "2024-03", "2024-04"]
    line = f"Design months (hotspots found on these only): {', '.join(months)}."
    assert any(c.value.startswith(line) for c in page.caption)
    assert line in evidence_text(torbay_impact)


def test_event_study_agrees(cli_json, page, report):
    rows = cli_json["event_study"]
    percent = np.expm1([np.nan if r["difference"] is None else r["difference"] for r in rows])
    percent *= 100
    chart = _event_chart_data(page)
    assert chart["month"].tolist() == [r["month"] for r in rows]
    np.testing.assert_allclose(chart["difference"].to_numpy(float), percent, atol=1e-3)
    _, _, events = report
    assert [row[0] for row in events] == [month_text(r["month"]) for r in rows]
    shown = [f"{signed(v)}%" if np.isfinite(v) else "no data" for v in percent]
    assert [row[1] for row in events] == shown
    assert shown.count("no data") == 8  # May to Dec 2024 have no published data


def test_synthetic_control_gap_and_overfit_caveat_agree(cli_json, page, report):
    synth = cli_json["synthetic_control"]
    assert _metric(page, "Synthetic-control gap") == f"{synth['gap'] * 100:+.0f}%"
    html, figures, _ = report
    assert float(figures["synthetic-control gap"]) == pytest.approx(synth["gap"], rel=5e-3)
    assert f"post-funding gap {synth['gap'] * 100:+.0f}%" in html
    # 18 donors fitted on 4 months: overfitted, and all three outputs say so in plain words.
    assert (synth["donors"], synth["pre_months"], synth["overfit"]) == (18, 4, True)
    assert "18 donor areas to match only 4 months before funding" in synth["caveat"]
    assert synth["caveat"] in cli_json["caveats"]
    assert synth["caveat"] in [w.value for w in page.warning]
    assert synth["caveat"] in html


# ------------------------------------------------------------------ --design-months


def _impact_cli(tmp_path: Path, treated: Path, design_months: str, funding: str) -> dict:
    out = tmp_path / f"impact-{len(list(tmp_path.iterdir()))}.json"
    args = ["impact", str(INCIDENTS), "--treated", str(treated)]
    args += ["--funding-date", funding, "--design-months", design_months]
    assert main([*args, "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_cli_design_months_reach_the_evaluation(tmp_path, torbay_impact, torbay_impact_inputs):
    """A drawn treated zone with hotspots (the comparison candidates) found on Jan-Mar only."""
    treated = tmp_path / "treated.geojson"
    torbay_impact.treated.to_file(treated)
    funding = torbay_impact_inputs["funding_date"]
    ranged = _impact_cli(tmp_path, treated, "2024-01..2024-03", funding)
    listed = _impact_cli(tmp_path, treated, "2024-01, 2024-02,2024-03", funding)
    assert ranged["design_months"] == listed["design_months"] == ["2024-01", "2024-02", "2024-03"]
    assert ranged["comparison"] == listed["comparison"]
    expected = impact_json(
        evaluate_store(
            INCIDENTS,
            treated,
            funding,
            design_months=["2024-01", "2024-02", "2024-03"],
        )
    )
    assert ranged["comparison"] == expected["comparison"]
    assert ranged["permutation_p"] == expected["permutation_p"]


def test_rate_ratio_and_intervals_agree(cli_json, page):
    # The model estimate is the page's secondary figure, in a caption to 2 decimals.
    caption = " ".join(c.value for c in page.caption)
    expected = (
        f"rate ratio {cli_json['rate_ratio']:.2f} "
        f"(model 95% CI {cli_json['ci_low']:.2f}–{cli_json['ci_high']:.2f}; area-bootstrap "
        f"{cli_json['bootstrap_ci_low']:.2f}–{cli_json['bootstrap_ci_high']:.2f})"
    )
    assert expected in caption


def test_the_treated_picker_offers_exactly_the_evaluations_hotspots(page, torbay_impact):
    # Options read "#3 Union Street (38)": rank, name, incidents on the design months.
    options = page.multiselect(key="impact_treated").options
    offered = {re.fullmatch(r"#\d+ (.+) \(\d+\)", option).group(1) for option in options}
    # The evaluation (its own call, as the CLI makes it) ranked every hotspot it did not
    # treat as a comparison candidate.
    evaluated = set(torbay_impact.candidates["name"]) | set(torbay_impact.treated["name"])
    assert offered == evaluated
    assert len(options) == len(torbay_impact.candidates) + len(torbay_impact.treated)


def test_the_page_says_which_months_its_hotspots_come_from_and_where_the_place_is(page):
    captions = " ".join(c.value.replace("\\", "") for c in page.caption)
    assert "hotspots found on Jan 2024 – Apr 2024 only (4 months with data before funding" in (
        captions
    )
    assert "can differ from the Hotspot explorer's" in captions
    assert "Castle Circus lies in hotspot #3 Union Street on these months." in captions


def test_castle_circus_is_one_place_in_the_explorer_and_the_design_hotspots(torbay_impact):
    torbay = datasets.get_dataset("torbay")
    defaults = torbay.defaults
    gazetteer = load_gazetteer()
    explorer = find_hotspots(
        read_incidents(INCIDENTS, categories=[defaults.category]),
        defaults.eps_m,
        defaults.min_samples,
        study_area=datasets.load_study_area("torbay"),
    ).hotspots
    design_found = find_design(
        read_incidents(INCIDENTS),
        defaults.funding_date.isoformat(),
        missing_months=store_missing_months(INCIDENTS),
        eps_m=defaults.eps_m,
        min_samples=defaults.min_samples,
    )
    assert design_found.months == torbay_impact.design_months
    # By name in the explorer's hotspots (all months); not by name on the design months,
    # where the gazetteer's point finds it: the page says so (test above).
    in_explorer = design.treated_by_place(explorer, defaults.treated, gazetteer)
    assert defaults.treated in explorer.set_index("hotspot_id").loc[int(in_explorer), "name"]
    in_design = design.treated_by_place(design_found.hotspots, defaults.treated, gazetteer)
    assert in_design == "3" == torbay_impact.treated["area_id"].iloc[0]
    point = gazetteer[gazetteer["name"] == defaults.treated].iloc[0]
    (easting,), (northing,) = lonlat_to_bng([point["lon"]], [point["lat"]])
    assert design.hotspot_at(explorer, easting, northing) == in_explorer
    assert design.hotspot_at(design_found.hotspots, easting, northing) == in_design
    # The same place: the two polygons overlap and their centres lie within eps.
    shapes = [
        frame.set_index(frame["hotspot_id"].astype(str)).to_crs("EPSG:27700").geometry[key]
        for frame, key in ((explorer, in_explorer), (design_found.hotspots, in_design))
    ]
    assert shapes[0].intersects(shapes[1])
    assert shapes[0].centroid.distance(shapes[1].centroid) < defaults.eps_m
