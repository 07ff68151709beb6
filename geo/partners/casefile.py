"""What is read about subjects: the case file, the shared gallery, persistent offenders.

Every read of a subject's details is written to the audit log (who, when, what), in the
same transaction that reads it. Members see only the gallery the scheme shares (reference,
photo, exclusion status; never a narrative), and galleries printed or downloaded carry a
watermark naming the viewer's organisation and the date (NBCC BCRP standards). Funders see
counts only (:func:`subject_counts`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.checks import GeoInputError
from geo.hotspots.concentration import share_in_top_area
from geo.hotspots.dbscan import find_hotspots
from geo.maps.base import build_base_map
from geo.partners import audit, exclusions, incidents, subjects
from geo.partners.accounts import Account, current_account, load_actor
from geo.partners.db import Database
from geo.partners.models import LONDON, Subject
from geo.pdf import PdfDocument
from geo.safety import escape_html

#: DBSCAN settings for partner reports: a radius of a shop front and its neighbours, and a
#: minimum that a partnership's monthly volumes reach (police.uk's default of 30 would not).
PARTNER_EPS_M = 100.0
PARTNER_MIN_SAMPLES = 10
OFFENDER_DAYS = 90
TOP_SHARE = 0.10
TIMELINE_COLUMNS = (
    "reference",
    "occurred_at",
    "category",
    "premises",
    "organisation",
    "loss_gbp",
    "description",
    "longitude",
    "latitude",
    "breach_of_notice",
    "hotspot",
)


def subject_label(subject: Subject) -> str:
    """How staff see a subject: name, alias, or "ID sought" with the description."""
    if subject.name or subject.alias:
        return " / ".join(v for v in (subject.name, subject.alias) if v)
    return f"ID sought: {subject.description[:60]}"


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(LONDON).date()


# ---------------------------------------------------------------- lists and counts


def subjects_table(db: Database, account: Account, today: dt.date | None = None) -> pd.DataFrame:
    """Every subject for coordinators and police (the listing is audited too)."""
    today = _today(today)
    with db.write() as session:
        actor = load_actor(session, account, subjects.SUBJECT_ROLES)
        rows = [
            (
                s.reference,
                s.kind,
                subject_label(s),
                s.status,
                len(s.links),
                subjects.last_activity(s),
                subjects.exclusion_summary(s, today),
                s.synthetic,
            )
            for s in session.scalars(select(Subject).order_by(Subject.id))
        ]
        audit.record(session, actor.id, "view", "subject list", None, subjects=len(rows))
    columns = ["reference", "kind", "label", "status", "incidents", "last_activity", "notice"]
    return pd.DataFrame(rows, columns=[*columns, "synthetic"])


def subject_counts(db: Database, account: Account, today: dt.date | None = None) -> dict:
    """Counts anyone signed in may see: subjects, ID sought, live exclusions, breaches."""
    with db.read() as session:
        load_actor(session, account)
        return casework_counts(session, _today(today))


def casework_counts(session: Session, today: dt.date) -> dict[str, int]:
    """:func:`subject_counts` without the role check, for the meeting pack."""
    every = list(session.scalars(select(Subject)))
    live = [
        n
        for s in every
        for n in s.exclusions
        if n.stage in subjects.BARRING_STAGES and subjects.notice_state(n, today) == "live"
    ]
    return {
        "subjects": len(every),
        "ID sought": sum(s.kind == subjects.ID_SOUGHT for s in every),
        "live exclusions": len(live),
        "breaches": sum(link.breach_of_id is not None for s in every for link in s.links),
    }


# ---------------------------------------------------------------- the case file


@dataclass(frozen=True)
class CaseFile:
    """Everything a coordinator takes to the police when asking for a CBO."""

    subject: dict
    timeline: pd.DataFrame
    premises: pd.DataFrame
    total_loss: float
    outcomes: pd.DataFrame
    notices: pd.DataFrame
    hotspots: gpd.GeoDataFrame

    @property
    def breaches(self) -> int:
        """Linked reports that breach a live exclusion."""
        return int(self.timeline["breach_of_notice"].notna().sum())


def case_file(
    db: Database, account: Account, reference: str, today: dt.date | None = None
) -> CaseFile:
    """A subject's case file (coordinators and police); the view is audited."""
    today = _today(today)
    with db.write() as session:
        actor = load_actor(session, account, subjects.SUBJECT_ROLES)
        subject = subjects.find_subject(session, reference)
        audit.record(session, actor.id, "view", "subject", subject.id, ref=subject.reference)
        details = _details(subject)
        timeline = pd.DataFrame(
            [_timeline_row(link) for link in subject.links], columns=list(TIMELINE_COLUMNS[:-1])
        )
        outcomes = pd.DataFrame(
            _outcome_rows(subject), columns=["outcome", "decided_on", "reports", "note"]
        )
        notices = exclusions.notices_frame(subject, today)
    timeline = timeline.sort_values("occurred_at", ignore_index=True)
    zones, names = _hotspots_of(db, account, timeline["reference"])
    timeline["hotspot"] = [names.get(reference, "") for reference in timeline["reference"]]
    by_premises = (
        timeline.assign(premises=timeline["premises"].fillna("(street location)"))
        .groupby("premises")
        .agg(incidents=("reference", "size"), loss_gbp=("loss_gbp", "sum"))
        .sort_values("incidents", ascending=False)
        .reset_index()
    )
    return CaseFile(
        subject=details,
        timeline=timeline,
        premises=by_premises,
        total_loss=float(timeline["loss_gbp"].fillna(0).sum()),
        outcomes=outcomes,
        notices=notices,
        hotspots=zones,
    )


