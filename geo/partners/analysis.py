"""Partner reports as a dataset for the analysis pages: hotspots, maps, times, the planner.

Signed-in roles find the partner reports beside the police.uk areas, in the same
:mod:`geo.schema` layout, so every analysis runs on them unchanged. What each role gets is
decided here, on the server, from the role the database holds now:

- a partner: their own organisation's reports;
- coordinators and police: every report;
- funders: :func:`funder_frame`, the same incidents aggregated, with nothing to identify a
  report (the rule of :func:`geo.partners.incidents.aggregate_counts`).

Nobody signed out gets anything: there is no account to ask with.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import func, select

from geo import timeseries
from geo.io.datasets import DATA_DIR, AreaDefaults, Dataset
from geo.partners import config, incidents
from geo.partners.accounts import Account, load_actor
from geo.partners.db import Database
from geo.partners.models import LONDON, AuditLog, Incident
from geo.partners.roles import require_role
from geo.projection import bng_to_lonlat
from geo.schema import INCIDENT_COLUMNS, WGS84

KEY = "partners"
#: Roles that may analyse partner reports (funders through :func:`funder_frame` only).
ANALYSTS = frozenset({*incidents.REPORTERS, config.FUNDER})

#: What a funder is told beside every view of :func:`funder_frame`.
FUNDER_NOTE = (
    f"Funders see partner reports aggregated: each incident at the centre of its "
    f"{config.FUNDER_CELL_M} m grid square and cut to the hour, with no description, "
    "reference, reporter or member name, and no list of single incidents."
)

#: The settings the dataset opens with. The demo partnership's reports lie within about
#: 50 m of five town-centre shops, about 20 a month in all: at 50 m and 10 incidents each
#: shop's doorway is one hotspot over a few months (and over one shop's own reports),
#: neighbouring shops 300 m apart stay apart, and the planner's 12 months find them too.
DATASET = Dataset(
    key=KEY,
    label="Partner reports",
    description=(
        "Incidents reported by the partnership's members, with exact times; which reports "
        "a user sees depends on their role."
    ),
    boundary_file="boundaries/torbay-lsoa.geojson",
    study_area_file=str(config.PARTNERSHIP_AREA_FILE.relative_to(DATA_DIR)),
    defaults=AreaDefaults(
        eps_m=50.0,
        min_samples=10,
        funding_date=None,
        funding_note="Half-way through the reports' months, an example: set the real start.",
        category=None,  # members report business crime: every category, not only ASB
    ),
)


def analysis_frame(db: Database, account: Account) -> gpd.GeoDataFrame:
    """The partner incidents ``account`` may analyse, in the :mod:`geo.schema` layout.

    Partners get their organisation's reports, coordinators and police every report (each
    with its reference, premises and outcomes), funders :func:`funder_frame`; any other
    role is refused with :class:`~geo.partners.errors.RoleRefusedError`.
    """
    if incidents.current_role(db, account) == config.FUNDER:
        return funder_frame(db, account)
    return incidents.as_incident_frame(db, account)


def funder_frame(db: Database, account: Account) -> gpd.GeoDataFrame:
    """Every partner incident, aggregated so that no row identifies a report.

    Only time, category and place are read from the database, never a description,
    reporter, premises or reference: ``incident_id``, ``location`` and ``outcome`` are
    blank; each point is moved to the centre of its :data:`config.FUNDER_CELL_M` grid
    square (EPSG:27700), as in :func:`~geo.partners.incidents.aggregate_counts`; times are
    cut to the hour (``Europe/London``), enough for hour-of-day patterns. Rows are sorted
    by time, cell and category, so their order tells nothing either. Every role may see
    this; it is all a funder sees.
    """
    with db.read() as session:
        require_role(load_actor(session, account).role, ANALYSTS, "Partner reports")
        rows = session.execute(
            select(
                Incident.occurred_at,
                Incident.category,
                Incident.easting,
                Incident.northing,
                Incident.synthetic,
            )
        ).all()
    columns = ["occurred_at", "category", "easting", "northing", "synthetic"]
    raw = pd.DataFrame(rows, columns=columns)
    size = config.FUNDER_CELL_M
    # UK offsets are whole hours, so the hour cut in UTC is the local one, with no DST doubt.
    occurred = pd.to_datetime(raw["occurred_at"], utc=True).dt.floor("h").dt.tz_convert(LONDON)
    easting = (raw["easting"].to_numpy(float) // size * size + size / 2).astype("float64")
    northing = (raw["northing"].to_numpy(float) // size * size + size / 2).astype("float64")
    frame = pd.DataFrame(
        {
            "incident_id": None,
            "month": incidents.month_start(occurred),
            "occurred_at": occurred,
            "category": raw["category"],
            "location": None,
            "lsoa_code": None,
            "lsoa_name": None,
            "force": None,
            "outcome": None,
            "source": np.where(
                raw["synthetic"].astype(bool), incidents.SYNTHETIC_SOURCE, incidents.SOURCE
            ),
            "easting": easting,
            "northing": northing,
        }
    )
    frame = frame.sort_values(["occurred_at", "easting", "northing", "category"], kind="stable")
    lon, lat = bng_to_lonlat(frame["easting"].to_numpy(), frame["northing"].to_numpy())
    points = gpd.points_from_xy(lon, lat, crs=WGS84)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=points, crs=WGS84)[
        list(INCIDENT_COLUMNS)
    ]


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when any row of ``frame`` (from :func:`analysis_frame`) is a made-up demo report."""
    return bool((frame["source"] == incidents.SYNTHETIC_SOURCE).any())


def label(frame: pd.DataFrame) -> str:
    """The dataset's name as every page shows it: SYNTHETIC when demo reports are in it."""
    return f"{DATASET.label} (SYNTHETIC demo)" if is_synthetic(frame) else DATASET.label


def summary(frame: pd.DataFrame) -> dict:
    """An ingest summary (as :mod:`geo.io.incidents` writes them) of the partner reports.

    Reports are validated when they are saved, so none is rejected here; months run from
    the first report's to the last one's. A month without reports in between is a real
    zero (the scheme was running), never a gap. Empty months when there is no report.
    """
    months = sorted({f"{m:%Y-%m}" for m in frame["month"]})
    return {
        "rows_read": len(frame),
        "rows_accepted": len(frame),
        "rows_rejected": 0,
        "rejected_by_reason": {},
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "months_missing": {},
    }


def categories(frame: pd.DataFrame) -> list[str]:
    """The categories in ``frame``, most frequent first (ties alphabetically)."""
    return timeseries.category_counts(frame)["category"].tolist()


def data_version(db: Database) -> int:
    """A number that changes whenever a report, its update or an outcome is saved.

    The newest audit entry about incidents or outcomes: every such change is audited in
    its own transaction, so caches keyed on this number never serve stale reports.
    """
    with db.read() as session:
        latest = session.scalar(
            select(func.max(AuditLog.id)).where(AuditLog.entity.in_(("incident", "outcome")))
        )
    return int(latest or 0)
