"""The monthly meeting pack (HTML and PDF), in a coordinator/police and a funder edition.

Sections: partner incidents by category and by place against last month and the same
month last year; the month's hotspots from partner reports beside police.uk's on a map;
the good news (outcomes this month); new and expiring exclusion notices; persistent
offenders (coordinator edition only); reporting activity by member, so the meeting can
encourage members who stopped reporting.

The funder edition holds aggregates only: counts, never a subject reference, a report
reference, a narrative or a member's name.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend is chosen first)
import pandas as pd  # noqa: E402
from sqlalchemy import select  # noqa: E402

from geo.checks import GeoInputError, check_choice, fail  # noqa: E402
from geo.hotspots.dbscan import find_hotspots  # noqa: E402
from geo.io import datasets, store  # noqa: E402
from geo.partners import audit, casefile, config, exclusions, incidents, subjects  # noqa: E402
from geo.partners.accounts import Account, load_actor  # noqa: E402
from geo.partners.db import Database  # noqa: E402
from geo.partners.models import LONDON, Outcome, Partnership, Subject  # noqa: E402
from geo.pdf import PdfDocument  # noqa: E402
from geo.safety import escape_html  # noqa: E402

COORDINATOR_EDITION, FUNDER_EDITION = "coordinator", "funder"
EDITIONS = (COORDINATOR_EDITION, FUNDER_EDITION)
POLICE_DATASET = "torbay"
#: The scheme's map: the box around every partner report, widened by this (metres).
POLICE_MARGIN_M = 300.0
STREET = "(street location)"


@dataclass(frozen=True)
class Section:
    """One titled part of the pack: a sentence and zero or more tables."""

    title: str
    text: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    """A built pack: what both the HTML and the PDF print."""

    scheme: str
    month: str
    edition: str
    sections: list[Section]
    map_png: bytes | None
    synthetic: bool


def latest_report_month(db: Database) -> str:
    """The latest month (``YYYY-MM``) with partner reports."""
    reports = incidents.all_reports(db)
    if reports.empty:
        fail("there are no partner reports yet", fix="Report incidents (or run the demo) first")
    return max(t.astimezone(LONDON).strftime("%Y-%m") for t in reports["occurred_at"])


def edition_for(db: Database, account: Account, wanted: str) -> str:
    """The edition this account may have: funders get the funder edition whatever they ask."""
    check_choice("edition", wanted, EDITIONS)
    with db.read() as session:
        actor = load_actor(session, account, subjects.SUBJECT_ROLES | {config.FUNDER})
    return FUNDER_EDITION if actor.role == config.FUNDER else wanted


def build_pack(
    db: Database,
    month: str | None = None,
    edition: str = COORDINATOR_EDITION,
    *,
    viewer_id: int | None = None,
) -> Pack:
    """Build the pack for ``month`` (default: the latest month with partner reports).

    Call :func:`edition_for` first when a signed-in user asks (``viewer_id`` is then
    theirs); the CLI is the operator. Building is audited, as it reads subjects.
    """
    check_choice("edition", edition, EDITIONS)
    month = month or latest_report_month(db)
    period = _month(month)
    reports = incidents.all_reports(db)
    reports["month"] = [t.astimezone(LONDON).strftime("%Y-%m") for t in reports["occurred_at"]]
    funder = edition == FUNDER_EDITION
    this = reports[reports["month"] == month]
    partner_zones, police_zones, police_month = _hotspots(reports, this, period)
    sections = [
        _counts_section(reports, period, funder),
        _hotspot_section(partner_zones, police_zones, police_month, funder),
        _good_news_section(db, period, funder),
        _notices_section(db, period, funder),
    ]
    if not funder:
        sections.append(_offenders_section(db, period))
    sections.append(_activity_section(reports, period, funder))
    with db.write() as session:
        scheme = session.scalar(select(Partnership.name).order_by(Partnership.id)) or "BCP"
        audit.record(
            session, viewer_id, "build", "meeting pack", None, month=month, edition=edition
        )
    return Pack(
        scheme=scheme,
        month=month,
        edition=edition,
        sections=sections,
        map_png=_map_png(this, partner_zones, police_zones, police_month),
        synthetic=bool(reports["synthetic"].any()),
    )


def _month(month: str) -> pd.Period:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"the month {month!r} is not a month", fix="Write it as YYYY-MM, e.g. 2026-10")
    return pd.Period(month, freq="M")


def _months(period: pd.Period) -> dict[str, str]:
    return {
        f"{period:%b %Y}": str(period),
        f"{period - 1:%b %Y}": str(period - 1),
        f"{period - 12:%b %Y}": str(period - 12),
    }


# ---------------------------------------------------------------- sections


def _counts_section(reports: pd.DataFrame, period: pd.Period, funder: bool) -> Section:
    months = _months(period)
    places = reports.assign(place=reports["premises"].fillna(STREET))
    tables = {"By category": _compare(reports, "category", months)}
    if not funder:
        tables["By place"] = _compare(places, "place", months)
    this = int((reports["month"] == str(period)).sum())
    last = int((reports["month"] == str(period - 1)).sum())
    return Section(
        "Partner incidents",
        f"{this} partner incidents in {period:%B %Y}, against {last} the month before.",
        tables,
    )


def _compare(reports: pd.DataFrame, by: str, months: dict[str, str]) -> pd.DataFrame:
    counts = reports[reports["month"].isin(months.values())].pivot_table(
        index=by, columns="month", values="reference", aggfunc="size", fill_value=0
    )
    counts = counts.reindex(columns=list(months.values()), fill_value=0)
    counts.columns = list(months)
    counts = counts.sort_values(counts.columns[0], ascending=False)
    return counts.reset_index().rename(columns={by: by.capitalize()})


def _hotspot_section(
    partner: gpd.GeoDataFrame, police: gpd.GeoDataFrame, police_month: str | None, funder: bool
) -> Section:
    text = f"{len(partner)} hotspot(s) from partner reports this month; police.uk " + (
        f"{len(police)} hotspot(s) in {police_month}, its latest month up to this one "
        "(police.uk publishes about two months behind)."
        if police_month
        else "has no month up to this one."
    )
    # Hotspots are named after the premises in them: funders get ranks and counts only.
    columns = ["rank", "incidents"] if funder else ["rank", "name", "incidents"]
    return Section(
        "Hotspots this month",
        text,
        {
            "Partner reports": pd.DataFrame(partner[columns]).head(10)
            if len(partner)
            else _none(columns),
            "police.uk (top 10)": pd.DataFrame(police[columns]).head(10)
            if len(police)
            else _none(columns),
        },
    )


def _none(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def _good_news_section(db: Database, period: pd.Period, funder: bool) -> Section:
    with db.read() as session:
        rows = [
            (o.kind, o.decided_on, ", ".join(i.reference for i in o.incidents))
            for o in session.scalars(select(Outcome).order_by(Outcome.decided_on, Outcome.id))
            if pd.Period(o.decided_on, freq="M") == period
        ]
    frame = pd.DataFrame(rows, columns=["Outcome", "Decided on", "Reports"])
    text = f"{len(frame)} outcome(s) decided in {period:%B %Y}."
    if funder:
        counts = frame.groupby("Outcome").size().rename("Count").reset_index()
        return Section("Good news", text, {"Outcomes": counts})
    return Section("Good news", text, {"Outcomes": frame})


def _notices_section(db: Database, period: pd.Period, funder: bool) -> Section:
    first, last = period.start_time.date(), period.end_time.date()
    next_end = (period + 1).end_time.date()
    with db.read() as session:
        frames = [exclusions.notices_frame(s, last) for s in session.scalars(select(Subject))]
        counts = casefile.casework_counts(session, last)
    casework = pd.DataFrame({"Measure": list(counts), f"At {last:%d %b %Y}": list(counts.values())})
    notices = pd.concat([f for f in frames if len(f)] or [_none(["starts_on"])])
    if notices.empty:
        new = expiring = notices
    else:
        new = notices[(notices["starts_on"] >= first) & (notices["starts_on"] <= last)]
        expiring = notices[(notices["expires_on"] >= first) & (notices["expires_on"] <= next_end)]
    text = (
        f"{len(new)} notice(s) issued in {period:%B %Y}; {len(expiring)} expire(s) by the end "
        f"of {period + 1:%B %Y}."
    )
    if funder:
        count = {
            "New": new.groupby("stage").size() if len(new) else pd.Series(dtype=int),
            "Expiring": expiring.groupby("stage").size() if len(expiring) else pd.Series(dtype=int),
        }
        table = pd.DataFrame(count).fillna(0).astype(int).rename_axis("Stage").reset_index()
        return Section("Exclusion notices", text, {"Notices by stage": table, "Casework": casework})
    columns = ["subject", "stage", "covers", "starts_on", "expires_on", "state"]
    return Section(
        "Exclusion notices",
        text,
        {"New": _cut(new, columns), "Expiring": _cut(expiring, columns), "Casework": casework},
    )


def _cut(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns] if len(frame) else _none(columns)


def _offenders_section(db: Database, period: pd.Period) -> Section:
    end = dt.datetime.combine(period.end_time.date(), dt.time(23, 59), tzinfo=LONDON)
    with db.read() as session:
        offenders = casefile.rank_offenders(session, end)
    share = offenders.top_share
    text = (
        f"Ranked by reports in the {offenders.days} days to {end:%d %b %Y}. The top 10% of "
        f"subjects account for {share:.0%} of those reports."
        if len(offenders.table) and offenders.table["incidents"].sum()
        else f"No subject has a report in the {offenders.days} days to {end:%d %b %Y}."
    )
    columns = ["reference", "status", "incidents", "premises", "notice"]
    return Section("Persistent offenders", text, {"Subjects": offenders.table[columns].head(10)})


def _activity_section(reports: pd.DataFrame, period: pd.Period, funder: bool) -> Section:
    months = {f"{period:%b %Y}": str(period), f"{period - 1:%b %Y}": str(period - 1)}
    table = _compare(reports, "organisation", months)
    before = reports[reports["month"] <= str(period)]
    latest = before.groupby("organisation")["occurred_at"].max()
    table["Last report"] = [
        f"{latest[o]:%d %b %Y}" if o in latest else "" for o in table["Organisation"]
    ]
    stopped = table[(table.iloc[:, 1] == 0) & (table.iloc[:, 2] > 0)]
    text = (
        f"{int((table.iloc[:, 1] > 0).sum())} member(s) reported in {period:%B %Y}; "
        f"{len(stopped)} reported the month before but not this month."
    )
    if funder:
        return Section("Reporting activity", text, {})
    return Section(
        "Reporting activity by member", text, {"Members": table, "Stopped reporting": stopped}
    )


# ---------------------------------------------------------------- hotspots and the map


def _hotspots(
    reports: pd.DataFrame, this: pd.DataFrame, period: pd.Period
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str | None]:
    """Partner hotspots this month and police.uk's in its latest month up to this one."""
    empty = gpd.GeoDataFrame({"rank": [], "name": [], "incidents": []}, geometry=[], crs=4326)
    partner = _dbscan(incidents.canonical_frame(this), min_samples=5) if len(this) else empty
    police = store.read_incidents(datasets.get_dataset(POLICE_DATASET).incidents_path)
    months = sorted(m for m in police["month"].unique() if pd.Period(m, freq="M") <= period)
    if not months or reports.empty:
        return partner, empty, None
    latest = police[police["month"] == months[-1]]
    west, east = reports["easting"].min(), reports["easting"].max()
    south, north = reports["northing"].min(), reports["northing"].max()
    near = latest["easting"].between(west - POLICE_MARGIN_M, east + POLICE_MARGIN_M) & latest[
        "northing"
    ].between(south - POLICE_MARGIN_M, north + POLICE_MARGIN_M)
    police_zones = _dbscan(latest[near], min_samples=5) if near.any() else empty
    return partner, police_zones, f"{pd.Period(months[-1], freq='M'):%b %Y}"


