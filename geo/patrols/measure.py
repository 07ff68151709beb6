"""Patrol coverage of hotspots from GPS pings: the one call behind every dosage figure.

:func:`measure_coverage` locates pings in hotspot polygons (EPSG:27700), builds presence
intervals and visits, and returns every table the Patrol coverage page, the Impact page,
the CLI and the funder report show, so that each figure is computed once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.patrols.dosage import (
    MAX_GAP_MIN,
    check_not_empty,
    compare_periods,
    coverage_table,
    funding_periods,
    hotspot_zones,
    presence_intervals,
    track_zones,
    visits,
)
from geo.patrols.summaries import coverage_by_hour, hotspot_share, visit_length_distribution
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
) -> Coverage:
    """Compute all coverage tables for canonical ``pings`` (see :mod:`geo.patrols`).

    ``start``/``end`` bound the before and after windows (local dates, end exclusive);
    by default the first ping's day and the day after the last ping.
    """
    check_not_empty("pings", len(pings), fix="Read at least one ping file")
    zones = hotspot_zones(hotspots, buffer_m=buffer_m)
    days = pings["timestamp"].dt.tz_convert(TIMEZONE)
    periods = funding_periods(
        funding_date,
        start or days.min().date(),
        end or days.max().date() + dt.timedelta(days=1),
    )
    tracks = track_zones(pings, zones)
    intervals = presence_intervals(pings, zones, max_gap_min=max_gap_min, tracks=tracks)
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
        share=hotspot_share(pings, zones, periods, max_gap_min=max_gap_min, tracks=tracks),
    )
