"""Partner pages, headless with AppTest: sign-in, a report with its reference, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from hub_helpers import ENTRY, ROOT, button, copy_of_demo, registered, signed_in_app
from streamlit.testing.v1 import AppTest

from geo.partners import accounts, demo, incidents
from geo.partners.db import Database
from pages import auth


@pytest.fixture(scope="module")
def demo_dir(seeded_demo_dir, tmp_path_factory):
    """A data folder holding the seeded demo partnership (this module's own copy)."""
    return copy_of_demo(seeded_demo_dir, tmp_path_factory.mktemp("pages") / "var")


@pytest.fixture
def demo_env(demo_dir, monkeypatch):
    """Point the pages at the demo database; returns it."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(demo_dir))
    return Database(f"sqlite:///{demo_dir / 'partners.db'}")


def test_signed_out_the_login_page_lists_demo_accounts_and_no_partner_page(demo_env):
    at = AppTest.from_file(ENTRY, default_timeout=90).run()
    assert not at.exception
    at.switch_page(str(ROOT / "pages/login.py")).run()
    assert at.title[0].value == "Partner sign-in"
    assert demo.DEMO_PASSWORD in at.info[0].value
    assert "pharmacy@demo.example" in at.dataframe[0].value["email"].tolist()
    for page in ("report.py", "good_news.py", "outcomes.py", "partner_reports.py"):
        assert not registered(at, page)


def test_wrong_password_is_refused_on_the_page(demo_env):
    at = AppTest.from_file(ENTRY, default_timeout=90).run()
    at.switch_page(str(ROOT / "pages/login.py")).run()
    at.text_input(key="login_email").input("pharmacy@demo.example")
    at.text_input(key="login_password").input("not the password")
    button(at, "Sign in").click().run()
    assert "not right" in at.error[0].value
    assert at.title[0].value == "Partner sign-in"


def test_partner_reports_an_incident_and_sees_its_reference(demo_env):
    at = signed_in_app("pharmacy@demo.example")
    assert at.title[0].value == "My account"
    at.switch_page(str(ROOT / "pages/report.py")).run()
    assert at.title[0].value == "Report an incident"
    at.selectbox(key="report_category").set_value("Begging")
    at.text_area(key="report_description").input("<img src=x onerror=alert(1)>")
    button(at, "Save report").click().run()
    assert not at.exception
    shown = at.success[0].value
    assert "Your reference is" in shown
    pharmacy = accounts.account_for_email(demo_env, "pharmacy@demo.example")
    newest = incidents.visible_incidents(demo_env, pharmacy)
    newest = newest.sort_values("reported_at").iloc[-1]
    assert newest["reference"].replace("-", "\\-") in shown
    assert newest["description"] == "<img src=x onerror=alert(1)>"
    assert not registered(at, "outcomes.py")  # a partner does not record outcomes


def test_a_map_report_without_a_click_says_to_click_the_map(demo_env):
    at = signed_in_app("police@demo.example")  # police have no premises: map only
    at.switch_page(str(ROOT / "pages/report.py")).run()
    assert not at.exception
    button(at, "Save report").click().run()
    assert not at.exception
    assert any("click the map" in m.value for m in at.markdown)


def test_coordinator_records_an_outcome_that_reaches_the_partners_feed(demo_env):
    pharmacy = accounts.account_for_email(demo_env, "pharmacy@demo.example")
    reference = incidents.visible_incidents(demo_env, pharmacy)["reference"].iloc[0]
    at = signed_in_app("coordinator@demo.example")
    at.switch_page(str(ROOT / "pages/outcomes.py")).run()
    at.multiselect(key="outcome_references").set_value([reference])
    at.selectbox(key="outcome_kind").set_value("arrest")
    button(at, "Record outcome").click().run()
    assert not at.exception and "Recorded arrest" in at.success[0].value

    at = signed_in_app("pharmacy@demo.example")
    at.switch_page(str(ROOT / "pages/good_news.py")).run()
    assert any(reference.replace("-", "\\-") in m.value for m in at.markdown)
    assert at.metric[0].value != "0"


def test_funder_sees_aggregates_without_narratives(demo_env):
    at = signed_in_app("funder@demo.example")
    assert not registered(at, "report.py")
    at.switch_page(str(ROOT / "pages/partner_reports.py")).run()
    assert not at.exception
    columns = set(at.dataframe[0].value.columns)
    assert columns == {
        "month",
        "category",
        "cell_easting",
        "cell_northing",
        "latitude",
        "longitude",
        "incidents",
    }


@pytest.mark.parametrize("page", ["outcomes.py", "report.py", "good_news.py"])
def test_each_page_guards_itself_when_opened_outside_the_navigation(demo_env, page):
    funder = accounts.account_for_email(demo_env, "funder@demo.example")
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state[auth.ACCOUNT] = funder
    at.session_state[auth.LAST_SEEN] = dt.datetime.now(dt.UTC)
    at.run()
    assert "signed in as funder" in at.error[0].value
    assert not at.button and not at.text_area


def test_signed_out_page_asks_to_sign_in(demo_env):
    at = AppTest.from_file(str(ROOT / "pages/report.py"), default_timeout=60).run()
    assert "Sign in" in at.warning[0].value
    assert not at.text_area


def test_an_idle_session_is_signed_out(demo_env):
    police = accounts.account_for_email(demo_env, "police@demo.example")
    at = AppTest.from_file(str(ROOT / "pages/outcomes.py"), default_timeout=60)
    at.session_state[auth.ACCOUNT] = police
    at.session_state[auth.LAST_SEEN] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    at.run()
    assert "Sign in" in at.warning[0].value
    assert auth.ACCOUNT not in at.session_state


def test_partner_reports_page_lists_only_the_partners_reports(demo_env):
    pharmacy = accounts.account_for_email(demo_env, "pharmacy@demo.example")
    own = set(incidents.visible_incidents(demo_env, pharmacy)["reference"])
    at = signed_in_app("pharmacy@demo.example")
    at.switch_page(str(ROOT / "pages/partner_reports.py")).run()
    assert not at.exception
    assert set(at.dataframe[0].value["reference"]) == own
    assert at.metric[0].value == f"{len(own):,}"
