"""Patrol coverage of hotspots from GPS pings: the one call behind every dosage figure.

:func:`measure_coverage` locates pings in hotspot polygons (EPSG:27700), builds presence
intervals and visits, and returns every table the Patrol coverage page, the Impact page,
the CLI and the funder report show, so that each figure is computed once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.checks import check_not_empty
from geo.patrols.dosage import (
    ALL_ROLES,
    MAX_GAP_MIN,
    compare_periods,
    coverage_table,
    funding_periods,
    hotspot_zones,
    presence_intervals,
    track_zones,
    visits,
)
from geo.patrols.partitions import dosage_of_files, partitioned_dosage
from geo.patrols.summaries import (
    coverage_by_hour,
    dosage_change,
    hotspot_share,
    long_visit_share,
    visit_length_distribution,
)
from geo.schema import TIMEZONE


@dataclass(frozen=True)
class Coverage:
    """Everything :func:`measure_coverage` computes; each field is a table."""

    zones: gpd.GeoDataFrame
    periods: pd.DataFrame
    intervals: pd.DataFrame
    visits: pd.DataFrame
    table: pd.DataFrame
    change: pd.DataFrame
    hourly: pd.DataFrame
    visit_lengths: pd.DataFrame
    share: pd.DataFrame


def measure_coverage(
    pings: pd.DataFrame,
    hotspots: gpd.GeoDataFrame,
    funding_date: dt.date | str,
    *,
    buffer_m: float = 0.0,
    max_gap_min: float = MAX_GAP_MIN,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    scheduler: str | None = None,
) -> Coverage:
    """Compute all coverage tables for canonical ``pings`` (see :mod:`geo.patrols`).

    ``start``/``end`` bound the before and after windows (local dates, end exclusive);
    by default the first ping's day and the day after the last ping. With a
    ``scheduler`` (``"none"``, ``"local"`` or a Dask address) the pings are measured per
    (day, unit) partition, one task per day (:mod:`geo.patrols.partitions`), with
    identical results; without one, in one piece.
    """
    check_not_empty("pings", len(pings), fix="Read at least one ping file")
    zones = hotspot_zones(hotspots, buffer_m=buffer_m)
    days = pings["timestamp"].dt.tz_convert(TIMEZONE)
    periods = funding_periods(
        funding_date,
        start or days.min().date(),
        end or days.max().date() + dt.timedelta(days=1),
    )
    if scheduler is not None:
        intervals, share = partitioned_dosage(
            pings, zones, periods, max_gap_min=max_gap_min, scheduler=scheduler
        )
        return _coverage(zones, periods, intervals, share)
    tracks = track_zones(pings, zones)
    intervals = presence_intervals(pings, zones, max_gap_min=max_gap_min, tracks=tracks)
    share = hotspot_share(pings, zones, periods, max_gap_min=max_gap_min, tracks=tracks)
    return _coverage(zones, periods, intervals, share)


def coverage_of_files(
    paths: list[str | Path],
    hotspots: gpd.GeoDataFrame,
    funding_date: dt.date | str,
    *,
    start: dt.date | str,
    end: dt.date | str,
    buffer_m: float = 0.0,
    max_gap_min: float = MAX_GAP_MIN,
    scheduler: str = "none",
) -> Coverage:
    """:func:`measure_coverage` of ping Parquet files that each hold whole (day, unit)
    partitions (:func:`geo.patrols.partitions.dosage_of_files`), never all pings at once.

    ``start``/``end`` are the local dates bounding the windows (end exclusive).
    """
    check_not_empty("paths", len(paths), fix="Give at least one ping Parquet file")
    zones = hotspot_zones(hotspots, buffer_m=buffer_m)
    periods = funding_periods(funding_date, start, end)
    intervals, share = dosage_of_files(
        list(paths), zones, periods, max_gap_min=max_gap_min, scheduler=scheduler
    )
    return _coverage(zones, periods, intervals, share)


def _coverage(
    zones: gpd.GeoDataFrame, periods: pd.DataFrame, intervals: pd.DataFrame, share: pd.DataFrame
) -> Coverage:
    """Every table of :class:`Coverage` from the presence intervals and hotspot share."""
    visit_table = visits(intervals)
    table = coverage_table(intervals, zones, periods, visit_table=visit_table)
    return Coverage(
        zones=zones,
        periods=periods,
        intervals=intervals,
        visits=visit_table,
        table=table,
        change=compare_periods(table),
        hourly=coverage_by_hour(intervals, periods),
        visit_lengths=visit_length_distribution(visit_table, periods),
        share=share,
    )


@dataclass(frozen=True)
class DosageHeadline:
    """The figures at the top of the Patrol coverage page, for one role.

    Minutes are patrol minutes per week (at least one unit present) summed over hotspots;
    Koper visits are 10-16 minute visits per week; shares are % of patrol time spent in
    hotspots (None when the period has no patrol time for the role); areas in hectares.
    """

    role: str
    patrol_min_per_week_before: float
    patrol_min_per_week_after: float
    koper_per_week_before: float
    koper_per_week_after: float
    hotspots_with_more_patrol: int
    hotspots: int
    share_in_hotspots_before_pct: float | None
    share_in_hotspots_after_pct: float | None
    long_visits_before_pct: float
    long_visits_after_pct: float
    hotspot_ha_median: float
    hotspot_ha_max: float
    weeks_before: float
    weeks_after: float


def dosage_headline(result: Coverage, role: str = ALL_ROLES) -> DosageHeadline:
    """Sum :attr:`Coverage.table`'s per-hotspot dosage for ``role`` into the page's headline.

    Koper visits per week divide each window's total by that window's weeks, since the
    before and after windows differ in length. Hotspot areas are measured in EPSG:27700.
    """
    change = dosage_change(result.table, role)
    weeks_before, weeks_after = (float(w) for w in result.periods["weeks"])
    share = result.share.set_index(["period", "role"])["hotspot_share_pct"]
    long_share = long_visit_share(result.visit_lengths, role)
    hectares = result.zones.area / 10_000
    return DosageHeadline(
        role=role,
        patrol_min_per_week_before=float(change["patrol_minutes_per_week_before"].sum()),
        patrol_min_per_week_after=float(change["patrol_minutes_per_week_after"].sum()),
        koper_per_week_before=float(change["koper_visits_before"].sum()) / weeks_before,
        koper_per_week_after=float(change["koper_visits_after"].sum()) / weeks_after,
        hotspots_with_more_patrol=int((change["change"] > 0).sum()),
        hotspots=len(change),
        share_in_hotspots_before_pct=_optional(share.get(("before", role))),
        share_in_hotspots_after_pct=_optional(share.get(("after", role))),
        long_visits_before_pct=float(long_share["before"]),
        long_visits_after_pct=float(long_share["after"]),
        hotspot_ha_median=float(hectares.median()),
        hotspot_ha_max=float(hectares.max()),
        weeks_before=weeks_before,
        weeks_after=weeks_after,
    )


def _optional(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
