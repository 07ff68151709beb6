"""A demo Torquay partnership that a newcomer can sign in to (``python -m geo partners demo``).

The organisations, shops and streets are real places in Torquay town centre; the people
and every report are made up. Reports are generated deterministically from a fixed seed,
go through the same :func:`~geo.partners.incidents.report_incident` as real ones, carry
``synthetic=True`` and start with ``[SYNTHETIC]``. The shared demo password below is only
for this partnership: the login page shows it only while the database serves the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from geo.checks import fail
from geo.partners import accounts, audit, config, incidents, outcomes
from geo.partners import demo_casework as casework
from geo.partners.db import Database
from geo.partners.models import LONDON, Incident, Partnership, User

DEMO_PARTNERSHIP = "Torquay Business Crime Partnership (demo)"
DEMO_PASSWORD = "torquay-demo-2026"
SYNTHETIC_PREFIX = "[SYNTHETIC] "
SEED = 20260601
MONTHS_BACK = 14
REPORTS = 320


@dataclass(frozen=True)
class DemoShop:
    """A member shop: its organisation, premises and the partner who reports for it."""

    organisation: str
    premises: str
    address: str
    latitude: float
    longitude: float
    email: str
    #: Relative weight of each category in config.DEFAULT_CATEGORIES order.
    category_weights: tuple[float, ...]


SHOPS: tuple[DemoShop, ...] = (
    DemoShop(
        "Fleet Street Pharmacy (demo)",
        "Fleet Street Pharmacy",
        "Fleet Street, Torquay TQ1 1BB",
        50.46315,
        -3.52655,
        "pharmacy@demo.example",
        (6, 2, 2, 0.5, 0.5, 1.5, 1, 0.5),
    ),
    DemoShop(
        "Union Street News (demo)",
        "Union Street News",
        "Union Street, Torquay TQ1 3DW",
        50.46610,
        -3.52905,
        "news@demo.example",
        (5, 2, 1.5, 0.5, 1, 1.5, 1.5, 0.5),
    ),
    DemoShop(
        "Strand Harbour Café (demo)",
        "Strand Harbour Café",
        "The Strand, Torquay TQ1 2AA",
        50.46140,
        -3.52560,
        "cafe@demo.example",
        (1.5, 3, 2, 1, 1, 1, 2, 0.5),
    ),
    DemoShop(
        "Torwood Street Late Shop (demo)",
        "Torwood Street Late Shop",
        "Torwood Street, Torquay TQ1 1DX",
        50.46190,
        -3.52250,
        "lateshop@demo.example",
        (3, 3, 2.5, 2, 1.5, 1, 0.5, 0.5),
    ),
    DemoShop(
        "Castle Circus Express (demo)",
        "Castle Circus Express",
        "Castle Circus, Torquay TQ1 3DR",
        50.46860,
        -3.53120,
        "express@demo.example",
        (5, 3, 2, 1, 1, 1.5, 1, 0.5),
    ),
)

#: Staff accounts: email, organisation, role.
STAFF: tuple[tuple[str, str, str], ...] = (
    ("coordinator@demo.example", "Torquay BID (demo)", config.COORDINATOR),
    ("police@demo.example", "Devon & Cornwall Police, Torquay (demo)", config.POLICE),
    ("funder@demo.example", "Devon & Cornwall OPCC (demo)", config.FUNDER),
)

#: Hour-of-day weights (0-23) per category: theft in shop hours, ASB and violence at night.
_DAY = np.array([0.1] * 8 + [1, 2, 3, 3, 3, 3, 3, 3, 2.5, 2, 1] + [0.3] * 5)
_NIGHT = np.array([2, 1.5, 1, 0.5] + [0.1] * 10 + [0.3, 0.5, 1, 1.5, 2, 3, 3, 3, 3, 2.5])
_NARRATIVES = {
    "Shop theft": "Male left without paying for goods from the shelves near the door.",
    "Anti-social behaviour": "Group shouting and blocking the doorway; customers avoided it.",
    "Abuse or threats to staff": "Customer swore at staff when asked to leave.",
    "Violence": "Scuffle outside the premises; door staff separated those involved.",
    "Criminal damage": "Window scratched and a sign kicked over overnight.",
    "Suspicious behaviour": "Two people watched the till for some time, then left.",
    "Begging": "Person asking customers for money at the entrance.",
    "Other": "Incident noted for the partnership's awareness.",
}
_OUTCOME_PLAN = (
    ("arrest", 3),
    ("charge", 2),
    ("CBO issued", 1),
    ("exclusion notice", 2),
    ("community resolution", 1),
    ("no further action", 1),
)


def demo_accounts() -> list[tuple[str, str, str]]:
    """(email, role, organisation) of every demo account, for the login page."""
    shops = [(s.email, config.PARTNER, s.organisation) for s in SHOPS]
    return shops + [(email, role, org) for email, org, role in STAFF]


def seed_demo(db: Database, now: dt.datetime | None = None) -> str:
    """Create the demo partnership unless it exists; a line saying what was done.

    Refuses a database that already serves a real partnership or has other users.
    """
    db.upgrade()
    now = now or audit.now_utc()
    if _demo_already_seeded(db):
        # A demo seeded before subjects existed gets its casework now.
        added = casework.seed_casework(db, now) if not casework.has_subjects(db) else 0
        extra = f"; added {added} SYNTHETIC subjects" if added else ""
        return f"{DEMO_PARTNERSHIP} is already set up in {db.display_url}{extra}"
    with db.write() as session:
        session.add(Partnership(name=DEMO_PARTNERSHIP, is_demo=True))
    for email, organisation, role in STAFF:
        accounts.create_user(db, email, organisation, role, DEMO_PASSWORD)
    for shop in SHOPS:
        accounts.create_user(db, shop.email, shop.organisation, config.PARTNER, DEMO_PASSWORD)
        accounts.add_premises(
            db,
            shop.organisation,
            shop.premises,
            shop.address,
            longitude=shop.longitude,
            latitude=shop.latitude,
        )
    references = _seed_reports(db, now)
    _seed_outcomes(db, references, now)
    subjects_added = casework.seed_casework(db, now)
    return (
        f"seeded {DEMO_PARTNERSHIP}: {len(demo_accounts())} accounts (password "
        f"{DEMO_PASSWORD}), {len(references)} SYNTHETIC reports, {subjects_added} SYNTHETIC "
        "subjects with exclusion notices"
    )


def _demo_already_seeded(db: Database) -> bool:
    with db.read() as session:
        partnership = session.scalars(select(Partnership).order_by(Partnership.id)).first()
        users = session.scalar(select(func.count(User.id)))
        synthetic = session.scalar(select(func.count(Incident.id)).where(Incident.synthetic))
    if partnership is not None and partnership.is_demo and synthetic:
        return True
    if partnership is not None or users:
        fail(
            f"the database {db.display_url} already serves a partnership or has users",
            fix="Point ASB_DATA_DIR or DATABASE_URL at an empty database for the demo",
        )
    return False


def _seed_reports(db: Database, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Deterministic reports over the last 14 months; (reference, occurred_at) of each."""
    rng = np.random.default_rng(SEED)
    start = now.astimezone(LONDON) - dt.timedelta(days=30.5 * MONTHS_BACK)
    shop_accounts = {s.email: accounts.account_for_email(db, s.email) for s in SHOPS}
    categories = list(config.DEFAULT_CATEGORIES)
    seeded = []
    for _ in range(REPORTS):
        shop = SHOPS[rng.integers(len(SHOPS))]
        weights = np.array(shop.category_weights)
        category = categories[rng.choice(len(categories), p=weights / weights.sum())]
        hours = _NIGHT if category in {"Anti-social behaviour", "Violence"} else _DAY
        day = start + dt.timedelta(days=int(rng.integers(0, 30.5 * MONTHS_BACK - 1)))
        occurred = day.replace(
            hour=int(rng.choice(24, p=hours / hours.sum())),
            minute=int(rng.integers(60)),
            second=0,
            microsecond=0,
        )
        reported = min(occurred + dt.timedelta(hours=float(rng.exponential(6))), now)
        at_door = rng.random() < 0.7
        loss = round(float(rng.gamma(2, 30)), 2) if category == "Shop theft" else None
        reference = incidents.report_incident(
            db,
            shop_accounts[shop.email],
            occurred_at=occurred,
            category=category,
            description=SYNTHETIC_PREFIX + _NARRATIVES[category],
            premises=shop.premises if at_door else None,
            latitude=shop.latitude + float(rng.normal(0, 0.0004)),
            longitude=shop.longitude + float(rng.normal(0, 0.0006)),
            loss_gbp=loss,
            prevented=bool(loss is not None and rng.random() < 0.3),
            police_reference=f"SYN-{rng.integers(10_000, 99_999)}" if rng.random() < 0.4 else None,
            synthetic=True,
            now=reported,
        )
        seeded.append((reference, occurred))
    return seeded


def _seed_outcomes(db: Database, seeded: list[tuple[str, dt.datetime]], now: dt.datetime) -> None:
    """A few outcomes against older reports, alternately by the police and the coordinator."""
    rng = np.random.default_rng(SEED + 1)
    older = [item for item in seeded if item[1] < now - dt.timedelta(days=30)]
    recorders = [accounts.account_for_email(db, email) for email, _, _ in STAFF[:2]]
    plan = [kind for kind, times in _OUTCOME_PLAN for _ in range(times)]
    for number, kind in enumerate(plan):
        picks = rng.choice(len(older), size=int(rng.integers(1, 3)), replace=False)
        chosen = [older[i] for i in picks]
        latest = max(occurred for _, occurred in chosen)
        decided = min(latest + dt.timedelta(days=int(rng.integers(3, 40))), now)
        outcomes.record_outcome(
            db,
            recorders[number % 2],
            kind,
            [reference for reference, _ in chosen],
            decided_on=decided.astimezone(LONDON).date(),
            note=SYNTHETIC_PREFIX + "Recorded for the demo partnership.",
        )
