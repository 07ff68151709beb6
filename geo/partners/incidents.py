"""Reporting, updating and reading partner incidents, with the roles checked here.

Every function takes the :class:`~geo.partners.accounts.Account` acting, reloads it from
the database and refuses with :class:`~geo.partners.errors.RoleRefusedError` what its role may
not do, so the pages and the CLI cannot show more than the role allows even by mistake.
Each report is saved in one transaction together with its audit entry.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from geo.checks import check_columns, fail
from geo.partners import audit, config, validation
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.errors import RoleRefusedError
from geo.partners.models import (
    LONDON,
    Category,
    Incident,
    IncidentUpdate,
    Premises,
    ReferenceCounter,
    User,
)
from geo.partners.roles import require_role
from geo.partners.validation import ReportRejectedError
from geo.projection import bng_to_lonlat, lonlat_to_bng
from geo.schema import INCIDENT_COLUMNS as SCHEMA_COLUMNS
from geo.schema import WGS84

REPORTERS = frozenset({config.PARTNER, config.COORDINATOR, config.POLICE})
INCIDENT_COLUMNS: tuple[str, ...] = (
    "reference",
    "occurred_at",
    "reported_at",
    "category",
    "organisation",
    "premises",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "description",
    "loss_gbp",
    "prevented",
    "police_reference",
    "reporter",
    "synthetic",
    "outcomes",
)
AGGREGATE_COLUMNS: tuple[str, ...] = (
    "month",
    "category",
    "cell_easting",
    "cell_northing",
    "latitude",
    "longitude",
    "incidents",
)
#: ``source`` of reports in the :mod:`geo.schema` layout: what a user sees wherever the
#: rows are named, SYNTHETIC for the demo's made-up reports.
SOURCE = "partner reports"
SYNTHETIC_SOURCE = "partner reports (SYNTHETIC)"
CSV_REQUIRED = ("occurred_at", "category")
CSV_OPTIONAL = ("description", "loss_gbp", "police_reference", "prevented")
#: Fields an update may change, and who may change ``police_reference`` besides police.
EDITABLE_FIELDS = ("category", "description", "loss_gbp", "prevented", "police_reference")


# ---------------------------------------------------------------- categories


def categories(db: Database) -> list[str]:
    """The configured incident categories, in list order."""
    with db.read() as session:
        return _categories(session)


def _categories(session: Session) -> list[str]:
    return list(session.scalars(select(Category.name).order_by(Category.position, Category.id)))


def add_category(db: Database, account: Account, name: str) -> None:
    """Add a category to the list (coordinators only)."""
    name = " ".join(name.split())
    if not name:
        fail("the category name is blank", fix="Give a name")
    with db.write() as session:
        actor = load_actor(session, account, frozenset({config.COORDINATOR}))
        if name.casefold() in {c.casefold() for c in _categories(session)}:
            return
        position = len(_categories(session))
        session.add(Category(name=name, position=position))
        audit.record(session, actor.id, "create", "category", None, name=name)


# ---------------------------------------------------------------- reporting


def report_incident(
    db: Database,
    account: Account,
    *,
    occurred_at: Any,
    category: Any,
    description: Any = "",
    latitude: Any = None,
    longitude: Any = None,
    premises: int | str | None = None,
    loss_gbp: Any = None,
    prevented: bool = False,
    police_reference: Any = None,
    synthetic: bool = False,
    now: dt.datetime | None = None,
) -> str:
    """Validate and save one report in one transaction; returns its reference.

    The location is one of the organisation's ``premises`` (id or name) or a map point
    (``latitude``/``longitude``, WGS84) inside the partnership area.
    """
    now = now or audit.now_utc()
    with db.write() as session:
        actor = load_actor(session, account, REPORTERS)
        problems: list[str] = []
        try:
            clean = validation.validate_report(
                occurred_at=occurred_at,
                category=category,
                description=description,
                loss_gbp=loss_gbp,
                police_reference=police_reference,
                categories=_categories(session),
                now=now,
            )
        except ReportRejectedError as error:
            problems += error.problems
        try:
            site, lon, lat = _location(session, actor, premises, longitude, latitude)
        except ReportRejectedError as error:
            problems += error.problems
        if problems:  # every problem at once, so the partner fixes them in one go
            raise ReportRejectedError(problems)
        easting, northing = (float(v[0]) for v in lonlat_to_bng([lon], [lat]))
        incident = Incident(
            reference=_next_reference(session, now.astimezone(LONDON).year),
            occurred_at=clean.occurred_at,
            reported_at=now,
            category=clean.category,
            organisation_id=actor.organisation_id,
            reporter_id=actor.id,
            premises_id=site.id if site else None,
            longitude=lon,
            latitude=lat,
            easting=easting,
            northing=northing,
            description=clean.description,
            loss_gbp=clean.loss_gbp,
            prevented=bool(prevented),
            police_reference=clean.police_reference,
            synthetic=synthetic,
        )
        session.add(incident)
        session.flush()
        audit.record(session, actor.id, "report", "incident", incident.id, ref=incident.reference)
        return incident.reference


def _location(
    session: Session, actor: User, premises: int | str | None, longitude: Any, latitude: Any
) -> tuple[Premises | None, float, float]:
    """The report's premises (if any) and its WGS84 point, inside the partnership area."""
    if premises is None or premises == "":
        try:
            lon, lat = validation.check_location(longitude, latitude)
        except ValueError as error:
            raise ReportRejectedError([str(error)]) from None
        return None, lon, lat
    column = Premises.id if isinstance(premises, int) else Premises.name
    query = select(Premises).where(column == premises)
    if actor.role not in config.SEE_ALL_REPORTS:
        query = query.where(Premises.organisation_id == actor.organisation_id)
    site = session.scalars(query).first()
    if site is None:
        raise ReportRejectedError(
            [f"premises {premises!r} is not one of your organisation's: choose one of yours"]
        )
    return site, site.longitude, site.latitude


