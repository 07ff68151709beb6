"""The one PDF helper (geo.pdf) and the two PDFs built on it: Unicode text survives, a
heading never ends a page, and no page but the last is more than half blank.

Pages are rendered with poppler's ``pdftoppm`` and read back with ``pdftotext``
(``poppler-utils``, installed by ``scripts/setup.sh --dev``).
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from geo.impact.report import report_pdf
from geo.pdf import KEEP_WITH_NEXT_MM, MIN_IMAGE_SCALE, PdfDocument
from geo.planning import briefing
from geo.planning.planner import PlanSettings, plan_patrols
from geo.schema import BNG

#: A place name outside Latin-1 (ł, ź), with an accent and an en dash.
NAME = "Łódź Café – Ulica"

#: Below this share of the page height the footer ("page N") starts.
FOOTER_SHARE = 1 - 20 / 297


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "grey").save(buffer, format="PNG")
    return buffer.getvalue()


def _fill_until(doc: PdfDocument, space_mm: float) -> None:
    """Add one-line paragraphs until at most ``space_mm`` is left on the first page."""
    while doc.space_left() > space_mm:
        doc.paragraph("filler line")
    assert doc.pdf.page == 1


def rendered_pages(pdf: bytes, tmp_path: Path) -> list[np.ndarray]:
    """Each page as a grey-level array (pdftoppm, 30 dpi)."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(source), str(tmp_path / "p")], check=True)
    files = sorted(tmp_path.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
    return [np.asarray(Image.open(f)) for f in files]


def ink_depth(page: np.ndarray) -> float:
    """How far down the page (share of its height) the last ink above the footer is."""
    body = page[: int(page.shape[0] * FOOTER_SHARE)]
    rows = np.flatnonzero((body < 200).any(axis=1))
    return (rows.max() + 1) / page.shape[0] if len(rows) else 0.0


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")


# ------------------------------------------------------------------------- layout rules


def test_heading_without_room_for_what_follows_starts_a_new_page():
    doc = PdfDocument()
    _fill_until(doc, KEEP_WITH_NEXT_MM)  # room for the heading alone, not for what follows
    doc.heading("Kept with its text")
    assert doc.pdf.page == 2
    assert doc.pdf.get_y() < doc.pdf.t_margin + 10  # the heading is at the top of page 2


def test_heading_with_room_stays_on_its_page():
    doc = PdfDocument()
    _fill_until(doc, KEEP_WITH_NEXT_MM + 20)
    doc.heading("Fits")
    assert doc.pdf.page == 1


def test_image_shrinks_to_the_space_left_rather_than_jump():
    doc = PdfDocument()
    full = doc.image_height(_png(1000, 500))  # 90 mm at the 180 mm page width
    _fill_until(doc, full * 0.8)
    doc.image(_png(1000, 500))
    assert doc.pdf.page == 1
    doc.image(_png(1000, 500))  # no room even at MIN_IMAGE_SCALE: next page
    assert doc.pdf.page == 2
    assert doc.min_image_height(_png(1000, 500)) == pytest.approx(full * MIN_IMAGE_SCALE)


# ------------------------------------------------------------------ the two real PDFs


@pytest.fixture(scope="module")
def plan():
    """Three planned hotspots, one with a name outside Latin-1."""
    boxes = shapely.box(290000 + 300 * np.arange(3), 63000, 290080 + 300 * np.arange(3), 63060)
    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": [11, 12, 13], "name": [NAME, "Fleet Street – Strand", "Pier"]},
        geometry=boxes,
        crs=BNG,
    ).assign(risk=[6.0, 3.0, 1.0])
    return plan_patrols(hotspots, PlanSettings(6, units=2, plan_date=dt.date(2026, 1, 9)))


@pytest.fixture(scope="module")
def report(torbay_impact) -> bytes:
    return report_pdf(torbay_impact, title=f"Impact report: {NAME}")


def test_briefing_pdf_keeps_unicode_names(plan, tmp_path):
    text = pdf_text(briefing.briefing_pdf(plan, title=f"Briefing – {NAME}"), tmp_path)
    assert f"Briefing – {NAME}" in text
    assert f"#1 {NAME}" in text
    assert "Fleet Street – Strand" in text
    assert "?" not in text  # nothing replaced, as the old Latin-1 encoding did


def test_report_pdf_keeps_unicode_text(report, torbay_impact, tmp_path):
    text = pdf_text(report, tmp_path)
    assert f"Impact report: {NAME}" in text
    assert "−29%" in text  # the headline's minus sign (U+2212)
    assert torbay_impact.raw_change["treated_before"] == 38


@pytest.mark.parametrize("which", ["report", "briefing"])
def test_no_page_but_the_last_is_more_than_half_blank(which, report, plan, tmp_path):
    pdf = report if which == "report" else briefing.briefing_pdf(plan)
    pages = rendered_pages(pdf, tmp_path)
    assert len(pages) >= (4 if which == "report" else 1)
    depths = [ink_depth(page) for page in pages]
    assert all(depth > 0.5 for depth in depths[:-1]), depths
    assert depths[-1] > 0  # the last page is not empty either


def test_long_briefing_fills_its_pages(tmp_path):
    """Twelve hotspots run over several pages; each but the last is filled past half."""
    boxes = shapely.box(290000 + 300 * np.arange(12), 63000, 290080 + 300 * np.arange(12), 63060)
    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": range(1, 13), "name": [f"{NAME} {i}" for i in range(1, 13)]},
        geometry=boxes,
        crs=BNG,
    ).assign(risk=np.linspace(12, 1, 12))
    long_plan = plan_patrols(hotspots, PlanSettings(12, units=2, plan_date=dt.date(2026, 1, 9)))
    pages = rendered_pages(briefing.briefing_pdf(long_plan), tmp_path)
    assert len(pages) >= 2
    depths = [ink_depth(page) for page in pages]
    assert all(depth > 0.5 for depth in depths[:-1]), depths
