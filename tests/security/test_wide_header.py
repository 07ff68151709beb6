"""Wide headers: a million columns once took the CLI to 4.3 GB and a SIGABRT."""

from __future__ import annotations

import pytest

from geo.checks import GeoInputError
from geo.io.csv import MAX_COLUMNS, read_csv_table
from tests.security.helpers import HEADER, street_csv, street_rows


def test_a_million_column_header_is_refused_in_one_line(tmp_path, geo_cli, snapshot):
    wide = tmp_path / "wide.csv"
    wide.write_bytes((",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2\n").encode())
    before = snapshot()
    run = geo_cli("ingest", wide, "--out", "out.parquet")
    run.assert_one_line_error("wide.csv", "header line is longer than 64 KB")
    assert snapshot() == before
    assert run.peak_mb < 500, run.peak_mb


def test_too_many_short_columns_are_refused_before_parsing():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    with pytest.raises(GeoInputError, match=r"w\.csv: the header has 201 columns"):
        read_csv_table(f"{header}\n".encode(), "w.csv")


def test_police_uk_and_mapped_widths_still_read():
    parsed = read_csv_table(street_csv(street_rows(3)), "ok.csv")
    assert parsed.table.num_columns == len(HEADER.split(",")) == 12
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS))
    assert read_csv_table(f"{header}\n{header}\n".encode(), "w.csv").table.num_columns == 200
