"""Ingest: real police.uk files, every rejection reason, every unusable-input error."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.checks import GeoInputError
from geo.cli import main
from geo.io.csv import read_csv_table
from geo.io.incidents import POLICE_UK_STREET_COLUMNS, ColumnMapping, SourceFile, ingest
from geo.projection import metric_crs_for
from geo.timeseries import missing_months, month_ranges

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
TORBAY_ZIP = ROOT / "data" / "police-uk" / "torbay-street.zip"


def _counts_add_up(result) -> None:
    summary = result.summary
    assert summary.rows_accepted == len(result.incidents)
    assert summary.rows_rejected == len(result.rejected)
    assert summary.rows_read == summary.rows_accepted + summary.rows_rejected


@pytest.fixture(scope="module")
def torbay():
    return ingest([TORBAY_ZIP])


def test_real_torbay_zip_reads_every_row(torbay):
    _counts_add_up(torbay)
    assert torbay.summary.rows_read == 20_055  # SOURCES.md: 20,055 Torbay rows
    assert len(torbay.summary.files) == 16
    asb = torbay.incidents["category"].eq(schema.ASB)
    assert asb.sum() == 3_399  # SOURCES.md: 3,399 ASB rows, none rejected
    assert torbay.incidents.loc[asb, "incident_id"].isna().all()


def test_real_torbay_schema_and_crs(torbay):
    incidents = torbay.incidents
    assert tuple(incidents.columns) == schema.INCIDENT_COLUMNS
    assert incidents.crs.to_string() == schema.WGS84
    assert str(incidents["occurred_at"].dtype) == f"datetime64[us, {schema.TIMEZONE}]"
    assert set(incidents["month"]) <= {dt.date(y, m, 1) for y in (2024, 2025) for m in range(1, 13)}
    castle = incidents[incidents["location"].eq("On or near Castle Circus")]
    assert len(castle) == 84  # SOURCES.md
    # Castle Circus snap point (50.468426, -3.531704) is about (291,7xx E, 63,8xx N) on the BNG.
    assert castle["easting"].between(291_000, 292_500).all()
    assert castle["northing"].between(63_000, 64_500).all()
    assert np.allclose(castle.geometry.x, -3.531704) and np.allclose(castle.geometry.y, 50.468426)


def test_real_torbay_months_missing_inside_range(torbay):
    missing = torbay.summary.months_missing["Devon & Cornwall Police"]
    assert missing == [f"2024-{m:02d}" for m in range(5, 13)]
    assert "2024-05..2024-12 (no data; not zero)" in torbay.summary.to_text()


def test_real_torbay_duplicate_crime_ids_are_rejected_with_reason(torbay):
    assert list(torbay.rejected["reason"]) == [schema.REASON_DUPLICATE_ID] * 2
    assert torbay.rejected["detail"].str.startswith("same id as").all()


def test_offences_sharing_a_crime_id_are_separate_only_with_another_crime_type(tmp_path):
    """Real Metropolitan rows (Westminster, police.uk API 2016-17) whose Crime ID repeats."""
    folder = FIXTURES / "met-repeated-ids"
    result = ingest([folder])
    crimes = result.incidents[result.incidents["incident_id"].notna()]
    by_id = crimes.groupby(crimes["incident_id"].str[:6])["category"].apply(sorted).to_dict()
    assert by_id == {
        "001ada": ["Robbery"],  # one robbery listed twice with two outcomes
        "002df9": ["Drugs", "Other crime"],  # two offences under one reference
        "0043cb": ["Violence and sexual offences"],  # one crime, three outcome rows
    }
    assert (result.rejected["reason"] == schema.REASON_DUPLICATE_ID).sum() == 3
    assert result.summary.rows_accepted + result.summary.rows_rejected == result.summary.rows_read
    assert (result.incidents["category"] == schema.ASB).sum() == 6

    # The same month supplied twice (overlapping downloads) adds no incident.
    copy = tmp_path / "2016-04-metropolitan-street.csv"
    copy.write_bytes((folder / "2016-04-metropolitan-street.csv").read_bytes())
    twice = ingest([folder, copy])
    assert len(twice.incidents[twice.incidents["incident_id"].notna()]) == len(crimes)
    assert (twice.rejected["reason"] == schema.REASON_DUPLICATE_ID).sum() == 3 + 2


def test_crlf_and_bom_variant_of_a_real_month_parses_identically(tmp_path):
    with zipfile.ZipFile(TORBAY_ZIP) as archive:
        original = archive.read("2025-03/2025-03-devon-and-cornwall-street.csv")
    variant = b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n")
    path = tmp_path / "2025-03-devon-and-cornwall-street.csv"
    path.write_bytes(variant)
    plain = ingest([SourceFile("plain.csv", lambda: original)]).incidents
    crlf = ingest([path]).incidents
    assert len(crlf) == len(plain) == 1_164  # SOURCES.md rows for 2025-03
    pd.testing.assert_frame_equal(
        crlf.drop(columns="source").reset_index(drop=True),
        plain.drop(columns="source").reset_index(drop=True),
    )
    assert crlf["category"].str.endswith("\r").sum() == 0


def test_folder_tree_like_the_police_uk_download(tmp_path):
    with zipfile.ZipFile(TORBAY_ZIP) as archive:
        archive.extractall(tmp_path / "download")
    (tmp_path / "download" / "2025-03" / "2025-03-devon-and-cornwall-outcomes.csv").write_text(
        "Crime ID,Month\nx,2025-03\n"
    )
    result = ingest([tmp_path / "download"])
    assert result.summary.rows_read == 20_055  # outcomes file ignored, street files all read
    _counts_add_up(result)


@pytest.fixture(scope="module")
def bad_rows():
    return ingest([FIXTURES / "bad-rows-street.csv"])


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (3, schema.REASON_NO_COORDINATES),
        (4, schema.REASON_ZERO_COORDINATES),
        (5, schema.REASON_OUTSIDE_GB),
        (6, schema.REASON_BAD_MONTH),
        (7, schema.REASON_DUPLICATE_ID),
        (8, schema.REASON_NO_CATEGORY),
        (9, schema.REASON_NO_COORDINATES),
    ],
)
def test_each_rejection_reason(bad_rows, row, reason):
    rejected = bad_rows.rejected.set_index("row")
    assert rejected.loc[row, "reason"] == reason
    _counts_add_up(bad_rows)


def test_rejected_rows_keep_their_original_fields(bad_rows):
    rejected = bad_rows.rejected.set_index("row")
    assert '"Month": "March 2025"' in rejected.loc[6, "raw"]
    assert rejected.loc[6, "detail"] == "'March 2025'"
    assert "not a number" in rejected.loc[9, "detail"]
    assert rejected.loc[7, "detail"].endswith("row 2")


def test_many_csv_blocks_give_the_same_result(monkeypatch, bad_rows, torbay):
    """Large files are parsed in blocks whose dictionaries differ; nothing may change."""
    import geo.io.csv

    monkeypatch.setattr(geo.io.csv, "BLOCK_BYTES", 512)
    small_blocks = ingest([FIXTURES / "bad-rows-street.csv"])
    pd.testing.assert_frame_equal(small_blocks.rejected, bad_rows.rejected)
    pd.testing.assert_frame_equal(
        pd.DataFrame(small_blocks.incidents), pd.DataFrame(bad_rows.incidents)
    )
    month = ingest([TORBAY_ZIP]).incidents
    pd.testing.assert_frame_equal(pd.DataFrame(month), pd.DataFrame(torbay.incidents))


def test_a_row_with_the_wrong_number_of_fields_is_rejected_not_the_file(tmp_path):
    lines = (FIXTURES / "bad-rows-street.csv").read_text().splitlines()
    lines.insert(2, "too,few,fields")
    lines.insert(5, lines[1] + ",one too many")
    path = tmp_path / "2025-03-x-street.csv"
    path.write_text("\n".join(lines) + "\n")
    result = ingest([path])
    _counts_add_up(result)
    assert result.summary.rows_read == 11
    rejected = result.rejected.set_index("row")
    assert rejected.loc[2, "reason"] == schema.REASON_MALFORMED_ROW
    assert rejected.loc[2, "detail"] == "3 fields where the header has 12"
    assert rejected.loc[5, "reason"] == schema.REASON_MALFORMED_ROW
    # Rows after a skipped one keep their own numbers: row 4 is the old row 3.
    assert rejected.loc[4, "reason"] == schema.REASON_NO_COORDINATES


def test_ids_of_only_spaces_are_no_ids(tmp_path):
    lines = (FIXTURES / "bad-rows-street.csv").read_text().splitlines()
    row = lines[1]
    lines = [lines[0]] + ['"   "' + row[row.index(",") :] for _ in range(3)]
    path = tmp_path / "2025-03-x-street.csv"
    path.write_text("\n".join(lines) + "\n")
    result = ingest([path])
    assert len(result.incidents) == 3 and result.rejected.empty


def test_na_text_is_a_value_not_a_blank(tmp_path):
    text = (FIXTURES / "bad-rows-street.csv").read_text().replace("Shoplifting", "N/A", 1)
    path = tmp_path / "2025-03-x-street.csv"
    path.write_text(text)
    assert "N/A" in set(ingest([path]).incidents["category"])


def test_quoted_comma_survives(bad_rows):
    assert "On or near Castle Circus, Torquay" in set(bad_rows.incidents["location"])
    assert len(bad_rows.incidents) == 2


def test_generic_csv_with_mapping_and_local_times():
    mapping = ColumnMapping.from_json(FIXTURES / "partner-mapping.json")
    result = ingest([FIXTURES / "partner-export.csv"], mapping)
    _counts_add_up(result)
    accepted = result.incidents.set_index("incident_id")
    london = schema.TIMEZONE
    assert accepted.loc["P-001", "occurred_at"] == pd.Timestamp("2024-06-14 22:15", tz=london)
    # An aware time is converted, not relabelled: 01:05+01:00 is 01:05 BST.
    assert accepted.loc["P-002", "occurred_at"] == pd.Timestamp("2024-06-15 01:05", tz=london)
    # Ambiguous autumn wall time: the first (BST) instant. Spring gap: moved forward.
    assert accepted.loc["P-003", "occurred_at"].utcoffset() == dt.timedelta(hours=1)
    assert accepted.loc["P-004", "occurred_at"] == pd.Timestamp("2024-03-31 02:00", tz=london)
    assert accepted.loc["P-001", "month"] == dt.date(2024, 6, 1)
    assert accepted.loc["P-001", "force"] == "Torbay Business Crime Partnership"
    reasons = result.rejected.set_index("row")["reason"]
    assert reasons[5] == schema.REASON_BAD_DATE
    assert reasons[6] == schema.REASON_BAD_EASTING_NORTHING
    assert reasons[7] == schema.REASON_NO_COORDINATES


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing-columns.csv", "missing-columns.csv: the file is missing required column(s)"),
        ("not-a-csv.csv", "not-a-csv.csv: is not a CSV file"),
        ("header-only.csv", "header-only.csv: has a header but no data rows"),
        ("no-street.zip", "no-street.zip: contains no police.uk street CSVs"),
        ("does-not-exist.csv", "does-not-exist.csv: no such file or folder"),
    ],
)
def test_unusable_input_names_the_file(path, message):
    with pytest.raises(GeoInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest([FIXTURES / path])


def test_empty_file_message(tmp_path):
    empty = tmp_path / "2025-01-x-street.csv"
    empty.write_bytes(b"")
    with pytest.raises(GeoInputError, match="2025-01-x-street.csv: the file is empty"):
        ingest([empty])


def test_bad_mapping_is_one_clear_message(tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"category": "type", "month": "m", "date": "d", "easting": "e"}')
    with pytest.raises(GeoInputError, match="exactly one of 'month' or 'date'"):
        ColumnMapping.from_json(mapping)
    mapping.write_text('{"category": "type", "colour": "red"}')
    with pytest.raises(GeoInputError, match="unknown mapping key"):
        ColumnMapping.from_json(mapping)


def test_cli_summary_and_exit_codes(tmp_path, capsys):
    out, rejected = tmp_path / "out.parquet", tmp_path / "rejected.csv"
    code = main(
        [
            "ingest",
            str(FIXTURES / "bad-rows-street.csv"),
            "--out",
            str(out),
            "--rejected",
            str(rejected),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0
    assert "rows read:      9" in printed.out and "rows rejected:  7" in printed.out
    assert len(pd.read_csv(rejected)) == 7
    assert main(["ingest", str(FIXTURES / "not-a-csv.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not-a-csv.csv: is not a CSV file")
    assert "Traceback" not in err


def test_missing_months_are_listed_not_zero_filled():
    months = pd.Series(pd.PeriodIndex(["2022-09", "2022-10", "2023-01"], freq="M"))
    assert missing_months(months) == ["2022-11", "2022-12"]


_cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cells, _cells, _cells, _cells), min_size=1, max_size=25))
def test_counts_always_add_up_whatever_the_cells(rows):
    """Property: arbitrary cell text never crashes a row-level check, and nothing vanishes."""
    lines = [",".join(POLICE_UK_STREET_COLUMNS)]
    for crime_id, month, lon, category in rows:
        fields = [crime_id, month, "F", "F", lon, "50.47", "On or near X", "", "", category, "", ""]
        lines.append(",".join('"' + f.replace('"', '""') + '"' for f in fields))
    data = ("\n".join(lines) + "\n").encode()
    parsed = read_csv_table(data, "prop.csv")
    result = ingest([SourceFile("prop.csv", lambda: data)])
    assert result.summary.rows_read == parsed.table.num_rows + len(parsed.malformed)
    _counts_add_up(result)


def test_year_first_dates_are_never_read_day_first():
    """dayfirst is for UK day/month dates; 2024-06-05 is 5 June, not 6 May."""
    data = (
        b"ref,when,e,n,type\n"
        b"A,2024-06-05 01:05,291700,63800,Shoplifting\n"
        b"B,2024-06-05T01:05:00+01:00,291700,63800,Shoplifting\n"
        b"C,05/06/2024 01:05,291700,63800,Shoplifting\n"
    )
    mapping = ColumnMapping(
        category="type", date="when", easting="e", northing="n", incident_id="ref"
    )
    result = ingest([SourceFile("iso.csv", lambda: data)], mapping)
    expected = pd.Timestamp("2024-06-05 01:05", tz=schema.TIMEZONE)
    assert (result.incidents["occurred_at"] == expected).all()
    assert len(result.incidents) == 3
    assert (result.incidents["month"] == dt.date(2024, 6, 1)).all()


def test_cli_unwritable_output_is_one_line(tmp_path, capsys):
    out = tmp_path / "out.parquet"
    rejected = tmp_path / "no-such-folder" / "rejected.csv"
    args = ["ingest", str(FIXTURES / "bad-rows-street.csv"), "--out", str(out)]
    assert main([*args, "--rejected", str(rejected)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-folder" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_metric_crs_needs_one_finite_point():
    assert metric_crs_for(np.array([-3.53, np.nan]), np.array([50.47, 1.0])) == schema.BNG
    with pytest.raises(GeoInputError, match="`lon` and `lat` have no finite pair"):
        metric_crs_for(np.array([np.nan]), np.array([np.nan]))


def test_month_ranges_collapse_runs():
    assert month_ranges(["2024-05", "2024-06", "2024-07", "2025-03"]) == "2024-05..2024-07, 2025-03"


def test_months_no_force_has_are_listed_for_all_forces():
    from geo.io.incidents import ALL_FORCES, summarise

    coverage = pd.DataFrame(
        {
            "force": ["Met", "Met", "BTP"],
            "month": [dt.date(2021, 1, 1), dt.date(2021, 2, 1), dt.date(2021, 5, 1)],
            "rows": [1, 1, 1],
        }
    )
    rejected = pd.DataFrame(columns=list(schema.REJECTED_COLUMNS))
    summary = summarise(coverage, rejected, 3, ["a.csv"])
    assert summary.months_missing["Met"] == [] and summary.months_missing["BTP"] == []
    assert summary.months_missing[ALL_FORCES] == ["2021-03", "2021-04"]
    assert "months MISSING for all forces (2): 2021-03..2021-04" in summary.to_text()


def test_polygon_files_get_one_clear_message(tmp_path):
    from geo.io.polygons import read_polygons

    with pytest.raises(GeoInputError, match="nope.geojson: hotspot file not found"):
        read_polygons(tmp_path / "nope.geojson", "hotspot")
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(GeoInputError, match="bad.geojson: not a readable area file"):
        read_polygons(bad, "area")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(GeoInputError, match="empty.geojson: the boundary file has no features"):
        read_polygons(empty, "boundary")
    boundary = read_polygons(ROOT / "data" / "boundaries" / "torbay.geojson", "boundary")
    assert boundary.crs.to_string() == schema.WGS84 and len(boundary) == 1


def test_streaming_ingest_applies_the_same_crime_id_rule(tmp_path):
    from geo.io.store import read_incidents
    from geo.io.stream import ingest_to_store

    folder = FIXTURES / "met-repeated-ids"
    in_memory = ingest([folder])
    copy = tmp_path / "again" / "2016-04-metropolitan-street.csv"
    copy.parent.mkdir()
    copy.write_bytes((folder / "2016-04-metropolitan-street.csv").read_bytes())
    for sources, extra in (([folder], 0), ([folder, copy.parent], 2)):
        out = tmp_path / f"streamed-{extra}.parquet"
        summary = ingest_to_store(sources, out).summary
        streamed = read_incidents(out)
        assert sorted(streamed["incident_id"].dropna()) == sorted(
            in_memory.incidents["incident_id"].dropna()
        )
        assert summary.rejected_by_reason.get(schema.REASON_DUPLICATE_ID) == 3 + extra