def _dbscan(frame: gpd.GeoDataFrame, min_samples: int) -> gpd.GeoDataFrame:
    try:
        return find_hotspots(
            frame, casefile.PARTNER_EPS_M, min_samples, gazetteer=pd.DataFrame()
        ).hotspots
    except GeoInputError:  # too few incidents, or none close together: no hotspot
        return gpd.GeoDataFrame({"rank": [], "name": [], "incidents": []}, geometry=[], crs=4326)


def _map_png(
    this: pd.DataFrame,
    partner: gpd.GeoDataFrame,
    police: gpd.GeoDataFrame,
    police_month: str | None,
) -> bytes | None:
    """Partner and police.uk hotspots side by side (no basemap: the pack is offline)."""
    if this.empty:
        return None
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharex=True, sharey=True)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(this["longitude"], this["latitude"]), crs=4326
    )
    for axis, zones, title in (
        (axes[0], partner, "Partner reports"),
        (axes[1], police, f"police.uk ({police_month or 'no data'})"),
    ):
        points.plot(ax=axis, markersize=4, color="#1f3b73", alpha=0.5)
        if len(zones):
            zones.plot(ax=axis, facecolor="#d6272833", edgecolor="#d62728")
            for zone in zones.itertuples():
                centre = zone.geometry.representative_point()
                axis.annotate(str(zone.rank), (centre.x, centre.y), fontsize=9, weight="bold")
        axis.set_title(title)
        axis.set(xticks=[], yticks=[], xlabel="", ylabel="")
    figure.suptitle("Hotspots (red, numbered by rank) over this month's partner reports")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


