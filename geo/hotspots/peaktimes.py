"""When incidents happen in each hotspot: hour of day x day of week.

Only sources with times can answer this (force exports, partner reports: the
``occurred_at`` column, tz ``Europe/London``). police.uk publishes months only, so for
its data every function here says so (returns None) instead of inventing a pattern;
show :data:`geo.caveats.MONTH_ONLY` beside it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.checks import check_columns, check_min_int, fail
from geo.projection import metric_xy
from geo.schema import TIMEZONE

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


#: Columns of :func:`peak_times`.
PEAK_COLUMNS: tuple[str, ...] = ("hotspot_id", "weekday", "hour", "incidents")


def has_times(incidents: pd.DataFrame) -> bool:
    """True when at least one incident has an ``occurred_at`` time."""
    return "occurred_at" in incidents.columns and bool(incidents["occurred_at"].notna().any())


def peak_times(incidents: gpd.GeoDataFrame, hotspots: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """Incidents per hotspot, weekday (0 = Monday) and local hour (0-23).

    Counts every timed incident inside (or on the edge of) each hotspot polygon; a
    full grid of ``7 x 24`` rows per hotspot, zeros included (:data:`PEAK_COLUMNS`).
    Returns None when no incident has a time (e.g. police.uk data).
    """
    check_columns("hotspots", hotspots.columns, ("hotspot_id", "geometry"))
    if not has_times(incidents):
        return None
    timed = incidents[incidents["occurred_at"].notna()]
    x, y, crs = metric_xy(timed)
    polygons = hotspots.geometry.to_crs(crs).to_numpy()
    point, unit = shapely.STRtree(polygons).query(shapely.points(x, y), predicate="intersects")
    local = pd.DatetimeIndex(timed["occurred_at"]).tz_convert(TIMEZONE)
    cell = (unit * 7 + local.day_of_week.to_numpy()[point]) * 24 + local.hour.to_numpy()[point]
    counts = np.bincount(cell, minlength=len(polygons) * 7 * 24)
    ids = hotspots["hotspot_id"].to_numpy()
    return pd.DataFrame(
        {
            "hotspot_id": np.repeat(ids, 7 * 24),
            "weekday": np.tile(np.repeat(np.arange(7), 24), len(ids)),
            "hour": np.tile(np.arange(24), 7 * len(ids)),
            "incidents": counts.astype("int64"),
        }
    )


def weekday_hour_grid(peaks: pd.DataFrame, hotspot_id: int) -> pd.DataFrame:
    """One hotspot's counts as a 7 x 24 table: rows Mon..Sun, columns hours 0..23."""
    rows = peaks[peaks["hotspot_id"] == hotspot_id]
    if rows.empty:
        fail(f"no hotspot with id {hotspot_id!r} in the peak-time table")
    grid = rows.pivot_table(index="weekday", columns="hour", values="incidents", aggfunc="sum")
    grid = grid.reindex(index=range(7), columns=range(24), fill_value=0)
    grid.index = list(WEEKDAYS)
    return grid


def weekday_hour_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Timed incidents per day of week and local hour (``Europe/London``): all 7 x 24 cells.

    Columns ``weekday`` (``Mon``..``Sun``), ``hour`` (0-23) and ``incidents``, zeros
    included, Monday 00:00 first. Incidents without a time are left out; police.uk data
    (months only) gives a grid of zeros, so check :func:`has_times` first.
    """
    check_columns("incidents", incidents.columns, ("occurred_at",))
    local = _local_times(incidents["occurred_at"])
    cell = local.day_of_week.to_numpy() * 24 + local.hour.to_numpy()
    return pd.DataFrame(
        {
            "weekday": np.repeat(np.array(WEEKDAYS), 24),
            "hour": np.tile(np.arange(24), 7),
            "incidents": np.bincount(cell, minlength=7 * 24).astype("int64"),
        }
    )


def hour_counts(incidents: pd.DataFrame) -> np.ndarray:
    """Timed incidents per local hour of day (``Europe/London``): 24 counts, 00:00 first."""
    check_columns("incidents", incidents.columns, ("occurred_at",))
    return np.bincount(_local_times(incidents["occurred_at"]).hour.to_numpy(), minlength=24)


def _local_times(times: pd.Series) -> pd.DatetimeIndex:
    """The non-missing times in ``Europe/London`` (tz-aware input of any zone)."""
    return pd.DatetimeIndex(pd.to_datetime(times.dropna(), utc=True)).tz_convert(TIMEZONE)


def busiest_run(by_hour: np.ndarray, length_h: int, first_hour: int = 0, span_h: int = 24) -> int:
    """Start hour (0-23) of the ``length_h`` consecutive hours with most incidents.

    ``by_hour`` holds 24 counts, 00:00 first. Only runs lying wholly inside the
    ``span_h`` hours from ``first_hour`` on are considered, wrapping past midnight; with
    the default whole day, any run (the day is circular: 23:00-02:00 is one). Ties go to
    the earliest start from ``first_hour``.
    """
    span_h = check_min_int("span_h", span_h, 1)
    length_h = check_min_int("length_h", length_h, 1)
    if span_h > 24 or length_h > span_h:
        fail(f"`length_h` ({length_h}) must be at most `span_h` ({span_h}), and that at most 24")
    runs = 24 if span_h == 24 else span_h - length_h + 1
    starts = (first_hour + np.arange(runs)) % 24
    sums = [by_hour[(start + np.arange(length_h)) % 24].sum() for start in starts]
    return int(starts[int(np.argmax(sums))])


def busiest_hours(peaks: pd.DataFrame, length_h: int = 6) -> tuple[int, int] | None:
    """Start and end hour (0-23, end exclusive mod 24) of the ``length_h`` consecutive
    hours with most incidents over all hotspots and days, wrapping past midnight.

    None when there are no incidents. Ties go to the earliest start hour.
    """
    if check_min_int("length_h", length_h, 1) > 24:
        fail(f"`length_h` must be at most 24, got {length_h}")
    by_hour = np.bincount(peaks["hour"], weights=peaks["incidents"], minlength=24)
    if by_hour.sum() == 0:
        return None
    start = busiest_run(by_hour, length_h)
    return start, (start + length_h) % 24
