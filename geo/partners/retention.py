"""Retention: subjects with no linked report for the scheme's period are deleted, audited.

Each scheme sets its period (``partnership.subject_retention_months``, 12 by default, as
the NBCC BCRP standards and the ICO's storage-limitation guidance expect a fixed, stated
period). The clock starts at the newest linked report, or when the subject was opened if
none is linked. Deleting a subject deletes its photos (rows and files), notices, links and
associations; the members' reports stay. Every deletion is audited with its reason.

``python -m geo partners retention --apply`` runs it; the dashboard runs
:func:`run_if_due` on page loads, which does the work at most once a day (the last run is
read from the audit log, so several servers share one clock).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, select, update

from geo.checks import check_positive, fail
from geo.partners import audit, config, subjects
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.exclusions import add_months
from geo.partners.models import (
    LONDON,
    AuditLog,
    Exclusion,
    Partnership,
    Subject,
    SubjectIncident,
    SubjectPhoto,
    subject_associate,
)

DEFAULT_MONTHS = 12
RUN_EVERY = dt.timedelta(days=1)
DUE_COLUMNS = ("reference", "last_activity", "delete_after", "reason")


def retention_months(db: Database) -> int:
    """The scheme's retention period for subjects, in months."""
    with db.read() as session:
        value = session.scalar(
            select(Partnership.subject_retention_months).order_by(Partnership.id).limit(1)
        )
    return int(value or DEFAULT_MONTHS)


def set_retention_months(db: Database, account: Account, months: int) -> None:
    """Set the scheme's retention period (coordinators only; audited)."""
    months = int(check_positive("months", months))
    with db.write() as session:
        actor = load_actor(session, account, frozenset({config.COORDINATOR}))
        scheme = session.scalar(select(Partnership).order_by(Partnership.id).limit(1))
        if scheme is None:
            fail("no partnership is set up", fix="Run `python -m geo partners demo` or add one")
        old, scheme.subject_retention_months = scheme.subject_retention_months, months
        audit.record(session, actor.id, "update", "retention", scheme.id, old=old, new=months)


def due_for_deletion(db: Database, now: dt.datetime | None = None) -> pd.DataFrame:
    """Subjects past the retention period at ``now``, with the reason for each."""
    now = now or audit.now_utc()
    months = retention_months(db)
    with db.read() as session:
        rows = [_due_row(s, months, now) for s in session.scalars(select(Subject))]
    return pd.DataFrame([r for r in rows if r], columns=list(DUE_COLUMNS))


def _due_row(subject: Subject, months: int, now: dt.datetime) -> tuple | None:
    last = subjects.last_activity(subject)
    delete_after = add_months(last.astimezone(LONDON).date(), months)
    if now.astimezone(LONDON).date() <= delete_after:
        return None
    reason = (
        f"no linked report for {months} months (last activity {last:%Y-%m-%d}; "
        f"retention period ended {delete_after:%Y-%m-%d})"
    )
    return subject.reference, last, delete_after, reason


def apply_retention(db: Database, now: dt.datetime | None = None) -> pd.DataFrame:
    """Delete every subject past its period, with its photos; the deletions made."""
    now = now or audit.now_utc()
    due = due_for_deletion(db, now)
    files = []
    with db.write() as session:
        for row in due.itertuples():
            files += _delete_subject(session, row.reference, row.reason)
        audit.record(session, None, "run", "retention", None, when=now, deleted=len(due))
    for path in files:  # after the commit: a failed transaction keeps every photo
        path.unlink(missing_ok=True)
    return due


def _delete_subject(session, reference: str, reason: str) -> list[Path]:
    """Delete a subject and everything hanging on it; the photo files to remove."""
    subject = subjects.find_subject(session, reference)
    files = [subjects.photo_path(p.file_name) for p in subject.photos]
    subject_id = subject.id
    session.expunge(subject)  # plain statements below, in foreign-key order
    pairs = subject_associate.c
    statements = [
        delete(subject_associate).where(
            (pairs.subject_id == subject_id) | (pairs.associate_id == subject_id)
        ),
        delete(SubjectIncident).where(SubjectIncident.subject_id == subject_id),
        # Extensions point at the notice they extend: unhook them before deleting.
        update(Exclusion).where(Exclusion.subject_id == subject_id).values(extends_id=None),
        delete(Exclusion).where(Exclusion.subject_id == subject_id),
        delete(SubjectPhoto).where(SubjectPhoto.subject_id == subject_id),
        delete(Subject).where(Subject.id == subject_id),
    ]
    for statement in statements:
        session.execute(statement.execution_options(synchronize_session=False))
    audit.record(session, None, "delete", "subject", subject_id, ref=reference, reason=reason)
    return files


def run_if_due(db: Database, now: dt.datetime | None = None) -> pd.DataFrame | None:
    """Apply retention unless it ran in the last day; the deletions, or None if not due."""
    now = now or audit.now_utc()
    with db.read() as session:
        last = session.scalar(
            select(func.max(AuditLog.at)).where(
                AuditLog.action == "run", AuditLog.entity == "retention"
            )
        )
    if last is not None and now - last < RUN_EVERY:
        return None
    return apply_retention(db, now)
