"""Hour x weekday grids only where incidents carry times; police.uk months give None."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.hotspots.peaktimes import busiest_hours, has_times, peak_times, weekday_hour_grid
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
