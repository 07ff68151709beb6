"""The funder report: a self-contained HTML page, a PDF and a CSV of the figures.

Both documents hold the same content: the headline, a map of the treated, comparison and
buffer areas (drawn with matplotlib over LSOA outlines and street names, with a scale
bar, no map tiles, so it works offline: :mod:`geo.staticmap`),
the monthly chart, the parallel-trends chart, the patrol dosage chart when given, the
table of figures, the method and the caveats. Images are PNG, inlined in the HTML as
base64 ``data:`` URIs, so the file needs nothing from the network.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geo.caveats import SYNTHETIC_PATROLS
from geo.formatting import month_text, signed
from geo.impact.design import LSOA_SERIES_LABEL
from geo.impact.evaluate import ImpactResult, contamination_warning, figures_table
from geo.impact.synth import overfit_caveat
from geo.pdf import PdfDocument
from geo.safety import csv_text
from geo.staticmap import (
    StaticBase,
    add_north_arrow,
    add_scale_bar,
    declutter,
    draw_base,
    frame_map,
    square_extent,
)

COLOURS = {"treated": "#d62728", "comparison": "#1f77b4", "buffer": "#ff7f0e"}


DPI = 150


METHOD = (
    "Treated areas are the funded hotspots. Comparison areas are places outside the "
    "displacement buffer with a similar level and trend of incidents before funding "
    "(chosen automatically and listed with the reason, or chosen by the user). The "
    "displacement buffer is the ring of {buffer_m:g} m around the treated areas, treated "
    "areas excluded, drawn before looking at outcomes.",
    "Incidents are counted per area and month by point in polygon on the British National "
    "Grid (EPSG:27700). The before and after windows hold the same calendar months "
    "(before: {before}; after: {after}), so seasonality cancels. Months without published "
    "data are left out, never counted as zero.",
    "The headline rate ratio is a difference-in-differences estimate from a Poisson model "
    "with area and month fixed effects (log E[y] = area + month + effect x treated x after); "
    "its 95% CI is widened for overdispersion; it is the estimate of the scheme's effect. "
    "WDD (Wheeler & Ratcliffe 2018) adds up changes in raw counts: the treated areas' and "
    "the buffer's changes, minus the comparison areas' change once for each, with a Poisson "
    "z-test. It is not scaled to the areas' sizes, so when the comparison areas are much "
    "busier than the treated areas it mostly measures the comparison areas' own change "
    "(see the WDD row of the figures). WDQ (Bowers & Johnson 2003) compares the buffer's "
    "change with the treated area's gain; it is only meaningful when the treated area "
    "improved.",
    "Parallel trends: before funding, treated and comparison areas should move together. "
    "The check fits a difference in linear trends after month effects, on the street-level "
    "series and, for a longer run of months, on the " + LSOA_SERIES_LABEL + ".",
)


@dataclass(frozen=True)
class ReportImages:
    """PNG bytes of each report figure (``dosage`` is None without patrol data)."""

    map: bytes
    series: bytes
    trends: bytes
    dosage: bytes | None
    placebo: bytes
    event: bytes | None


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def map_png(result: ImpactResult, base: StaticBase | None = None) -> bytes:
    """Map of the treated, comparison and buffer areas with a scale bar (EPSG:27700).

    No tiles: ``base`` draws LSOA outlines and street names under the areas
    (:mod:`geo.staticmap`). Where labels would overprint, treated areas' names win over
    comparison areas', and both over street names.
    """
    figure = Figure(figsize=(7, 5))
    axes = figure.subplots()
    shapes = pd.concat([result.treated.geometry, result.comparison.geometry])
    extent = square_extent(gpd.GeoSeries(shapes, crs=result.treated.crs), result.buffer_m)
    streets = draw_base(axes, extent, base)
    result.buffer.plot(ax=axes, color=COLOURS["buffer"], alpha=0.35, hatch="//", zorder=3)
    names = []
    for group, areas in (("treated", result.treated), ("comparison", result.comparison)):
        areas.plot(
            ax=axes, color=COLOURS[group], alpha=0.6, edgecolor="black", linewidth=0.5, zorder=3
        )
        for area in areas.itertuples():
            point = area.geometry.representative_point()
            names.append(
                axes.annotate(
                    area.name, (point.x, point.y), fontsize=7, ha="center", va="bottom", zorder=4
                )
            )
    handles = [
        matplotlib.patches.Patch(color=COLOURS[g], alpha=0.6, label=label)
        for g, label in (
            ("treated", "treated (funded)"),
            ("comparison", "comparison"),
            ("buffer", f"{result.buffer_m:g} m buffer"),
        )
    ]
    axes.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    frame_map(axes, extent)
    add_scale_bar(axes, extent)
    add_north_arrow(axes)
    declutter(figure, names)  # the treated areas' names first, then the comparisons'
    declutter(figure, streets, keep=names)
    axes.set_title("Study areas")
    return _png(figure)


def _month_axis(months: pd.Series) -> np.ndarray:
    return pd.PeriodIndex(months, freq="M").to_timestamp().to_numpy()


def _funding_line(axes, result: ImpactResult) -> None:
    axes.axvline(pd.Timestamp(result.funding_date), color="black", linestyle="--", linewidth=1)
    axes.annotate(
        "funding",
        (pd.Timestamp(result.funding_date), 1),
        xycoords=("data", "axes fraction"),
        fontsize=8,
        ha="left",
        va="top",
    )


def _plot_groups(axes, series: pd.DataFrame, groups: tuple[str, ...]) -> None:
    """One line per group of incidents per area by month (NaN months leave gaps)."""
    for group in groups:
        rows = series[series["group"] == group]
        axes.plot(
            _month_axis(rows["month"]),
            rows["per_area"],
            marker="o",
            markersize=3,
            color=COLOURS[group],
            label=group,
        )


def series_png(result: ImpactResult) -> bytes:
    """Treated against comparison incidents per area by month; gaps are missing months."""
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    _plot_groups(axes, result.series, ("treated", "comparison", "buffer"))
    _funding_line(axes, result)
    for window, shade in ((result.windows.before, "#dddddd"), (result.windows.after, "#c8e6c9")):
        start = pd.Period(window[0], freq="M").start_time
        end = pd.Period(window[-1], freq="M").end_time
        axes.axvspan(start, end, color=shade, alpha=0.5, linewidth=0)
    axes.set_ylabel(f"{result.category} per area per month")
    axes.set_title("Treated vs comparison by month (shaded: before/after windows; gaps: no data)")
    axes.legend(fontsize=8)
    axes.tick_params(labelsize=7)
    return _png(figure)


def trends_png(result: ImpactResult) -> bytes:
    """Pre-funding trends side by side, flagged when the parallel-trends check fails."""
    trends = result.key_trends
    source = result.lsoa_series if trends is result.lsoa_trends else result.series
    label = LSOA_SERIES_LABEL if trends is result.lsoa_trends else result.category
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    _plot_groups(axes, source, ("treated", "comparison"))
    _funding_line(axes, result)
    verdict = "PASSES" if trends.passes else "FAILS"
    axes.set_title(
        f"Parallel-trends check {verdict}: {label}", color="black" if trends.passes else "#b00020"
    )
    axes.set_ylabel("per area per month")
    axes.legend(fontsize=8)
    axes.tick_params(labelsize=7)
    return _png(figure)


def dosage_png(dosage: pd.DataFrame) -> bytes:
    """Patrol dosage change against incident change per hotspot (SYNTHETIC patrols)."""
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    for group, rows in dosage.groupby("group"):
        axes.scatter(
            rows["minutes_per_week_change"],
            rows["incidents_pct_change"],
            color=COLOURS.get(group, "grey"),
            label=group,
        )
        for row in rows.itertuples():
            axes.annotate(
                row.name, (row.minutes_per_week_change, row.incidents_pct_change), fontsize=7
            )
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.axvline(0, color="grey", linewidth=0.5)
    axes.set_xlabel("change in patrol minutes per week (SYNTHETIC patrols)")
    axes.set_ylabel("change in incidents, after vs before window (%)")
    axes.set_title("Patrol dosage vs incident change — SYNTHETIC patrol data")
    axes.legend(fontsize=8)
    return _png(figure)


def placebo_ratios(result: ImpactResult) -> np.ndarray:
    """The placebo areas' rate ratios (page chart and report chart alike)."""
    return np.exp(result.permutation.placebo_estimates.to_numpy(dtype=float))


