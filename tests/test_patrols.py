"""Ping, GPX and patrol-log readers: accepted + rejected = read, flags, DST days, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.checks import GeoInputError
from geo.io import pings
from geo.patrols.dosage import hotspot_zones, log_intervals
from geo.schema import REASON_MALFORMED_ROW, REJECTED_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "patrols"


def reasons(read: pings.PatrolRead) -> dict[int, str]:
    return dict(zip(read.rejected["row"], read.rejected["reason"], strict=True))


def flags(read: pings.PatrolRead, flag: str) -> list[int]:
    return sorted(read.flags.loc[read.flags["flag"] == flag, "row"])


def test_ping_csv_accepts_rejects_and_counts():
    read = pings.read_pings(FIXTURES / "pings-latlon.csv")
    assert read.read == 16
    assert len(read.rows) + len(read.rejected) == read.read
    assert list(read.rows.columns) == list(pings.PING_COLUMNS)
    assert list(read.rejected.columns) == list(REJECTED_COLUMNS)
    assert reasons(read) == {
        9: "no coordinates",
        10: "no coordinates",
        11: "unparsable timestamp",
        12: "no unit id",
        13: "coordinates at (0, 0)",
        14: "outside Great Britain",
        15: "unknown role",
        16: "unparsable timestamp",
    }
    assert str(read.rows["timestamp"].dt.tz) == "Europe/London"
    # Canonical output is sorted by unit and time, in metres on EPSG:27700.
    pc1 = read.rows[read.rows["unit_id"] == "PC1"]
    assert pc1["timestamp"].is_monotonic_increasing
    assert pc1["easting"].iloc[0] == pytest.approx(291_393, abs=2)
    assert pc1["northing"].iloc[0] == pytest.approx(64_299, abs=2)


def test_flags_keep_the_rows():
    read = pings.read_pings(FIXTURES / "pings-latlon.csv")
    assert flags(read, "duplicate ping") == [3]
    assert flags(read, "unsorted") == [5]
    assert flags(read, "impossible speed") == [6]  # 1.1 km in 10 s
    assert flags(read, "long gap") == [7]  # 17.8 min later, same shift
    assert len(read.rows[read.rows["unit_id"] == "PC1"]) == 7  # all kept


def test_aware_times_are_converted():
    read = pings.read_pings(FIXTURES / "pings-latlon.csv")
    utc = read.rows["timestamp"].dt.tz_convert("UTC").dt.strftime("%H:%M:%S")
    assert "09:02:10" in set(utc)  # from "2024-07-03T09:02:10Z"


def test_autumn_dst_day_ambiguous_times_follow_the_clock():
    read = pings.read_pings(FIXTURES / "pings-bng.csv")
    v1 = read.rows[read.rows["unit_id"] == "V1"]
    utc = v1["timestamp"].dt.tz_convert("UTC").dt.strftime("%H:%M:%S").tolist()
    # 01:30 and 01:59:30 happen first in BST; after the clock goes back, in GMT.
    assert utc == ["23:59:30", "00:30:00", "00:59:30", "01:00:00", "01:30:00", "02:00:00"]
    assert flags(read, "ambiguous local time") == [2, 3, 4, 5]
    assert set(v1["role"]) == {"unknown"}


def test_single_ambiguous_time_is_read_as_bst():
    frame = pd.DataFrame(
        {
            "unit_id": ["A"],
            "timestamp": ["2024-10-27 01:30:00"],
            "easting": [291390],
            "northing": [64300],
        }
    )
    read = pings.validate_pings(frame, source="test")
    assert read.rows["timestamp"].iloc[0].isoformat() == "2024-10-27T01:30:00+01:00"
    assert read.flags["detail"].tolist() == ["read as BST (+01:00)"]


def test_spring_dst_day_nonexistent_time_is_rejected():
    read = pings.read_pings(FIXTURES / "pings-bng.csv")
    assert reasons(read) == {8: "nonexistent local time"}
    v2 = read.rows[read.rows["unit_id"] == "V2"]["timestamp"]
    assert [t.isoformat() for t in v2] == ["2024-03-31T00:59:30+00:00", "2024-03-31T02:00:00+01:00"]
    assert len(read.rows) + len(read.rejected) == read.read == 9


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "missing-timestamp.csv",
            "missing-timestamp.csv: ping CSV is missing required column(s) 'timestamp'",
        ),
        (
            "missing-coordinates.csv",
            "missing-coordinates.csv: ping CSV is missing coordinate column(s)",
        ),
        ("empty.csv", "empty.csv: the file is empty"),
        ("header-only.csv", "header-only.csv: has a header but no data rows"),
        ("not-a-csv.csv", "not-a-csv.csv: is not a CSV file (it contains binary data)"),
        ("no-such-file.csv", "no-such-file.csv: ping CSV not found"),
    ],
)
def test_unusable_ping_files_give_one_clear_error(name, message):
    with pytest.raises(GeoInputError) as error:
        pings.read_pings(FIXTURES / name)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_gpx_named_and_unnamed_tracks_are_units():
    read = pings.read_gpx(FIXTURES / "two-units.gpx")
    assert read.read == 4
    assert reasons(read) == {3: "unparsable timestamp"}
    units = read.rows.set_index("unit_id")
    assert set(units.index) == {"PCSO-7", "two-units"}
    assert units.loc["PCSO-7", "role"].tolist() == ["pcso", "pcso"]
    # Naive GPX time is local: 10:00 BST.
    assert units.loc["two-units", "timestamp"].isoformat() == "2024-07-03T10:00:00+01:00"


def test_bad_gpx_is_one_clear_error():
    with pytest.raises(GeoInputError, match=r"not-gpx.gpx: not a (readable )?GPX file"):
        pings.read_gpx(FIXTURES / "not-gpx.gpx")


def test_read_patrols_mixes_csv_and_gpx():
    read = pings.read_patrols([FIXTURES / "pings-latlon.csv", FIXTURES / "two-units.gpx"])
    assert read.read == 20
    assert len(read.rows) + len(read.rejected) == read.read
    assert set(read.rows["source"]) == {"pings-latlon.csv", "two-units.gpx"}


def test_patrol_log_to_intervals():
    read = pings.read_patrol_log(FIXTURES / "patrol-log.csv")
    assert read.read == 6
    assert reasons(read) == {
        3: "end before start",
        4: "nonexistent local time",
        5: "no place or hotspot",
    }
    zones = hotspot_zones(
        gpd.GeoDataFrame(
            {"hotspot_id": ["castle-circus"], "name": ["Castle Circus"]},
            geometry=[Point(-3.531704, 50.468426).buffer(0.001)],
            crs="EPSG:4326",
        )
    )
    intervals, unmatched = log_intervals(read.rows, zones)
    assert intervals["minutes"].tolist() == [14.0, 5.0]
    assert set(intervals["hotspot_id"]) == {"castle-circus"}
    assert unmatched["place"].tolist() == ["Harbour"]


def test_patrol_log_needs_a_place_column(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("unit,start,end\nA,2024-07-03 10:00,2024-07-03 10:10\n")
    with pytest.raises(GeoInputError, match="log.csv: patrol log has no 'place' or 'hotspot_id'"):
        pings.read_patrol_log(path)


def test_read_patrols_needs_at_least_one_path():
    with pytest.raises(GeoInputError, match="paths"):
        pings.read_patrols([])


def test_epoch_ms_is_utc_milliseconds_for_series_and_index():
    stamps = pd.Series(pd.to_datetime(["2024-03-31 00:30", "2024-03-31 02:30"]))
    local = stamps.dt.tz_localize("Europe/London")
    expected = [1711845000000, 1711848600000]  # 00:30 GMT and 02:30 BST = 01:30 UTC
    assert pings.epoch_ms(local).tolist() == expected
    assert pings.epoch_ms(pd.DatetimeIndex(local)).tolist() == expected
    assert pings.epoch_ms(local.iloc[:0]).dtype == "int64"


def test_rejected_ping_details_show_the_offending_values():
    read = pings.read_pings(FIXTURES / "pings-latlon.csv")
    details = read.rejected.set_index("reason")["detail"]
    assert "lat = 'not-a-number'" in details["no coordinates"].iloc[0]


def test_ping_row_with_wrong_field_count_is_rejected_not_lost(tmp_path):
    path = tmp_path / "pings.csv"
    path.write_text(
        "unit_id,timestamp,lat,lon\n"
        "PC1,2025-01-10T18:00:00Z,50.4650,-3.5300\n"
        "PC1,2025-01-10T18:01:00Z,50.4651,-3.5301,extra\n"
        "PC1,2025-01-10T18:02:00Z,50.4652,-3.5302\n",
        encoding="utf-8",
    )
    read = pings.read_pings(path)
    assert read.read == 3
    assert len(read.rows) + len(read.rejected) == read.read
    assert read.rejected["row"].tolist() == [2]
    assert read.rejected["reason"].tolist() == [REASON_MALFORMED_ROW]


def test_read_reports_its_local_days_and_flag_counts(tmp_path):
    path = tmp_path / "pings.csv"
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST).
    path.write_text(
        "unit_id,timestamp,lat,lon\n"
        "PC1,2024-05-31T23:30:00Z,50.4650,-3.5300\n"
        "PC1,2024-05-31T23:30:00Z,50.4650,-3.5300\n"
        "PC1,2024-06-02T10:00:00Z,50.4651,-3.5301\n",
        encoding="utf-8",
    )
    read = pings.read_pings(path)
    assert read.days() == (dt.date(2024, 6, 1), dt.date(2024, 6, 2))
    counts = read.flag_counts().set_index("flag")["pings"]
    assert counts[pings.FLAG_DUPLICATE] == 1
