"""Partner reports as a dataset of the analysis pages: what each role gets, on the server.

The store tests run on SQLite and PostgreSQL; the page tests sign in to the demo
partnership (SQLite) once per role and open the Overview, Hotspot explorer and Planner
on the partner reports.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hub_helpers import ENTRY, FLEET_STREET, ROOT, copy_of_demo, london, signed_in_app
from streamlit.testing.v1 import AppTest

from geo.partners import accounts, analysis, config, demo, incidents
from geo.partners.db import Database
from geo.partners.errors import RoleRefusedError
from geo.planning import planner
from geo.schema import INCIDENT_COLUMNS

NOW = london(2026, 6, 15, 12, 0)
#: Inside Torbay, about 370 m north-west of Fleet Street: Union Street.
UNION_STREET = {"latitude": 50.46610, "longitude": -3.52905}


def _report(db, account, description="Took two bottles", **overrides) -> str:
    fields = {
        "occurred_at": london(2026, 6, 14, 18, 30),
        "category": "Shop theft",
        "description": description,
        "now": NOW,
        **FLEET_STREET,
    }
    return incidents.report_incident(db, account, **(fields | overrides))


@pytest.fixture
def reports(db, people):
    """Three reports by shop A (Fleet Street), one by shop B (Union Street)."""
    _report(db, people["shop_a"], "=HYPERLINK(1) by a man called Smith")
    _report(db, people["shop_a"], occurred_at=london(2026, 6, 13, 23, 40), category="Violence")
    _report(db, people["shop_a2"], occurred_at=london(2026, 5, 2, 9, 5))
    _report(db, people["shop_b"], "Shop B's own story", **UNION_STREET)
    return db


# ---------------------------------------------------------------- store, each backend


def test_each_role_analyses_what_it_may_see(reports, people):
    assert len(analysis.analysis_frame(reports, people["shop_a"])) == 3  # own organisation
    assert len(analysis.analysis_frame(reports, people["shop_b"])) == 1
    for staff in ("coordinator", "police", "funder"):
        frame = analysis.analysis_frame(reports, people[staff])
        assert list(frame.columns) == list(INCIDENT_COLUMNS) and len(frame) == 4
    own = analysis.analysis_frame(reports, people["shop_b"])
    assert own["incident_id"].str.startswith("BCP-2026-").all()


def test_funder_frame_has_no_narrative_reference_reporter_or_exact_point(reports, people):
    frame = analysis.analysis_frame(reports, people["funder"])
    exact = analysis.analysis_frame(reports, people["coordinator"])
    assert frame[["incident_id", "location", "outcome"]].isna().all().all()
    text = [str(cell) for cell in frame.drop(columns="geometry").to_numpy().ravel()]
    for secret in ("HYPERLINK", "Smith", "Shop B", "@", "BCP-"):
        assert not any(secret in cell for cell in text), secret
    size = config.FUNDER_CELL_M
    assert ((frame["easting"] - size / 2) % size == 0).all()
    assert ((frame["northing"] - size / 2) % size == 0).all()
    assert set(frame["easting"]) != set(exact["easting"])  # moved, not the reported points
    local = frame["occurred_at"].dt.tz_convert("Europe/London")
    assert (local.dt.minute == 0).all() and str(frame["occurred_at"].dt.tz) == "Europe/London"
    assert sorted(local.dt.hour) == [9, 18, 18, 23]  # 23:40 BST stays 23h, cut to the hour
    assert sorted(frame["category"]) == sorted(exact["category"])
    # Cut to the hour, the funders' times give the planner the same peak as the exact ones.
    assert planner.busiest_peak(frame, length_h=1) == planner.busiest_peak(exact, length_h=1)
    assert planner.busiest_peak(frame, length_h=1) == ("18:00", "19:00")


def test_funder_frame_is_all_a_funder_gets_and_signed_in_roles_only(reports, people):
    with pytest.raises(RoleRefusedError):
        incidents.as_incident_frame(reports, people["funder"])
    accounts.disable_user(reports, people["shop_b"].email)
    with pytest.raises(PermissionError):  # a disabled account gets nothing
        analysis.analysis_frame(reports, people["shop_b"])


def test_data_version_moves_with_reports_updates_and_outcomes(db, people):
    before = analysis.data_version(db)
    reference = _report(db, people["shop_a"])
    after_report = analysis.data_version(db)
    incidents.add_update(db, people["shop_a"], reference, changes={"category": "Violence"}, now=NOW)
    after_update = analysis.data_version(db)
    assert before < after_report < after_update


def test_summary_and_labels_of_partner_reports(reports, people):
    frame = analysis.analysis_frame(reports, people["coordinator"])
    summary = analysis.summary(frame)
    assert (summary["first_month"], summary["last_month"]) == ("2026-05", "2026-06")
    assert summary["rows_accepted"] == 4 and summary["months_missing"] == {}
    assert analysis.categories(frame) == ["Shop theft", "Violence"]
    assert analysis.label(frame) == "Partner reports"  # real reports: no SYNTHETIC label


def test_aggregate_totals_add_up_the_funders_counts(reports, people):
    counts = incidents.aggregate_counts(reports, people["funder"])
    totals = incidents.aggregate_totals(counts)
    assert totals.incidents == 4
    assert totals.by_month.set_index("month")["incidents"].to_dict() == {
        "2026-05": 1,
        "2026-06": 3,
    }
    assert sorted(totals.by_cell["incidents"]) == [1, 3]  # Fleet Street's square, Union's
    assert (totals.by_cell["radius_m"] == totals.by_cell["incidents"] * 25).all()


# ---------------------------------------------------------------- pages, per role


@pytest.fixture(scope="module")
def demo_dir(seeded_demo_dir, tmp_path_factory):
    """A data folder holding the seeded demo partnership (this module's own copy)."""
    return copy_of_demo(seeded_demo_dir, tmp_path_factory.mktemp("dataset") / "var")


@pytest.fixture
def demo_env(demo_dir, monkeypatch):
    """Point the pages at the demo database; returns it."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", str(demo_dir))
    return Database(f"sqlite:///{demo_dir / 'partners.db'}")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(str(ROOT / "pages" / page)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_signed_out_the_partner_reports_are_not_offered_even_by_link(demo_env):
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.query_params["dataset"] = analysis.KEY
    at.run()
    assert not at.exception
    assert analysis.KEY not in at.selectbox(key="dataset").options
    assert at.selectbox(key="dataset").value == "torbay"
    assert any("No area called 'partners'" in w.value for w in at.sidebar.warning)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("pharmacy@demo.example", "own"),
        ("coordinator@demo.example", "all"),
        ("police@demo.example", "all"),
        ("funder@demo.example", "all"),
    ],
)
def test_each_role_analyses_the_partner_reports_it_may_see(demo_env, email, expected):
    account = accounts.account_for_email(demo_env, email)
    everyone = incidents.aggregate_totals(incidents.aggregate_counts(demo_env, account))
    own = (
        len(incidents.visible_incidents(demo_env, account))
        if expected == "own"
        else everyone.incidents
    )
    at = signed_in_app(email)
    at.run()  # the sidebar drawn for the signed-in role
    area = at.selectbox(key="dataset")
    assert area.options[-2:] == ["Partner reports (SYNTHETIC demo)", "Upload a file"]
    area.set_value(analysis.KEY).run()
    assert at.multiselect(key="categories").value == []  # every category, not Torbay's ASB

    _open(at, "overview.py")
    assert "SYNTHETIC" in at.title[0].value
    assert any("SYNTHETIC" in w.value for w in at.warning)
    assert _metric(at, "Incidents") == f"{own:,}"
    assert int(_metric(at, "Hotspots")) >= 1
    assert "When: day of week and hour of day" in [s.value for s in at.subheader]
    funder = email.startswith("funder")
    assert any(analysis.FUNDER_NOTE in i.value for i in at.caption) == funder

    _open(at, "hotspots.py")
    assert "SYNTHETIC" in at.title[0].value
    downloads = [d.label for d in at.get("download_button")]
    assert any(label.startswith("Incidents of #") for label in downloads) != funder
    for table in at.dataframe:  # no single report's text reaches a funder
        shown = [str(cell) for cell in table.value.to_numpy().ravel()]
        assert not funder or not any(demo.SYNTHETIC_PREFIX.strip() in c for c in shown)

    _open(at, "planner.py")
    assert at.toggle(key="planner_peak_from_times").value
    start, end = planner.busiest_peak(analysis.analysis_frame(demo_env, account))
    assert any(c.value.startswith(f"Peak {start}-{end}:") for c in at.caption)
    assert not any(t.label == "Peak starts" for t in at.get("time_input"))


def test_signing_out_takes_the_partner_reports_away(demo_env):
    at = signed_in_app("police@demo.example")
    at.run()
    at.selectbox(key="dataset").set_value(analysis.KEY).run()
    _open(at, "login.py")
    next(b for b in at.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "torbay"
    assert analysis.KEY not in at.selectbox(key="dataset").options


def test_a_partner_never_sees_another_members_reports_in_the_analysis(demo_env):
    at = signed_in_app("pharmacy@demo.example")
    at.run()
    at.selectbox(key="dataset").set_value(analysis.KEY).run()
    at.multiselect(key="categories").set_value([]).run()
    _open(at, "hotspots.py")
    table = at.dataframe[0].value
    shown = " ".join(str(cell) for cell in table.to_numpy().ravel())
    for shop in demo.SHOPS[1:]:
        assert shop.premises not in shown
    pharmacy = accounts.account_for_email(demo_env, "pharmacy@demo.example")
    mine = pd.Series(incidents.visible_incidents(demo_env, pharmacy)["organisation"]).unique()
    assert list(mine) == ["Fleet Street Pharmacy (demo)"]
