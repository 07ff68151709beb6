"""Patrol dosage per (day, unit) partition, here or on Dask, equals dosage in one piece."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.patrols import synthetic
from geo.patrols.dosage import read_hotspots
from geo.patrols.measure import coverage_of_files, measure_coverage
from geo.patrols.partitions import service_days
from geo.schema import MAX_GAP_MIN, TIMEZONE

DATA = Path(__file__).parent.parent / "data" / "synthetic"
FUNDING = "2024-06-01"


@pytest.fixture(scope="module")
def pings():
    """Three weeks of the synthetic patrols either side of the funding date, shuffled.

    The marshals' 19:00-01:00 shifts cross midnight; a hand-made unit stands in Castle
    Circus from 23:50 to 00:10 on two nights, and pings twice with a 40 minute gap.
    """
    every = synthetic.read_synthetic_pings(DATA / synthetic.PINGS_FILE)
    local = every["timestamp"].dt.tz_convert(TIMEZONE)
    window = every[(local >= "2024-05-11") & (local < "2024-06-22")]
    centre = synthetic._places_bng()["Castle Circus"]
    stand = [
        pd.Timestamp(f"2024-05-{day} 23:50", tz=TIMEZONE) + pd.Timedelta(minutes=m)
        for day in (20, 31)
        for m in (0, 5, 10, 15, 20)
    ] + [
        pd.Timestamp("2024-06-05 10:00", tz=TIMEZONE),
        pd.Timestamp("2024-06-05 10:40", tz=TIMEZONE),
    ]
    standing = pd.DataFrame(
        {
            "unit_id": "HAND-1",
            "role": "police",
            "shift_id": "hand",
            "timestamp": pd.DatetimeIndex(stand).as_unit("ms"),
            "easting": centre[0],
            "northing": centre[1],
            "source": "hand-built",
        }
    )
    joined = pd.concat([window, standing], ignore_index=True)
    return joined.sample(frac=1.0, random_state=3).reset_index(drop=True)


@pytest.fixture(scope="module")
def hotspots():
    return read_hotspots(DATA / synthetic.HOTSPOTS_FILE)


def assert_same_coverage(left, right) -> None:
    for field in dataclasses.fields(left):
        a, b = getattr(left, field.name), getattr(right, field.name)
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=field.name)


def test_partitions_give_the_tables_of_one_piece(pings, hotspots):
    whole = measure_coverage(pings, hotspots, FUNDING)
    parts = measure_coverage(pings, hotspots, FUNDING, scheduler="none")
    assert_same_coverage(whole, parts)
    # The check has teeth: many partitions, and stays that run over midnight.
    days = service_days(pings, MAX_GAP_MIN)
    assert len(np.unique(days)) == 42
    over_midnight = whole.intervals[
        whole.intervals["start"].dt.date != whole.intervals["end"].dt.date
    ]
    assert set(over_midnight["unit_id"]) >= {"HAND-1"}
    hand = whole.intervals[whole.intervals["unit_id"] == "HAND-1"]
    assert hand["minutes"].round(6).tolist() == [20.0, 20.0, 0.0, 0.0]
    assert whole.share["patrol_minutes_total"].gt(0).all()


def test_the_night_shift_belongs_to_the_day_it_began(pings):
    days = service_days(pings, MAX_GAP_MIN)
    hand = (pings["unit_id"] == "HAND-1").to_numpy()
    after_midnight = hand & (pings["timestamp"].dt.tz_convert(TIMEZONE).dt.hour == 0).to_numpy()
    assert sorted(set(days[after_midnight].astype(str))) == ["2024-05-20", "2024-05-31"]


def test_files_of_whole_partitions_give_the_same_tables(pings, hotspots, tmp_path):
    days = service_days(pings, MAX_GAP_MIN)
    paths = []
    for day in np.unique(days):
        path = tmp_path / f"day={day}.parquet"
        pings[days == day].to_parquet(path)
        paths.append(path)
    whole = measure_coverage(pings, hotspots, FUNDING, start="2024-05-11", end="2024-06-22")
    files = coverage_of_files(paths, hotspots, FUNDING, start="2024-05-11", end="2024-06-22")
    for name in ("table", "visits", "change", "hourly", "visit_lengths"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(files, name), obj=name)
    key = ["hotspot_id", "unit_id", "start"]
    pd.testing.assert_frame_equal(
        whole.intervals.sort_values(key).reset_index(drop=True),
        files.intervals.sort_values(key).reset_index(drop=True),
    )
    key = ["period", "role"]
    pd.testing.assert_frame_equal(
        whole.share.sort_values(key).reset_index(drop=True),
        files.share.sort_values(key).reset_index(drop=True),
    )


def test_coverage_cli_local_and_local_cluster_write_identical_bytes(pings, tmp_path):
    from dask.distributed import LocalCluster

    source = tmp_path / "pings.parquet"
    pings.to_parquet(source)
    written = {}
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        for name, flags in {
            "one piece": [],
            "partitions here": ["--scheduler", "none"],
            "LocalCluster": ["--scheduler", cluster.scheduler_address],
        }.items():
            out = tmp_path / f"{len(written)}.csv"
            args = ["coverage", str(source), "--hotspots", str(DATA / synthetic.HOTSPOTS_FILE)]
            assert main([*args, "--funding-date", FUNDING, "--out", str(out), *flags]) == 0
            written[name] = out.read_bytes()
    assert len(written["one piece"].splitlines()) == 11  # header, 5 hotspots x 2 periods
    assert written["one piece"] == written["partitions here"] == written["LocalCluster"]