def event_percent(result: ImpactResult) -> pd.DataFrame:
    """The event-study table with ``difference``, ``ci_low``, ``ci_high`` in percent."""
    table = result.event.table.copy()
    for column in ("difference", "ci_low", "ci_high"):
        table[column] = np.expm1(table[column].to_numpy(dtype=float)) * 100
    return table


def event_table(result: ImpactResult) -> pd.DataFrame | None:
    """The event study month by month, as the report prints it under its chart: month
    ("Jan 2024"), the treated-minus-comparison difference and its 95% interval in percent
    from the pre-funding gap ("no data" in months without published data)."""
    if result.event is None:
        return None
    table = event_percent(result)
    known = np.isfinite(table["difference"].to_numpy(dtype=float))
    return pd.DataFrame(
        {
            "Month": [month_text(month) for month in table["month"]],
            "Treated vs comparison (%)": [
                f"{signed(value)}%" if ok else "no data"
                for value, ok in zip(table["difference"], known, strict=True)
            ],
            "95% interval (%)": [
                f"{signed(low)}% to {signed(high)}%" if ok else "no data"
                for low, high, ok in zip(table["ci_low"], table["ci_high"], known, strict=True)
            ],
        }
    )


def placebo_png(result: ImpactResult) -> bytes:
    """Histogram of placebo rate ratios with the funded area's as a red line."""
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    axes.hist(placebo_ratios(result), bins=20, color=COLOURS["comparison"])
    axes.axvline(result.permutation.rate_ratio, color=COLOURS["treated"], linewidth=3)
    axes.set_xlabel("Rate ratio against the comparison areas")
    axes.set_ylabel("Placebo areas")
    axes.set_title(f"Permutation p = {result.permutation.p_value:.2f}")
    return _png(figure)


