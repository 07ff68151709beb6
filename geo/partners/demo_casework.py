"""The demo partnership's casework: SYNTHETIC subjects, photos, notices, breaches, outcomes.

Made-up people (names chosen to exercise non-Latin letters) linked to the demo's own
SYNTHETIC reports, so that every section of the meeting pack, the case file, the gallery
and the persistent-offenders view has content. Deterministic for a given ``now``: the
subjects pick reports by a fixed seed and dates are counted back from ``now``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend is chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from geo.partners import (  # noqa: E402
    accounts,
    exclusions,
    incidents,
    outcomes,
    subjects,
)
from geo.partners.db import Database  # noqa: E402
from geo.partners.models import LONDON, Subject  # noqa: E402

SEED = 20261015
SYNTHETIC = "[SYNTHETIC] "
COORDINATOR_EMAIL = "coordinator@demo.example"
POLICE_EMAIL = "police@demo.example"


@dataclass(frozen=True)
class DemoSubject:
    """A made-up subject: who, how, where they offend and how many reports to link."""

    name: str | None
    alias: str | None
    description: str
    modus_operandi: str
    premises: tuple[str, ...]
    reports: int
    photo: bool


SUBJECTS: tuple[DemoSubject, ...] = (
    DemoSubject(
        "Dale Pryce",
        "Dazza",
        "Thin build, often in a navy tracksuit.",
        "Fills a rucksack with meat and cheese; leaves when challenged.",
        ("Castle Circus Express", "Fleet Street Pharmacy", "Union Street News"),
        18,
        True,
    ),
    DemoSubject(
        "Zoë Nowak",
        None,
        "Usually with a pushchair.",
        "Distracts staff at the till while an associate takes stock.",
        ("Castle Circus Express",),
        8,
        True,
    ),
    DemoSubject(
        "Seán Ó Briain",
        None,
        "Loud; known to staff by sight.",
        "Abusive when refused alcohol.",
        ("Torwood Street Late Shop",),
        6,
        True,
    ),
    DemoSubject(
        None,
        None,
        "Tall man, grey hooded top, black rucksack, usually on a bicycle.",
        "Takes from the counter display and cycles off.",
        ("Strand Harbour Café", "Fleet Street Pharmacy"),
        4,
        True,
    ),
    DemoSubject(
        "Krzysztof Wiśniewski",
        "Kris",
        "Often near the bus stops on Union Street.",
        "Takes newspapers and drinks from the stand by the door.",
        ("Union Street News",),
        3,
        True,
    ),
    DemoSubject(
        None,
        None,
        "Woman in her thirties with a red tote bag.",
        "Works with the man in the grey hooded top.",
        ("Fleet Street Pharmacy",),
        2,
        False,
    ),
    DemoSubject(
        "Jay Tremayne",
        None,
        "Young man, cap worn backwards.",
        "Begs at the entrance, then follows customers in.",
        ("Strand Harbour Café",),
        2,
        False,
    ),
    DemoSubject(
        None,
        None,
        "Two teenagers on electric scooters.",
        "Ride through the shop and take sweets.",
        ("Torwood Street Late Shop",),
        1,
        False,
    ),
)
#: Known associates, by position in SUBJECTS.
ASSOCIATES = ((0, 1), (3, 5))


def has_subjects(db: Database) -> bool:
    """True once any subject exists."""
    with db.read() as session:
        return bool(session.scalar(select(func.count(Subject.id))))


def seed_casework(db: Database, now: dt.datetime) -> int:
    """Add the SYNTHETIC subjects, links, photos, notices and outcomes; how many subjects."""
    coordinator = accounts.account_for_email(db, COORDINATOR_EMAIL)
    police = accounts.account_for_email(db, POLICE_EMAIL)
    reports = incidents.all_reports(db).sort_values("occurred_at", ignore_index=True)
    # The pack's default month is the latest month with reports: date the month's news then.
    today = reports["occurred_at"].iloc[-1].astimezone(LONDON).date()
    rng = np.random.default_rng(SEED)
    created = now - dt.timedelta(days=300)
    references = [
        subjects.create_subject(
            db,
            coordinator,
            name=spec.name,
            alias=spec.alias,
            description=SYNTHETIC + spec.description,
            modus_operandi=SYNTHETIC + spec.modus_operandi,
            synthetic=True,
            now=created,
        )
        for spec in SUBJECTS
    ]
    for spec, reference in zip(SUBJECTS, references, strict=True):
        if spec.photo:
            subjects.add_photo(db, coordinator, reference, synthetic_photo(reference), now=now)
    for one, two in ASSOCIATES:
        subjects.add_associate(db, coordinator, references[one], references[two])
    _issue_notices(db, coordinator, references, today)
    used: set[str] = set()
    for spec, reference in zip(SUBJECTS, references, strict=True):
        chosen = _pick_reports(reports, spec, used, rng, now)
        subjects.link_incidents(db, coordinator, reference, chosen, now=now)
    _extend_after_breach(db, coordinator, references[0], today)
    _outcomes_this_month(db, police, coordinator, references, today)
    return len(references)


def _pick_reports(
    reports: pd.DataFrame,
    spec: DemoSubject,
    used: set[str],
    rng: np.random.Generator,
    now: dt.datetime,
) -> list[str]:
    """Recent reports at the subject's premises, most in the last 150 days."""
    recent = reports["occurred_at"] >= now - dt.timedelta(days=150)
    pool = reports[reports["premises"].isin(spec.premises) & recent]
    pool = pool[~pool["reference"].isin(used)]
    chosen = rng.choice(pool["reference"].to_numpy(), size=spec.reports, replace=False)
    used.update(chosen)
    return sorted(chosen)


