"""The hub's store on SQLite and PostgreSQL: migrations, reports, validation, roles, feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from hub_helpers import FLEET_STREET, PASSWORD, london

from geo.checks import GeoInputError
from geo.hotspots import peaktimes
from geo.partners import accounts, incidents, outcomes
from geo.partners.db import head_revision
from geo.partners.errors import RoleRefusedError, SignInError
from geo.partners.validation import ReportRejectedError

NOW = london(2026, 6, 15, 12, 0)


def _report(db, account, **overrides) -> str:
    fields = {
        "occurred_at": london(2026, 6, 14, 18, 30),
        "category": "Shop theft",
        "description": "Took two bottles",
        "loss_gbp": "25.50",
        "now": NOW,
        **FLEET_STREET,
    }
    return incidents.report_incident(db, account, **(fields | overrides))


def _count(db, table: str) -> int:
    with db.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()


# ---------------------------------------------------------------- migrations


def test_migrations_round_trip_up_down_up_keeps_earlier_tables(empty_db):
    empty_db.upgrade()
    assert empty_db.current_revision() == head_revision()
    accounts.create_user(empty_db, "a@shop.example", "Shop", "partner", PASSWORD)

    empty_db.downgrade()
    tables = set(sa.inspect(empty_db.engine).get_table_names())
    assert "subject" not in tables and "exclusion" not in tables and "incident" in tables
    columns = {c["name"] for c in sa.inspect(empty_db.engine).get_columns("partnership")}
    assert "subject_retention_months" not in columns
    empty_db.downgrade()
    tables = set(sa.inspect(empty_db.engine).get_table_names())
    assert "incident" not in tables and "app_user" in tables
    empty_db.upgrade()
    assert empty_db.current_revision() == head_revision()
    assert accounts.account_for_email(empty_db, "a@shop.example").role == "partner"

    for _ in range(3):
        empty_db.downgrade()
    assert empty_db.current_revision() is None
    assert set(sa.inspect(empty_db.engine).get_table_names()) <= {"alembic_version"}
    empty_db.upgrade()
    assert incidents.categories(empty_db)[0] == "Shop theft"


# ---------------------------------------------------------------- reporting


def test_report_gets_a_reference_and_is_stored_in_both_crs(db, people):
    reference = _report(db, people["shop_a"])
    assert re.fullmatch(r"BCP-2026-\d{6}", reference)
    assert _report(db, people["shop_a"]) == "BCP-2026-000002"
    row = incidents.visible_incidents(db, people["shop_a"]).iloc[-1]
    assert row["reference"] == reference
    assert row["occurred_at"] == london(2026, 6, 14, 18, 30)
    assert str(row["occurred_at"].tz) == "Europe/London"
    assert row["loss_gbp"] == 25.5
    assert 291_000 < row["easting"] < 293_000 and 63_000 < row["northing"] < 64_500
    assert row["reporter"] == "a@shop-a.example"


def test_naive_times_are_london_local_time(db, people):
    _report(db, people["shop_a"], occurred_at="2026-03-28T20:00")  # winter time: GMT
    _report(db, people["shop_a"], occurred_at="2026-06-01 09:15")
    times = incidents.visible_incidents(db, people["shop_a"])["occurred_at"]
    assert sorted(t.utcoffset() for t in times) == [dt.timedelta(0), dt.timedelta(hours=1)]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("occurred_at", london(2026, 6, 16, 9, 0), "in the future"),
        ("occurred_at", "yesterday", "write it as 2026-03-01T14:30"),
        ("latitude", 51.5, "outside the partnership area"),
        ("loss_gbp", -1, "give 0 or more"),
        ("loss_gbp", "lots", "write pounds"),
        ("description", "x" * 5001, "shorten it to 5,000"),
        ("category", "Burglary", "use one of Shop theft"),
    ],
)
def test_invalid_reports_say_what_to_change_and_save_nothing(db, people, field, value, says):
    with pytest.raises(ReportRejectedError, match=says):
        _report(db, people["shop_a"], **{field: value})
    assert _count(db, "incident") == 0


def test_all_problems_of_a_report_are_listed_together(db, people):
    with pytest.raises(ReportRejectedError) as error:
        _report(db, people["shop_a"], loss_gbp=-5, latitude=52.0, category="Nope")
    assert len(error.value.problems) == 3


def test_premises_must_belong_to_the_partners_organisation(db, people):
    accounts.add_premises(db, "Shop B", "B shop", "Union St", longitude=-3.529, latitude=50.4661)
    with pytest.raises(ReportRejectedError, match="not one of your organisation's"):
        _report(db, people["shop_a"], premises="B shop")
    assert _report(db, people["shop_b"], premises="B shop", latitude=None, longitude=None)


def test_categories_are_configurable_by_coordinators_only(db, people):
    incidents.add_category(db, people["coordinator"], "Fraud")
    assert incidents.categories(db)[-1] == "Fraud"
    assert _report(db, people["shop_a"], category="fraud")
    with pytest.raises(RoleRefusedError):
        incidents.add_category(db, people["shop_a"], "Other things")


# ---------------------------------------------------------------- roles


def test_partner_sees_only_their_organisations_reports(db, people):
    own = _report(db, people["shop_a"])
    other = _report(db, people["shop_b"])
    for account in (people["shop_a"], people["shop_a2"]):
        assert incidents.visible_incidents(db, account)["reference"].tolist() == [own]
        assert incidents.export_visible(db, account)["reference"].tolist() == [own]
    with pytest.raises(RoleRefusedError, match="not one you can see"):
        incidents.incident_history(db, people["shop_a"], other)
    with pytest.raises(RoleRefusedError):
        incidents.add_update(db, people["shop_a"], other, note="mine now")
    for staff in ("coordinator", "police"):
        assert set(incidents.visible_incidents(db, people[staff])["reference"]) == {own, other}


def test_funder_gets_aggregates_only(db, people):
    _report(db, people["shop_a"], description="Named person", police_reference="CR/123/26")
    _report(db, people["shop_b"])
    with pytest.raises(RoleRefusedError, match="for partners and coordinators and police"):
        incidents.visible_incidents(db, people["funder"])
    with pytest.raises(RoleRefusedError):
        outcomes.good_news_feed(db, people["funder"])
    exported = incidents.export_visible(db, people["funder"])
    assert list(exported.columns) == list(incidents.AGGREGATE_COLUMNS)
    assert exported["incidents"].sum() == 2
    text = exported.to_csv()
    for secret in ("Named person", "CR/123/26", "@", "BCP-"):
        assert secret not in text


def test_funder_cannot_report_and_partners_cannot_record_outcomes(db, people):
    with pytest.raises(RoleRefusedError, match="signed in as funder"):
        _report(db, people["funder"])
    reference = _report(db, people["shop_a"])
    with pytest.raises(RoleRefusedError, match="coordinators and police"):
        outcomes.record_outcome(
            db, people["shop_a"], "arrest", [reference], decided_on=dt.date(2026, 6, 15)
        )


def test_a_disabled_account_is_refused_even_with_an_open_session(db, people):
    accounts.disable_user(db, "a@shop-a.example")
    with pytest.raises(SignInError):
        _report(db, people["shop_a"])
    with pytest.raises(SignInError, match="disabled"):
        accounts.authenticate(db, "a@shop-a.example", PASSWORD)


# ---------------------------------------------------------------- accounts


def test_five_failed_logins_lock_the_account_for_15_minutes(db, people):
    email = "b@shop-b.example"
    start = london(2026, 6, 15, 9, 0)
    assert accounts.authenticate(db, email, PASSWORD, now=start).role == "partner"
    for attempt in range(4):
        with pytest.raises(SignInError, match="not right"):
            accounts.authenticate(db, email, "wrong", now=start + dt.timedelta(seconds=attempt))
    with pytest.raises(SignInError, match="now locked for 15 minutes"):
        accounts.authenticate(db, email, "wrong", now=start)
    with pytest.raises(SignInError, match="locked"):
        accounts.authenticate(db, email, PASSWORD, now=start + dt.timedelta(minutes=14))
    assert accounts.authenticate(db, email, PASSWORD, now=start + dt.timedelta(minutes=16))


def test_passwords_are_argon2id_hashes(db, people):
    with db.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM app_user")).scalars().all()
    assert all(value.startswith("$argon2id$") and PASSWORD not in value for value in stored)
    with pytest.raises(GeoInputError, match="at least 10"):
        accounts.create_user(db, "c@shop.example", "Shop C", "partner", "short")


def test_session_expires_after_idle_minutes(monkeypatch):
    seen = london(2026, 6, 15, 9, 0)
    assert not accounts.session_expired(seen, seen + dt.timedelta(minutes=29))
    assert accounts.session_expired(seen, seen + dt.timedelta(minutes=31))
    assert accounts.session_expired(None, seen)
    monkeypatch.setenv("ASB_IDLE_MINUTES", "5")
    assert accounts.session_expired(seen, seen + dt.timedelta(minutes=6))


# ---------------------------------------------------------------- bulk import


def test_bulk_csv_keeps_rejected_rows_with_reasons(db, people):
    accounts.add_premises(db, "Shop A", "A shop", "Fleet St", longitude=-3.5265, latitude=50.4631)
    csv = (
        b"occurred_at,category,latitude,longitude,description,loss_gbp,police_reference,premises\n"
        b"2026-06-01T10:00,Shop theft,50.4631,-3.5265,ok,12,,\n"
        b"2026-06-01T11:00+01:00,Begging,,,at the door,,,A shop\n"
        b"2027-01-01T10:00,Shop theft,50.4631,-3.5265,future,,,\n"
        b"2026-06-01T10:00,Shop theft,51.5,-0.12,London,,,\n"
        b"2026-06-01T10:00,Shop theft,50.4631,-3.5265,negative,-3,,\n"
        b"not a date,Shop theft,50.4631,-3.5265,,,,\n"
    )
    result = incidents.import_csv(db, people["shop_a"], csv, now=NOW)
    assert result.read == 6
    assert len(result.accepted) + len(result.rejected) == result.read
    assert result.accepted["row"].tolist() == [1, 2]
    assert result.rejected["row"].tolist() == [3, 4, 5, 6]
    reasons = result.rejected["reason"].tolist()
    assert "in the future" in reasons[0] and "outside the partnership area" in reasons[1]
    assert "0 or more" in reasons[2] and "not a date" in reasons[3]
    assert _count(db, "incident") == 2


def test_bulk_csv_without_location_columns_is_refused_whole(db, people):
    with pytest.raises(GeoInputError, match="latitude` and `longitude` columns, or a `premises"):
        incidents.import_csv(db, people["shop_a"], b"occurred_at,category\n2026-01-01,Other\n")


# ---------------------------------------------------------------- updates and audit


def test_updates_keep_old_and_new_values_and_are_audited(db, people):
    reference = _report(db, people["shop_a"])
    written = incidents.add_update(
        db,
        people["shop_a2"],
        reference,
        note="CCTV kept",
        changes={"loss_gbp": "30", "police_reference": "CR/1/26"},
    )
    assert written == 3
    history = incidents.incident_history(db, people["shop_a"], reference)["updates"]
    loss = history[history["field"] == "loss_gbp"].iloc[0]
    assert (loss["old_value"], loss["new_value"]) == ("25.50", "30.00")
    assert history["author"].eq("a2@shop-a.example").all()
    with db.engine.connect() as connection:
        actions = connection.execute(sa.text("SELECT action FROM audit_log")).scalars().all()
    assert actions.count("update") == 3 and "report" in actions


def test_the_audit_log_is_append_only(db, people):
    _report(db, people["shop_a"])
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as c:
            c.execute(sa.text(statement))


# ---------------------------------------------------------------- outcomes and feed


def test_outcome_reaches_the_reporting_partners_feed_only(db, people):
    first = _report(db, people["shop_a"])
    second = _report(db, people["shop_a"])
    other = _report(db, people["shop_b"])
    outcomes.record_outcome(
        db, people["police"], "arrest", [first, second, other], decided_on=dt.date(2026, 6, 15)
    )
    feed = outcomes.good_news_feed(db, people["shop_a2"])
    assert feed.unread == 1
    assert feed.items["message"].tolist() == [
        f"An arrest was made after your reports {first}, {second}"
    ]
    assert outcomes.good_news_feed(db, people["shop_b"]).items["references"].tolist() == [other]
    assert outcomes.mark_read(db, people["shop_a2"]) == 1
    assert outcomes.good_news_feed(db, people["shop_a2"]).unread == 0
    assert outcomes.good_news_feed(db, people["shop_a"]).unread == 1  # receipts are per user
    history = incidents.incident_history(db, people["shop_a"], first)["outcomes"]
    assert history["outcome"].tolist() == ["arrest"]
    assert (
        incidents.visible_incidents(db, people["shop_a"])["outcomes"].str.contains("arrest").all()
    )


def test_outcome_against_an_unknown_report_is_refused(db, people):
    with pytest.raises(GeoInputError, match="no report BCP-2026-999999"):
        outcomes.record_outcome(
            db, people["coordinator"], "CBO issued", ["BCP-2026-999999"], decided_on=NOW.date()
        )


def test_organisations_and_premises_are_created_once(db, people):
    first = accounts.create_organisation(db, "Torquay BID", "bid")
    assert accounts.create_organisation(db, "Torquay BID", "bid") == first
    site = accounts.add_premises(
        db, "Shop A", "A shop", "Fleet St", longitude=-3.5265, latitude=50.4631
    )
    assert (
        accounts.add_premises(db, "Shop A", "A shop", "Fleet St", longitude=0, latitude=0) == site
    )
    assert accounts.premises_of(db, people["shop_a"])["name"].tolist() == ["A shop"]
    assert accounts.premises_of(db, people["shop_b"]).empty


def test_visible_reports_in_the_canonical_schema_feed_the_analysis(db, people):
    from geo.projection import metric_xy
    from geo.schema import INCIDENT_COLUMNS

    _report(db, people["shop_a"])
    _report(db, people["shop_b"])
    frame = incidents.as_incident_frame(db, people["shop_a"])
    assert list(frame.columns) == list(INCIDENT_COLUMNS)
    assert len(frame) == 1 and frame.crs.to_string() == "EPSG:4326"
    assert frame["month"].iloc[0] == dt.date(2026, 6, 1)
    assert str(frame["occurred_at"].dt.tz) == "Europe/London"
    x, _, _ = metric_xy(frame)
    assert len(x) == 1
    with pytest.raises(RoleRefusedError):
        incidents.as_incident_frame(db, people["funder"])


def test_hour_weekday_counts_use_local_time(db, people):
    _report(db, people["shop_a"], occurred_at="2026-06-13T23:30")  # a Saturday, BST
    grid = peaktimes.weekday_hour_counts(incidents.visible_incidents(db, people["shop_a"]))
    assert len(grid) == 7 * 24 and grid["incidents"].sum() == 1
    busiest = grid.loc[grid["incidents"].idxmax()]
    assert (busiest["weekday"], busiest["hour"]) == ("Sat", 23)
