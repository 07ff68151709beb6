"""Subjects (persistent offenders): create, link reports, associates, photos, breaches.

A subject is *known* (a name or an alias) or *ID sought* (a description only), and is shown
everywhere by its pseudonymous reference ``S-000123``. Only coordinators and police create,
link or read subjects (:data:`SUBJECT_ROLES`); members see the shared gallery only
(:mod:`geo.partners.casefile`). There is no field for ethnicity, religion, sexuality or
health, and free text is stored as written, never mined (NBCC BCRP standards; ICO guidance
on special-category data).

A report linked to a subject with a live exclusion that covers the report's premises (or
the whole scheme) on the day it happened is flagged as a breach of that exclusion, when it
is linked and when a notice is issued later, and the flag is audited.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.checks import check_choice, fail
from geo.partners import audit, config
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.errors import RoleRefusedError
from geo.partners.models import LONDON, Exclusion, Incident, Subject, SubjectIncident, SubjectPhoto
from geo.partners.validation import check_description
from geo.safety import write_bytes_atomic

SUBJECT_ROLES = frozenset({config.COORDINATOR, config.POLICE})
GALLERY_ROLES = frozenset({config.PARTNER, config.COORDINATOR, config.POLICE})
KNOWN, ID_SOUGHT = "known", "ID sought"
SUBJECT_STATUSES: tuple[str, ...] = ("active", "under CBO", "in custody", "inactive")
WARNING, EXCLUSION, EXTENSION = "warning", "exclusion", "extension"
STAGES: tuple[str, ...] = (WARNING, EXCLUSION, EXTENSION)
#: Notices that bar entry (a warning does not, so it cannot be breached).
BARRING_STAGES = frozenset({EXCLUSION, EXTENSION})
PHOTO_FOLDER = "subject_photos"
MAX_PHOTO_BYTES = 5_000_000
#: Stored photo types: suffix -> media type, and the Pillow format each is decoded from.
PHOTO_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}
_PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}


def _checked_text(text: str, what: str) -> str:
    try:
        return check_description(text)
    except ValueError as error:
        fail(f"{what}: {error}")


def subject_reference(subject_id: int) -> str:
    """``S-000123``: the pseudonymous reference shown instead of a name."""
    return f"S-{subject_id:06d}"


def find_subject(session: Session, reference: str) -> Subject:
    """The subject with this reference, or a one-line error."""
    subject = session.scalar(select(Subject).where(Subject.reference == reference.strip()))
    if subject is None:
        fail(f"no subject {reference!r}", fix="Check the S-000000 reference")
    return subject


def photo_path(file_name: str) -> Path:
    """Where a stored photo lives: the data folder, never the repository."""
    return config.data_dir() / PHOTO_FOLDER / file_name


# ---------------------------------------------------------------- creating and linking


def create_subject(
    db: Database,
    account: Account,
    *,
    name: str | None = None,
    alias: str | None = None,
    description: str = "",
    modus_operandi: str = "",
    status: str = "active",
    shared_in_gallery: bool = True,
    synthetic: bool = False,
    now: dt.datetime | None = None,
) -> str:
    """Open a subject (coordinators and police); returns its ``S-`` reference.

    With neither ``name`` nor ``alias`` the subject is "ID sought" and needs a description.
    """
    name, alias = (" ".join((v or "").split()) or None for v in (name, alias))
    check_choice("status", status, SUBJECT_STATUSES)
    description = _checked_text(description, "the description")
    modus_operandi = _checked_text(modus_operandi, "the modus operandi")
    if not (name or alias or description.strip()):
        fail("the subject has no name, alias or description", fix="Give at least one")
    with db.write() as session:
        actor = load_actor(session, account, SUBJECT_ROLES)
        subject = Subject(
            reference=f"pending-{secrets.token_hex(6)}",
            kind=KNOWN if name or alias else ID_SOUGHT,
            name=name,
            alias=alias,
            description=description,
            modus_operandi=modus_operandi,
            status=status,
            shared_in_gallery=shared_in_gallery,
            synthetic=synthetic,
            created_at=now or audit.now_utc(),
            created_by_id=actor.id,
        )
        session.add(subject)
        session.flush()
        subject.reference = subject_reference(subject.id)
        audit.record(session, actor.id, "create", "subject", subject.id, ref=subject.reference)
        return subject.reference


def link_incidents(
    db: Database,
    account: Account,
    reference: str,
    incident_references: list[str],
    now: dt.datetime | None = None,
) -> list[str]:
    """Link reports to a subject; returns the references flagged as breaches."""
    wanted = sorted({r.strip() for r in incident_references if r.strip()})
    if not wanted:
        fail("no report is chosen", fix="Choose the report(s) to link")
    with db.write() as session:
        actor = load_actor(session, account, SUBJECT_ROLES)
        subject = find_subject(session, reference)
        found = list(session.scalars(select(Incident).where(Incident.reference.in_(wanted))))
        unknown = sorted(set(wanted) - {i.reference for i in found})
        if unknown:
            fail(f"no report {', '.join(unknown)}", fix="Check the reference(s)")
        linked = {link.incident_id for link in subject.links}
        for incident in found:
            if incident.id in linked:
                continue
            subject.links.append(
                SubjectIncident(
                    incident_id=incident.id,
                    incident=incident,
                    linked_at=now or audit.now_utc(),
                    linked_by_id=actor.id,
                )
            )
            audit.record(
                session, actor.id, "link", "subject", subject.id, incident=incident.reference
            )
        session.flush()
        return flag_breaches(session, subject, actor.id)


def add_associate(db: Database, account: Account, reference: str, other: str) -> None:
    """Record that two subjects are known associates (both ways)."""
    with db.write() as session:
        actor = load_actor(session, account, SUBJECT_ROLES)
        subject, associate = find_subject(session, reference), find_subject(session, other)
        if subject.id == associate.id:
            fail("a subject cannot be their own associate", fix="Choose another subject")
        for one, two in ((subject, associate), (associate, subject)):
            if two not in one.associates:
                one.associates.append(two)
        audit.record(session, actor.id, "associate", "subject", subject.id, other=other)


def set_status(db: Database, account: Account, reference: str, status: str) -> None:
    """Change a subject's status (active, under CBO, in custody, inactive)."""
    check_choice("status", status, SUBJECT_STATUSES)
    with db.write() as session:
        actor = load_actor(session, account, SUBJECT_ROLES)
        subject = find_subject(session, reference)
        old, subject.status = subject.status, status
        audit.record(session, actor.id, "update", "subject", subject.id, old=old, new=status)