def _issue_notices(db: Database, coordinator, references: list[str], today: dt.date) -> None:
    """Notices in every state: live, new this month, expiring soon, expired."""

    def days(n: int) -> dt.date:
        return today - dt.timedelta(days=n)

    month_start = today.replace(day=1)
    issue = exclusions.issue_notice
    issue(db, coordinator, references[0], stage="warning", starts_on=days(240), note=SYNTHETIC)
    issue(db, coordinator, references[0], stage="exclusion", starts_on=days(90), note=SYNTHETIC)
    issue(db, coordinator, references[1], stage="warning", starts_on=days(100), note=SYNTHETIC)
    issue(
        db,
        coordinator,
        references[1],
        stage="exclusion",
        premises="Castle Circus Express",
        starts_on=month_start,
        note=SYNTHETIC + "New this month.",
    )
    issue(db, coordinator, references[2], stage="warning", starts_on=days(400), note=SYNTHETIC)
    issue(
        db,
        coordinator,
        references[2],
        stage="exclusion",
        premises="Torwood Street Late Shop",
        starts_on=days(345),
        note=SYNTHETIC + "Expires soon.",
    )
    issue(db, coordinator, references[4], stage="warning", starts_on=days(30), note=SYNTHETIC)


def _extend_after_breach(db: Database, coordinator, reference: str, today: dt.date) -> None:
    exclusions.issue_notice(
        db,
        coordinator,
        reference,
        stage="extension",
        starts_on=today - dt.timedelta(days=20),
        note=SYNTHETIC + "Breached the scheme-wide exclusion.",
    )


def _outcomes_this_month(db: Database, police, coordinator, references, today) -> None:
    """Good news in the pack's month: an arrest and a CBO against the top subject."""
    with db.read() as session:
        top = subjects.find_subject(session, references[0])
        linked = sorted((link.incident.occurred_at, link.incident.reference) for link in top.links)
    outcomes.record_outcome(
        db,
        police,
        "arrest",
        [linked[-1][1]],
        decided_on=today,
        note=SYNTHETIC + "Arrested after the latest breach.",
    )
    outcomes.record_outcome(
        db,
        coordinator,
        "CBO issued",
        [reference for _, reference in linked[-3:]],
        decided_on=today,
        note=SYNTHETIC + "Criminal Behaviour Order granted on the partnership's case file.",
    )


def synthetic_photo(reference: str) -> bytes:
    """A placeholder portrait (a grey silhouette) labelled SYNTHETIC, as PNG bytes."""
    figure, axis = plt.subplots(figsize=(2, 2.5), dpi=60)
    axis.set_facecolor("#e8e8e8")
    axis.add_patch(plt.Circle((0.5, 0.68), 0.16, color="#7a7a7a"))
    axis.add_patch(plt.Rectangle((0.22, 0.0), 0.56, 0.45, color="#7a7a7a"))
    axis.text(0.5, 0.93, "SYNTHETIC", ha="center", fontsize=9, weight="bold", color="#b00000")
    axis.text(0.5, 0.05, reference, ha="center", fontsize=9, color="white")
    axis.set(xlim=(0, 1), ylim=(0, 1), xticks=[], yticks=[])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
