"""Damaged CSVs: an unclosed quote, NUL bytes, and old Mac (CR-only) line ends."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo import schema
from geo.io.incidents import SourceFile, ingest
from tests.security.helpers import HEADER, attack, ingest_rejecting, street_csv, street_rows


@pytest.mark.parametrize(
    ("rows", "unread"),
    # 31,635 rows fit in one 16 MB parse block (the rest become one field); 120,000 rows
    # span two, where parallel parsing silently dropped the rest of the first block.
    [(31_635, "31,534"), (120_000, "119,899")],
)
def test_unclosed_quote_reports_the_file_damaged_with_lines_not_read(tmp_path, rows, unread):
    lines = street_rows(rows)
    lines[100] = lines[100].replace("On or near High Street", '"On or near Nowhere')
    (tmp_path / "2024-01-devon-street.csv").write_bytes(street_csv(lines))
    # Row 101 is line 102 (after the header); every line after it is lost.
    words = ["damaged from line 102", f"{unread} lines after it were not"]
    attack(
        tmp_path,
        "ingest",
        "2024-01-devon-street.csv",
        "--out",
        "out.parquet",
        error=["2024-01-devon-street.csv", *words],
        peak_mb=1_000,
    )


def test_rows_with_nul_bytes_are_rejected_and_nul_is_never_stored():
    rows = street_rows(5)
    rows[2] = rows[2].replace("High Street", "High\x00Street")
    result = ingest([SourceFile("nul.csv", lambda: street_csv(rows))])
    assert result.summary.rows_read == 5
    assert result.summary.rows_accepted == 4
    assert result.summary.rejected_by_reason == {schema.REASON_NUL_BYTES: 1}
    (rejected,) = result.rejected.itertuples()
    assert rejected.row == 3
    assert "\x00" not in rejected.raw
    assert json.loads(rejected.raw)["Location"] == "On or near High\ufffdStreet"
    assert not result.incidents["location"].str.contains("\x00").any()


def test_cli_rejects_rows_with_nul_bytes_with_a_reason(tmp_path):
    rows = street_rows(5)
    rows[2] = rows[2].replace("High Street", "High\x00Street")
    (tmp_path / "nul.csv").write_bytes(street_csv(rows))
    run, rejected = ingest_rejecting(tmp_path, "nul.csv")
    assert "wrote 4 incidents" in run.out
    assert b"\x00" not in (tmp_path / "r.csv").read_bytes()
    assert rejected["reason"].tolist() == [schema.REASON_NUL_BYTES]
    stored = pd.read_parquet(tmp_path / "o.parquet", columns=["location"])["location"]
    assert not stored.str.contains("\x00").any()


def test_nul_in_the_header_is_not_a_csv(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\x00\x00header,x\n1,2\n")
    attack(tmp_path, "ingest", "bin.csv", "--out", "out.parquet", error=["bin.csv"])


def test_cr_only_line_ends_are_simply_read(tmp_path):
    old_mac = "\r".join([HEADER, *street_rows(50)]).encode() + b"\r"
    (tmp_path / "mac.csv").write_bytes(old_mac)
    run = attack(tmp_path, "ingest", "mac.csv", "--out", "out.parquet", writes=["out.parquet"])
    assert "rows accepted:  50" in run.out
    assert len(pd.read_parquet(tmp_path / "out.parquet", columns=["location"])) == 50
