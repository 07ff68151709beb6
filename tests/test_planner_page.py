"""Patrol planner page, headless: no exception, numbers equal geo's, hours change the plan."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import caveats
from geo.hotspots import naming
from geo.io import datasets
from geo.planning import planner
from geo.planning.forecast import ForecastMethod, UnitSpec, backtest, forecast_next

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def torbay_forecast(torbay_incidents):
    history = torbay_incidents
    missing = datasets.load_summary("torbay")["months_missing"]["Devon & Cornwall Police"]
    return forecast_next(
        history,
        method=ForecastMethod(),
        units=UnitSpec(),
        missing=missing,
        study_area=datasets.load_study_area("torbay"),
        gazetteer=naming.load_gazetteer(),
    )


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _expected(forecast, hours: float) -> planner.PatrolPlan:
    # The page starts from PlanSettings' defaults, as the plan command does.
    settings = dataclasses.replace(
        planner.PlanSettings(),
        hours_per_day=hours,
        plan_date=dt.date.fromisoformat(f"{forecast.target}-01"),
    )
    return planner.plan_patrols(forecast.table, settings)


def test_planner_page_matches_geo_and_follows_hours(torbay_forecast):
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("pages/planner.py").run()
    assert not at.exception
    assert at.title[0].value == "Patrol planner: Torbay"
    expected = _expected(torbay_forecast, 6.0)
    assert _metric(at, "Forecast month") == torbay_forecast.target == "2026-01"
    assert _metric(at, "Hotspots in plan") == str(len(expected.plan))
    assert _metric(at, "Visits per day") == str(int(expected.plan["visits_per_day"].sum()))
    shown = at.dataframe[0].value
    assert shown["Hotspot id"].tolist() == expected.plan["hotspot_id"].tolist()
    assert shown["Visits per day"].tolist() == expected.plan["visits_per_day"].tolist()
    # police.uk has months only: the page says so instead of drawing a time grid.
    assert any(caveats.MONTH_ONLY in info.value for info in at.info)
    labels = {button.label for button in at.get("download_button")}
    assert {"Plan (CSV)", "Plan (GeoJSON)", "Waypoints (GPX)", "Briefing (PDF)"} <= labels
    # The synthetic compliance table is labelled as synthetic.
    assert any("SYNTHETIC" in warning.value for warning in at.warning)
    # January's plan is never compared with December's patrols: the page says why not.
    assert any(
        "No delivered patrols cover the plan's period" in info.value
        and "Thu 01 Jan 2026" in info.value
        for info in at.info
    )

    at.number_input(key="planner_hours").set_value(2.0).run()
    assert not at.exception
    fewer = _expected(torbay_forecast, 2.0)
    assert _metric(at, "Visits per day") == str(int(fewer.plan["visits_per_day"].sum()))
    assert int(_metric(at, "Visits per day")) < int(expected.plan["visits_per_day"].sum())


def test_forecast_section_shows_geo_benchmarks(torbay_incidents):
    """The "How good is the forecast?" table is geo's benchmark comparison, unchanged."""
    expected = backtest(
        torbay_incidents,
        method=ForecastMethod(),
        units=UnitSpec(),
        top_k=10,
        missing=datasets.load_summary("torbay")["months_missing"]["Devon & Cornwall Police"],
        study_area=datasets.load_study_area("torbay"),
    )
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    at.switch_page("pages/planner.py").run()
    assert not at.exception
    shown = next(df.value for df in at.dataframe if "Compared with" in df.value.columns)
    table = expected.benchmark_comparison()
    assert shown["Compared with"].tolist() == ["Last month's hotspots", "Same month last year"]
    assert shown.equals(table)
    assert table["Months compared"].tolist()[0] > 0  # Torbay has scorable month pairs
    assert any(expected.benchmark_sentence() in caption.value for caption in at.caption)
