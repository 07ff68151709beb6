"""Subject access request: everything held about one subject, as JSON and PDF.

Under UK GDPR Art. 15 (ICO guidance on the right of access) a subject may ask for a copy
of their personal data. This collects the subject's record, every linked report with its
updates and outcomes, notices, associates' references, photos (copied beside the export)
and every audit entry about them. The export itself is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from geo.partners import audit, subjects
from geo.partners.db import Database
from geo.partners.exclusions import notices_frame
from geo.partners.models import LONDON, AuditLog, Subject
from geo.pdf import PdfDocument
from geo.safety import write_bytes_atomic

SUBJECT_FIELDS = (
    "reference",
    "kind",
    "name",
    "alias",
    "description",
    "modus_operandi",
    "status",
    "shared_in_gallery",
    "synthetic",
    "created_at",
)


def subject_record(db: Database, reference: str, today: dt.date | None = None) -> dict:
    """Everything held about a subject, as plain JSON-ready values (audited)."""
    today = today or dt.datetime.now(LONDON).date()
    with db.write() as session:
        subject = subjects.find_subject(session, reference)
        record = {
            "subject": _subject_fields(subject),
            "incidents": [_incident(link) for link in subject.links],
            "notices": notices_frame(subject, today).to_dict("records"),
            "associates": [a.reference for a in subject.associates],
            "photos": [
                {"file": p.file_name, "type": p.media_type, "uploaded_at": p.uploaded_at}
                for p in subject.photos
            ],
            "audit": _audit_entries(session, subject),
        }
        audit.record(session, None, "subject access export", "subject", subject.id, ref=reference)
    return json.loads(json.dumps(record, default=_plain))


def _subject_fields(subject: Subject) -> dict:
    return {name: getattr(subject, name) for name in SUBJECT_FIELDS}


def _incident(link) -> dict:
    incident = link.incident
    return {
        "reference": incident.reference,
        "occurred_at": incident.occurred_at,
        "reported_at": incident.reported_at,
        "category": incident.category,
        "organisation": incident.organisation.name,
        "premises": incident.premises.name if incident.premises else None,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "description": incident.description,
        "loss_gbp": incident.loss_gbp,
        "police_reference": incident.police_reference,
        "breach_of_notice": link.breach_of_id,
        "linked_at": link.linked_at,
        "updates": [
            {"at": u.at, "field": u.field, "old": u.old_value, "new": u.new_value, "note": u.note}
            for u in incident.updates
        ],
        "outcomes": [
            {"kind": o.kind, "decided_on": o.decided_on, "note": o.note} for o in incident.outcomes
        ],
    }


def _audit_entries(session, subject: Subject) -> list[dict]:
    entries = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "subject", AuditLog.entity_id == subject.id)
        .order_by(AuditLog.id)
    )
    return [
        {"at": e.at, "actor_id": e.actor_id, "action": e.action, "detail": e.detail}
        for e in entries
    ]


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def export_subject(db: Database, reference: str, out_dir: str | Path) -> list[Path]:
    """Write ``<ref>.json``, ``<ref>.pdf`` and the photos into ``out_dir``; the files."""
    record = subject_record(db, reference)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = record["subject"]["reference"]
    written = [
        write_bytes_atomic(
            folder / f"{stem}.json", json.dumps(record, indent=2, ensure_ascii=False).encode()
        ),
        write_bytes_atomic(folder / f"{stem}.pdf", record_pdf(record)),
    ]
    for photo in record["photos"]:
        source = subjects.photo_path(photo["file"])
        if source.exists():
            written.append(Path(shutil.copy2(source, folder / photo["file"])))
    return written


def record_pdf(record: dict) -> bytes:
    """The same record, readable on paper."""
    subject = record["subject"]
    pdf = PdfDocument()
    pdf.heading(f"Information held about {subject['reference']}", 16)
    pdf.paragraph(f"Exported {dt.datetime.now(LONDON):%d %B %Y %H:%M} (UK time).")
    pdf.heading("Record", 12)
    for key, value in subject.items():
        pdf.paragraph(f"{key}: {value}")
    pdf.paragraph(f"associates: {', '.join(record['associates']) or 'none'}")
    pdf.paragraph(f"photos held: {len(record['photos'])} (copied beside this file)")
    pdf.heading(f"Linked reports ({len(record['incidents'])})", 12)
    for incident in record["incidents"]:
        pdf.paragraph(
            f"{incident['reference']} · {incident['occurred_at']} · {incident['category']} · "
            f"{incident['premises'] or 'street location'} · {incident['organisation']}\n"
            f"{incident['description']}\n"
            f"Outcomes: {', '.join(o['kind'] for o in incident['outcomes']) or 'none'}"
        )
    pdf.heading(f"Notices ({len(record['notices'])})", 12)
    for notice in record["notices"]:
        pdf.paragraph(
            f"{notice['stage']} covering {notice['covers']}, {notice['starts_on']} to "
            f"{notice['expires_on']} ({notice['state']}; breaches {notice['breaches']})"
        )
    pdf.heading(f"Audit trail ({len(record['audit'])} entries)", 12)
    for entry in record["audit"]:
        pdf.paragraph(f"{entry['at']} · user {entry['actor_id']} · {entry['action']}", 8)
    return pdf.output()
