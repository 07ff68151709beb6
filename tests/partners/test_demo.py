"""The demo Torquay partnership: idempotent, deterministic, labelled SYNTHETIC."""

from __future__ import annotations

import pytest
from hub_helpers import london

from geo.checks import GeoInputError
from geo.partners import accounts, demo, incidents, outcomes
from geo.partners.db import Database

NOW = london(2026, 6, 15, 12, 0)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A demo database seeded once for this module."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'partners.db'}")
    demo.seed_demo(database, now=NOW)
    return database


def test_demo_is_seeded_once_and_marked_as_demo(seeded):
    assert "already set up" in demo.seed_demo(seeded, now=NOW)
    assert accounts.demo_in_use(seeded)
    assert len(accounts.list_users(seeded)) == len(demo.demo_accounts()) == 8
    roles = {role for _, role, _ in demo.demo_accounts()}
    assert roles == {"partner", "coordinator", "police", "funder"}


def test_demo_accounts_sign_in_with_the_demo_password(seeded):
    for email, role, _ in demo.demo_accounts():
        assert accounts.authenticate(seeded, email, demo.DEMO_PASSWORD).role == role


def test_demo_reports_span_14_months_and_are_labelled_synthetic(seeded):
    police = accounts.account_for_email(seeded, "police@demo.example")
    frame = incidents.visible_incidents(seeded, police)
    assert len(frame) == demo.REPORTS
    assert frame["synthetic"].all()
    assert frame["description"].str.startswith("[SYNTHETIC]").all()
    months = frame["occurred_at"].dt.strftime("%Y-%m").nunique()
    assert 13 <= months <= 15
    assert frame["occurred_at"].dt.hour.nunique() > 12  # times of day, not only dates


def test_demo_partners_have_good_news(seeded):
    unread = [
        outcomes.good_news_feed(seeded, accounts.account_for_email(seeded, shop.email)).unread
        for shop in demo.SHOPS
    ]
    assert sum(unread) >= 5


def test_demo_is_deterministic(seeded, tmp_path):
    again = Database(f"sqlite:///{tmp_path / 'partners.db'}")
    demo.seed_demo(again, now=NOW)
    police = "police@demo.example"
    columns = ["reference", "occurred_at", "category", "description", "loss_gbp", "latitude"]
    first = incidents.visible_incidents(seeded, accounts.account_for_email(seeded, police))
    second = incidents.visible_incidents(again, accounts.account_for_email(again, police))
    assert first[columns].equals(second[columns])


def test_demo_refuses_a_database_with_real_users(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'partners.db'}")
    database.upgrade()
    accounts.create_user(database, "real@shop.example", "Real shop", "partner", "x" * 12)
    with pytest.raises(GeoInputError, match="already serves a partnership or has users"):
        demo.seed_demo(database, now=NOW)
    assert not accounts.demo_in_use(database)
