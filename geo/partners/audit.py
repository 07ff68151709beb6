"""Writing to the append-only audit log, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session

from geo.partners.models import AuditLog


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    when: dt.datetime | None = None,
    **detail: object,
) -> None:
    """Add one audit entry; it commits or rolls back with the change it describes.

    ``when`` is the time the action counts as done (default now): a job run for a given
    time, such as retention, records that time so the next run can be scheduled from it.
    """
    session.add(
        AuditLog(
            at=when or now_utc(),
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, default=str, sort_keys=True),
        )
    )


def now_utc() -> dt.datetime:
    """The current time, tz-aware UTC."""
    return dt.datetime.now(dt.UTC)