def _next_reference(session: Session, year: int) -> str:
    """``BCP-YYYY-NNNNNN``: the year's counter row is locked until this transaction ends,
    so concurrent reports (processes or servers) never share a number."""
    dialect = session.get_bind().dialect.name
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ReferenceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"BCP-{year}-{number:06d}"


# ---------------------------------------------------------------- bulk import


@dataclass(frozen=True)
class ImportResult:
    """Outcome of a bulk CSV: every row read is either accepted or rejected with reasons."""

    read: int
    accepted: pd.DataFrame  # row, reference
    rejected: pd.DataFrame  # row, reason, raw

    def summary(self) -> str:
        """One line for the CLI and the page."""
        return (
            f"read {self.read:,} rows: {len(self.accepted):,} reported, "
            f"{len(self.rejected):,} rejected"
        )


def import_csv(
    db: Database, account: Account, source: str | Path | bytes, now: dt.datetime | None = None
) -> ImportResult:
    """Report each row of a partner CSV through :func:`report_incident` (one transaction each).

    Columns: ``occurred_at``, ``category``, ``latitude`` and ``longitude`` or ``premises``,
    and optionally ``description``, ``loss_gbp``, ``police_reference``, ``prevented``.
    """
    name = "the CSV" if isinstance(source, bytes) else Path(source).name
    rows = _read_csv(source, name)
    has_points = {"latitude", "longitude"} <= set(rows.columns)
    if not has_points and "premises" not in rows.columns:
        fail(
            "the CSV needs `latitude` and `longitude` columns, or a `premises` column",
            fix=f"Columns found: {', '.join(rows.columns) or 'none'}",
            file=name,
        )
    accepted, rejected = [], []
    for number, row in enumerate(rows.to_dict("records"), start=1):
        try:
            reference = report_incident(db, account, now=now, **_row_arguments(row))
        except ReportRejectedError as error:
            rejected.append((number, str(error), _raw(row)))
        else:
            accepted.append((number, reference))
    return ImportResult(
        read=len(rows),
        accepted=pd.DataFrame(accepted, columns=["row", "reference"]),
        rejected=pd.DataFrame(rejected, columns=["row", "reason", "raw"]),
    )


