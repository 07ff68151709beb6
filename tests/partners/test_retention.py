"""Retention on a fixture with known dates, and the subject access export."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from hub_helpers import FLEET_STREET, london
from PIL import Image

from geo.partners import casefile, exclusions, incidents, outcomes, retention, sar, subjects
from geo.partners.models import AuditLog, Partnership

CREATED = london(2025, 1, 10, 9, 0)
RUN_AT = london(2026, 6, 15, 12, 0)


def _png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), "grey").save(picture, format="PNG")
    return picture.getvalue()


def _report(db, account, when) -> str:
    return incidents.report_incident(
        db,
        account,
        occurred_at=when,
        category="Shop theft",
        description="Took gin",
        loss_gbp="18",
        now=when + dt.timedelta(hours=1),
        **FLEET_STREET,
    )


@pytest.fixture
def known_dates(db, people, tmp_path, monkeypatch):
    """Four subjects whose retention clocks end before, on and after 15 June 2026."""
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path))
    with db.write() as session:
        session.add(Partnership(name="Test BCP", is_demo=False))
    coordinator, shop = people["coordinator"], people["shop_a"]
    make = {
        # last linked report 14 May 2025: period ended 14 May 2026 -> deleted
        "stale": london(2025, 5, 14, 10),
        # last report 15 June 2025: the period ends on 15 June 2026, the run day -> kept
        "boundary": london(2025, 6, 15, 10),
        # a recent report -> kept
        "recent": london(2026, 3, 1, 10),
    }
    refs = {}
    for key, when in make.items():
        refs[key] = subjects.create_subject(db, coordinator, alias=key, now=CREATED)
        subjects.link_incidents(db, coordinator, refs[key], [_report(db, shop, when)])
    # no report at all: the clock runs from opening (10 Jan 2025) -> deleted
    refs["never"] = subjects.create_subject(db, coordinator, alias="never", now=CREATED)
    subjects.add_photo(db, coordinator, refs["stale"], _png())
    subjects.add_associate(db, coordinator, refs["stale"], refs["recent"])
    exclusions.issue_notice(
        db,
        coordinator,
        refs["stale"],
        stage="warning",
        starts_on=dt.date(2025, 5, 20),
        today=dt.date(2025, 5, 20),
    )
    return refs


def test_retention_deletes_exactly_the_subjects_past_their_period(
    db, people, known_dates, tmp_path
):
    refs = known_dates
    due = retention.due_for_deletion(db, RUN_AT)
    assert sorted(due["reference"]) == sorted([refs["stale"], refs["never"]])

    deleted = retention.apply_retention(db, RUN_AT)

    assert sorted(deleted["reference"]) == sorted([refs["stale"], refs["never"]])
    left = casefile.subjects_table(db, people["coordinator"])["reference"]
    assert sorted(left) == sorted([refs["boundary"], refs["recent"]])
    assert list((tmp_path / subjects.PHOTO_FOLDER).iterdir()) == []  # photo file gone too
    assert len(incidents.visible_incidents(db, people["coordinator"])) == 3  # reports stay
    case = casefile.case_file(db, people["coordinator"], refs["recent"])
    assert case.subject["associates"] == []
    with db.read() as session:
        entries = session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "delete", AuditLog.entity == "subject")
        ).all()
    reasons = {json.loads(e.detail)["ref"]: json.loads(e.detail)["reason"] for e in entries}
    assert set(reasons) == {refs["stale"], refs["never"]}
    assert "no linked report for 12 months" in reasons[refs["stale"]]
    assert "last activity 2025-05-14" in reasons[refs["stale"]]


def test_a_scheme_with_a_longer_period_keeps_them(db, people, known_dates):
    retention.set_retention_months(db, people["coordinator"], 24)
    assert retention.apply_retention(db, RUN_AT).empty
    assert len(casefile.subjects_table(db, people["coordinator"])) == 4


def test_the_daily_run_happens_at_most_once_a_day(db, known_dates):
    assert len(retention.run_if_due(db, RUN_AT)) == 2
    assert retention.run_if_due(db, RUN_AT + dt.timedelta(hours=23)) is None
    # the next day the boundary subject's period has ended too
    next_day = retention.run_if_due(db, RUN_AT + dt.timedelta(hours=25))
    assert next_day["reference"].tolist() == [known_dates["boundary"]]


def test_subject_access_export_holds_every_linked_record(db, people, tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path / "data"))
    coordinator, shop = people["coordinator"], people["shop_a"]
    reference = subjects.create_subject(
        db, coordinator, name="Siân Ní Bhriain", modus_operandi="Distraction at the till"
    )
    other = subjects.create_subject(db, coordinator, alias="Associate")
    reports = [_report(db, shop, london(2026, 5, day, 10)) for day in (2, 9, 16)]
    subjects.link_incidents(db, coordinator, reference, reports)
    subjects.add_associate(db, coordinator, reference, other)
    subjects.add_photo(db, coordinator, reference, _png())
    exclusions.issue_notice(db, coordinator, reference, stage="warning")
    outcomes.record_outcome(
        db, people["police"], "arrest", reports[:2], decided_on=dt.date(2026, 5, 20)
    )
    incidents.add_update(db, shop, reports[0], note="CCTV saved")

    written = sar.export_subject(db, reference, tmp_path / "out")

    names = sorted(p.suffix for p in written)
    assert names == [".json", ".pdf", ".png"]
    record = json.loads((tmp_path / "out" / f"{reference}.json").read_text())
    assert record["subject"]["name"] == "Siân Ní Bhriain"
    assert [i["reference"] for i in record["incidents"]] == reports
    assert [o["kind"] for o in record["incidents"][0]["outcomes"]] == ["arrest"]
    assert record["incidents"][0]["updates"][0]["note"] == "CCTV saved"
    assert record["associates"] == [other]
    assert [n["stage"] for n in record["notices"]] == ["warning"]
    assert len(record["photos"]) == 1
    actions = [entry["action"] for entry in record["audit"]]
    assert actions.count("link") == 3 and "create" in actions and "add photo" in actions
    assert (tmp_path / "out" / f"{reference}.pdf").read_bytes().startswith(b"%PDF")
