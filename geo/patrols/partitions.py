"""Patrol dosage per (day, unit) partition of the pings, computed apart and combined.

A national fleet's pings do not fit one process, but dosage needs only each unit's own
track: a stay in a hotspot is a run of one unit's pings, none more than ``max_gap_min``
after the previous, and entry and exit are interpolated only towards a ping within
``max_gap_min``. So a unit's track cut wherever two pings are more than ``max_gap_min``
apart falls into *segments* that are measured independently with the same result.

A partition is one unit's segments that start on one local day (Europe/London): its
*service day*. A night shift that runs past midnight stays whole in the day it began.
Each task measures the presence intervals and the patrol time of its partitions
(:func:`partition_dosage`); the combination puts the intervals in the order of
:func:`geo.patrols.dosage.presence_intervals` and adds the patrol time in whole
milliseconds, so every coverage table is identical to the computation in one piece.
Tasks run here or on Dask (:func:`geo.distributed.ordered_map`); one task holds one
service day of pings, every unit of that day.

Coordinates are metres on the British National Grid (EPSG:27700).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.checks import check_columns, check_non_negative, check_positive
from geo.io.pings import epoch_ms
from geo.patrols.dosage import (
    _MS_PER_MIN,
    EDGE_TOLERANCE_M,
    _interval_frame,
    _stays,
    _track_order,
    _unit_codes,
    track_zones,
)
from geo.patrols.summaries import hotspot_time_ms, share_table
from geo.schema import TIMEZONE

#: Columns a partition's pings need.
PARTITION_COLUMNS = ("unit_id", "role", "timestamp", "easting", "northing")


def service_days(pings: pd.DataFrame, max_gap_min: float) -> np.ndarray:
    """Each ping's service day: the local date (numpy ``datetime64[D]``) on which its
    unit's track segment began (segments split at gaps over ``max_gap_min`` minutes)."""
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    units, t_ms = _unit_codes(pings), epoch_ms(pings["timestamp"])
    order = _track_order(units, t_ms)
    units, t_ms = units[order], t_ms[order]
    starts = np.r_[True, (units[1:] != units[:-1]) | (np.diff(t_ms) > gap_ms)]
    segment_start = t_ms[np.flatnonzero(starts)[np.cumsum(starts) - 1]]
    local = pd.to_datetime(segment_start, unit="ms", utc=True).tz_convert(TIMEZONE)
    days = np.empty(len(order), dtype="datetime64[D]")
    days[order] = local.tz_localize(None).to_numpy().astype("datetime64[D]")
    return days


@dataclass(frozen=True)
class DosageTask:
    """Pings of whole partitions (:data:`PARTITION_COLUMNS`), or a Parquet file of them.

    ``rows`` are the pings' global row numbers (any distinct int64 per ping), used to order
    the combined intervals; ``zones`` EPSG:27700 (:func:`geo.patrols.dosage.hotspot_zones`).
    """

    pings: pd.DataFrame | str
    rows: np.ndarray | int
    zones: gpd.GeoDataFrame
    periods: pd.DataFrame
    max_gap_min: float
    edge_tolerance_m: float = EDGE_TOLERANCE_M


@dataclass(frozen=True)
class DosagePart:
    """One task's presence intervals and patrol time.

    ``stays``: ``unit_id``, ``role``, ``zone`` (row of the zones), ``start_ms``,
    ``end_ms``, ``first_ms`` (time of the stay's first inside ping) and ``row`` (its
    global row number). ``time``: ``period`` (row of the periods), ``role``,
    ``total_ms``, ``inside_ms``.
    """

    stays: pd.DataFrame
    time: pd.DataFrame


