"""Store: GeoParquet 1.1 layout, and loader filters that return exactly what they describe."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import shapely

from geo import schema
from geo.checks import GeoInputError
from geo.io.datasets import DATASETS, load_rejected
from geo.io.incidents import ingest
from geo.io.store import read_incidents, write_incidents
from geo.timeseries import between_months, monthly_counts, parse_month_range

ROOT = Path(__file__).resolve().parents[1]
TORBAY = DATASETS["torbay"].incidents_path


@pytest.fixture(scope="module")
def everything():
    return read_incidents(TORBAY)


def test_geoparquet_metadata_and_layout():
    metadata = json.loads(pq.read_metadata(TORBAY).metadata[b"geo"])
    assert metadata["version"] == "1.1.0"
    column = metadata["columns"]["geometry"]
    assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert column["encoding"] == "WKB"
    parquet = pq.ParquetFile(TORBAY)
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    assert "bbox" in parquet.schema_arrow.names


def test_rows_are_spatially_sorted(everything):
    distance = everything.geometry.hilbert_distance().to_numpy()
    assert (distance[1:] >= distance[:-1]).all()


def test_loader_month_filter_is_exact(everything):
    got = read_incidents(TORBAY, months=("2025-03", "2025-05"))
    wanted = everything[everything["month"].between(dt.date(2025, 3, 1), dt.date(2025, 5, 1))]
    assert len(got) == len(wanted) > 0
    assert set(got["month"]) == {dt.date(2025, m, 1) for m in (3, 4, 5)}


def test_loader_open_ended_month_range(everything):
    got = read_incidents(TORBAY, months=(None, "2024-02"))
    assert len(got) == (everything["month"] <= dt.date(2024, 2, 1)).sum()


def test_loader_category_filter_is_exact(everything):
    got = read_incidents(TORBAY, categories=[schema.ASB, "Shoplifting"])
    assert (
        len(got) == everything["category"].isin([schema.ASB, "Shoplifting"]).sum() == 3_399 + 1_485
    )
    assert len(read_incidents(TORBAY, categories=[])) == 0


def test_loader_bbox_filter_is_exact(everything):
    bbox = (-3.54, 50.46, -3.52, 50.47)
    got = read_incidents(TORBAY, bbox=bbox)
    inside = shapely.contains_xy(shapely.box(*bbox), everything.geometry.x, everything.geometry.y)
    on_edge = shapely.intersects_xy(
        shapely.box(*bbox).boundary, everything.geometry.x, everything.geometry.y
    )
    assert len(got) == (inside | on_edge).sum() > 0


def test_loader_combined_filters(everything):
    got = read_incidents(TORBAY, months=("2025-01", "2025-12"), categories=[schema.ASB])
    wanted = everything[
        (everything["month"] >= dt.date(2025, 1, 1)) & (everything["category"] == schema.ASB)
    ]
    assert len(got) == len(wanted)


def test_round_trip_keeps_schema(tmp_path):
    result = ingest([ROOT / "tests" / "fixtures" / "ingest" / "bad-rows-street.csv"])
    path = write_incidents(result.incidents, tmp_path / "x.parquet")
    back = read_incidents(path)
    assert tuple(back.columns) == schema.INCIDENT_COLUMNS
    assert back.crs.to_string() == schema.WGS84
    assert str(back["occurred_at"].dtype) == f"datetime64[us, {schema.TIMEZONE}]"
    assert back["month"].iloc[0] == dt.date(2025, 3, 1)


def test_month_range_errors():
    assert parse_month_range("2025-01:2025-12") == (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
    with pytest.raises(GeoInputError, match="starts after it ends"):
        parse_month_range("2025-12:2025-01")
    with pytest.raises(GeoInputError, match="must look like YYYY-MM"):
        parse_month_range("2025-13:2025-14")
    with pytest.raises(GeoInputError, match="no such incident store"):
        read_incidents(ROOT / "nope.parquet")


def test_between_months_keeps_the_chosen_months_and_their_gaps(everything):
    counts = monthly_counts(everything, "2024-01", "2024-12", missing=["2024-05"])
    shown = between_months(counts, "2024-04", "2024-06")
    assert shown["month"].tolist() == ["2024-04", "2024-05", "2024-06"]
    assert shown["count"].isna().tolist() == [False, True, False]


def test_committed_stores_match_a_fresh_ingest_of_the_embedded_sources():
    from geo.io.build_data import ingest_dataset, needs_raw

    for key, dataset in DATASETS.items():
        summary = json.loads(dataset.summary_path.read_text())
        stored = len(read_incidents(dataset.incidents_path))
        rejected = len(load_rejected(key))
        assert summary["rows_accepted"] == stored
        assert summary["rows_accepted"] + rejected == summary["rows_read"]
        if needs_raw(key):  # built from the raw folder, which tests never read
            continue
        fresh = ingest_dataset(key).summary
        assert summary["rows_read"] == fresh.rows_read
        assert summary["rows_accepted"] == fresh.rows_accepted


def test_the_west_end_keeps_every_met_row_but_repeated_offences():
    """SOURCES.md: 122,174 rows; ids repeat on 3,695 extra rows, of which those with a new
    crime type in the same month are further offences and stay."""
    summary = json.loads(DATASETS["west-end"].summary_path.read_text())
    assert summary["rows_read"] == 122_174
    assert summary["rejected_by_reason"] == {"duplicate id": 2_781}
    assert summary["first_month"] == "2016-01" and summary["last_month"] == "2017-12"
    assert summary["months_missing"]["Metropolitan Police Service"] == ["2016-03"]
