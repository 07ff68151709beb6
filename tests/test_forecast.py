"""Forecast and backtest against a hand computation on ``fixtures/planner/incidents.csv``.

The fixture: a 400 m x 400 m study area (A = 160,000 m²) with its south-west corner at
BNG (290000, 63000), 100 m grid cells (a/A = 1/16 each), incidents at cell centres:

    cell (col, row)   2024-01  2024-02  2024-03  2024-05  2025-01  2025-02
    A (0, 0) = #0        3        1        2        1        2        1
    B (1, 0) = #1        1        2        2        .        .        1
    C (2, 0) = #2        2        .        1        3        .        .
    D (0, 1) = #5        .        4        .        .        1        2
    E (3, 3) = #18       .        .        1        .        4        1

2024-04 and 2024-06..12 have no data. Method "both", N = 2, decay 0.5, w = 0.5, top 2:

* 2024-01 -> 02: recent = Jan counts (one month); no 2023-02, so recent only.
  Top A (3), C (2). Feb: 7 incidents, 1 in A or C. HR = 1/7, PAI = (1/7)/(2/16) = 8/7.
* 2024-02 -> 03: recent = (Feb + 0.5 Jan) / 1.5: D 4/1.5, A = B = 2.5/1.5 (tie: A, the
  lower cell). Mar: 6 incidents, 2 in D or A. HR = 1/3, PAI = 8/3.
* 2025-01 -> 02: recent over 2024-05 (lag 8, weight 1/256) and 2025-01 (weight 1);
  seasonal = 2024-02. Scores: D 0.5*4 + 0.5*256/257 = 2.498, E 0.5*1024/257 = 1.992,
  A 0.5*1 + 0.5*513/257 = 1.498. Top D, E. Feb 2025: 5 incidents, 3 in D or E.
  HR = 3/5, PAI = 24/5.

The other 10 month pairs touch a month without data and are skipped.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.checks import GeoInputError
from geo.planning.forecast import ForecastMethod, UnitSpec, backtest, forecast_next, score_units
from geo.projection import bng_to_lonlat
from geo.schema import BNG

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "planner" / "incidents.csv"
MISSING = ["2024-04", *(f"2024-{m:02d}" for m in range(6, 13))]
STUDY_AREA = gpd.GeoSeries([shapely.box(290000, 63000, 290400, 63400)], crs=BNG)
GRID = UnitSpec("grid", cell_size_m=100)
METHOD = ForecastMethod("both", recent_months=2, decay=0.5, seasonal_weight=0.5)


def load_fixture() -> gpd.GeoDataFrame:
    frame = pd.read_csv(FIXTURE)
    lon, lat = bng_to_lonlat(frame["easting"].to_numpy(float), frame["northing"].to_numpy(float))
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["easting"] = frame["easting"].astype(float)
    frame["northing"] = frame["northing"].astype(float)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


@pytest.fixture(scope="module")
def incidents():
    return load_fixture()


def test_backtest_equals_hand_computation(incidents):
    result = backtest(
        incidents, method=METHOD, units=GRID, top_k=2, missing=MISSING, study_area=STUDY_AREA
    )
    table = result.months
    assert table["month"].tolist() == ["2024-01", "2024-02", "2025-01"]
    assert table["target"].tolist() == ["2024-02", "2024-03", "2025-02"]
    assert table["incidents"].tolist() == [7, 6, 5]
    assert table["hits"].tolist() == [1, 2, 3]
    assert table["top_k"].tolist() == [2, 2, 2]
    assert table["seasonal_used"].tolist() == [False, False, True]
    np.testing.assert_allclose(table["hit_rate"], [1 / 7, 1 / 3, 3 / 5])
    np.testing.assert_allclose(table["area_share"], [1 / 8] * 3)
    np.testing.assert_allclose(table["pai"], [8 / 7, 8 / 3, 24 / 5])
    summary = result.summary()
    assert summary["pairs"] == 3
    assert summary["hit_rate_mean"] == pytest.approx((1 / 7 + 1 / 3 + 3 / 5) / 3)
    assert summary["hit_rate_min"] == pytest.approx(1 / 7)
    assert summary["hit_rate_max"] == pytest.approx(3 / 5)
    assert summary["pai_mean"] == pytest.approx((8 / 7 + 8 / 3 + 24 / 5) / 3)
    assert len(result.skipped) == 10
    assert set(result.skipped["reason"]) == {"no data for one of the two months"}


def test_naive_benchmarks_by_hand(incidents):
    """Top 2 by last month's counts, and by the same month a year earlier:

    * last month, 2024-01 -> 02: Jan A 3, C 2; Feb hits in A or C: 1 of 7.
    * last month, 2024-02 -> 03: Feb D 4, B 2; Mar hits in D or B: 2 of 6.
    * last month, 2025-01 -> 02: Jan 2025 E 4, A 2; Feb 2025 hits in E or A: 2 of 5.
    * last year, 2025-01 -> 02: Feb 2024 D 4, B 2; Feb 2025 hits in D or B: 3 of 5. The
      2024 targets have no month a year earlier and get no row.
    """
    result = backtest(
        incidents, method=METHOD, units=GRID, top_k=2, missing=MISSING, study_area=STUDY_AREA
    )
    naive = result.benchmarks
    last_month = naive[naive["benchmark"] == "last_month"]
    assert last_month["target"].tolist() == ["2024-02", "2024-03", "2025-02"]
    assert last_month["hits"].tolist() == [1, 2, 2]
    assert last_month["incidents"].tolist() == [7, 6, 5]
    np.testing.assert_allclose(last_month["pai"], [8 / 7, 8 / 3, 16 / 5])
    last_year = naive[naive["benchmark"] == "last_year"]
    assert last_year["target"].tolist() == ["2025-02"]
    assert last_year["hits"].tolist() == [3]
    np.testing.assert_allclose(last_year["pai"], [24 / 5])

    table = result.benchmark_comparison().set_index("Compared with")
    row = table.loc["Last month's hotspots"]
    assert row["Months compared"] == 3
    assert row["Hit rate, forecast (%)"] == pytest.approx((1 / 7 + 1 / 3 + 3 / 5) / 3 * 100)
    assert row["Hit rate, benchmark (%)"] == pytest.approx((1 / 7 + 1 / 3 + 2 / 5) / 3 * 100)
    assert row["PAI, forecast"] == pytest.approx((8 / 7 + 8 / 3 + 24 / 5) / 3)
    assert row["PAI, benchmark"] == pytest.approx((8 / 7 + 8 / 3 + 16 / 5) / 3)
    row = table.loc["Same month last year"]  # compared on 2025-02 only
    assert row["Months compared"] == 1
    assert row["Hit rate, forecast (%)"] == pytest.approx(60.0)
    assert row["Hit rate, benchmark (%)"] == pytest.approx(60.0)
    assert row["PAI, forecast"] == pytest.approx(24 / 5)
    assert result.benchmark_sentence() == (
        "The forecast beat last month's hotspots (PAI 2.9 against 2.3, 3 months); "
        "it matched same month last year (PAI 4.8 against 4.8, 1 month)."
    )


def test_benchmark_that_never_scores_says_so(incidents):
    """Before 2025 no month has its month a year earlier: no last-year comparison."""
    early = incidents[pd.to_datetime(incidents["month"]) < "2025-01-01"]
    result = backtest(
        early, method=METHOD, units=GRID, top_k=2, missing=MISSING, study_area=STUDY_AREA
    )
    table = result.benchmark_comparison().set_index("Compared with")
    assert table.loc["Same month last year", "Months compared"] == 0
    assert np.isnan(table.loc["Same month last year", "PAI, benchmark"])
    assert "same month last year could not be scored" in result.benchmark_sentence()


def test_missing_months_inferred_when_not_given(incidents):
    given = backtest(incidents, method=METHOD, units=GRID, top_k=2, study_area=STUDY_AREA)
    assert given.months["hits"].tolist() == [1, 2, 3]


def test_recent_and_seasonal_methods_by_hand(incidents):
    recent = backtest(
        incidents,
        method=ForecastMethod("recent", recent_months=2),
        units=GRID,
        top_k=2,
        missing=MISSING,
        study_area=STUDY_AREA,
    )
    # 2025-01 -> 02, recent only: E (1024/257) and A (513/257) beat D (256/257): hits 1 + 1.
    assert recent.months["hits"].tolist() == [1, 2, 2]
    seasonal = backtest(
        incidents,
        method=ForecastMethod("seasonal"),
        units=GRID,
        top_k=2,
        missing=MISSING,
        study_area=STUDY_AREA,
    )
    # Only 2025-02 has its month a year earlier; 2024-02 ranks D (4), B (2): hits 2 + 1.
    assert seasonal.months["target"].tolist() == ["2025-02"]
    assert seasonal.months["hits"].tolist() == [3]
    assert "no data 12 months before the target month" in set(seasonal.skipped["reason"])


def test_forecast_next_by_hand(incidents):
    result = forecast_next(
        incidents, method=METHOD, units=GRID, missing=MISSING, study_area=STUDY_AREA
    )
    assert (result.target, result.based_on, result.seasonal_used) == ("2025-03", "2025-02", True)
    top = result.table.head(5)
    # Cell ids are 1-based: A = 1, B = 2, C = 3, D = 6, E = 19.
    assert top["hotspot_id"].tolist() == [1, 19, 2, 6, 3]
    np.testing.assert_allclose(top["risk"], [5 / 3, 1.5, 4 / 3, 5 / 6, 0.5])
    np.testing.assert_allclose(top["recent"], [4 / 3, 2, 2 / 3, 5 / 3, 0])
    np.testing.assert_allclose(top["seasonal"], [2, 1, 2, 0, 1])


def test_score_units_weights_by_calendar_lag():
    counts = np.array([[4.0, 0.0, 2.0]])
    months = np.array([100, 102, 103])  # month 101 has no data
    scores = score_units(counts, months, 104, ForecastMethod("recent", recent_months=3, decay=0.5))
    weights = np.array([0.5**3, 0.5**1, 1.0])
    assert scores.score[0] == pytest.approx((counts[0] @ weights) / weights.sum())
    assert score_units(counts, months, 104, ForecastMethod("seasonal")) is None


def test_hotspot_backtest_never_sees_the_future(incidents):
    """Rows up to a month are identical whether or not later months exist."""
    units = UnitSpec("hotspots", eps_m=100, min_samples=3)
    full = backtest(incidents, method=METHOD, units=units, top_k=2, missing=MISSING)
    early = incidents[incidents["month"].astype(str) <= "2024-03-01"]
    cut = backtest(early, method=METHOD, units=units, top_k=2, study_area=None)
    shared = full.months[full.months["target"] <= "2024-03"].reset_index(drop=True)
    # PAI uses the study area (here: the hull of all incidents), so compare counts.
    pd.testing.assert_frame_equal(
        shared[["month", "target", "units", "incidents", "hits"]],
        cut.months[["month", "target", "units", "incidents", "hits"]],
    )
    assert len(shared) >= 1


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"kind": "daily"}, "method"),
        ({"decay": 0}, "decay"),
        ({"decay": 2}, "decay"),
        ({"seasonal_weight": 1.5}, "seasonal_weight"),
        ({"recent_months": 0}, "recent_months"),
    ],
)
def test_bad_method_names_the_argument(kwargs, text):
    with pytest.raises(GeoInputError, match=text):
        ForecastMethod(**kwargs)


def test_bad_units_name_the_argument():
    with pytest.raises(GeoInputError, match="units"):
        UnitSpec("lsoa")
    with pytest.raises(GeoInputError, match="cell_size_m"):
        UnitSpec("grid", cell_size_m=-5)