def event_png(result: ImpactResult) -> bytes | None:
    """Event-study chart: monthly difference (%) with 95% band; gaps at missing months."""
    if result.event is None:
        return None
    table = event_percent(result)
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    dates = _month_axis(table["month"])
    # NaN rows (missing months) break both the line and the band.
    axes.fill_between(dates, table["ci_low"], table["ci_high"], alpha=0.25)
    axes.plot(dates, table["difference"], marker="o")
    axes.axhline(0, color="grey", linewidth=0.8)
    _funding_line(axes, result)
    axes.set_ylabel("Treated vs comparison, %")
    return _png(figure)


def report_images(
    result: ImpactResult, dosage: pd.DataFrame | None = None, base: StaticBase | None = None
) -> ReportImages:
    """All report figures as PNG bytes; ``base`` is the study-area map's offline base."""
    return ReportImages(
        map=map_png(result, base),
        series=series_png(result),
        trends=trends_png(result),
        dosage=None if dosage is None or dosage.empty else dosage_png(dosage),
        placebo=placebo_png(result),
        event=event_png(result),
    )


def evidence_text(result: ImpactResult) -> list[str]:
    """The evidence paragraphs shared by the HTML and PDF report."""
    synth = (
        f"Synthetic control: post-funding gap {result.synth.gap * 100:+.0f}% (pre-funding "
        f"fit RMSPE {result.synth.rmspe_pre:.2f}, placebo p = {result.synth.p_value:.2f})."
        if result.synth is not None
        else f"Synthetic control could not be fitted: {result.synth_reason}"
    )
    if overfit_caveat(result.synth):
        synth += (
            " Overfitted: too few months before funding for this many donor areas, so its "
            "gap is illustrative only (see Caveats)."
        )
    return [
        f"Design months (hotspots found on these only): {', '.join(result.design_months)}.",
        f"Permutation p-value {result.permutation.p_value:.2f}: rank "
        f"{result.permutation.rank} of {result.permutation.n_placebos + 1}.",
        result.power.reason,
        synth,
        result.wdq_interval.reading,
    ]


def method_text(result: ImpactResult) -> list[str]:
    """The method paragraphs, filled in for ``result``."""
    return [
        paragraph.format(
            buffer_m=result.buffer_m,
            before=", ".join(result.windows.before),
            after=", ".join(result.windows.after),
        )
        for paragraph in METHOD
    ]


