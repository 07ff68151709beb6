"""Settings of the partnership hub: where the database lives, roles, categories, limits.

Everything a deployment may change comes from the environment, read when asked (not at
import), so tests and the CLI can point the hub at another database:

- ``ASB_DATA_DIR``: folder of the embedded SQLite database ``partners.db`` (default
  ``var/`` at the repository root, which git ignores).
- ``DATABASE_URL``: any SQLAlchemy URL; ``postgresql://`` URLs use psycopg 3.
- ``ASB_IDLE_MINUTES``: minutes without activity before a signed-in page asks again (30).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "var"
DATABASE_FILE = "partners.db"

#: The demo scheme area: reports outside it are refused.
PARTNERSHIP_AREA_FILE = REPO_ROOT / "data" / "boundaries" / "torbay.geojson"

PARTNER, COORDINATOR, POLICE, FUNDER = "partner", "coordinator", "police", "funder"
ROLES: tuple[str, ...] = (PARTNER, COORDINATOR, POLICE, FUNDER)
#: Roles that see every partner's reports (partners see their own organisation's only).
SEE_ALL_REPORTS = frozenset({COORDINATOR, POLICE})
#: Roles that record outcomes.
RECORD_OUTCOMES = frozenset({COORDINATOR, POLICE})

ORGANISATION_KINDS: tuple[str, ...] = ("business", "bid", "police", "opcc", "other")

#: Default incident categories; coordinators may add more (stored in the database).
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "Shop theft",
    "Anti-social behaviour",
    "Abuse or threats to staff",
    "Violence",
    "Criminal damage",
    "Suspicious behaviour",
    "Begging",
    "Other",
)

#: Outcome kinds, and the good-news sentence each one starts.
OUTCOME_SENTENCES: dict[str, str] = {
    "arrest": "An arrest was made",
    "charge": "A charge was brought",
    "conviction": "A conviction was secured",
    "CBO issued": "A Criminal Behaviour Order was issued",
    "exclusion notice": "An exclusion notice was issued",
    "community resolution": "A community resolution was agreed",
    "no further action": "No further action was taken",
}
OUTCOME_KINDS: tuple[str, ...] = tuple(OUTCOME_SENTENCES)

MAX_DESCRIPTION_CHARS = 5000
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
DEFAULT_IDLE_MINUTES = 30
#: How long a transaction waits for another writer's lock before giving up (milliseconds):
#: SQLite's busy timeout, PostgreSQL's lock_timeout.
LOCK_TIMEOUT_MS = 30_000
#: Funders see counts per square grid cell of this size (metres, EPSG:27700), never points.
FUNDER_CELL_M = 250


def data_dir() -> Path:
    """The data folder: ``ASB_DATA_DIR`` or ``var/`` at the repository root."""
    return Path(os.environ.get("ASB_DATA_DIR") or DEFAULT_DATA_DIR)


def database_url() -> str:
    """``DATABASE_URL``, or the embedded SQLite file in :func:`data_dir`."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    return f"sqlite:///{data_dir() / DATABASE_FILE}"


def normalise_url(url: str) -> str:
    """Send plain ``postgres(ql)://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def idle_minutes() -> float:
    """Idle timeout in minutes (``ASB_IDLE_MINUTES``, default 30)."""
    return float(os.environ.get("ASB_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES)
