"""Implausible months and ping times are rejected rows with reasons, never a stretched axis."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo import schema
from geo.io.incidents import SourceFile, ingest, plausible_month_range
from geo.io.pings import REASON_IMPLAUSIBLE_TIME, validate_pings
from tests.security.helpers import street_csv, street_rows


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2010-11", "1970-01"])
def test_a_month_outside_the_plausible_range_is_rejected(month):
    rows = street_rows(4) + street_rows(1, month=month)
    rows[-1] = rows[-1].replace("id000000", "odd")
    result = ingest([SourceFile("m.csv", lambda: street_csv(rows))])
    assert result.summary.rows_accepted == 4
    assert result.summary.rejected_by_reason == {schema.REASON_MONTH_OUT_OF_RANGE: 1}
    assert (result.summary.first_month, result.summary.last_month) == ("2024-01", "2024-01")
    assert result.summary.months_missing == {"Devon & Cornwall Police": []}
    assert f"'{month}'" in result.rejected["detail"].iloc[0]


def test_plausible_months_run_from_dec_2010_to_next_month():
    assert plausible_month_range(dt.date(2026, 12, 15)) == (
        dt.date(2010, 12, 1),
        dt.date(2027, 1, 1),
    )
    result = ingest([SourceFile("m.csv", lambda: street_csv(street_rows(1, month="2010-12")))])
    assert result.summary.rows_accepted == 1


@pytest.mark.parametrize(
    "when",
    ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00", "2262-04-01T00:00:00", "1999-12-31T12:00:00"],
)
def test_a_ping_time_outside_the_plausible_window_is_rejected(when):
    frame = pd.DataFrame(
        {
            "unit_id": ["PC1"] * 3,
            "timestamp": ["2024-07-03T10:00:00", "2024-07-03T10:01:00", when],
            "lat": ["50.46"] * 3,
            "lon": ["-3.53"] * 3,
        }
    )
    read = validate_pings(frame, source="p.csv")
    assert len(read.rows) == 2
    assert read.rejected["reason"].tolist() == [REASON_IMPLAUSIBLE_TIME]
    assert read.rows["timestamp"].max() == pd.Timestamp("2024-07-03 10:01", tz="Europe/London")


def test_coverage_cli_keeps_its_weeks_when_one_ping_is_dated_2262(tmp_path, geo_cli):
    pings = tmp_path / "pings.csv"
    lines = ["unit_id,timestamp,lat,lon"]
    lines += [
        f"PC1,2024-07-{d:02d}T10:{m:02d}:00,50.4619,-3.5253" for d in (1, 20) for m in range(20)
    ]
    lines.append("PC1,2262-04-01T00:00:00,50.4619,-3.5253")
    pings.write_text("\n".join(lines) + "\n")
    hotspots = tmp_path / "h.geojson"
    hotspots.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},'
        '"geometry":{"type":"Polygon","coordinates":[[[-3.527,50.461],[-3.524,50.461],'
        "[-3.524,50.463],[-3.527,50.463],[-3.527,50.461]]]}}]}"
    )
    run = geo_cli(
        "coverage",
        pings,
        "--hotspots",
        hotspots,
        "--funding-date",
        "2024-07-10",
        "--out",
        "cov.csv",
        "--rejected",
        "rej.csv",
    )
    assert run.rc == 0, run.err
    assert "41 pings: 40 accepted, 1 rejected" in run.out
    rejected = pd.read_csv(tmp_path / "rej.csv")
    assert rejected["reason"].tolist() == [REASON_IMPLAUSIBLE_TIME]
