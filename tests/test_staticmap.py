"""Printed maps (geo.staticmap) and the PDFs that carry them, as readers see them.

The study-area map and the briefing sketches show street names and LSOA outlines with a
scale bar, labels never overprint; the funder report with its offline base and a
patrol briefing, rendered with poppler (pdftoppm, pdftotext; helpers shared with
tests/test_pdf.py), have no page but the last more than half blank and no page ending
with a heading.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.figure import Figure
from PIL import Image
from test_pdf import ink_depth, rendered_pages

from geo.hotspots.dbscan import find_hotspots
from geo.impact import design
from geo.impact.evaluate import evaluate
from geo.impact.report import map_png, report_pdf
from geo.io import datasets
from geo.maps.layers import street_labels
from geo.planning import briefing
from geo.planning.planner import PlanSettings, plan_patrols
from geo.schema import ASB, BNG
from geo.staticmap import StaticBase, add_scale_bar, declutter, draw_base, nice_length

ROOT = Path(__file__).resolve().parents[1]
LSOA_CSV = ROOT / "data" / "lsoa-counts" / "torbay-lsoa-monthly-all-crime.csv"
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")

needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing: scripts/setup.sh --dev installs it"
)


# ---------------------------------------------------------------- reading rendered pages


def last_lines(pdf: bytes, tmp_path: Path) -> list[tuple[str, float]]:
    """Per page, the text of its lowest line above the footer and where that line ends
    (fraction of the page height)."""
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(source), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    found = []
    for page in re.findall(r"<page .*?</page>", out, flags=re.S):
        page_height = float(re.search(r'height="([\d.]+)"', page).group(1))
        lines = []
        for line in re.findall(r"<line (.*?)</line>", page, flags=re.S):
            y_max = float(re.search(r'yMax="([\d.]+)"', line).group(1))
            words = " ".join(re.findall(r">([^<]+)</word>", line))
            if y_max < page_height * 0.93:
                lines.append((y_max, words))
        if lines:
            y_max, text = max(lines)
            found.append((text, y_max / page_height))
    return found


def assert_laid_out(pdf: bytes, tmp_path: Path, headings: list[str]) -> None:
    """No page but the last more than half blank; no page ending with a heading."""
    ink = [ink_depth(page) for page in rendered_pages(pdf, tmp_path)]
    assert len(ink) >= 2
    for number, bottom in enumerate(ink[:-1], start=1):
        assert bottom > 0.5, f"page {number} is more than half blank (ink ends at {bottom:.0%})"
    # A heading may be the last line of text only when a figure follows it on its page.
    for number, ((text, line_end), ink_end) in enumerate(
        zip(last_lines(pdf, tmp_path)[:-1], ink[:-1], strict=True), start=1
    ):
        if text.strip() in headings:
            assert ink_end > line_end + 0.05, f"page {number} ends with heading {text!r}"


# ---------------------------------------------------------------- the funder report


@pytest.fixture(scope="module")
def torbay_result():
    asb = datasets.get_dataset("torbay")
    from geo.io import store

    incidents = store.read_incidents(asb.incidents_path, categories=[ASB])
    hotspots = find_hotspots(
        incidents, 100, 30, study_area=datasets.load_study_area("torbay")
    ).hotspots
    missing = datasets.load_summary("torbay")["months_missing"]["Devon & Cornwall Police"]
    result = evaluate(
        incidents,
        design.select_hotspots(hotspots, ["Castle Circus"]),
        "2024-06-01",
        candidates=hotspots,
        months=("2024-01", "2025-12"),
        missing_months=missing,
        lsoa=(design.read_lsoa_monthly(LSOA_CSV), datasets.load_boundaries("torbay")),
    )
    base = StaticBase(street_labels(incidents), datasets.load_boundaries("torbay"))
    return result, base


REPORT_HEADINGS = [
    "Evidence",
    "Study areas",
    "Treated vs comparison by month",
    "Parallel trends",
    "Figures",
    "Method",
    "Caveats",
]


@needs_poppler
def test_funder_report_pages_are_full_and_no_heading_ends_a_page(torbay_result, tmp_path):
    result, base = torbay_result
    pdf = report_pdf(result, base=base)
    assert_laid_out(pdf, tmp_path, REPORT_HEADINGS)


def test_study_area_map_has_streets_and_a_scale_bar_not_axes(torbay_result):
    result, base = torbay_result
    with Image.open(io.BytesIO(map_png(result, base))) as image:
        assert image.width > 500 and image.height > 400
    figure = Figure(figsize=(4, 4))
    axes = figure.subplots()
    extent = (291_000.0, 63_000.0, 293_000.0, 65_000.0)  # central Torquay, 2 km square
    labels = draw_base(axes, extent, base)
    assert len(labels) >= 10
    shown = declutter(figure, labels)
    assert 0 < shown < len(labels)  # some hidden: central Torquay is dense
    assert add_scale_bar(axes, extent) == 500.0


# ---------------------------------------------------------------- the patrol briefing


def test_briefing_pages_are_full_and_sketches_show_streets(tmp_path, make_incidents):
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 1_500, size=(10, 2))
    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": np.arange(1, 11), "name": [f"Street {i}" for i in range(10)]},
        geometry=[shapely.Point(x, y).buffer(40) for x, y in centres + [292_000, 63_000]],
        crs=BNG,
    ).assign(risk=np.linspace(10, 1, 10))
    plan = plan_patrols(
        hotspots, PlanSettings(hours_per_day=8, units=2, plan_date=dt.date(2026, 1, 9))
    )
    incidents = make_incidents(
        np.repeat(centres, 3, axis=0), locations=[f"On or near Road {i // 3}" for i in range(30)]
    )
    base = StaticBase(street_labels(incidents), None)
    sketch = briefing.hotspot_figure(plan, 0, base)
    texts = [t.get_text() for t in sketch.axes[0].texts if t.get_visible()]
    assert any(text.startswith("Road ") for text in texts)
    if POPPLER:
        pdf = briefing.briefing_pdf(plan, base=base)
        assert_laid_out(pdf, tmp_path, ["Schedule by unit"])


# ---------------------------------------------------------------- scale bars


@pytest.mark.parametrize(
    ("span", "expected"), [(100.0, 20.0), (2_000.0, 500.0), (9_000.0, 2_000.0), (3.0, 1.0)]
)
def test_scale_bar_lengths_are_round(span, expected):
    assert nice_length(span) == expected
