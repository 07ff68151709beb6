"""Printable patrol briefing: one self-contained HTML page and a PDF (:mod:`geo.pdf`).

Each planned hotspot gets a small static map drawn with matplotlib (no map tiles, no
CDN, works offline: :mod:`geo.staticmap`), its name, dosage (visits x minutes) and visit
times per unit. Maps are drawn in metres (EPSG:27700) over street names and LSOA
outlines, with a scale bar; neighbouring planned hotspots are outlined in grey.
"""

from __future__ import annotations

import base64
import html

import geopandas as gpd
from matplotlib.figure import Figure

from geo.pdf import PdfDocument
from geo.planning.exports import dosage_text, visit_times
from geo.planning.planner import PatrolPlan
from geo.schema import BNG
from geo.staticmap import (
    StaticBase,
    add_north_arrow,
    add_scale_bar,
    declutter,
    draw_base,
    frame_map,
    png,
    square_extent,
)

#: Side of each small map, inches, and its resolution.
MAP_INCHES = 2.2


MAP_DPI = 110


#: Margin around the hotspot in its map, metres.
MAP_MARGIN_M = 120.0


def hotspot_figure(plan: PatrolPlan, position: int, base: StaticBase | None = None) -> Figure:
    """Small map of the plan's hotspot at row ``position`` (0-based): the hotspot in red,
    other planned hotspots outlined in grey, over ``base`` (street names and LSOA
    outlines, :mod:`geo.staticmap`), with a scale bar and a north arrow (EPSG:27700)."""
    shapes = plan.plan.to_crs(BNG).geometry
    target = shapes.iloc[position]
    extent = square_extent(gpd.GeoSeries([target], crs=BNG), MAP_MARGIN_M)
    # A bare Figure (no pyplot): no global state, thread-safe under Streamlit.
    figure = Figure(figsize=(MAP_INCHES, MAP_INCHES), dpi=MAP_DPI)
    axes = figure.subplots()
    streets = draw_base(axes, extent, base, font_size=5, max_labels=25)
    others = shapes.drop(shapes.index[position])
    if len(others):
        others.plot(ax=axes, facecolor="none", edgecolor="#999999", linewidth=0.8, zorder=3)
    gpd.GeoSeries([target]).plot(
        ax=axes, facecolor="#f03b20", alpha=0.55, edgecolor="#222", zorder=3
    )
    frame_map(axes, extent)
    add_scale_bar(axes, extent, font_size=6)
    add_north_arrow(axes, font_size=7)
    declutter(figure, streets)
    axes.set_title(f"#{plan.plan['plan_rank'].iloc[position]}", fontsize=8)
    return figure


def hotspot_map_png(plan: PatrolPlan, position: int, base: StaticBase | None = None) -> bytes:
    """PNG bytes of :func:`hotspot_figure`."""
    return png(hotspot_figure(plan, position, base), dpi=MAP_DPI)


def _rows(plan: PatrolPlan) -> list[dict[str, str]]:
    """Display text per planned hotspot (plain, not escaped)."""
    times = visit_times(plan).to_numpy()
    return [
        {
            "rank": f"#{row['plan_rank']}",
            "name": str(row["name"]),
            "dosage": dosage_text(row),
            "times": times[i] or "none placed",
            "risk": f"{row['risk']:.1f} incidents expected next month",
        }
        for i, (_, row) in enumerate(plan.plan.iterrows())
    ]


def _heading(plan: PatrolPlan, title: str) -> list[str]:
    shift, peak = plan.capacity.shift, plan.capacity.peak
    settings = plan.settings
    return [
        title,
        f"Shift {shift[0]:%a %d %b %Y %H:%M} to {shift[1]:%H:%M} (Europe/London), "
        f"peak {peak[0]:%H:%M}-{peak[1]:%H:%M}, {settings.units} unit(s)",
        f"{len(plan.plan)} hotspots, {plan.minutes_used / 60:g} h on site of "
        f"{settings.hours_per_day:g} h available; visits of {settings.minutes_per_visit:g} "
        "min in random order, each hotspot at least every 2 hours in the peak where hours "
        "allow (Koper).",
    ]


def briefing_html(
    plan: PatrolPlan,
    title: str = "Patrol briefing",
    notes: list[str] = (),
    base: StaticBase | None = None,
) -> str:
    """A self-contained printable HTML page (maps inline as PNG data URIs)."""
    heading = _heading(plan, title)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font:13px/1.4 sans-serif;margin:16px;color:#111}"
        ".hs{display:flex;gap:12px;border-top:1px solid #ccc;padding:8px 0;"
        "page-break-inside:avoid}.hs img{width:180px;height:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "@media print{body{margin:0}}",
        "</style></head><body>",
        f"<h1>{html.escape(heading[0])}</h1>",
        *(f"<p>{html.escape(line)}</p>" for line in heading[1:]),
        *(f"<p><strong>Note:</strong> {html.escape(note)}</p>" for note in [*plan.notes, *notes]),
    ]
    for position, row in enumerate(_rows(plan)):
        image = base64.b64encode(hotspot_map_png(plan, position, base)).decode("ascii")
        parts.append(
            f"<div class='hs'><img alt='map of {html.escape(row['name'])}' "
            f"src='data:image/png;base64,{image}'><div>"
            f"<h2>{html.escape(row['rank'])} {html.escape(row['name'])}</h2>"
            f"<p><strong>Dosage:</strong> {html.escape(row['dosage'])}</p>"
            f"<p><strong>Visit times:</strong> {html.escape(row['times'])}</p>"
            f"<p>{html.escape(row['risk'])}</p></div></div>"
        )
    parts.append(
        "<h2>Schedule by unit</h2><table><tr><th>Unit</th><th>Start</th>"
        "<th>End</th><th>Hotspot</th></tr>"
    )
    for visit in plan.schedule.itertuples():
        parts.append(
            f"<tr><td>{html.escape(visit.unit)}</td><td>{visit.start:%H:%M}</td>"
            f"<td>{visit.end:%H:%M}</td><td>{html.escape(str(visit.name))}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "".join(parts)


#: Width of each hotspot's map in the PDF, mm.
PDF_MAP_MM = 45


def briefing_pdf(
    plan: PatrolPlan,
    title: str = "Patrol briefing",
    notes: list[str] = (),
    base: StaticBase | None = None,
) -> bytes:
    """The briefing as an A4 PDF (:class:`geo.pdf.PdfDocument`: Unicode font, so "–" and
    names such as "Łódź" print as written; each hotspot's map and text kept together).
    ``base`` puts street names and LSOA outlines in the sketch maps."""
    doc = PdfDocument(margin_mm=12, bottom_mm=14)
    heading = _heading(plan, title)
    doc.heading(heading[0], 16)
    for line in [*heading[1:], *(f"Note: {n}" for n in [*plan.notes, *notes])]:
        doc.paragraph(line, 9)
    for position, row in enumerate(_rows(plan)):
        doc.image_beside(
            hotspot_map_png(plan, position, base),
            PDF_MAP_MM,
            f"{row['rank']} {row['name']}",
            [f"Dosage: {row['dosage']}", f"Visit times: {row['times']}", row["risk"]],
        )
    doc.heading("Schedule by unit", 12)
    for visit in plan.schedule.itertuples():
        doc.paragraph(f"{visit.unit}  {visit.start:%H:%M}–{visit.end:%H:%M}  {visit.name}", 9)
    return doc.output()
