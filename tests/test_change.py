"""Tests for geo.change: before/after counts and sfhotspot-style classification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from geo.checks import GeoInputError
from geo.hotspots.change import (
    MIXED,
    NO_PATTERN,
    ClassifyParams,
    change_by_hotspot,
    change_cells,
    classify,
    classify_cells,
    holm_by_row,
    period_of_month,
)
from geo.hotspots.dbscan import find_hotspots
from geo.projection import metric_xy

TORBAY = Path(__file__).resolve().parent.parent / "data" / "incidents" / "torbay.parquet"
MONTHS = pd.Series([dt.date(2024, m, 1) for m in (1, 1, 2, 6, 7, 7, 8)])


# CHECK BEFORE / AFTER --------------------------------------------------------------


def test_change_by_hotspot_counts_and_rates():
    labels = np.array([1, 2, 1, 1, -1, 2, 2])
    table = change_by_hotspot(MONTHS, labels, "2024-06")
    assert list(table.columns) == [
        "hotspot_id",
        "n_before",
        "n_after",
        "change",
        "per_month_before",
        "per_month_after",
        "rate_change",
    ]
    assert table["n_before"].tolist() == [2, 1] and table["n_after"].tolist() == [1, 2]
    assert table["change"].tolist() == [-1, 1]
    # months present: before 2024-01, 2024-02 (2); after 2024-06..08 (3)
    np.testing.assert_allclose(table["per_month_before"], [1.0, 0.5])
    np.testing.assert_allclose(table["per_month_after"], [1 / 3, 2 / 3])


def test_boundary_outside_the_data_is_rejected():
    with pytest.raises(GeoInputError, match="no months on both sides"):
        change_by_hotspot(MONTHS, np.ones(7, dtype=int), "2025-01")


def test_change_on_torbay_street_focus_launch(torbay_asb):
    result = find_hotspots(torbay_asb, eps_m=100, min_samples=30)
    table = change_by_hotspot(torbay_asb["month"], result.labels, "2024-06")
    assert (table["n_before"] + table["n_after"]).tolist() == result.hotspots["incidents"].tolist()
    x, y, crs = metric_xy(torbay_asb)
    cells = change_cells(x, y, crs, torbay_asb["month"], "2024-06", cell_size_m=200)
    assert cells["n_before"].sum() + cells["n_after"].sum() == len(torbay_asb)
    assert cells["n_before"].sum() == (torbay_asb["month"] < dt.date(2024, 6, 1)).sum()
    assert cells.crs == "EPSG:4326" and cells.attrs["cell_size_m"] == 200


# CHECK CLASSIFICATION --------------------------------------------------------------


def _row(hot_periods, n=10):
    row = np.zeros(n, dtype=bool)
    row[list(hot_periods)] = True
    return row


def test_classify_follows_sfhotspot_rules():
    none = _row([])
    hot = np.array(
        [
            _row(range(9)),  # 90 % of periods
            _row([8, 9]),  # only the 2 recent periods
            _row([0, 1, 2]),  # older only
            _row([1, 4, 8]),  # on and off
            none,
            _row([8, 9]),  # emerging hot ...
            none,
        ]
    )
    cold = np.array([none, none, none, none, none, _row([0, 1]), _row(range(10))])
    assert classify(hot, cold).tolist() == [
        "persistent hotspot",
        "emerging hotspot",
        "former hotspot",
        "intermittent hotspot",
        NO_PATTERN,
        MIXED,  # ... and former cold
        "persistent coldspot",
    ]


def test_classify_params_change_the_thresholds():
    hot = np.array([_row(range(7))])
    none = np.zeros_like(hot)
    assert classify(hot, none)[0] == "former hotspot"
    assert classify(hot, none, ClassifyParams(persistent_prop=0.7))[0] == "persistent hotspot"


def test_classify_needs_an_older_period():
    with pytest.raises(GeoInputError, match="none to compare"):
        classify(np.ones((2, 1), dtype=bool), np.zeros((2, 1), dtype=bool))


def test_holm_matches_statsmodels():
    p = np.random.default_rng(0).uniform(size=(5, 12)) ** 2
    expected = np.vstack([multipletests(row, method="holm")[1] for row in p])
    np.testing.assert_allclose(holm_by_row(p), expected)


def test_periods_skip_months_without_data(torbay_asb):
    period, length = period_of_month(torbay_asb["month"])
    assert length == 1 and period.max() == 15  # 16 months present, 2024-05..12 missing
    period, length = period_of_month(torbay_asb["month"], 4)
    assert period.max() == 3


def test_classify_cells_on_torbay(torbay_asb):
    x, y, crs = metric_xy(torbay_asb)
    cells = classify_cells(x, y, crs, torbay_asb["month"], cell_size_m=300, period_months=2)
    assert cells.attrs["periods"] == 8 and cells.attrs["cell_size_m"] == 300
    allowed = {NO_PATTERN, MIXED} | {
        f"{kind} {spot}"
        for kind in ("persistent", "emerging", "former", "intermittent")
        for spot in ("hotspot", "coldspot")
    }
    assert set(cells["hotspot_category"]) <= allowed
    assert (cells["hotspot_category"] != NO_PATTERN).any()
    assert cells.crs == "EPSG:4326"


def test_default_periods_are_season_matched_when_possible():
    from geo.hotspots.change import default_periods

    torbay = [f"2024-{m:02d}" for m in range(1, 5)] + [f"2025-{m:02d}" for m in range(1, 13)]
    assert default_periods(torbay) == (("2024-01", "2024-04"), ("2025-01", "2025-04"))
    six = [f"2025-{m:02d}" for m in range(1, 7)]
    assert default_periods(six) == (("2025-01", "2025-03"), ("2025-04", "2025-06"))


def test_period_change_counts_add_up_and_cells_share_one_grid(torbay_asb):
    import geopandas as gpd

    from geo.hotspots.change import NO_PATTERN, period_change

    asb = torbay_asb
    result = period_change(
        asb, ("2024-01", "2024-04"), ("2025-01", "2025-04"), eps_m=100, min_samples=30
    )
    in_before = asb["month"].astype(str).between("2024-01-01", "2024-04-01").sum()
    assert result.incidents_before == in_before
    assert result.cells["n_before"].sum() == in_before
    assert result.cells["n_after"].sum() == result.incidents_after
    assert (
        result.hotspots["n_before"] + result.hotspots["n_after"] == result.hotspots["incidents"]
    ).all()
    assert set(result.hotspots["classification"]) <= {
        "persistent",
        "emerging",
        "former",
        "intermittent",
        NO_PATTERN,
    }
    assert isinstance(result.cells, gpd.GeoDataFrame)
    with pytest.raises(GeoInputError, match="overlap"):
        period_change(
            asb, ("2024-01", "2025-02"), ("2025-01", "2025-04"), eps_m=100, min_samples=30
        )


def test_reversed_period_and_too_few_months_are_rejected(torbay_asb):
    from geo.hotspots.change import default_periods, period_change

    with pytest.raises(GeoInputError, match="`before` starts after it ends"):
        period_change(
            torbay_asb, ("2024-04", "2024-01"), ("2025-01", "2025-04"), eps_m=100, min_samples=30
        )
    with pytest.raises(GeoInputError, match="at least 2 months"):
        default_periods(["2025-01"])