def partition_dosage(task: DosageTask) -> DosagePart:
    """Measure one task's partitions (a pure function of the task, for any scheduler)."""
    pings, rows = task.pings, task.rows
    if isinstance(pings, str):
        pings = pd.read_parquet(pings, columns=list(PARTITION_COLUMNS))
        rows = (np.int64(rows) << 32) + np.arange(len(pings), dtype=np.int64)
    check_columns("pings", pings.columns, PARTITION_COLUMNS)
    gap_ms = check_positive("max_gap_min", task.max_gap_min) * _MS_PER_MIN
    tolerance = check_non_negative("edge_tolerance_m", task.edge_tolerance_m)
    tracks = track_zones(pings, task.zones)
    first, zone, start_ms, end_ms = _stays(tracks, task.zones, gap_ms, tolerance)
    source = tracks.order[first]
    stays = pd.DataFrame(
        {
            "unit_id": pings["unit_id"].to_numpy()[source],
            "role": pings["role"].to_numpy()[source],
            "zone": zone,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "first_ms": tracks.t_ms[first],
            "row": np.asarray(rows)[source],
        }
    )
    role_codes, roles = pd.factorize(pings["role"])
    total, inside = hotspot_time_ms(
        tracks, role_codes[tracks.order], len(roles), task.periods, gap_ms
    )
    period, role = np.divmod(np.arange(total.size), len(roles))
    time = pd.DataFrame(
        {
            "period": period,
            "role": np.asarray(roles, dtype=object)[role],
            "total_ms": total.ravel(),
            "inside_ms": inside.ravel(),
        }
    )
    return DosagePart(stays, time)


def combine_parts(
    parts: Iterable[DosagePart],
    zones: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    unit_order: list[str] | None = None,
    role_order: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(presence intervals, hotspot share)`` of all parts, as in one computation.

    Intervals are ordered by zone, unit (``unit_order``, else sorted), first inside ping's
    time and row; the share's roles follow ``role_order``, else sorted.
    """
    parts = list(parts)
    stays = pd.concat([part.stays for part in parts], ignore_index=True)
    units = unit_order if unit_order is not None else sorted(stays["unit_id"].unique())
    unit_rank = pd.Index(units).get_indexer(stays["unit_id"])
    order = np.lexsort((stays["row"], stays["first_ms"], unit_rank, stays["zone"]))
    stays = stays.iloc[order]
    intervals = _interval_frame(
        unit_id=stays["unit_id"].to_numpy(),
        role=stays["role"].to_numpy(),
        hotspot_id=zones["hotspot_id"].to_numpy()[stays["zone"].to_numpy()],
        start_ms=stays["start_ms"].to_numpy(dtype="int64"),
        end_ms=stays["end_ms"].to_numpy(dtype="int64"),
    )
    time = pd.concat([part.time for part in parts], ignore_index=True)
    roles = role_order if role_order is not None else sorted(time["role"].unique())
    summed = time.groupby(["period", "role"])[["total_ms", "inside_ms"]].sum()
    full = pd.MultiIndex.from_product([range(len(periods)), roles], names=["period", "role"])
    summed = summed.reindex(full, fill_value=0)
    shape = (len(periods), len(roles))
    total = summed["total_ms"].to_numpy(dtype="int64").reshape(shape)
    inside = summed["inside_ms"].to_numpy(dtype="int64").reshape(shape)
    return intervals, share_table(total, inside, periods, roles)


def partitioned_dosage(
    pings: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    max_gap_min: float,
    scheduler: str = "none",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Presence intervals and hotspot share of in-memory ``pings``, one task per service
    day, on ``scheduler`` (:func:`geo.distributed.resolve_scheduler`'s values)."""
    from geo.distributed import ordered_map

    check_columns("pings", pings.columns, PARTITION_COLUMNS)
    days = service_days(pings, max_gap_min)
    frame = pings.loc[:, list(PARTITION_COLUMNS)].reset_index(drop=True)
    by_day = np.argsort(days, kind="stable")  # rows ascending within each day
    cuts = np.flatnonzero(days[by_day][1:] != days[by_day][:-1]) + 1
    tasks = (
        DosageTask(frame.iloc[rows], rows, zones, periods, max_gap_min)
        for rows in np.split(by_day, cuts)
    )
    parts = ordered_map(scheduler)(partition_dosage, tasks)
    return combine_parts(
        parts,
        zones,
        periods,
        unit_order=list(pd.unique(pings["unit_id"])),
        role_order=list(pd.unique(pings["role"])),
    )


def dosage_of_files(
    paths: list[str | Path],
    zones: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    max_gap_min: float,
    scheduler: str = "none",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Presence intervals and hotspot share of ping Parquet files, one task per file.

    Each file must hold whole partitions (every ping of its units' segments that start on
    its days), e.g. one file per service day, with :data:`PARTITION_COLUMNS`; pings stay in
    the workers, only intervals and time sums come back. Units and roles are sorted.
    """
    from geo.distributed import ordered_map

    tasks = (
        DosageTask(str(path), index, zones, periods, max_gap_min)
        for index, path in enumerate(paths)
    )
    return combine_parts(ordered_map(scheduler)(partition_dosage, tasks), zones, periods)