def _read_csv(source: str | Path | bytes, name: str) -> pd.DataFrame:
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        rows = pd.read_csv(data, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        fail(f"this is not a readable CSV ({str(error).splitlines()[0]})", file=name)
    rows.columns = [str(c).strip() for c in rows.columns]
    check_columns("the CSV", rows.columns, CSV_REQUIRED, file=name)
    return rows


def _row_arguments(row: dict[str, str]) -> dict[str, Any]:
    premises = row.get("premises", "").strip()
    arguments = {
        "occurred_at": row["occurred_at"],
        "category": row["category"],
        "premises": premises or None,
        "latitude": None if premises else row.get("latitude"),
        "longitude": None if premises else row.get("longitude"),
        "prevented": row.get("prevented", "").strip().lower() in {"1", "true", "yes", "y"},
    }
    return arguments | {c: row.get(c, "") for c in CSV_OPTIONAL if c != "prevented"}


def _raw(row: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in row.items())


# ---------------------------------------------------------------- updates


def add_update(
    db: Database,
    account: Account,
    reference: str,
    *,
    note: str = "",
    changes: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Add a note and/or change fields of a report; each change keeps old and new values.

    Partners may update their own organisation's reports; coordinators and police any.
    Returns how many update entries were written.
    """
    changes = dict(changes or {})
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        fail(f"{', '.join(unknown)} cannot be changed", fix=f"Change {', '.join(EDITABLE_FIELDS)}")
    if not note.strip() and not changes:
        fail("the update is empty", fix="Write a note or change a field")
    validation.check_description(note)
    now = now or audit.now_utc()
    with db.write() as session:
        actor = load_actor(session, account, REPORTERS)
        incident = _visible_incident(session, actor, reference)
        entries = [
            IncidentUpdate(field=field, old_value=old, new_value=new)
            for field, old, new in _apply_changes(session, incident, changes)
        ]
        if note.strip():
            entries.append(IncidentUpdate(field=None, old_value=None, new_value=None))
        for entry in entries:
            entry.incident_id, entry.author_id, entry.at, entry.note = (
                incident.id,
                actor.id,
                now,
                note,
            )
            session.add(entry)
            audit.record(
                session,
                actor.id,
                "update",
                "incident",
                incident.id,
                field=entry.field,
                old=entry.old_value,
                new=entry.new_value,
            )
        return len(entries)


def _apply_changes(
    session: Session, incident: Incident, changes: dict[str, Any]
) -> list[tuple[str, str | None, str | None]]:
    """Validate and apply field changes; returns (field, old, new) for those that differ."""
    parsers = {
        "category": lambda v: validation.check_category(v, _categories(session)),
        "description": validation.check_description,
        "loss_gbp": validation.parse_loss,
        "prevented": bool,
        "police_reference": validation.check_police_reference,
    }
    problems, applied = [], []
    for field, value in changes.items():
        try:
            new = parsers[field](value)
        except ValueError as error:
            problems.append(str(error))
            continue
        old = getattr(incident, field)
        if old != new:
            setattr(incident, field, new)
            applied.append((field, _text(old), _text(new)))
    if problems:
        raise ReportRejectedError(problems)
    return applied


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- reading


def _visible(query: Select, actor: User) -> Select:
    """Restrict an incident query to what ``actor`` may see at row level."""
    require_role(actor.role, REPORTERS, "Reading individual reports")
    if actor.role in config.SEE_ALL_REPORTS:
        return query
    return query.where(Incident.organisation_id == actor.organisation_id)


def _visible_incident(session: Session, actor: User, reference: str) -> Incident:
    incident = session.scalar(
        _visible(select(Incident), actor).where(Incident.reference == reference)
    )
    if incident is None:
        raise RoleRefusedError(f"report {reference} is not one you can see; check the reference")
    return incident


def visible_incidents(db: Database, account: Account) -> pd.DataFrame:
    """Every report the account may see, one row each, with its outcomes (newest first).

    Funders see no individual report: they get :func:`aggregate_counts` instead.
    """
    with db.read() as session:
        actor = load_actor(session, account)
        return _report_frame(session, _visible(select(Incident), actor))


def all_reports(db: Database) -> pd.DataFrame:
    """Every report, as :func:`visible_incidents` gives them to staff.

    For the operator's own commands only (the meeting pack, run on the server with
    ``python -m geo partners pack``): pages and exports go through a role.
    """
    with db.read() as session:
        return _report_frame(session, select(Incident))


def _report_frame(session: Session, query: Select) -> pd.DataFrame:
    query = query.options(
        selectinload(Incident.outcomes),
        selectinload(Incident.organisation),
        selectinload(Incident.reporter),
        selectinload(Incident.premises),
    )
    rows = session.scalars(query.order_by(Incident.occurred_at.desc(), Incident.id.desc())).all()
    return pd.DataFrame([_incident_row(i) for i in rows], columns=list(INCIDENT_COLUMNS))


def _incident_row(incident: Incident) -> tuple:
    outcomes = "; ".join(f"{o.kind} ({o.decided_on.isoformat()})" for o in incident.outcomes)
    return (
        incident.reference,
        incident.occurred_at,
        incident.reported_at,
        incident.category,
        incident.organisation.name,
        incident.premises.name if incident.premises else None,
        incident.latitude,
        incident.longitude,
        incident.easting,
        incident.northing,
        incident.description,
        None if incident.loss_gbp is None else float(incident.loss_gbp),
        incident.prevented,
        incident.police_reference,
        incident.reporter.email,
        incident.synthetic,
        outcomes,
    )


def as_incident_frame(db: Database, account: Account) -> gpd.GeoDataFrame:
    """The account's visible reports in the canonical schema of :mod:`geo.schema`.

    With it, hotspots, maps and the planner can run on partner reports as on police.uk
    data (and use their exact times). Funders are refused, as for the reports themselves.
    """
    return canonical_frame(visible_incidents(db, account))


def canonical_frame(visible: pd.DataFrame) -> gpd.GeoDataFrame:
    """Reports (as :func:`visible_incidents` gives them) in the :mod:`geo.schema` layout.

    ``source`` is :data:`SOURCE`, or :data:`SYNTHETIC_SOURCE` for made-up demo reports.
    """
    occurred = pd.to_datetime(visible["occurred_at"], utc=True).dt.tz_convert(LONDON)
    frame = pd.DataFrame(
        {
            "incident_id": visible["reference"],
            "month": month_start(occurred),
            "occurred_at": occurred,
            "category": visible["category"],
            "location": visible["premises"],
            "lsoa_code": None,
            "lsoa_name": None,
            "force": None,
            "outcome": visible["outcomes"].replace("", None),
            "source": np.where(visible["synthetic"].astype(bool), SYNTHETIC_SOURCE, SOURCE),
            "easting": visible["easting"].astype("float64"),
            "northing": visible["northing"].astype("float64"),
        }
    )
    points = gpd.points_from_xy(visible["longitude"], visible["latitude"], crs=WGS84)
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)[list(SCHEMA_COLUMNS)]


def month_start(occurred: pd.Series) -> pd.Series:
    """First day (a date) of each local time's month; ``occurred`` is tz ``Europe/London``."""
    return occurred.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date


def incident_history(db: Database, account: Account, reference: str) -> dict[str, pd.DataFrame]:
    """A visible report's updates (who, when, what changed) and outcomes (kind, date, note)."""
    with db.read() as session:
        actor = load_actor(session, account)
        incident = _visible_incident(session, actor, reference)
        updates = pd.DataFrame(
            [
                (u.at, u.author.email, u.field, u.old_value, u.new_value, u.note)
                for u in incident.updates
            ],
            columns=["at", "author", "field", "old_value", "new_value", "note"],
        )
        outcomes = pd.DataFrame(
            [(o.kind, o.decided_on, o.note) for o in incident.outcomes],
            columns=["outcome", "decided_on", "note"],
        )
        return {"updates": updates, "outcomes": outcomes}


def aggregate_counts(db: Database, account: Account) -> pd.DataFrame:
    """Counts by month, category and 250 m grid cell: no narrative, reporter or reference.

    Every role may see these; it is all a funder sees.
    """
    with db.read() as session:
        load_actor(session, account)
        rows = session.execute(
            select(Incident.occurred_at, Incident.category, Incident.easting, Incident.northing)
        ).all()
    frame = pd.DataFrame(rows, columns=["occurred_at", "category", "easting", "northing"])
    if frame.empty:
        return pd.DataFrame(columns=list(AGGREGATE_COLUMNS))
    size = config.FUNDER_CELL_M
    frame["month"] = [t.astimezone(LONDON).strftime("%Y-%m") for t in frame["occurred_at"]]
    frame["cell_easting"] = (frame["easting"] // size * size + size / 2).astype("float64")
    frame["cell_northing"] = (frame["northing"] // size * size + size / 2).astype("float64")
    counts = (
        frame.groupby(["month", "category", "cell_easting", "cell_northing"])
        .size()
        .rename("incidents")
        .reset_index()
    )
    lon, lat = bng_to_lonlat(counts["cell_easting"].to_numpy(), counts["cell_northing"].to_numpy())
    return counts.assign(latitude=lat, longitude=lon)[list(AGGREGATE_COLUMNS)]


#: Radius per incident of a grid square's circle on the funders' map, metres: a square
#: with one incident still shows.
CELL_RADIUS_M_PER_INCIDENT = 25


@dataclass(frozen=True)
class AggregateTotals:
    """What the funders' view shows of :func:`aggregate_counts`: the total ``incidents``,
    ``by_month`` (``month`` ``YYYY-MM``, ``incidents``) and ``by_cell`` (``latitude``,
    ``longitude`` of each grid square's centre, EPSG:4326, ``incidents`` and ``radius_m``
    for a map in metres)."""

    incidents: int
    by_month: pd.DataFrame
    by_cell: pd.DataFrame


def aggregate_totals(counts: pd.DataFrame) -> AggregateTotals:
    """Totals of :func:`aggregate_counts` over every category (and month, for the cells)."""
    check_columns("counts", counts.columns, AGGREGATE_COLUMNS)
    by_month = counts.groupby("month", as_index=False)["incidents"].sum()
    by_cell = counts.groupby(["latitude", "longitude"], as_index=False)["incidents"].sum()
    by_cell["radius_m"] = by_cell["incidents"] * CELL_RADIUS_M_PER_INCIDENT
    return AggregateTotals(int(counts["incidents"].sum()), by_month, by_cell)


def export_visible(db: Database, account: Account) -> pd.DataFrame:
    """Exactly what the account may export: its visible reports, or aggregates for funders.

    Times are ISO 8601 text with their offset, so the CSV round-trips.
    """
    if current_role(db, account) == config.FUNDER:
        return aggregate_counts(db, account)
    frame = visible_incidents(db, account)
    for column in ("occurred_at", "reported_at"):
        frame[column] = [t.isoformat() for t in frame[column]]
    return frame


def current_role(db: Database, account: Account) -> str:
    """The account's role as the database has it now."""
    with db.read() as session:
        return load_actor(session, account).role
