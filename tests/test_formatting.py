"""Tests for geo.formatting: months and table presentation shared by pages and CSVs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.formatting import COLUMNS, month_label, present_table


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2024, 1, 1), "Jan 2024"),
        ("2024-01-01", "Jan 2024"),
        ("2023-12", "Dec 2023"),
        (pd.Timestamp("2025-06-30 23:00", tz="Europe/London"), "Jun 2025"),
        (pd.Period("2024-02", freq="M"), "Feb 2024"),
        (None, ""),
        ("not a month", ""),
    ],
)
def test_month_label(value, expected):
    assert month_label(value) == expected


def test_present_table_renames_scales_and_rounds():
    raw = pd.DataFrame(
        {
            "rank": [1],
            "name": ["Castle Circus"],
            "share": [0.12345],
            "pai": [19.6758],
            "area_m2": [487442.0],
            "first_month": [dt.date(2024, 1, 1)],
            "every_2h": [True],
            "internal_only": [42],
        }
    )
    shown, specs = present_table(raw)
    assert list(shown.columns) == [
        "Rank",
        "Hotspot",
        "Share of incidents (%)",
        "PAI (×)",
        "Area (ha)",
        "First month",
        "Visited every 2 h",
    ]
    row = shown.iloc[0]
    assert row["Share of incidents (%)"] == 12.3
    assert row["PAI (×)"] == 19.7
    assert row["Area (ha)"] == 48.74
    assert row["First month"] == "Jan 2024"
    assert row["Visited every 2 h"] == "yes"
    assert specs["PAI (×)"].printf == "%.1f"
    assert specs["Share of incidents (%)"].printf == "%.1f%%"
    assert specs["Hotspot"].printf is None


def test_every_header_is_plain_language():
    for code, spec in COLUMNS.items():
        assert "_" not in spec.label, code
        assert spec.label[0].isupper(), code
