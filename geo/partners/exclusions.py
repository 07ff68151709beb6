"""Exclusion notices: warning -> exclusion -> extension on reoffending, and the printable notice.

The workflow follows the NBCC's BCRP standards for exclusion schemes: a subject is first
warned; a later exclusion bars them from some premises or the whole scheme area for a fixed
period (12 months by default); a breach of a live exclusion (a linked report at a covered
place while it is in force) allows an extension. Every notice states the right of appeal.
Expired notices stay in the record and are shown as expired.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from geo.checks import check_choice, fail
from geo.partners import audit, config, subjects
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.models import LONDON, Exclusion, Partnership, Premises, Subject
from geo.pdf import PdfDocument

DEFAULT_MONTHS = 12
APPEAL_DAYS = 21
NOTICE_COLUMNS = (
    "notice_id",
    "subject",
    "stage",
    "covers",
    "starts_on",
    "expires_on",
    "state",
    "breaches",
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def issue_notice(
    db: Database,
    account: Account,
    reference: str,
    *,
    stage: str,
    premises: int | str | None = None,
    starts_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> int:
    """Issue a warning, exclusion or extension to a subject (coordinators only); its id.

    ``premises`` (id or name) limits the notice to one shop; None covers the whole scheme.
    An exclusion needs an earlier warning; an extension needs a breach of an exclusion.
    """
    check_choice("stage", stage, subjects.STAGES)
    today = today or dt.datetime.now(LONDON).date()
    starts_on = starts_on or today
    with db.write() as session:
        actor = load_actor(session, account, frozenset({config.COORDINATOR}))
        subject = subjects.find_subject(session, reference)
        extends = _check_stage(subject, stage)
        # An extension runs 12 months past the end of the exclusion it extends.
        base = max(starts_on, extends.expires_on) if extends else starts_on
        expires_on = expires_on or add_months(base, DEFAULT_MONTHS)
        if expires_on <= starts_on:
            fail(f"the notice expires ({expires_on}) before it starts ({starts_on})")
        notice = Exclusion(
            stage=stage,
            premises=_premises(session, premises),
            starts_on=starts_on,
            expires_on=expires_on,
            extends_id=extends.id if extends else None,
            note=note,
            issued_by_id=actor.id,
            issued_at=audit.now_utc(),
        )
        subject.exclusions.append(notice)
        session.flush()
        audit.record(
            session,
            actor.id,
            "issue " + stage,
            "subject",
            subject.id,
            notice=notice.id,
            covers=subjects.notice_area(notice),
            starts=starts_on,
            expires=expires_on,
        )
        subjects.flag_breaches(session, subject, actor.id)
        return notice.id


def _check_stage(subject: Subject, stage: str) -> Exclusion | None:
    """Enforce warning -> exclusion -> extension; the notice an extension extends."""
    stages = {n.stage for n in subject.exclusions}
    if stage == subjects.EXCLUSION and subjects.WARNING not in stages:
        fail(
            f"{subject.reference} has not been warned",
            fix="Issue a warning first (warning, then exclusion, then extension)",
        )
    if stage != subjects.EXTENSION:
        return None
    breached = {link.breach_of_id for link in subject.links if link.breach_of_id}
    if not breached:
        fail(
            f"{subject.reference} has not breached an exclusion",
            fix="An extension follows a breach: link the report of the reoffence first",
        )
    return max((n for n in subject.exclusions if n.id in breached), key=lambda n: n.id)


def _premises(session, premises: int | str | None) -> Premises | None:
    if premises is None or premises == "":
        return None
    column = Premises.id if isinstance(premises, int) else Premises.name
    site = session.scalar(select(Premises).where(column == premises))
    if site is None:
        fail(f"no premises {premises!r}", fix="Choose one of the members' premises")
    return site


def scheme_premises(db: Database) -> list[str]:
    """Names of every member's premises, for choosing what a notice covers."""
    with db.read() as session:
        return list(session.scalars(select(Premises.name).order_by(Premises.name)))


def notices_frame(subject: Subject, today: dt.date) -> pd.DataFrame:
    """A subject's notices, oldest first, each with its state and breach count."""
    breaches = pd.Series([link.breach_of_id for link in subject.links]).value_counts()
    rows = [
        (
            n.id,
            subject.reference,
            n.stage,
            subjects.notice_area(n),
            n.starts_on,
            n.expires_on,
            subjects.notice_state(n, today),
            int(breaches.get(n.id, 0)),
        )
        for n in subject.exclusions
    ]
    return pd.DataFrame(rows, columns=list(NOTICE_COLUMNS))


def all_notices(db: Database, account: Account, today: dt.date | None = None) -> pd.DataFrame:
    """Every notice of every subject (coordinators and police)."""
    today = today or dt.datetime.now(LONDON).date()
    with db.read() as session:
        load_actor(session, account, subjects.SUBJECT_ROLES)
        frames = [notices_frame(s, today) for s in session.scalars(select(Subject))]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(NOTICE_COLUMNS))
    return pd.concat(frames, ignore_index=True).sort_values("notice_id", ignore_index=True)


def notice_pdf(db: Database, account: Account, notice_id: int) -> bytes:
    """The printable notice, stating its terms and the right of appeal (audited)."""
    with db.write() as session:
        actor = load_actor(session, account, subjects.SUBJECT_ROLES)
        notice = session.get(Exclusion, notice_id)
        if notice is None:
            fail(f"no notice {notice_id}", fix="Choose a notice from the subject's list")
        subject = session.get(Subject, notice.subject_id)
        scheme = session.scalar(select(Partnership.name).order_by(Partnership.id)) or "the BCP"
        audit.record(session, actor.id, "print notice", "subject", subject.id, notice=notice_id)
        return _notice_document(notice, subject, scheme)


def _notice_document(notice: Exclusion, subject: Subject, scheme: str) -> bytes:
    who = subject.name or subject.alias or f"the person described as: {subject.description}"
    title = {
        subjects.WARNING: "Warning notice",
        subjects.EXCLUSION: "Exclusion notice",
        subjects.EXTENSION: "Notice extending an exclusion",
    }[notice.stage]
    pdf = PdfDocument()
    pdf.heading(f"{scheme}: {title}", 16)
    pdf.paragraph(f"Reference {subject.reference} · notice {notice.id}")
    pdf.paragraph(f"To: {who}")
    if notice.stage == subjects.WARNING:
        pdf.paragraph(
            "You are warned that members of the partnership have reported your behaviour. "
            "If it continues you may be excluded from their premises."
        )
    else:
        pdf.paragraph(
            f"You are excluded from {subjects.notice_area(notice)} from "
            f"{notice.starts_on:%d %B %Y} until {notice.expires_on:%d %B %Y} inclusive. "
            "If you enter while this notice is in force, the exclusion may be extended and "
            "the police may be asked to act."
        )
    if notice.note:
        pdf.paragraph(f"Reason: {notice.note}")
    pdf.heading("Your right of appeal", 12)
    pdf.paragraph(
        f"You have the right to appeal against this notice. Write to the partnership "
        f"coordinator within {APPEAL_DAYS} days of receiving it, saying why it should be "
        "withdrawn or changed; the appeal will be heard by people not involved in issuing "
        "it, and you will be told the result in writing. You may also ask for a copy of the "
        "information the partnership holds about you (a subject access request)."
    )
    return pdf.output()
