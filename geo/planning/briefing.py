"""Printable patrol briefing: one self-contained HTML page and a PDF (:mod:`geo.pdf`).

Each planned hotspot gets a small static map drawn with matplotlib from its polygon
(no map tiles, no CDN, works offline), its name, dosage (visits x minutes) and visit
times per unit. Maps are drawn in metres (:func:`geo.projection.metric_crs_for`) with a
100 m scale bar; neighbouring planned hotspots are outlined in grey for orientation.
"""

from __future__ import annotations

import base64
import html
import io

import geopandas as gpd
import numpy as np
from matplotlib.figure import Figure

from geo.pdf import PdfDocument
from geo.planning.exports import dosage_text, visit_times
from geo.planning.planner import PatrolPlan
from geo.projection import metric_crs_for
from geo.schema import WGS84

#: Side of each small map, inches, and its resolution.
MAP_INCHES = 2.2


MAP_DPI = 110


#: Margin around the hotspot in its map, metres.
MAP_MARGIN_M = 120.0


SCALE_BAR_M = 100


def _metric(plan: PatrolPlan) -> gpd.GeoSeries:
    geometry = plan.plan.to_crs(WGS84).geometry
    centre = geometry.union_all().centroid
    return geometry.to_crs(metric_crs_for(np.array([centre.x]), np.array([centre.y])))


def hotspot_map_png(plan: PatrolPlan, position: int) -> bytes:
    """PNG bytes of a small map of the plan's hotspot at row ``position`` (0-based)."""
    shapes = _metric(plan)
    target = shapes.iloc[position]
    minx, miny, maxx, maxy = target.bounds
    half = max(maxx - minx, maxy - miny) / 2 + MAP_MARGIN_M
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    # A bare Figure (no pyplot): no global state, thread-safe under Streamlit.
    figure = Figure(figsize=(MAP_INCHES, MAP_INCHES), dpi=MAP_DPI)
    axes = figure.subplots()
    others = shapes.drop(shapes.index[position])
    if len(others):
        others.plot(ax=axes, facecolor="none", edgecolor="#999999", linewidth=0.8)
    gpd.GeoSeries([target]).plot(ax=axes, facecolor="#f03b20", alpha=0.55, edgecolor="#222")
    axes.set_xlim(cx - half, cx + half)
    axes.set_ylim(cy - half, cy + half)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("")
    axes.set_ylabel("")
    x0, y0 = cx - half * 0.9, cy - half * 0.88
    axes.plot([x0, x0 + SCALE_BAR_M], [y0, y0], color="#222", linewidth=2)
    axes.text(x0, y0 + half * 0.04, f"{SCALE_BAR_M} m", fontsize=7)
    axes.annotate(
        "N",
        xy=(0.92, 0.97),
        xytext=(0.92, 0.8),
        xycoords="axes fraction",
        ha="center",
        fontsize=8,
        arrowprops={"arrowstyle": "->", "linewidth": 1},
    )
    axes.set_title(f"#{plan.plan['plan_rank'].iloc[position]}", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


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


def briefing_html(plan: PatrolPlan, title: str = "Patrol briefing", notes: list[str] = ()) -> str:
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
        image = base64.b64encode(hotspot_map_png(plan, position)).decode("ascii")
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


def briefing_pdf(plan: PatrolPlan, title: str = "Patrol briefing", notes: list[str] = ()) -> bytes:
    """The briefing as an A4 PDF (:class:`geo.pdf.PdfDocument`: Unicode font, so "–" and
    names such as "Łódź" print as written; each hotspot's map and text kept together)."""
    doc = PdfDocument(margin_mm=12, bottom_mm=14)
    heading = _heading(plan, title)
    doc.heading(heading[0], 16)
    for line in [*heading[1:], *(f"Note: {n}" for n in [*plan.notes, *notes])]:
        doc.paragraph(line, 9)
    for position, row in enumerate(_rows(plan)):
        doc.image_beside(
            hotspot_map_png(plan, position),
            PDF_MAP_MM,
            f"{row['rank']} {row['name']}",
            [f"Dosage: {row['dosage']}", f"Visit times: {row['times']}", row["risk"]],
        )
    doc.heading("Schedule by unit", 12)
    for visit in plan.schedule.itertuples():
        doc.paragraph(f"{visit.unit}  {visit.start:%H:%M}–{visit.end:%H:%M}  {visit.name}", 9)
    return doc.output()