def _details(subject: Subject) -> dict:
    return {
        "reference": subject.reference,
        "kind": subject.kind,
        "name": subject.name,
        "alias": subject.alias,
        "description": subject.description,
        "modus_operandi": subject.modus_operandi,
        "status": subject.status,
        "shared_in_gallery": subject.shared_in_gallery,
        "synthetic": subject.synthetic,
        "created_at": subject.created_at,
        "associates": [a.reference for a in subject.associates],
        "photo_ids": [p.id for p in subject.photos],
    }


def _timeline_row(link) -> tuple:
    incident = link.incident
    return (
        incident.reference,
        incident.occurred_at,
        incident.category,
        incident.premises.name if incident.premises else None,
        incident.organisation.name,
        None if incident.loss_gbp is None else float(incident.loss_gbp),
        incident.description,
        incident.longitude,
        incident.latitude,
        link.breach_of_id,
    )


def _outcome_rows(subject: Subject) -> list[tuple]:
    seen = {}
    for link in subject.links:
        for outcome in link.incident.outcomes:
            seen.setdefault(outcome.id, (outcome, []))[1].append(link.incident.reference)
    return [
        (o.kind, o.decided_on, ", ".join(refs), o.note)
        for o, refs in sorted(seen.values(), key=lambda item: item[0].decided_on)
    ]


def _hotspots_of(
    db: Database, account: Account, references: pd.Series
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """The partnership's hotspots (DBSCAN on all visible reports) holding these reports."""
    frame = incidents.as_incident_frame(db, account)
    try:
        result = find_hotspots(frame, PARTNER_EPS_M, PARTNER_MIN_SAMPLES, gazetteer=pd.DataFrame())
    except GeoInputError:  # too few reports, or all of them scattered: no hotspot
        return gpd.GeoDataFrame(geometry=[], crs=frame.crs), {}
    label = pd.Series(result.labels, index=frame["incident_id"].to_numpy())
    ids = label.reindex(references.to_numpy())
    held = result.hotspots[result.hotspots["hotspot_id"].isin(ids[ids >= 0])]
    names = dict(zip(held["hotspot_id"], held["name"], strict=True))
    return held, {ref: names[h] for ref, h in ids.items() if h in names}


def case_map(case: CaseFile) -> folium.Map:
    """The subject's reports as points over the hotspots they fall in (text escaped)."""
    timeline = case.timeline
    if timeline.empty:
        raise GeoInputError("the subject has no linked report to map")
    points = gpd.GeoDataFrame(
        timeline,
        geometry=gpd.points_from_xy(timeline["longitude"], timeline["latitude"], crs="EPSG:4326"),
    )
    bounds = np.array(points.total_bounds) + np.array([-0.002, -0.001, 0.002, 0.001])
    picture = build_base_map(bounds)
    for hotspot in case.hotspots.itertuples():
        folium.GeoJson(
            hotspot.geometry.__geo_interface__,
            style_function=lambda _: {"color": "#d62728", "weight": 2, "fillOpacity": 0.15},
            tooltip=escape_html(f"Hotspot: {hotspot.name}"),
        ).add_to(picture)
    for row in points.itertuples():
        breach = " (breach)" if pd.notna(row.breach_of_notice) else ""
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=6,
            color="#1f3b73",
            fill=True,
            tooltip=escape_html(f"{row.reference} · {row.occurred_at:%d %b %Y} · {row.category}")
            + breach,
        ).add_to(picture)
    return picture