# ---------------------------------------------------------------- photos


def add_photo(
    db: Database, account: Account, reference: str, data: bytes, now: dt.datetime | None = None
) -> int:
    """Store a JPEG or PNG of a subject under a random server-side name; its id.

    The uploader's file name is never used, so a name sent by a browser never becomes a path.
    """
    if len(data) > MAX_PHOTO_BYTES:
        fail(f"the photo has {len(data):,} bytes", fix=f"Use one under {MAX_PHOTO_BYTES:,}")
    clean, suffix = _reencoded(data)
    file_name = secrets.token_hex(16) + suffix
    path = photo_path(file_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, clean)
    try:
        with db.write() as session:
            actor = load_actor(session, account, SUBJECT_ROLES)
            subject = find_subject(session, reference)
            photo = SubjectPhoto(
                file_name=file_name,
                media_type=PHOTO_TYPES[suffix],
                uploaded_at=now or audit.now_utc(),
                uploaded_by_id=actor.id,
            )
            subject.photos.append(photo)
            session.flush()
            audit.record(session, actor.id, "add photo", "subject", subject.id, photo=photo.id)
            return photo.id
    except BaseException:  # no row, no file: a refused upload leaves nothing behind
        path.unlink(missing_ok=True)
        raise


def _reencoded(data: bytes) -> tuple[bytes, str]:
    """The photo decoded and saved afresh, and its suffix.

    Only JPEG and PNG are accepted, judged by decoding (the browser's file name and type are
    ignored). Saving anew drops EXIF and other metadata, such as where a phone took it.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            suffix = _PHOTO_FORMATS.get(image.format or "")
            if suffix is None:
                fail("the photo is not a JPEG or PNG image", fix="Upload a .jpg or .png photo")
            image.load()
            pixels = image.convert("RGB") if suffix == ".jpg" else image.copy()
    except (UnidentifiedImageError, OSError):
        fail("the photo is not a JPEG or PNG image", fix="Upload a .jpg or .png photo")
    out = io.BytesIO()
    pixels.save(out, format="JPEG" if suffix == ".jpg" else "PNG")
    return out.getvalue(), suffix


def photo_bytes(db: Database, account: Account, photo_id: int) -> bytes:
    """A photo's bytes for the gallery; members get photos of shared subjects only."""
    with db.read() as session:
        actor = load_actor(session, account, GALLERY_ROLES)
        photo = session.get(SubjectPhoto, photo_id)
        subject = session.get(Subject, photo.subject_id) if photo else None
        hidden = subject is None or (
            actor.role not in SUBJECT_ROLES and not subject.shared_in_gallery
        )
        if hidden:
            raise RoleRefusedError(f"photo {photo_id} is not one you can see")
        path = photo_path(photo.file_name)
    if not path.exists():
        fail(f"photo {photo_id} is missing from the data folder", fix="Check ASB_DATA_DIR")
    return path.read_bytes()


