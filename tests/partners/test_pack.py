"""The monthly meeting pack on the demo partnership, in both editions, and the new commands."""

from __future__ import annotations

import io
import json
import re

import pytest
from hub_helpers import copy_of_demo
from pypdf import PdfReader

from geo.cli import main
from geo.partners import accounts, casefile, demo, demo_casework, incidents, pack
from geo.partners.db import Database
from geo.partners.errors import RoleRefusedError

SUBJECT_REFERENCE = re.compile(r"S-\d{6}")
REPORT_REFERENCE = re.compile(r"BCP-\d{4}-\d{6}")


@pytest.fixture(scope="module")
def demo_dir(seeded_demo_dir, tmp_path_factory):
    return copy_of_demo(seeded_demo_dir, tmp_path_factory.mktemp("pack") / "var")


@pytest.fixture
def demo_db(demo_dir, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(demo_dir))
    return Database(f"sqlite:///{demo_dir / 'partners.db'}")


@pytest.fixture(scope="module")
def packs(demo_dir):
    """Both editions of the pack for the last demo month: (Pack, HTML, PDF text)."""
    db = Database(f"sqlite:///{demo_dir / 'partners.db'}")
    built = {}
    for edition in pack.EDITIONS:
        made = pack.build_pack(db, edition=edition)
        pdf = pack.pack_pdf(made)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        built[edition] = (made, pack.pack_html(made), text)
    return built


def _narratives(db: Database) -> list[str]:
    """Every free text the demo holds: report narratives, subject texts, outcome notes."""
    police = accounts.account_for_email(db, "police@demo.example")
    texts = set(incidents.visible_incidents(db, police)["description"])
    for spec in demo_casework.SUBJECTS:
        texts |= {spec.description, spec.modus_operandi}
    texts |= {"Arrested after the latest breach.", "Recorded for the demo partnership."}
    return sorted(t.replace(demo.SYNTHETIC_PREFIX, "") for t in texts)


def test_the_pack_defaults_to_the_latest_month_with_reports(demo_db, packs):
    police = accounts.account_for_email(demo_db, "police@demo.example")
    latest = max(
        t.strftime("%Y-%m") for t in incidents.visible_incidents(demo_db, police)["occurred_at"]
    )
    assert pack.latest_report_month(demo_db) == latest
    assert packs["coordinator"][0].month == latest


def test_every_section_of_the_coordinator_edition_has_content(packs):
    made, html, text = packs["coordinator"]
    sections = {s.title: s for s in made.sections}
    assert list(sections) == [
        "Partner incidents",
        "Hotspots this month",
        "Good news",
        "Exclusion notices",
        "Persistent offenders",
        "Reporting activity by member",
    ]
    assert sections["Partner incidents"].tables["By category"].iloc[:, 1:].to_numpy().sum() > 0
    assert len(sections["Partner incidents"].tables["By place"]) > 0
    assert made.map_png.startswith(b"\x89PNG")
    assert len(sections["Hotspots this month"].tables["police.uk (top 10)"]) > 0
    assert set(sections["Good news"].tables["Outcomes"]["Outcome"]) >= {"arrest", "CBO issued"}
    assert len(sections["Exclusion notices"].tables["New"]) >= 1
    assert len(sections["Exclusion notices"].tables["Expiring"]) >= 1
    assert sections["Persistent offenders"].tables["Subjects"]["incidents"].iloc[0] > 0
    assert len(sections["Reporting activity by member"].tables["Members"]) == len(demo.SHOPS)
    assert "SYNTHETIC" in html and "SYNTHETIC" in text
    assert SUBJECT_REFERENCE.search(html) and SUBJECT_REFERENCE.search(text)
    assert "Persistent offenders" in text


def test_the_funder_edition_has_no_subject_reference_and_no_narrative(demo_db, packs):
    made, html, text = packs["funder"]
    assert "Persistent offenders" not in [s.title for s in made.sections]
    for rendered in (html, text):
        assert not SUBJECT_REFERENCE.search(rendered)
        assert not REPORT_REFERENCE.search(rendered)
        for narrative in _narratives(demo_db):
            assert narrative not in rendered
        for shop in demo.SHOPS:  # members are not named to funders either
            assert shop.premises not in rendered and shop.organisation not in rendered
    assert "Good news" in text and "Exclusion notices" in text
    casework = {s.title: s for s in made.sections}["Exclusion notices"].tables["Casework"]
    counts = casework.set_index("Measure").iloc[:, 0]
    assert counts["subjects"] == len(demo_casework.SUBJECTS) and counts["breaches"] > 0


def test_funders_asking_for_the_coordinator_edition_get_the_funder_one(demo_db):
    funder = accounts.account_for_email(demo_db, "funder@demo.example")
    pharmacy = accounts.account_for_email(demo_db, "pharmacy@demo.example")
    assert pack.edition_for(demo_db, funder, "coordinator") == "funder"
    with pytest.raises(RoleRefusedError):
        pack.edition_for(demo_db, pharmacy, "coordinator")


def test_the_demo_has_casework_for_every_view(demo_db):
    coordinator = accounts.account_for_email(demo_db, "coordinator@demo.example")
    counts = casefile.subject_counts(demo_db, coordinator)
    assert counts["subjects"] == len(demo_casework.SUBJECTS)
    assert counts["breaches"] > 0 and counts["live exclusions"] >= 3
    notices = casefile.subjects_table(demo_db, coordinator)["notice"]
    assert notices.str.startswith("excluded").any() and notices.str.startswith("warned").any()
    gallery = casefile.gallery(demo_db, coordinator)
    assert sum(len(p) for p in gallery["photo_ids"]) == sum(s.photo for s in demo_casework.SUBJECTS)


def test_pack_sar_and_retention_commands(demo_db, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    assert main(["partners", "pack", "--edition", "funder", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    html = tmp_path / "pack.html"
    assert main(["partners", "pack", "--month", "2026-01", "--out", str(html)]) == 0
    assert "January 2026" in html.read_text()
    assert main(["partners", "pack", "--month", "January", "--out", str(html)]) == 2
    assert "not a month" in capsys.readouterr().err

    assert main(["partners", "sar", "S-000001", "--out", str(tmp_path / "sar")]) == 0
    record = json.loads((tmp_path / "sar" / "S-000001.json").read_text())
    assert len(record["incidents"]) == demo_casework.SUBJECTS[0].reports
    assert main(["partners", "sar", "S-999999", "--out", str(tmp_path / "x")]) == 2

    assert main(["partners", "retention"]) == 0
    assert "would delete (run with --apply) 0 subject(s)" in capsys.readouterr().out
