"""Hour x weekday grids only where incidents carry times; police.uk months give None."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.checks import GeoInputError
from geo.hotspots.peaktimes import (
    busiest_hours,
    busiest_run,
    has_times,
    hour_counts,
    peak_times,
    weekday_hour_counts,
    weekday_hour_grid,
)
from geo.projection import bng_to_lonlat
from geo.schema import BNG


def incidents(times: list[str | None], easting: float = 290025) -> gpd.GeoDataFrame:
    lon, lat = bng_to_lonlat([easting] * len(times), [63025.0] * len(times))
    occurred = pd.to_datetime(pd.Series(times)).dt.tz_localize("Europe/London")
    return gpd.GeoDataFrame(
        {"occurred_at": occurred, "easting": easting, "northing": 63025.0},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


HOTSPOTS = gpd.GeoDataFrame(
    {"hotspot_id": [1, 2]},
    geometry=[shapely.box(290000, 63000, 290050, 63050), shapely.box(291000, 63000, 291050, 63050)],
    crs=BNG,
)


def test_grid_counts_by_local_weekday_and_hour():
    # 2025-07-04 is a Friday (BST); 23:30 local stays Friday 23h, not Friday 22h UTC.
    frame = incidents(["2025-07-04 23:30", "2025-07-04 23:10", "2025-07-05 01:00", None])
    peaks = peak_times(frame, HOTSPOTS)
    assert len(peaks) == 2 * 7 * 24
    grid = weekday_hour_grid(peaks, 1)
    assert grid.loc["Fri", 23] == 2 and grid.loc["Sat", 1] == 1
    assert grid.to_numpy().sum() == 3
    assert weekday_hour_grid(peaks, 2).to_numpy().sum() == 0
    assert busiest_hours(peaks, 3) == (23, 2)  # 23:00-02:00 wraps past midnight


def test_month_only_data_has_no_peak_times():
    frame = incidents([None, None])
    assert not has_times(frame)
    assert peak_times(frame, HOTSPOTS) is None


def test_weekday_hour_counts_are_local_time_with_every_cell():
    # 2025-07-04 is a Friday (BST): 22:30 UTC is Friday 23:30 in London. 2025-01-06 is a
    # Monday (GMT): 00:15 UTC stays Monday 00h.
    frame = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["2025-07-04 22:30", "2025-07-04 22:10", "2025-01-06 00:15", None], utc=True
            )
        }
    )
    grid = weekday_hour_counts(frame)
    assert len(grid) == 7 * 24 and grid["incidents"].sum() == 3
    counts = grid.set_index(["weekday", "hour"])["incidents"]
    assert counts[("Fri", 23)] == 2 and counts[("Mon", 0)] == 1
    assert counts[("Fri", 22)] == 0
    assert grid[["weekday", "hour"]].iloc[0].tolist() == ["Mon", 0]
    assert hour_counts(frame).tolist() == [1] + [0] * 22 + [2]


def test_busiest_run_stays_inside_its_span_and_wraps_the_day():
    by_hour = np.zeros(24, dtype=int)
    by_hour[[1, 2]] = 5  # busiest in the small hours
    by_hour[[17, 18]] = 3
    by_hour[23] = 4
    assert busiest_run(by_hour, 2) == 1  # whole day: 01:00-03:00
    assert busiest_run(by_hour, 3) == 0  # 00:00-03:00 (10) beats 23:00-02:00 (9)
    assert busiest_run(by_hour, 2, first_hour=16, span_h=8) == 17  # 16:00-00:00 only
    assert busiest_run(by_hour, 2, first_hour=22, span_h=4) == 0  # 22:00-02:00: 00-02
    with pytest.raises(GeoInputError):
        busiest_run(by_hour, 5, first_hour=16, span_h=4)
