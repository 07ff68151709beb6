"""Damaged CSVs: an unclosed quote, NUL bytes, and old Mac (CR-only) line ends."""

from __future__ import annotations

import json

import pytest

from geo import schema
from geo.io.incidents import SourceFile, ingest
from tests.security.helpers import HEADER, street_csv, street_rows


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("rows", "unread"),
    # 31,635 rows fit in one 16 MB parse block (the rest become one field); 120,000 rows
    # span two, where parallel parsing silently dropped the rest of the first block.
    [(31_635, "31,534"), (120_000, "119,899")],
)
def test_unclosed_quote_reports_the_file_damaged_with_lines_not_read(
    tmp_path, geo_cli, snapshot, rows, unread
):
    lines = street_rows(rows)
    lines[100] = lines[100].replace("On or near High Street", '"On or near Nowhere')
    damaged = _write(tmp_path / "2024-01-devon-street.csv", street_csv(lines))
    before = snapshot()
    run = geo_cli("ingest", damaged, "--out", "out.parquet")
    # Row 101 is line 102 (after the header); every line after it is lost.
    run.assert_one_line_error(
        "2024-01-devon-street.csv", "damaged from line 102", f"{unread} lines after it were not"
    )
    assert snapshot() == before
    assert run.peak_mb < 1_000


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


def test_nul_in_the_header_is_not_a_csv(tmp_path, geo_cli):
    binary = _write(tmp_path / "bin.csv", b"\x89PNG\x00\x00header,x\n1,2\n")
    geo_cli("ingest", binary, "--out", "out.parquet").assert_one_line_error("bin.csv")


def test_cr_only_line_ends_are_simply_read(tmp_path, geo_cli):
    old_mac = _write(tmp_path / "mac.csv", "\r".join([HEADER, *street_rows(50)]).encode() + b"\r")
    run = geo_cli("ingest", old_mac, "--out", "out.parquet")
    assert run.rc == 0, run.err
    assert "rows accepted:  50" in run.out
    assert (tmp_path / "out.parquet").is_file()