# ---------------------------------------------------------------- rendering


def _title(pack: Pack) -> str:
    edition = "funder edition" if pack.edition == FUNDER_EDITION else "coordinator/police edition"
    return f"{pack.scheme}: meeting pack, {pd.Period(pack.month, freq='M'):%B %Y} ({edition})"


def _synthetic_note(pack: Pack) -> str:
    return "SYNTHETIC: made-up demo data. " if pack.synthetic else ""


def pack_html(pack: Pack) -> str:
    """The pack as one self-contained HTML page (every value escaped, map inline)."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{escape_html(_title(pack))}</title></head><body>",
        f"<h1>{escape_html(_title(pack))}</h1>",
    ]
    if pack.synthetic:
        parts.append(f"<p><strong>{escape_html(_synthetic_note(pack))}</strong></p>")
    for section in pack.sections:
        parts += [f"<h2>{escape_html(section.title)}</h2>", f"<p>{escape_html(section.text)}</p>"]
        if section.title.startswith("Hotspots") and pack.map_png:
            data = base64.b64encode(pack.map_png).decode()
            parts.append(f"<img alt='hotspot map' src='data:image/png;base64,{data}'>")
        for name, table in section.tables.items():
            parts += [f"<h3>{escape_html(name)}</h3>", _html_table(table)]
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>None.</p>"
    head = "".join(f"<th>{escape_html(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape_html(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table border='1' cellpadding='3'><tr>{head}</tr>{rows}</table>"


def _cell(value: object) -> str:
    return "" if not isinstance(value, list) and pd.isna(value) else str(value)


def pack_pdf(pack: Pack) -> bytes:
    """The pack as an A4 PDF."""
    pdf = PdfDocument(watermark=_synthetic_note(pack).strip())
    pdf.heading(_title(pack), 16)
    for section in pack.sections:
        pdf.heading(section.title, 13)
        pdf.paragraph(section.text)
        if section.title.startswith("Hotspots") and pack.map_png:
            pdf.image(pack.map_png)
        for name, table in section.tables.items():
            pdf.paragraph(name, 10, bold=True)
            _pdf_table(pdf, table)
    return pdf.output()


def _pdf_table(pdf: PdfDocument, frame: pd.DataFrame) -> None:
    """``frame`` as a table with equal columns ("None." when it is empty)."""
    if frame.empty:
        pdf.paragraph("None.")
        return
    rows = [list(frame.columns), *(map(_cell, row) for row in frame.itertuples(index=False))]
    pdf.table(rows, [pdf.width / len(frame.columns)] * len(frame.columns))