def report_caveats(result: ImpactResult, dosage: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The caveats of ``result``, plus the SYNTHETIC patrol caveat when dosage is shown."""
    shown = dosage is not None and not dosage.empty
    contamination = contamination_warning(dosage)
    return (
        result.caveats
        + ((SYNTHETIC_PATROLS,) if shown else ())
        + ((contamination,) if contamination else ())
    )


def _display_value(value: object) -> str:
    """Whole numbers and values from 100 up in full (never "1.23e+03"), others to 3
    significant figures."""
    if not isinstance(value, float):
        return str(value)
    if not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:.3g}"


def _display_table(result: ImpactResult) -> pd.DataFrame:
    table = figures_table(result)
    table["value"] = [_display_value(value) for value in table["value"]]
    return table


def report_csv(result: ImpactResult) -> str:
    """The table of figures as CSV text."""
    return csv_text(figures_table(result))


def report_html(
    result: ImpactResult,
    dosage: pd.DataFrame | None = None,
    *,
    title: str = "Impact report",
    images: ReportImages | None = None,
) -> str:
    """A self-contained HTML report: images inline as base64, no external assets."""
    images = images or report_images(result, dosage)
    esc = html.escape

    def image(data: bytes, alt: str) -> str:
        encoded = base64.b64encode(data).decode("ascii")
        return f'<img alt="{esc(alt)}" src="data:image/png;base64,{encoded}">'

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
        "img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.2rem .5rem;text-align:left}.warn{color:#b00020}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p><strong>{esc(result.headline)}</strong></p>",
        f"<p>Funding date {esc(result.funding_date)}; before window "
        f"{esc(', '.join(result.windows.before))}; after window "
        f"{esc(', '.join(result.windows.after))}.</p>",
        "<h2>Evidence</h2>",
        *(f"<p>{esc(p)}</p>" for p in evidence_text(result)),
        image(images.placebo, "placebo distribution"),
        *([image(images.event, "event study")] if images.event is not None else []),
        *(
            [
                "<h3>Treated minus comparison, month by month</h3>",
                event_table(result).to_html(index=False),
            ]
            if result.event is not None
            else []
        ),
        "<h2>Study areas</h2>",
        image(images.map, "map of treated, comparison and buffer areas"),
        f"<p>{esc(result.comparison_reason)}</p>",
        "<h2>Treated vs comparison by month</h2>",
        image(images.series, "monthly chart"),
        "<h2>Parallel trends</h2>",
        image(images.trends, "parallel-trends chart"),
        f"<p class='{'' if result.key_trends.passes else 'warn'}'>"
        f"{esc(result.key_trends.reason)}</p>",
    ]
    if images.dosage is not None and dosage is not None:
        parts += [
            "<h2>Patrol dosage vs change (SYNTHETIC patrol data)</h2>",
            image(images.dosage, "patrol dosage chart, synthetic data"),
            dosage.to_html(index=False, float_format="{:,.1f}".format),
        ]
    parts += [
        "<h2>Figures</h2>",
        _display_table(result).to_html(index=False),
        "<h2>Method</h2>",
        *(f"<p>{esc(p)}</p>" for p in method_text(result)),
        "<h2>Caveats</h2><ul>",
        *(f"<li>{esc(c)}</li>" for c in report_caveats(result, dosage)),
        "</ul></body></html>",
    ]
    return "\n".join(parts)


def report_pdf(
    result: ImpactResult,
    dosage: pd.DataFrame | None = None,
    *,
    title: str = "Impact report",
    images: ReportImages | None = None,
    base: StaticBase | None = None,
) -> bytes:
    """The same report as a PDF (A4, :class:`geo.pdf.PdfDocument`: Unicode font, headings
    kept with what follows); ``base`` is the study-area map's offline base."""
    images = images or report_images(result, dosage, base)
    doc = PdfDocument()

    def section(heading: str, picture: bytes) -> None:
        doc.heading(heading, keep_mm=doc.min_image_height(picture))
        doc.image(picture)

    doc.heading(title, 16)
    doc.paragraph(result.headline, 11, bold=True)
    doc.paragraph(
        f"Funding date {result.funding_date}. Before window: {', '.join(result.windows.before)}."
        f" After window: {', '.join(result.windows.after)}."
    )
    doc.heading("Evidence")
    for paragraph in evidence_text(result):
        doc.paragraph(paragraph)
    doc.image(images.placebo)
    if images.event is not None:
        doc.image(images.event)
    if result.event is not None:
        doc.heading("Treated minus comparison, month by month", 11, keep_mm=30)
        events = event_table(result)
        doc.table([list(events.columns), *events.itertuples(index=False)], (25, 30, 45), size=8)
    section("Study areas", images.map)
    doc.paragraph(result.comparison_reason)
    section("Treated vs comparison by month", images.series)
    section("Parallel trends", images.trends)
    doc.paragraph(result.key_trends.reason)
    if images.dosage is not None and dosage is not None:
        section("Patrol dosage vs change (SYNTHETIC patrol data)", images.dosage)
    doc.heading("Figures", keep_mm=30)
    table = _display_table(result)
    doc.table(
        [list(table.columns), *table.itertuples(index=False)], col_widths=(30, 20, 50), size=8
    )
    doc.heading("Method")
    for paragraph in method_text(result):
        doc.paragraph(paragraph)
    doc.heading("Caveats")
    for caveat in report_caveats(result, dosage):
        doc.bullet(caveat)
    return doc.output()


__all__ = [
    "ReportImages",
    "dosage_png",
    "event_png",
    "event_percent",
    "event_table",
    "evidence_text",
    "placebo_png",
    "placebo_ratios",
    "map_png",
    "method_text",
    "report_caveats",
    "report_csv",
    "report_html",
    "report_images",
    "report_pdf",
    "series_png",
    "trends_png",
]
