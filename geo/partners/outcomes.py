"""Outcomes (arrest, CBO, ...) against incidents, the good-news feed and its weekly digest.

A partner's feed holds every outcome linked to one of their organisation's reports, with
a read receipt per user, so the page can show an unread count. Coordinators and police
see every outcome. Funders have no feed: outcomes name report references.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from geo.checks import check_choice, fail
from geo.partners import audit, config
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.models import LONDON, FeedRead, Incident, Outcome, User, outcome_incident
from geo.partners.roles import require_role

FEED_ROLES = frozenset({config.PARTNER, config.COORDINATOR, config.POLICE})
FEED_COLUMNS = ("outcome_id", "kind", "decided_on", "references", "message", "read")
DIGEST_DAYS = 7
DIGEST_SENDER = "bcp-hub@localhost"


def record_outcome(
    db: Database,
    account: Account,
    kind: str,
    references: list[str],
    *,
    decided_on: dt.date,
    note: str = "",
) -> int:
    """Record an outcome against one or more incidents (coordinators and police); its id."""
    check_choice("outcome", kind, config.OUTCOME_KINDS)
    references = sorted({r.strip() for r in references if r.strip()})
    if not references:
        fail("no report is chosen", fix="Choose the report(s) this outcome follows")
    if decided_on > dt.datetime.now(LONDON).date():
        fail(f"the outcome date {decided_on} is in the future", fix="Give today or earlier")
    with db.write() as session:
        actor = load_actor(session, account, config.RECORD_OUTCOMES)
        incidents = session.scalars(select(Incident).where(Incident.reference.in_(references)))
        incidents = list(incidents)
        unknown = sorted(set(references) - {i.reference for i in incidents})
        if unknown:
            fail(f"no report {', '.join(unknown)}", fix="Check the reference(s)")
        outcome = Outcome(
            kind=kind,
            decided_on=decided_on,
            note=note,
            recorded_by_id=actor.id,
            recorded_at=audit.now_utc(),
            incidents=incidents,
        )
        session.add(outcome)
        session.flush()
        audit.record(session, actor.id, "record", "outcome", outcome.id, kind=kind, refs=references)
        return outcome.id


# ---------------------------------------------------------------- the feed


@dataclass(frozen=True)
class Feed:
    """The good-news feed: newest first, and how many items the user has not read."""

    items: pd.DataFrame
    unread: int


def good_news_feed(db: Database, account: Account) -> Feed:
    """Outcomes after the account's organisation's reports (all outcomes for staff)."""
    with db.read() as session:
        actor = load_actor(session, account)
        require_role(actor.role, FEED_ROLES, "The good-news feed")
        items = _feed_items(session, actor)
    return Feed(items, int((~items["read"]).sum()) if len(items) else 0)


def _feed_items(session: Session, actor: User, since: dt.datetime | None = None) -> pd.DataFrame:
    query = select(Outcome).options(selectinload(Outcome.incidents))
    if actor.role not in config.SEE_ALL_REPORTS:
        own = select(outcome_incident.c.outcome_id).join(Incident)
        own = own.where(Incident.organisation_id == actor.organisation_id)
        query = query.where(Outcome.id.in_(own))
    if since is not None:
        query = query.where(Outcome.recorded_at >= since)
    outcomes = session.scalars(query.order_by(Outcome.recorded_at.desc(), Outcome.id.desc()))
    read = set(session.scalars(select(FeedRead.outcome_id).where(FeedRead.user_id == actor.id)))
    rows = []
    for outcome in outcomes:
        mine = [
            i.reference
            for i in outcome.incidents
            if actor.role in config.SEE_ALL_REPORTS or i.organisation_id == actor.organisation_id
        ]
        message = good_news_message(outcome.kind, mine, yours=actor.role == config.PARTNER)
        rows.append((outcome.id, outcome.kind, outcome.decided_on, ", ".join(mine), message))
    frame = pd.DataFrame(rows, columns=list(FEED_COLUMNS[:-1]))
    return frame.assign(read=frame["outcome_id"].isin(read).astype(bool))


def good_news_message(kind: str, references: list[str], *, yours: bool) -> str:
    """ "An arrest was made after your report BCP-2026-000123" (plain text)."""
    whose = "your " if yours else ""
    noun = "report" if len(references) == 1 else "reports"
    return f"{config.OUTCOME_SENTENCES[kind]} after {whose}{noun} {', '.join(references)}"


def mark_read(db: Database, account: Account, outcome_ids: list[int] | None = None) -> int:
    """Mark feed items read (all unread ones when ``outcome_ids`` is None); how many."""
    with db.write() as session:
        actor = load_actor(session, account)
        require_role(actor.role, FEED_ROLES, "The good-news feed")
        items = _feed_items(session, actor)
        unread = items.loc[~items["read"], "outcome_id"].tolist()
        chosen = unread if outcome_ids is None else [i for i in unread if i in set(outcome_ids)]
        now = audit.now_utc()
        session.add_all(FeedRead(user_id=actor.id, outcome_id=i, read_at=now) for i in chosen)
        return len(chosen)


# ---------------------------------------------------------------- the weekly digest


def weekly_digests(db: Database, now: dt.datetime | None = None) -> list[EmailMessage]:
    """One email per active partner with good news recorded in the last 7 days."""
    since = (now or audit.now_utc()) - dt.timedelta(days=DIGEST_DAYS)
    messages = []
    with db.read() as session:
        partners = session.scalars(
            select(User).where(User.role == config.PARTNER, User.disabled.is_(False))
        )
        for user in partners:
            items = _feed_items(session, user, since)
            if len(items):
                messages.append(_digest_email(user.email, items))
    return messages


def _digest_email(recipient: str, items: pd.DataFrame) -> EmailMessage:
    email = EmailMessage()
    email["From"] = DIGEST_SENDER
    email["To"] = recipient
    email["Subject"] = f"Good news from your Business Crime Partnership ({len(items)})"
    lines = [f"- {row.message} ({row.decided_on:%d %b %Y})" for row in items.itertuples()]
    email.set_content(
        "Thank you for reporting. This week:\n\n" + "\n".join(lines) + "\n\n"
        "Sign in to the dashboard to see the details.\n"
    )
    return email


def send_digest(db: Database, smtp_url: str, now: dt.datetime | None = None) -> int:
    """Send :func:`weekly_digests` through ``smtp://[user:password@]host:port``; how many."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        fail(f"SMTP_URL {smtp_url!r} is not usable", fix="Write it as smtp://host:port")
    messages = weekly_digests(db, now)
    if not messages:
        return 0
    connect = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    try:
        with connect(parts.hostname, parts.port or 25, timeout=30) as server:
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            for message in messages:
                server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        fail(f"the mail server at {parts.hostname}:{parts.port} refused or is down ({error})")
    return len(messages)
