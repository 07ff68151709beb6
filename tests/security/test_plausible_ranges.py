"""Implausible months and ping times are rejected rows with reasons, never a stretched axis."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo import schema
from geo.io.incidents import SourceFile, ingest, plausible_month_range
from geo.io.pings import REASON_BAD_TIMESTAMP, REASON_IMPLAUSIBLE_TIME, validate_pings
from tests.security.helpers import attack, ingest_rejecting, street_csv, street_rows

SQUARE_GEOJSON = (
    '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},'
    '"geometry":{"type":"Polygon","coordinates":[[[-3.527,50.461],[-3.524,50.461],'
    "[-3.524,50.463],[-3.527,50.463],[-3.527,50.461]]]}}]}"
)


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


@pytest.mark.parametrize("month", ["9999-12", "0000-01"])
def test_cli_rejects_an_implausible_month_as_a_row_and_keeps_its_axis(tmp_path, month):
    rows = street_rows(4) + [street_rows(1, month=month)[0].replace("id000000", "odd")]
    (tmp_path / "m.csv").write_bytes(street_csv(rows))
    run, rejected = ingest_rejecting(tmp_path, "m.csv")
    assert "wrote 4 incidents" in run.out
    assert "9999" not in run.out and "0000" not in run.out  # no month range reaches it
    assert rejected["reason"].tolist() == [schema.REASON_MONTH_OUT_OF_RANGE]


def test_plausible_months_run_from_dec_2010_to_next_month():
    assert plausible_month_range(dt.date(2026, 12, 15)) == (
        dt.date(2010, 12, 1),
        dt.date(2027, 1, 1),
    )
    result = ingest([SourceFile("m.csv", lambda: street_csv(street_rows(1, month="2010-12")))])
    assert result.summary.rows_accepted == 1


#: Hostile ping times and the reason each is rejected with. ``0001-01-01Z`` is not ISO 8601
#: (a zone needs a time of day), so it is unparsable rather than out of range.
BAD_TIMES = {
    "9999-12-31T23:59:59Z": REASON_IMPLAUSIBLE_TIME,
    "0000-01-01T00:00:00": REASON_IMPLAUSIBLE_TIME,
    "0001-01-01Z": REASON_BAD_TIMESTAMP,
    "0001-01-01T00:00:00Z": REASON_IMPLAUSIBLE_TIME,
    "2262-04-01T00:00:00": REASON_IMPLAUSIBLE_TIME,
    "1999-12-31T12:00:00": REASON_IMPLAUSIBLE_TIME,
}


@pytest.mark.parametrize(("when", "reason"), BAD_TIMES.items())
def test_a_ping_time_outside_the_plausible_window_is_rejected(when, reason):
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
    assert read.rejected["reason"].tolist() == [reason]
    assert read.rows["timestamp"].max() == pd.Timestamp("2024-07-03 10:01", tz="Europe/London")


@pytest.mark.parametrize(("when", "reason"), list(BAD_TIMES.items())[:4])
def test_coverage_cli_keeps_its_weeks_when_one_ping_is_implausible(tmp_path, when, reason):
    lines = ["unit_id,timestamp,lat,lon"]
    lines += [
        f"PC1,2024-07-{d:02d}T10:{m:02d}:00,50.4619,-3.5253" for d in (1, 20) for m in range(20)
    ]
    lines.append(f"PC1,{when},50.4619,-3.5253")
    (tmp_path / "pings.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "h.geojson").write_text(SQUARE_GEOJSON)
    run = attack(
        tmp_path, "coverage", "pings.csv", "--hotspots", "h.geojson",
        "--funding-date", "2024-07-10", "--out", "cov.csv", "--rejected", "rej.csv",
        writes=["cov.csv", "rej.csv"],
    )  # fmt: skip
    assert "41 pings: 40 accepted, 1 rejected" in run.out
    rejected = pd.read_csv(tmp_path / "rej.csv")
    assert rejected["reason"].tolist() == [reason]
    coverage = pd.read_csv(tmp_path / "cov.csv")
    # The windows run 1-10 July and 10-20 July (the last plausible ping), not to 2262.
    assert coverage["weeks"].tolist() == pytest.approx([9 / 7, 11 / 7])
