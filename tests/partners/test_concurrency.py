"""20 processes x 50 reports through the store API: 1,000 incidents, unique references."""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa
from hub_helpers import FLEET_STREET, london

from geo.partners import accounts, incidents
from geo.partners.db import Database

PROCESSES = 20
REPORTS_EACH = 50


def _report_many(url: str, email: str, start: multiprocessing.synchronize.Barrier) -> None:
    database = Database(url)  # each process opens its own connections
    account = accounts.account_for_email(database, email)
    start.wait(timeout=120)
    for number in range(REPORTS_EACH):
        incidents.report_incident(
            database,
            account,
            occurred_at=london(2026, 1, 5, 10, number),
            category="Shop theft",
            description=f"concurrent report {number}",
            **FLEET_STREET,
        )
    database.engine.dispose()


def test_concurrent_reports_are_all_saved_with_unique_references(db, people):
    db.engine.dispose()  # no pooled connection may be shared with the forked children
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=_report_many, args=(db.url, people[key].email, start))
        for key in ("shop_a", "shop_b", "coordinator", "police") * (PROCESSES // 4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    with db.engine.connect() as connection:
        references = connection.execute(sa.text("SELECT reference FROM incident")).scalars().all()
    expected = PROCESSES * REPORTS_EACH
    assert len(references) == expected
    assert len(set(references)) == expected
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, expected + 1))  # no gaps: no report half-saved
