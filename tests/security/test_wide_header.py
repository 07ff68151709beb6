"""Wide headers: a million columns once took the CLI to 4.3 GB and a SIGABRT."""

from __future__ import annotations

import pytest

from geo.checks import GeoInputError
from geo.io.csv import MAX_COLUMNS, read_csv_table
from tests.security.helpers import HEADER, attack, street_csv, street_rows, upload_to_app

MILLION_COLUMNS = (",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2\n").encode()


def test_a_million_column_header_is_refused_in_one_line(tmp_path):
    (tmp_path / "wide.csv").write_bytes(MILLION_COLUMNS)
    attack(
        tmp_path, "ingest", "wide.csv", "--out", "out.parquet",
        error=["wide.csv", "header line is longer than 64 KB"],
        peak_mb=500,
    )  # fmt: skip


def test_the_app_refuses_an_uploaded_wide_header_in_one_short_message(tmp_path):
    shown = upload_to_app(tmp_path, "wide.csv", MILLION_COLUMNS)
    assert shown.exceptions == []
    (error,) = (text.replace("\\", "") for text in shown.errors)  # Markdown escapes
    assert error.startswith("This file cannot be used. wide.csv: the header line is longer")


def test_too_many_short_columns_are_refused_before_parsing():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    with pytest.raises(GeoInputError, match=r"w\.csv: the header has 201 columns"):
        read_csv_table(f"{header}\n".encode(), "w.csv")


def test_police_uk_and_mapped_widths_still_read():
    parsed = read_csv_table(street_csv(street_rows(3)), "ok.csv")
    assert parsed.table.num_columns == len(HEADER.split(",")) == 12
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS))
    assert read_csv_table(f"{header}\n{header}\n".encode(), "w.csv").table.num_columns == 200