# ---------------------------------------------------------------- the shared gallery


def gallery(db: Database, account: Account, today: dt.date | None = None) -> pd.DataFrame:
    """The gallery: reference, photo ids and exclusion status, no narrative (audited).

    Members see the subjects the scheme shares with them; coordinators and police all.
    """
    today = _today(today)
    with db.write() as session:
        actor = load_actor(session, account, subjects.GALLERY_ROLES)
        query = select(Subject).order_by(Subject.id)
        if actor.role not in subjects.SUBJECT_ROLES:
            query = query.where(Subject.shared_in_gallery)
        rows = [
            (s.reference, [p.id for p in s.photos], subjects.exclusion_summary(s, today))
            for s in session.scalars(query)
        ]
        audit.record(session, actor.id, "view", "gallery", None, subjects=[r[0] for r in rows])
    return pd.DataFrame(rows, columns=["reference", "photo_ids", "exclusion_status"])


def watermark(account: Account, today: dt.date | None = None) -> str:
    """The line every printed or downloaded gallery carries."""
    return (
        f"{account.organisation} · {_today(today):%d %b %Y} · "
        "confidential to the partnership: do not copy or share"
    )


def gallery_pdf(db: Database, account: Account, today: dt.date | None = None) -> bytes:
    """The gallery as a watermarked PDF (members, coordinators, police; audited)."""
    today = _today(today)
    entries = gallery(db, account, today)
    current = current_account(db, account)
    with db.write() as session:
        actor = load_actor(session, account, subjects.GALLERY_ROLES)
        audit.record(session, actor.id, "download", "gallery", None, subjects=len(entries))
    pdf = PdfDocument(watermark=watermark(current, today))
    pdf.heading("Subject gallery", 16)
    for entry in entries.itertuples():
        pdf.heading(entry.reference, 12)
        pdf.paragraph(f"Exclusion: {entry.exclusion_status}")
        for photo_id in entry.photo_ids[:1]:
            pdf.image(subjects.photo_bytes(db, account, photo_id), 50)
    return pdf.output()


# ---------------------------------------------------------------- persistent offenders


@dataclass(frozen=True)
class Offenders:
    """Subjects ranked by recent reports and premises affected, with the 80/20 share."""

    table: pd.DataFrame
    top_share: float  # share of recent reports due to the top 10% of subjects (0-1)
    days: int


def persistent_offenders(
    db: Database, account: Account, now: dt.datetime | None = None, days: int = OFFENDER_DAYS
) -> Offenders:
    """Rank subjects by reports in the last ``days`` days, then by premises affected."""
    with db.write() as session:
        actor = load_actor(session, account, subjects.SUBJECT_ROLES)
        audit.record(session, actor.id, "view", "persistent offenders", None, days=days)
        return rank_offenders(session, now or audit.now_utc(), days)


def rank_offenders(session: Session, now: dt.datetime, days: int = OFFENDER_DAYS) -> Offenders:
    """:func:`persistent_offenders` without the role check, for the meeting pack."""
    since = now - dt.timedelta(days=days)
    rows = []
    for subject in session.scalars(select(Subject)):
        recent = [
            link.incident for link in subject.links if since <= link.incident.occurred_at <= now
        ]
        places = {i.premises_id or f"point {i.id}" for i in recent}
        rows.append(
            (
                subject.reference,
                subject_label(subject),
                subject.status,
                len(recent),
                len(places),
                len(subject.links),
                subjects.exclusion_summary(subject, now.astimezone(LONDON).date()),
            )
        )
    columns = ["reference", "label", "status", "incidents", "premises", "all_time", "notice"]
    table = pd.DataFrame(rows, columns=columns).sort_values(
        ["incidents", "premises", "reference"], ascending=[False, False, True], ignore_index=True
    )
    counts = table["incidents"].to_numpy()
    top = share_in_top_area(counts, area_share=TOP_SHARE) if counts.sum() else float("nan")
    return Offenders(table, top, days)
