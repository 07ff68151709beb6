"""Subject, gallery, meeting-pack and timing pages, headless with AppTest, on the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from hub_helpers import ROOT, button, copy_of_demo, registered, signed_in_app
from streamlit.testing.v1 import AppTest

from geo.partners import accounts, casefile, incidents
from geo.partners.db import Database
from pages import auth

WARNED = "S-000005"  # the demo subject with a warning only


@pytest.fixture(scope="module")
def demo_dir(seeded_demo_dir, tmp_path_factory):
    return copy_of_demo(seeded_demo_dir, tmp_path_factory.mktemp("casework") / "var")


@pytest.fixture
def demo_env(demo_dir, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(demo_dir))
    return Database(f"sqlite:///{demo_dir / 'partners.db'}")


def _subject_page(email: str, reference: str) -> AppTest:
    at = signed_in_app(email)
    at.switch_page(str(ROOT / "pages/subjects.py")).run()
    assert not at.exception, at.exception
    at.selectbox(key="case_subject").set_value(reference).run()
    return at


def _escaped(text: str) -> str:
    return text.replace("-", "\\-")


def test_coordinator_case_file_exclusion_then_a_members_report_is_a_breach(demo_env):
    at = _subject_page("coordinator@demo.example", WARNED)
    assert any(h.value == f"Case file {_escaped(WARNED)}" for h in at.header)
    timeline = next(d.value for d in at.dataframe if "breach_of_notice" in d.value.columns)
    assert len(timeline) > 0 and timeline["reference"].str.startswith("BCP-").all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Breaches"] == "0" and metrics["Total loss"].startswith("£")

    at.selectbox(key="notice_stage").set_value("exclusion")
    at.selectbox(key="notice_covers").set_value("Union Street News")
    button(at, "Issue notice").click().run()
    assert not at.exception
    assert "Issued a exclusion covering Union Street News" in at.success[0].value

    member = signed_in_app("news@demo.example")  # reports at their shop, now
    member.switch_page(str(ROOT / "pages/report.py")).run()
    member.selectbox(key="report_premises").set_value("Union Street News")
    member.selectbox(key="report_category").set_value("Shop theft")
    button(member, "Save report").click().run()
    assert "Your reference is" in member.success[0].value
    news = accounts.account_for_email(demo_env, "news@demo.example")
    newest = incidents.visible_incidents(demo_env, news).sort_values("reported_at")
    reference = newest["reference"].iloc[-1]

    at = _subject_page("coordinator@demo.example", WARNED)
    at.multiselect(key="link_refs").set_value([reference])
    button(at, "Link to this subject").click().run()
    assert not at.exception
    assert any(_escaped(reference) in e.value and "Breach" in e.value for e in at.error)
    assert {m.label: m.value for m in at.metric}["Breaches"] == "1"
    coordinator = accounts.account_for_email(demo_env, "coordinator@demo.example")
    case = casefile.case_file(demo_env, coordinator, WARNED)
    assert case.timeline.set_index("reference")["breach_of_notice"].notna()[reference]


def test_a_partner_has_no_subject_page_and_sees_the_gallery_without_narratives(demo_env):
    at = signed_in_app("pharmacy@demo.example")
    assert not registered(at, "subjects.py")
    at.switch_page(str(ROOT / "pages/gallery.py")).run()
    assert not at.exception
    assert "Fleet Street Pharmacy \\(demo\\)" in at.warning[0].value  # the watermark
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "S\\-000001" in shown and "excluded from" in shown
    assert "SYNTHETIC" not in shown and "rucksack" not in shown  # no narrative
    button(at, "Prepare the gallery for printing (watermarked PDF)").click().run()
    assert at.get("download_button")


@pytest.mark.parametrize(
    ("email", "page"),
    [
        ("pharmacy@demo.example", "subjects.py"),
        ("funder@demo.example", "gallery.py"),
        ("funder@demo.example", "patterns.py"),
    ],
)
def test_pages_refuse_other_roles_even_when_opened_directly(demo_env, email, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state[auth.ACCOUNT] = accounts.account_for_email(demo_env, email)
    at.session_state[auth.LAST_SEEN] = dt.datetime.now(dt.UTC)
    at.run()
    assert "This page is for" in at.error[0].value
    assert not at.dataframe and not at.get("download_button") and not at.get("imgs")


def test_the_funder_builds_the_funder_edition_of_the_pack(demo_env):
    at = signed_in_app("funder@demo.example")
    at.switch_page(str(ROOT / "pages/meeting_pack.py")).run()
    assert not at.radio  # no edition to choose
    button(at, "Build the pack").click().run()
    assert not at.exception
    headers = [h.value for h in at.header]
    assert "Good news" in headers and "Persistent offenders" not in headers
    assert len(at.get("download_button")) == 2


def test_times_and_repeats_say_why_police_uk_cannot_be_used(demo_env):
    at = signed_in_app("police@demo.example")
    at.switch_page(str(ROOT / "pages/patterns.py")).run()
    assert not at.exception
    assert len(at.dataframe) == 4  # repeats, Knox ratio, p-values, observed pairs
    at.radio(key="patterns_source").set_value("police.uk (Torbay)").run()
    assert "only the month" in at.info[0].value