# ---------------------------------------------------------------- exclusions and breaches


def local_date(moment: dt.datetime) -> dt.date:
    """The UK calendar date of a moment."""
    return moment.astimezone(LONDON).date()


def notice_state(notice: Exclusion, today: dt.date) -> str:
    """ "not yet in force", "live" or "expired" (expired notices are kept and shown)."""
    if today < notice.starts_on:
        return "not yet in force"
    return "live" if today <= notice.expires_on else "expired"


def notice_area(notice: Exclusion) -> str:
    """What a notice covers, in words."""
    return notice.premises.name if notice.premises else "the whole scheme area"


def covering_exclusion(subject: Subject, incident: Incident) -> Exclusion | None:
    """The barring notice that was live where and when ``incident`` happened, if any."""
    day = local_date(incident.occurred_at)
    for notice in subject.exclusions:
        in_force = notice.starts_on <= day <= notice.expires_on
        covers = notice.premises_id is None or notice.premises_id == incident.premises_id
        if notice.stage in BARRING_STAGES and in_force and covers:
            return notice
    return None


def flag_breaches(session: Session, subject: Subject, actor_id: int | None) -> list[str]:
    """Flag the subject's linked reports that breach a live exclusion; newly flagged refs."""
    flagged = []
    for link in subject.links:
        if link.breach_of_id is not None:
            continue
        notice = covering_exclusion(subject, link.incident)
        if notice is not None:
            link.breach_of_id = notice.id
            flagged.append(link.incident.reference)
            audit.record(
                session,
                actor_id,
                "breach",
                "subject",
                subject.id,
                incident=link.incident.reference,
                exclusion=notice.id,
            )
    return flagged


def exclusion_summary(subject: Subject, today: dt.date) -> str:
    """One line for the gallery: the strongest notice in force, else the last expired one."""
    states = [(n, notice_state(n, today)) for n in subject.exclusions]
    live = [n for n, state in states if state == "live"]
    barring = [n for n in live if n.stage in BARRING_STAGES]
    if barring:
        notice = max(barring, key=lambda n: n.expires_on)
        return f"excluded from {notice_area(notice)} until {notice.expires_on:%d %b %Y}"
    if live:
        return f"warned until {max(n.expires_on for n in live):%d %b %Y}"
    expired = [n for n, state in states if state == "expired"]
    if expired:
        return f"expired on {max(n.expires_on for n in expired):%d %b %Y}"
    return "no notice"


def last_activity(subject: Subject) -> dt.datetime:
    """When the retention clock started: the newest linked report, else the subject's opening."""
    times = [link.incident.occurred_at for link in subject.links]
    return max(times, default=subject.created_at)
