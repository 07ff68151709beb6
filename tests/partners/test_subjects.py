"""Subjects, exclusion notices and breaches through the store API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from hub_helpers import london
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from geo.checks import GeoInputError
from geo.partners import accounts, casefile, exclusions, incidents, subjects
from geo.partners.errors import RoleRefusedError
from geo.partners.models import AuditLog, Subject

NOW = london(2026, 6, 15, 12, 0)
TODAY = NOW.date()


def _png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), "grey").save(picture, format="PNG", pnginfo=_location_note())
    return picture.getvalue()


def _location_note() -> PngInfo:
    note = PngInfo()
    note.add_text("GPS", "50.4631,-3.5265")  # metadata a phone might add: must not be kept
    return note


PNG = _png()
#: Special-category data (UK GDPR Art. 9) must have no column to live in.
SPECIAL = ("ethnic", "religio", "sexual", "health", "race", "faith", "disab")


@pytest.fixture
def shops(db, people):
    """Premises for Shop A and Shop B."""
    accounts.add_premises(
        db, "Shop A", "Shop A Fleet St", "Fleet St", longitude=-3.5265, latitude=50.4631
    )
    accounts.add_premises(
        db, "Shop B", "Shop B Union St", "Union St", longitude=-3.5290, latitude=50.4661
    )
    return people


def _report(db, account, premises, when, loss=None) -> str:
    return incidents.report_incident(
        db,
        account,
        occurred_at=when,
        category="Shop theft",
        premises=premises,
        loss_gbp=loss,
        description="Took razor blades",
        now=NOW,
    )


def _audit(db, action: str) -> list[AuditLog]:
    with db.read() as session:
        return list(session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_subject_reference_kind_and_no_special_category_column(db, people):
    known = subjects.create_subject(db, people["coordinator"], name="Zoë Łukasiewicz")
    sought = subjects.create_subject(
        db, people["police"], description="Tall man, grey hoodie, bicycle"
    )
    assert (known, sought) == ("S-000001", "S-000002")
    table = casefile.subjects_table(db, people["coordinator"])
    assert table["kind"].tolist() == ["known", "ID sought"]
    columns = [c.name for c in Subject.__table__.columns]
    assert not [c for c in columns if any(word in c for word in SPECIAL)]
    with pytest.raises(GeoInputError, match="no name, alias or description"):
        subjects.create_subject(db, people["coordinator"], name="  ")


@pytest.mark.parametrize("who", ["shop_a", "funder"])
def test_partners_and_funders_cannot_create_link_or_view_subjects(db, people, who):
    reference = subjects.create_subject(db, people["coordinator"], alias="Dazza")
    with pytest.raises(RoleRefusedError):
        subjects.create_subject(db, people[who], alias="Other")
    with pytest.raises(RoleRefusedError):
        casefile.case_file(db, people[who], reference)
    with pytest.raises(RoleRefusedError):
        subjects.link_incidents(db, people[who], reference, ["BCP-2026-000001"])
    with pytest.raises(RoleRefusedError):
        casefile.subjects_table(db, people[who])


def test_the_workflow_is_warning_then_exclusion_then_extension_after_a_breach(db, shops):
    coordinator = shops["coordinator"]
    reference = subjects.create_subject(db, coordinator, alias="Dazza")
    with pytest.raises(GeoInputError, match="has not been warned"):
        exclusions.issue_notice(db, coordinator, reference, stage="exclusion", today=TODAY)
    exclusions.issue_notice(db, coordinator, reference, stage="warning", today=TODAY)
    with pytest.raises(GeoInputError, match="has not breached"):
        exclusions.issue_notice(db, coordinator, reference, stage="extension", today=TODAY)
    with pytest.raises(RoleRefusedError):  # the coordinator issues notices, not the police
        exclusions.issue_notice(db, shops["police"], reference, stage="warning", today=TODAY)
    notice = exclusions.issue_notice(
        db,
        coordinator,
        reference,
        stage="exclusion",
        premises="Shop A Fleet St",
        starts_on=TODAY,
        today=TODAY,
    )
    listed = exclusions.all_notices(db, coordinator, today=TODAY).set_index("notice_id")
    assert listed.loc[notice, "expires_on"] == dt.date(2027, 6, 15)  # 12 months by default
    assert listed.loc[notice, "covers"] == "Shop A Fleet St"


def test_a_later_report_at_a_covered_premises_is_flagged_as_a_breach(db, shops):
    coordinator, shop_a = shops["coordinator"], shops["shop_a"]
    reference = subjects.create_subject(db, coordinator, alias="Dazza")
    before = _report(db, shop_a, "Shop A Fleet St", london(2026, 5, 1, 10), loss="30")
    subjects.link_incidents(db, coordinator, reference, [before])
    exclusions.issue_notice(
        db, coordinator, reference, stage="warning", starts_on=TODAY, today=TODAY
    )
    notice = exclusions.issue_notice(
        db,
        coordinator,
        reference,
        stage="exclusion",
        premises="Shop A Fleet St",
        starts_on=dt.date(2026, 6, 1),
        today=TODAY,
    )
    covered = _report(db, shop_a, "Shop A Fleet St", london(2026, 6, 10, 11), loss="12.5")
    elsewhere = _report(db, shops["shop_b"], "Shop B Union St", london(2026, 6, 11, 11))

    flagged = subjects.link_incidents(db, shops["police"], reference, [covered, elsewhere])

    assert flagged == [covered]  # not the report before the notice, nor the other shop's
    case = casefile.case_file(db, coordinator, reference, today=TODAY)
    breaches = case.timeline.set_index("reference")["breach_of_notice"]
    assert breaches[covered] == notice
    assert breaches[[before, elsewhere]].isna().all()
    assert case.total_loss == pytest.approx(42.5)
    assert case.premises.set_index("premises")["incidents"].to_dict() == {
        "Shop A Fleet St": 2,
        "Shop B Union St": 1,
    }
    assert [json.loads(a.detail)["incident"] for a in _audit(db, "breach")] == [covered]
    # now an extension may follow, running 12 months past the breached exclusion's end
    extension = exclusions.issue_notice(
        db, coordinator, reference, stage="extension", starts_on=TODAY, today=TODAY
    )
    listed = exclusions.all_notices(db, coordinator, today=TODAY).set_index("notice_id")
    assert listed.loc[extension, "expires_on"] == dt.date(2028, 6, 1)
    assert listed.loc[notice, "breaches"] == 1


def test_expired_notices_are_kept_and_shown_as_expired(db, people):
    coordinator = people["coordinator"]
    reference = subjects.create_subject(db, coordinator, alias="Dazza")
    exclusions.issue_notice(
        db, coordinator, reference, stage="warning", starts_on=dt.date(2024, 1, 1), today=TODAY
    )
    listed = exclusions.all_notices(db, coordinator, today=TODAY)
    assert listed["state"].tolist() == ["expired"]
    assert casefile.gallery(db, people["shop_a"], today=TODAY)["exclusion_status"].tolist() == [
        "expired on 01 Jan 2025"
    ]


def test_every_view_of_a_subject_is_audited_with_who_and_what(db, people):
    reference = subjects.create_subject(db, people["coordinator"], alias="Dazza")
    casefile.case_file(db, people["police"], reference)
    views = [a for a in _audit(db, "view") if a.entity == "subject"]
    assert [(a.actor_id, json.loads(a.detail)["ref"]) for a in views] == [
        (people["police"].user_id, reference)
    ]


def test_members_see_only_the_shared_gallery_and_funders_none(db, people, tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path))
    coordinator = people["coordinator"]
    shared = subjects.create_subject(db, coordinator, alias="Dazza", description="Narrative")
    subjects.create_subject(db, coordinator, alias="Private", shared_in_gallery=False)
    photo = subjects.add_photo(db, coordinator, shared, PNG)

    seen = casefile.gallery(db, people["shop_a"], today=TODAY)
    assert list(seen.columns) == ["reference", "photo_ids", "exclusion_status"]
    assert seen["reference"].tolist() == [shared]
    stored = subjects.photo_bytes(db, people["shop_a"], photo)
    assert Image.open(io.BytesIO(stored)).size == (4, 4)
    assert b"50.4631" in PNG and b"50.4631" not in stored  # metadata dropped
    pdf = casefile.gallery_pdf(db, people["shop_a"], today=TODAY)
    assert pdf.startswith(b"%PDF")
    assert casefile.watermark(people["shop_a"], TODAY).startswith("Shop A · 15 Jun 2026")
    assert len(casefile.gallery(db, coordinator)) == 2
    for call in (casefile.gallery, casefile.gallery_pdf):
        with pytest.raises(RoleRefusedError):
            call(db, people["funder"])
    assert casefile.subject_counts(db, people["funder"])["subjects"] == 2
    assert [a.entity for a in _audit(db, "download")] == ["gallery"]


def test_photos_get_a_random_server_side_name_and_non_images_are_refused(
    db, people, tmp_path, monkeypatch
):
    monkeypatch.setenv("ASB_DATA_DIR", str(tmp_path))
    reference = subjects.create_subject(db, people["coordinator"], alias="Dazza")
    subjects.add_photo(db, people["coordinator"], reference, PNG)
    stored = list((tmp_path / subjects.PHOTO_FOLDER).iterdir())
    assert len(stored) == 1 and len(stored[0].stem) == 32 and stored[0].suffix == ".png"
    with pytest.raises(GeoInputError, match="not a JPEG or PNG"):
        subjects.add_photo(db, people["coordinator"], reference, b"<svg onload=alert(1)>")
    assert len(list((tmp_path / subjects.PHOTO_FOLDER).iterdir())) == 1


def test_persistent_offenders_rank_and_the_top_ten_percent_share(db, shops):
    coordinator, shop_a = shops["coordinator"], shops["shop_a"]
    references = [subjects.create_subject(db, coordinator, alias=f"P{i}") for i in range(10)]
    reports = [
        _report(db, shop_a, "Shop A Fleet St", london(2026, 6, 1, 9) + dt.timedelta(hours=i))
        for i in range(19)
    ]
    subjects.link_incidents(db, coordinator, references[3], reports[:10])
    for reference, report in zip(references[:3] + references[4:], reports[10:], strict=True):
        subjects.link_incidents(db, coordinator, reference, [report])
    old = _report(db, shop_a, "Shop A Fleet St", london(2025, 12, 1, 9))
    subjects.link_incidents(db, coordinator, references[0], [old])  # outside 90 days

    ranked = casefile.persistent_offenders(db, coordinator, now=NOW)
    assert ranked.table["reference"].iloc[0] == references[3]
    assert ranked.table["incidents"].tolist() == [10] + [1] * 9
    # 10 subjects: the top 10% is the one with 10 of the 19 recent reports
    assert ranked.top_share == pytest.approx(10 / 19)
