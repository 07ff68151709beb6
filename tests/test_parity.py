"""One number, one function: the README's commands and the pages agree on embedded Torbay.

Each test runs a command of the README (``python -m geo ...``, in this process through
:func:`geo.cli.main`) and the matching page in AppTest with the same settings, then
compares what a user reads on each. The impact command's figures (rate ratio and its
intervals, raw change, permutation p, power, design months) are compared with the Impact
page and the funder report in ``tests/test_impact_agreement.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.cli import main
from geo.io import datasets
from geo.schema import ASB

ROOT = Path(__file__).resolve().parents[1]
TORBAY = str(datasets.get_dataset("torbay").incidents_path)
SYNTHETIC = datasets.DATA_DIR / "synthetic"
EPS_M, MIN_SAMPLES = 100, 30


def _page(path: str, timeout: float = 180) -> AppTest:
    """The dashboard on Torbay's anti-social behaviour, switched to the page at ``path``."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    at.query_params["dataset"] = "torbay"
    at.run()
    at.multiselect(key="categories").set_value([ASB]).run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def _table_with(at: AppTest, header: str) -> pd.DataFrame:
    """The first table on the page with a column called ``header``."""
    return next(frame.value for frame in at.dataframe if header in frame.value.columns)


def test_hotspot_names_incidents_and_pai_agree(tmp_path):
    out = tmp_path / "hotspots.geojson"
    command = ["hotspots", TORBAY, "--category", ASB, "--out", str(out)]
    command += ["--eps", str(EPS_M), "--min-samples", str(MIN_SAMPLES)]
    assert main(command) == 0
    cli = gpd.read_file(out)

    at = _page("pages/hotspots.py")
    at.slider(key="eps").set_value(EPS_M).run()
    at.number_input(key="min_samples").set_value(MIN_SAMPLES).run()
    assert not at.exception
    shown = _table_with(at, "PAI (×)")

    assert len(cli) > 5
    assert shown["Hotspot"].tolist() == cli["name"].tolist()
    assert shown["Incidents"].tolist() == cli["incidents"].tolist()
    np.testing.assert_allclose(shown["PAI (×)"], cli["pai"].round(1))


def test_patrol_minutes_per_hotspot_before_and_after_agree(tmp_path):
    out = tmp_path / "coverage.csv"
    pings = SYNTHETIC / "torbay-patrols-synthetic.parquet"
    zones = SYNTHETIC / "torbay-hotspots-synthetic.geojson"
    command = ["coverage", str(pings), "--hotspots", str(zones)]
    command += ["--funding-date", "2024-06-01", "--out", str(out)]
    assert main(command) == 0
    cli = pd.read_csv(out).pivot(
        index="hotspot_id", columns="period", values="patrol_minutes_per_week"
    )

    at = _page("pages/coverage.py", timeout=300)
    at.sidebar.radio(key="cov_hotspots").set_value("zones").run()
    assert not at.exception
    shown = _table_with(at, "Before (min/week)").set_index("Hotspot")

    assert sorted(shown.index) == sorted(cli.index)
    np.testing.assert_allclose(shown["Before (min/week)"], cli.loc[shown.index, "before"])
    np.testing.assert_allclose(shown["After (min/week)"], cli.loc[shown.index, "after"])


def test_plan_visits_and_minutes_agree(tmp_path):
    at = _page("pages/planner.py", timeout=300)
    plan_day = at.date_input(key="planner_date").value
    shown = _table_with(at, "Visits per day")

    out = tmp_path / "plan.csv"
    command = ["plan", TORBAY, "--category", ASB, "--date", f"{plan_day:%Y-%m-%d}"]
    command += ["--eps", str(EPS_M), "--min-samples", str(MIN_SAMPLES), "--out", str(out)]
    assert main(command) == 0
    cli = pd.read_csv(out)

    assert isinstance(plan_day, dt.date)
    assert len(cli) > 0
    assert shown["Hotspot"].tolist() == cli["name"].tolist()
    assert shown["Visits per day"].tolist() == cli["visits_per_day"].tolist()
    np.testing.assert_allclose(shown["Minutes per day"], cli["minutes_per_day"])


@pytest.mark.parametrize(
    ("flag", "value"), [("--eps", "100"), ("--min-samples", "30")], ids=["eps", "min-samples"]
)
def test_planner_page_clusters_with_the_commands_defaults(flag, value):
    # The page's forecast settings start where the plan command's do.
    at = _page("pages/planner.py", timeout=300)
    widget = {
        "--eps": at.slider(key="planner_eps"),
        "--min-samples": at.number_input(key="planner_min_samples"),
    }[flag]
    assert widget.value == int(value)
