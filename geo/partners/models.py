"""SQLAlchemy 2 models of the partnership hub.

Tables change only through the Alembic migrations in ``migrations/versions``; these
classes describe the current head. Times are stored in UTC (``UTCDateTime``) and read
back as tz-aware ``Europe/London`` datetimes. Locations are kept twice, as in
:mod:`geo.schema`: WGS84 longitude/latitude and EPSG:27700 easting/northing.

Persistent offenders ("subjects"), their photos, associates and exclusion notices are
tables of their own that point at ``incident.id``; deleting a subject under the retention
rule deletes those rows and leaves the incidents (the members' reports) in place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo.schema import TIMEZONE

LONDON = ZoneInfo(TIMEZONE)


class UTCDateTime(TypeDecorator):
    """A tz-aware datetime stored as UTC, read back in Europe/London.

    SQLite has no time zones, so a naive value would be ambiguous there; refusing naive
    values here keeps both databases identical.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored: give it a time zone")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value, dialect):  # noqa: ARG002 (SQLAlchemy signature)
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(LONDON)


class Base(DeclarativeBase):
    """Declarative base of every hub table."""


class Partnership(Base):
    """The one partnership this database serves; ``is_demo`` marks the seeded demo."""

    __tablename__ = "partnership"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Months without a linked incident after which a subject and its photos are deleted.
    subject_retention_months: Mapped[int] = mapped_column(Integer, default=12)


class Organisation(Base):
    """A member business, the BID, the police or a funder such as the OPCC."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    premises: Mapped[list[Premises]] = relationship(back_populates="organisation")


class Premises(Base):
    """A shop or site of an organisation, with its location."""

    __tablename__ = "premises"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    longitude: Mapped[float]
    latitude: Mapped[float]
    easting: Mapped[float]
    northing: Mapped[float]
    organisation: Mapped[Organisation] = relationship(back_populates="premises")


class User(Base):
    """A person with one role, belonging to one organisation."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        CheckConstraint("role IN ('partner', 'coordinator', 'police', 'funder')", name="role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    organisation: Mapped[Organisation] = relationship()


class Category(Base):
    """One entry of the configurable incident category list."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReferenceCounter(Base):
    """Last reference number issued per year; its row lock serialises concurrent reports."""

    __tablename__ = "reference_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class AuditLog(Base):
    """Append-only record of every change (database triggers refuse updates and deletes)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")


outcome_incident = Table(
    "outcome_incident",
    Base.metadata,
    Column("outcome_id", ForeignKey("outcome.id"), primary_key=True),
    Column("incident_id", ForeignKey("incident.id"), primary_key=True, index=True),
)


class Incident(Base):
    """One partner report."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("loss_gbp IS NULL OR loss_gbp >= 0", name="loss_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    longitude: Mapped[float]
    latitude: Mapped[float]
    easting: Mapped[float]
    northing: Mapped[float]
    description: Mapped[str] = mapped_column(Text, default="")
    loss_gbp: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    prevented: Mapped[bool] = mapped_column(Boolean, default=False)
    police_reference: Mapped[str | None] = mapped_column(String(50))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation: Mapped[Organisation] = relationship()
    reporter: Mapped[User] = relationship()
    premises: Mapped[Premises | None] = relationship()
    updates: Mapped[list[IncidentUpdate]] = relationship(order_by="IncidentUpdate.id")
    outcomes: Mapped[list[Outcome]] = relationship(
        secondary=outcome_incident, back_populates="incidents", order_by="Outcome.id"
    )


class IncidentUpdate(Base):
    """A note or an edit to a report; edits keep the old and the new value."""

    __tablename__ = "incident_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    field: Mapped[str | None] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[User] = relationship()


class Outcome(Base):
    """An arrest, charge, CBO and so on, linked to one or more incidents."""

    __tablename__ = "outcome"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    incidents: Mapped[list[Incident]] = relationship(
        secondary=outcome_incident, back_populates="outcomes", order_by="Incident.id"
    )


class FeedRead(Base):
    """Read receipt: this user has seen this outcome in the good-news feed."""

    __tablename__ = "feed_read"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcome.id"), primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SubjectIncident(Base):
    """A report linked to a subject; ``breach_of_id`` flags a breach of a live exclusion."""

    __tablename__ = "subject_incident"
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id"), primary_key=True, index=True
    )
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    breach_of_id: Mapped[int | None] = mapped_column(ForeignKey("exclusion.id"))
    incident: Mapped[Incident] = relationship()


subject_associate = Table(
    "subject_associate",
    Base.metadata,
    Column("subject_id", ForeignKey("subject.id"), primary_key=True),
    Column("associate_id", ForeignKey("subject.id"), primary_key=True, index=True),
)


class Subject(Base):
    """A persistent offender: known (name or alias) or "ID sought" (a description only).

    Deliberately no field for ethnicity, religion, sexuality or health (special-category
    data, UK GDPR Art. 9); the reference ``S-000123`` is what members and papers show.
    """

    __tablename__ = "subject"
    __table_args__ = (CheckConstraint("kind IN ('known', 'ID sought')", name="subject_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))
    alias: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    modus_operandi: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30))
    shared_in_gallery: Mapped[bool] = mapped_column(Boolean, default=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    links: Mapped[list[SubjectIncident]] = relationship(
        order_by="SubjectIncident.incident_id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[SubjectPhoto]] = relationship(
        order_by="SubjectPhoto.id", cascade="all, delete-orphan"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(
        order_by="Exclusion.id", cascade="all, delete-orphan"
    )
    associates: Mapped[list[Subject]] = relationship(
        secondary=subject_associate,
        primaryjoin=lambda: Subject.id == subject_associate.c.subject_id,
        secondaryjoin=lambda: Subject.id == subject_associate.c.associate_id,
        order_by="Subject.id",
    )


class SubjectPhoto(Base):
    """A photo of a subject: the file lives in the data folder under a random name."""

    __tablename__ = "subject_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    media_type: Mapped[str] = mapped_column(String(30))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Exclusion(Base):
    """A warning, exclusion or extension notice: from some premises or the whole scheme."""

    __tablename__ = "exclusion"
    __table_args__ = (
        CheckConstraint("stage IN ('warning', 'exclusion', 'extension')", name="stage"),
        CheckConstraint("expires_on > starts_on", name="expires_after_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    extends_id: Mapped[int | None] = mapped_column(ForeignKey("exclusion.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    premises: Mapped[Premises | None] = relationship()
