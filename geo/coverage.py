"""Patrol dosage per hotspot and period: patrol minutes, visits, Koper-dose visits.

Definitions (Williams & Coupe 2017; Koper 1995):

* **Presence interval**: a run of consecutive pings of one unit inside one hotspot, each
  less than ``max_gap_min`` after the previous. Time between two consecutive inside
  pings counts; a longer gap (lost signal, radio off) does not. A single inside ping is
  a presence of 0 minutes.
* **Officer-minutes**: the sum of presence over units (two officers for 10 min = 20).
* **Patrol-minutes**: minutes with at least one unit present (union over units).
* **Visit**: an entry to exit of the patrol presence (union over units) in a hotspot;
  re-entries within ``merge_gap_min`` (2 min) merge, so flicker at the edge is one
  visit. Its length is exit minus entry.
* **Koper-dose visit**: a visit of 10-16 minutes.
* **Days visited %**: share of the period's calendar days (Europe/London) with at least
  one visit starting.

Periods are ``before`` = [start, funding date) and ``after`` = [funding date, end), at
local midnight. Per-week figures divide by the period's calendar days / 7. Minutes are
clipped to the period; visits belong to the period in which they start. Every metric
is given for all roles together (``role = "all"``) and for each role. All geometry work is
in metres on the British National Grid (EPSG:27700).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.checks import check_columns, check_non_negative, check_not_empty, check_positive, fail
from geo.ingest import read_polygons
from geo.patrols import epoch_ms
from geo.schema import BNG, TIMEZONE

ALL_ROLES = "all"
KOPER_MINUTES = (10.0, 16.0)
MERGE_GAP_MIN = 2.0
PERIODS = ("before", "after")
INTERVAL_COLUMNS: tuple[str, ...] = ("unit_id", "role", "hotspot_id", "start", "end", "minutes")
#: First columns of :func:`coverage_table`, in order (the CLI's COVERAGE.csv).
COVERAGE_COLUMNS: tuple[str, ...] = (
    "hotspot_id",
    "period",
    "weeks",
    "patrol_minutes",
    "patrol_minutes_per_week",
    "visits",
    "koper_visits",
    "days_visited_pct",
)
#: Visit-length bins in minutes, left-closed: [0, 2), [2, 5), ... [30, inf). The Koper
#: bin ends just above 16 so that it holds exactly the Koper visits, 10 <= minutes <= 16.
VISIT_LENGTH_BINS = (0.0, 2.0, 5.0, 10.0, float(np.nextafter(16.0, np.inf)), 30.0, np.inf)
#: Label of each visit-length bin ("0-2", ... "30+") and of the Koper bin.
VISIT_LENGTH_LABELS: tuple[str, ...] = tuple(
    f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"
    for lo, hi in zip(VISIT_LENGTH_BINS[:-1], VISIT_LENGTH_BINS[1:], strict=True)
)
KOPER_LABEL = f"{KOPER_MINUTES[0]:g}-{KOPER_MINUTES[1]:g}"
#: Metrics :func:`dosage_change` puts side by side.
DOSAGE_METRICS: tuple[str, ...] = (
    "patrol_minutes_per_week",
    "visits",
    "koper_visits",
    "days_visited_pct",
)
#: Classes of change in patrol minutes per week (:func:`classify_dosage`), most first.
DOSAGE_CLASSES: tuple[str, ...] = (
    "doubled or more",
    "up 25-100%",
    "within ±25%",
    "down 25-50%",
    "down 50% or more",
    "no patrol",
)
_MS_PER_MIN = 60_000
_HOUR_MS = 3_600_000


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
    max_gap_min: float = 5.0,
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
    tracks = _tracks(pings, zones)
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


def read_hotspots(path: str | Path) -> gpd.GeoDataFrame:
    """Read hotspot polygons (GeoJSON or any GDAL vector file) as EPSG:4326."""
    hotspots = read_polygons(path, "hotspot")
    if not {"id", "rank"} & set(hotspots.columns):
        fail(
            "hotspot file has no 'id' or 'rank' property",
            fix="Add an id to each hotspot",
            file=path,
        )
    return hotspots


def hotspot_zones(hotspots: gpd.GeoDataFrame, *, buffer_m: float = 0.0) -> gpd.GeoDataFrame:
    """Hotspot polygons in EPSG:27700 with ``hotspot_id`` (str), ``name`` and geometry.

    ``hotspot_id`` is the ``id`` column when present, else ``rank``. ``buffer_m`` (metres,
    >= 0) widens each polygon, applied in EPSG:27700.
    """
    buffer_m = check_non_negative("buffer_m", buffer_m)
    check_not_empty("hotspots", len(hotspots), fix="Pass at least one hotspot polygon")
    if hotspots.crs is None:
        fail("`hotspots` has no CRS", fix="Set it, e.g. hotspots.set_crs('EPSG:4326')")
    key = "id" if "id" in hotspots.columns else "rank"
    check_columns("hotspots", hotspots.columns, (key,))
    names = hotspots["name"] if "name" in hotspots.columns else hotspots[key]
    zones = gpd.GeoDataFrame(
        {
            "hotspot_id": hotspots[key].astype("str").to_numpy(),
            "name": names.astype("str").to_numpy(),
        },
        geometry=hotspots.geometry.to_crs(BNG).to_numpy(),
        crs=BNG,
    )
    if zones["hotspot_id"].duplicated().any():
        fail(f"hotspot `{key}` values must be unique", fix="Give each hotspot its own id")
    if buffer_m > 0:
        zones["geometry"] = zones.buffer(buffer_m)
    return zones


def locate_pings(
    easting: np.ndarray, northing: np.ndarray, zones: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(ping_index, zone_index)`` for every ping inside (or on the edge of) a zone.

    Coordinates in metres, EPSG:27700. Pings are sorted by easting once; each zone then
    tests only the pings in its bounding box with :func:`shapely.contains_xy`.
    """
    x, y = np.asarray(easting, "float64"), np.asarray(northing, "float64")
    by_x = np.argsort(x, kind="stable")
    x_sorted = x[by_x]
    ping_parts, zone_parts = [], []
    for zone_index, polygon in enumerate(zones.geometry.to_numpy()):
        minx, miny, maxx, maxy = polygon.bounds
        lo = np.searchsorted(x_sorted, minx, side="left")
        hi = np.searchsorted(x_sorted, maxx, side="right")
        candidates = by_x[lo:hi]
        candidates = candidates[(y[candidates] >= miny) & (y[candidates] <= maxy)]
        shapely.prepare(polygon)
        inside = shapely.intersects_xy(polygon, x[candidates], y[candidates])
        ping_parts.append(candidates[inside])
        zone_parts.append(np.full(int(inside.sum()), zone_index, dtype="int64"))
    return np.concatenate(ping_parts), np.concatenate(zone_parts)


@dataclass(frozen=True)
class _Tracks:
    """Pings in unit-then-time order and their (ping, zone) inside pairs, computed once."""

    order: np.ndarray
    units: np.ndarray
    t_ms: np.ndarray
    ping: np.ndarray
    zone: np.ndarray


def _tracks(pings: pd.DataFrame, zones: gpd.GeoDataFrame) -> _Tracks:
    check_columns("pings", pings.columns, ("unit_id", "role", "timestamp", "easting", "northing"))
    units, t_ms = _unit_codes(pings), epoch_ms(pings["timestamp"])
    order = _track_order(units, t_ms)
    x, y = pings["easting"].to_numpy()[order], pings["northing"].to_numpy()[order]
    ping, zone = locate_pings(x, y, zones)
    by_zone = np.lexsort((ping, zone))
    return _Tracks(order, units[order], t_ms[order], ping[by_zone], zone[by_zone])


def presence_intervals(
    pings: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    *,
    max_gap_min: float = 5.0,
    tracks: _Tracks | None = None,
) -> pd.DataFrame:
    """Runs of consecutive inside pings per unit and hotspot (see module docstring).

    Returns :data:`INTERVAL_COLUMNS`: ``start``/``end`` tz Europe/London, ``minutes``.
    """
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    tracks = tracks or _tracks(pings, zones)
    units, t_ms, ping, zone = tracks.units, tracks.t_ms, tracks.ping, tracks.zone
    continues = (
        (zone[1:] == zone[:-1])
        & (ping[1:] == ping[:-1] + 1)
        & (units[ping[1:]] == units[ping[:-1]])
        & (t_ms[ping[1:]] - t_ms[ping[:-1]] <= gap_ms)
    )
    first = np.flatnonzero(np.r_[True, ~continues]) if len(ping) else ping
    last = np.r_[first[1:] - 1, len(ping) - 1] if len(ping) else ping
    source_rows = tracks.order[ping[first]]
    return _interval_frame(
        unit_id=pings["unit_id"].to_numpy()[source_rows],
        role=pings["role"].to_numpy()[source_rows],
        hotspot_id=zones["hotspot_id"].to_numpy()[zone[first]],
        start_ms=t_ms[ping[first]],
        end_ms=t_ms[ping[last]],
    )


def log_intervals(logs: pd.DataFrame, zones: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Presence intervals from a patrol log (:func:`geo.patrols.read_patrol_log` rows).

    A row's hotspot is its ``hotspot_id`` when it names a zone, else the zone whose
    ``name`` equals its ``place`` (case-insensitive). Returns ``(intervals, unmatched)``;
    ``unmatched`` holds the log rows that name no zone.
    """
    by_name = dict(zip(zones["name"].str.lower(), zones["hotspot_id"], strict=True))
    known = set(zones["hotspot_id"])
    hotspot = logs["hotspot_id"].where(logs["hotspot_id"].isin(known))
    hotspot = hotspot.fillna(logs["place"].str.lower().map(by_name))
    matched = hotspot.notna().to_numpy()
    intervals = _interval_frame(
        unit_id=logs["unit_id"].to_numpy()[matched],
        role=logs["role"].to_numpy()[matched],
        hotspot_id=hotspot.to_numpy()[matched],
        start_ms=epoch_ms(logs["start"])[matched],
        end_ms=epoch_ms(logs["end"])[matched],
    )
    return intervals, logs[~matched].reset_index(drop=True)


def merge_intervals(
    keys: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray, *, gap_ms: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals per integer key; intervals closer than ``gap_ms`` join.

    Returns ``(keys, start_ms, end_ms)`` of the merged intervals, sorted by key and start.
    """
    if len(keys) == 0:
        return keys, start_ms, end_ms
    order = np.lexsort((start_ms, keys))
    keys, start_ms, end_ms = keys[order], start_ms[order], end_ms[order]
    # A per-key running maximum of the end: lift each key above the previous ones by
    # more than the whole time span (not the epoch, so rank * offset cannot overflow).
    offset = int(end_ms.max() - start_ms.min()) + 1
    rank = np.r_[0, np.cumsum(keys[1:] != keys[:-1])]
    running_end = np.maximum.accumulate(end_ms - start_ms.min() + rank * offset) - rank * offset
    running_end += start_ms.min()
    new = np.r_[True, (keys[1:] != keys[:-1]) | (start_ms[1:] > running_end[:-1] + gap_ms)]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(keys) - 1]
    return keys[first], start_ms[first], running_end[last]


def visits(intervals: pd.DataFrame, *, merge_gap_min: float = MERGE_GAP_MIN) -> pd.DataFrame:
    """Patrol visits per hotspot, for all roles together and for each role.

    Columns ``hotspot_id``, ``role`` (``"all"`` or a role), ``start``, ``end`` (tz
    Europe/London), ``minutes`` (exit minus entry) and ``koper`` (10-16 min).
    """
    gap_ms = check_non_negative("merge_gap_min", merge_gap_min) * _MS_PER_MIN
    parts = []
    for role, subset in _by_role(intervals):
        hotspot_codes, hotspots = pd.factorize(subset["hotspot_id"])
        keys, start_ms, end_ms = merge_intervals(
            hotspot_codes.astype("int64"),
            epoch_ms(subset["start"]),
            epoch_ms(subset["end"]),
            gap_ms=gap_ms,
        )
        minutes = (end_ms - start_ms) / _MS_PER_MIN
        parts.append(
            pd.DataFrame(
                {
                    "hotspot_id": np.asarray(hotspots, dtype=object)[keys],
                    "role": role,
                    "start": _timestamps(start_ms),
                    "end": _timestamps(end_ms),
                    "minutes": minutes,
                    "koper": (minutes >= KOPER_MINUTES[0]) & (minutes <= KOPER_MINUTES[1]),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def funding_periods(
    funding_date: dt.date | str, start: dt.date | str, end: dt.date | str
) -> pd.DataFrame:
    """The ``before`` and ``after`` windows around ``funding_date`` (local dates).

    Columns ``period``, ``start``, ``end`` (local midnight, tz Europe/London, end
    exclusive), ``days`` and ``weeks`` (= days / 7).
    """
    funding, first, stop = (
        _as_date(name, value)
        for name, value in (("funding_date", funding_date), ("start", start), ("end", end))
    )
    if not first < funding < stop:
        fail(
            f"`funding_date` must fall inside the data window {first} .. {stop}, got {funding}",
            fix="Choose a funding date with data before and after it",
        )
    bounds = pd.to_datetime([first, funding, funding, stop]).tz_localize(TIMEZONE)
    days = np.array([(funding - first).days, (stop - funding).days])
    return pd.DataFrame(
        {
            "period": PERIODS,
            "start": bounds[[0, 2]],
            "end": bounds[[1, 3]],
            "days": days,
            "weeks": days / 7.0,
        }
    )


def coverage_table(
    intervals: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    visit_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per hotspot, period and role (``"all"`` first): :data:`COVERAGE_COLUMNS`,
    then ``role``, ``name``, ``officer_minutes``, ``officer_minutes_per_week``,
    ``visits_per_week``, ``koper_visits_per_week``, ``median_visit_minutes``,
    ``mean_visit_minutes``.

    ``visit_table`` is ``visits(intervals)`` when the caller already has it.
    """
    if visit_table is None:
        visit_table = visits(intervals)
    rows = []
    for role, subset in _by_role(intervals):
        role_visits = visit_table[visit_table["role"] == role]
        for period in periods.itertuples():
            rows.append(_period_metrics(subset, role_visits, zones, period).assign(role=role))
    table = pd.concat(rows, ignore_index=True)
    table["patrol_minutes_per_week"] = table["patrol_minutes"] / table["weeks"]
    table["officer_minutes_per_week"] = table["officer_minutes"] / table["weeks"]
    table["visits_per_week"] = table["visits"] / table["weeks"]
    table["koper_visits_per_week"] = table["koper_visits"] / table["weeks"]
    extra = [
        "role",
        "name",
        "officer_minutes",
        "officer_minutes_per_week",
        "visits_per_week",
        "koper_visits_per_week",
        "median_visit_minutes",
        "mean_visit_minutes",
    ]
    return table[list(COVERAGE_COLUMNS) + extra]


def compare_periods(table: pd.DataFrame) -> pd.DataFrame:
    """Before against after per hotspot, role and per-week metric.

    Columns ``hotspot_id``, ``role``, ``metric``, ``before``, ``after``, ``change``
    (after - before) and ``pct_change`` (NaN when ``before`` is 0).
    """
    metrics = [
        "patrol_minutes_per_week",
        "officer_minutes_per_week",
        "visits_per_week",
        "koper_visits_per_week",
        "days_visited_pct",
        "median_visit_minutes",
    ]
    long = table.melt(
        id_vars=["hotspot_id", "role", "period"], value_vars=metrics, var_name="metric"
    )
    wide = long.pivot_table(
        index=["hotspot_id", "role", "metric"], columns="period", values="value", dropna=False
    ).reset_index()
    wide.columns.name = None
    wide["change"] = wide["after"] - wide["before"]
    wide["pct_change"] = 100.0 * wide["change"] / wide["before"].where(wide["before"] != 0)
    return wide[["hotspot_id", "role", "metric", "before", "after", "change", "pct_change"]]


def coverage_by_hour(intervals: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Patrol-minutes (at least one unit present) by local weekday and hour of day.

    Columns ``hotspot_id``, ``period``, ``role``, ``weekday`` (0 = Monday), ``hour``
    (0-23, Europe/London) and ``patrol_minutes``; only non-zero cells.
    """
    parts = []
    for role, subset in _by_role(intervals):
        codes, hotspots = pd.factorize(subset["hotspot_id"])
        keys, start_ms, end_ms = merge_intervals(
            codes.astype("int64"), epoch_ms(subset["start"]), epoch_ms(subset["end"])
        )
        # UK offsets are whole hours, so UTC hour boundaries are local hour boundaries.
        first_hour, last_hour = start_ms // _HOUR_MS, np.maximum(end_ms - 1, start_ms) // _HOUR_MS
        pieces = last_hour - first_hour + 1
        key = np.repeat(keys, pieces)
        hour_ms = (np.repeat(first_hour, pieces) + _ragged_arange(pieces)) * _HOUR_MS
        piece_start = np.maximum(np.repeat(start_ms, pieces), hour_ms)
        piece_end = np.minimum(np.repeat(end_ms, pieces), hour_ms + _HOUR_MS)
        local = _timestamps(hour_ms)
        frame = pd.DataFrame(
            {
                "hotspot_id": np.asarray(hotspots, dtype=object)[key],
                "period": _period_of(piece_start, periods),
                "role": role,
                "weekday": local.day_of_week,
                "hour": local.hour,
                "patrol_minutes": (piece_end - piece_start) / _MS_PER_MIN,
            }
        )
        frame = frame[frame["period"].notna() & (frame["patrol_minutes"] > 0)]
        parts.append(
            frame.groupby(["hotspot_id", "period", "role", "weekday", "hour"], as_index=False)[
                "patrol_minutes"
            ].sum()
        )
    return pd.concat(parts, ignore_index=True)


def visit_length_distribution(visit_table: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Count of visits per hotspot, period, role and length bin (:data:`VISIT_LENGTH_BINS`).

    Columns ``hotspot_id``, ``period``, ``role``, ``length_min`` (bin label such as
    ``"10-16"``) and ``visits``.
    """
    frame = visit_table.assign(
        period=_period_of(epoch_ms(visit_table["start"]), periods),
        length_min=pd.cut(
            visit_table["minutes"],
            np.asarray(VISIT_LENGTH_BINS),
            right=False,
            labels=list(VISIT_LENGTH_LABELS),
        ),
    )
    counts = frame.groupby(["hotspot_id", "period", "role", "length_min"], observed=True).size()
    return counts.rename("visits").reset_index()


def hotspot_share(
    pings: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    max_gap_min: float = 5.0,
    tracks: _Tracks | None = None,
) -> pd.DataFrame:
    """Share of all patrol time (officer-minutes between pings) spent in any hotspot.

    Columns ``period``, ``role``, ``patrol_minutes_total``, ``hotspot_minutes`` and
    ``hotspot_share_pct``. Time between two pings counts when they are at most
    ``max_gap_min`` apart; it is in a hotspot when both pings are in the same hotspot.
    """
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    tracks = tracks or _tracks(pings, zones)
    units, t_ms, ping, zone = tracks.units, tracks.t_ms, tracks.ping, tracks.zone
    step_min = np.r_[np.diff(t_ms), 0] / _MS_PER_MIN
    counted = np.r_[units[1:] == units[:-1], False] & (step_min <= gap_ms / _MS_PER_MIN)
    in_hotspot = np.zeros(len(t_ms), dtype=bool)
    in_hotspot[ping[:-1][(zone[1:] == zone[:-1]) & (ping[1:] == ping[:-1] + 1)]] = True
    role_codes, roles = pd.factorize(pings["role"])
    role_codes = role_codes[tracks.order]
    period_codes = _period_code(t_ms, periods)
    keep = counted & (period_codes >= 0)
    cell = period_codes[keep] * len(roles) + role_codes[keep]
    size = len(periods) * len(roles)
    total = np.bincount(cell, weights=step_min[keep], minlength=size).reshape(len(periods), -1)
    inside = np.bincount(
        cell, weights=np.where(in_hotspot[keep], step_min[keep], 0.0), minlength=size
    ).reshape(len(periods), -1)
    rows = []
    for p, period in enumerate(periods["period"]):
        rows.append((period, ALL_ROLES, total[p].sum(), inside[p].sum()))
        rows.extend(
            (period, role, total[p, r], inside[p, r])
            for r, role in enumerate(roles)
            if total[p, r] > 0
        )
    share = pd.DataFrame(
        rows, columns=["period", "role", "patrol_minutes_total", "hotspot_minutes"]
    )
    share["hotspot_share_pct"] = 100.0 * share["hotspot_minutes"] / share["patrol_minutes_total"]
    return share


def weekly_coverage(intervals: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Patrol-minutes in all hotspots per week, for all roles together and for each role.

    Weeks are aligned to the funding date (the ``before`` period's end), so no week
    straddles it; only whole weeks inside the periods are kept (up to 6 days at each end
    are left out). Minutes are patrol-minutes per hotspot (at least one unit present),
    summed over hotspots, as in :func:`coverage_table`.

    Columns ``week_start`` (local midnight, tz Europe/London), ``period``, ``role`` and
    ``patrol_minutes``; every week appears for every role, with 0 when no patrol.
    """
    check_columns("periods", periods.columns, ("period", "start", "end"))
    funding = periods["end"].iloc[0]
    first, stop = periods["start"].iloc[0].date(), periods["end"].iloc[-1].date()
    weeks_before = (funding.date() - first).days // 7
    weeks_after = (stop - funding.date()).days // 7
    # Local midnights (never ambiguous in the UK), so weeks follow the clock across DST.
    starts = [funding.date() + dt.timedelta(weeks=k) for k in range(-weeks_before, weeks_after + 1)]
    edges = pd.DatetimeIndex(pd.to_datetime(starts)).tz_localize(TIMEZONE)
    edges_ms = epoch_ms(edges)
    parts = []
    for role, subset in _by_role(intervals):
        codes = pd.factorize(subset["hotspot_id"])[0].astype("int64")
        _, start_ms, end_ms = merge_intervals(
            codes, epoch_ms(subset["start"]), epoch_ms(subset["end"])
        )
        covered = _time_before(edges_ms, start_ms, end_ms)
        parts.append(
            pd.DataFrame(
                {
                    "week_start": edges[:-1],
                    "period": np.where(edges[:-1] < funding, *PERIODS),
                    "role": role,
                    "patrol_minutes": np.diff(covered) / _MS_PER_MIN,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def dosage_change(table: pd.DataFrame, role: str = ALL_ROLES) -> pd.DataFrame:
    """Before and after side by side per hotspot for one ``role``, with a change class.

    ``table`` is :func:`coverage_table` output. Columns ``hotspot_id``, ``name``, then
    ``<metric>_before`` and ``<metric>_after`` for :data:`DOSAGE_METRICS`, then
    ``change`` and ``pct_change`` of patrol minutes per week (after - before; % is NaN
    when before is 0) and ``dosage_class`` (:data:`DOSAGE_CLASSES`). Rows keep the
    table's hotspot order. An unknown ``role`` gives an empty frame with these columns.
    """
    check_columns("table", table.columns, ("hotspot_id", "name", "period", "role", *DOSAGE_METRICS))
    rows = table[table["role"] == role]
    wide = rows.pivot(index="hotspot_id", columns="period", values=list(DOSAGE_METRICS))
    wide = wide.reindex(columns=pd.MultiIndex.from_product([DOSAGE_METRICS, PERIODS]))
    wide.columns = [f"{metric}_{period}" for metric, period in wide.columns]
    order = rows.drop_duplicates("hotspot_id")[["hotspot_id", "name"]]
    frame = order.merge(wide, left_on="hotspot_id", right_index=True).reset_index(drop=True)
    counts = [f"{metric}_{period}" for metric in ("visits", "koper_visits") for period in PERIODS]
    frame[counts] = frame[counts].astype("int64")
    before = frame["patrol_minutes_per_week_before"].astype("float64")
    after = frame["patrol_minutes_per_week_after"].astype("float64")
    frame["change"] = after - before
    frame["pct_change"] = 100.0 * frame["change"] / before.where(before != 0)
    frame["dosage_class"] = classify_dosage(before.to_numpy(), after.to_numpy())
    return frame


def classify_dosage(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The :data:`DOSAGE_CLASSES` label of each pair of before/after minutes per week.

    By % change: +100% or more (or none before and some after), [+25, +100)%,
    (-25, +25)%, (-50, -25]%, -50% or less; "no patrol" when both are 0.
    """
    before, after = np.asarray(before, "float64"), np.asarray(after, "float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(before > 0, 100.0 * (after - before) / before, np.inf)
    none = (before == 0) & (after == 0)
    conditions = [none, pct >= 100, pct >= 25, pct > -25, pct > -50]
    labels = [DOSAGE_CLASSES[-1], *DOSAGE_CLASSES[:4]]
    return np.select(conditions, labels, default=DOSAGE_CLASSES[4]).astype(object)


def hour_of_day_profile(
    hourly: pd.DataFrame, periods: pd.DataFrame, role: str = ALL_ROLES
) -> pd.DataFrame:
    """Patrol-minutes per week in all hotspots by local hour of day, per period.

    ``hourly`` is :func:`coverage_by_hour` output. Columns ``period``, ``hour`` (0-23),
    ``patrol_minutes_per_week`` (summed over hotspots and weekdays, divided by the
    period's weeks) and ``share_pct`` (of the period's patrol-minutes); all 24 hours.
    """
    check_columns("hourly", hourly.columns, ("period", "role", "hour", "patrol_minutes"))
    rows = hourly[hourly["role"] == role]
    minutes = rows.groupby(["period", "hour"])["patrol_minutes"].sum()
    grid = pd.MultiIndex.from_product([periods["period"], range(24)], names=["period", "hour"])
    frame = minutes.reindex(grid, fill_value=0.0).reset_index()
    weeks = frame["period"].map(periods.set_index("period")["weeks"])
    frame["patrol_minutes_per_week"] = frame["patrol_minutes"] / weeks
    totals = frame.groupby("period")["patrol_minutes"].transform("sum")
    frame["share_pct"] = 100.0 * frame["patrol_minutes"] / totals.where(totals > 0)
    return frame[["period", "hour", "patrol_minutes_per_week", "share_pct"]]


def visit_length_shares(visit_lengths: pd.DataFrame, role: str = ALL_ROLES) -> pd.DataFrame:
    """Visits in all hotspots per length bin and period, as counts and % of the period.

    ``visit_lengths`` is :func:`visit_length_distribution` output. Columns ``period``,
    ``length_min`` (every bin, in :data:`VISIT_LENGTH_BINS` order), ``koper`` (the
    10-16 min bin), ``visits`` and ``share_pct``.
    """
    check_columns("visit_lengths", visit_lengths.columns, ("period", "role", "length_min"))
    rows = visit_lengths[visit_lengths["role"] == role]
    counts = rows.groupby(["period", rows["length_min"].astype("str")])["visits"].sum()
    grid = pd.MultiIndex.from_product(
        [PERIODS, VISIT_LENGTH_LABELS], names=["period", "length_min"]
    )
    frame = counts.reindex(grid, fill_value=0).reset_index()
    frame["koper"] = frame["length_min"] == KOPER_LABEL
    totals = frame.groupby("period")["visits"].transform("sum")
    frame["share_pct"] = 100.0 * frame["visits"] / totals.where(totals > 0)
    return frame[["period", "length_min", "koper", "visits", "share_pct"]]


def long_visit_share(
    visit_lengths: pd.DataFrame, role: str = ALL_ROLES, *, over_min: float = KOPER_MINUTES[1]
) -> pd.Series:
    """% of each period's visits in the length bins that start at ``over_min`` or later.

    With the default (16 min, the top of the Koper dose) this is the share of visits too
    long to count as Koper-dose visits. Indexed by period (:data:`PERIODS`); NaN for a
    period without visits.
    """
    shares = visit_length_shares(visit_lengths, role)
    lower = dict(zip(VISIT_LENGTH_LABELS, VISIT_LENGTH_BINS[:-1], strict=True))
    long = shares[shares["length_min"].map(lower) >= over_min]
    return long.groupby("period")["share_pct"].sum(min_count=1).reindex(list(PERIODS))


def demand_by_hour(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents with a known time by local hour of day (Europe/London).

    Columns ``hour`` (0-23, all 24), ``incidents`` and ``share_pct``. Empty when no
    incident has an ``occurred_at`` time: police.uk publishes months only.
    """
    columns = ["hour", "incidents", "share_pct"]
    times = incidents["occurred_at"].dropna() if "occurred_at" in incidents.columns else None
    if times is None or times.empty:
        return pd.DataFrame(columns=columns)
    hours = pd.DatetimeIndex(times).tz_convert(TIMEZONE).hour
    counts = np.bincount(hours, minlength=24)
    return pd.DataFrame(
        {"hour": np.arange(24), "incidents": counts, "share_pct": 100.0 * counts / counts.sum()}
    )


def patrol_density(
    pings: pd.DataFrame,
    periods: pd.DataFrame,
    *,
    cell_m: float = 25.0,
    max_gap_min: float = 5.0,
) -> pd.DataFrame:
    """Officer-minutes of patrol per square grid cell, period and role (for a heat map).

    Each ping carries the time to the same unit's next ping when that is at most
    ``max_gap_min`` later (as in :func:`hotspot_share`), and lands in a ``cell_m``-metre
    cell of the British National Grid (EPSG:27700). Columns ``period``, ``role`` (``"all"``
    and each role), ``easting``, ``northing`` (cell centre, metres) and ``minutes``.
    """
    cell_m = check_positive("cell_m", cell_m)
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    check_columns("pings", pings.columns, ("unit_id", "role", "timestamp", "easting", "northing"))
    units, t_ms = _unit_codes(pings), epoch_ms(pings["timestamp"])
    order = _track_order(units, t_ms)
    units, t_ms = units[order], t_ms[order]
    step = np.r_[np.diff(t_ms), 0]
    minutes = np.where(np.r_[units[1:] == units[:-1], False] & (step <= gap_ms), step, 0)
    minutes = minutes / _MS_PER_MIN
    frame = pd.DataFrame(
        {
            "period": _period_of(t_ms, periods),
            "role": pings["role"].to_numpy()[order],
            "col": np.floor(pings["easting"].to_numpy()[order] / cell_m),
            "row": np.floor(pings["northing"].to_numpy()[order] / cell_m),
            "minutes": minutes,
        }
    )
    frame = frame[frame["period"].notna() & (frame["minutes"] > 0)]
    keys = ["period", "col", "row"]
    by_role = frame.groupby([*keys, "role"], as_index=False)["minutes"].sum()
    total = frame.groupby(keys, as_index=False)["minutes"].sum().assign(role=ALL_ROLES)
    cells = pd.concat([total, by_role], ignore_index=True)
    cells["easting"] = (cells["col"] + 0.5) * cell_m
    cells["northing"] = (cells["row"] + 0.5) * cell_m
    return cells[["period", "role", "easting", "northing", "minutes"]]


# --- helpers -------------------------------------------------------------------------


def _period_metrics(
    intervals: pd.DataFrame,
    visit_table: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    period: tuple,
) -> pd.DataFrame:
    """Metrics of one role subset in one period, one row per zone."""
    lo, hi = epoch_ms(pd.Series([period.start, period.end]))
    start_ms = np.clip(epoch_ms(intervals["start"]), lo, hi)
    end_ms = np.clip(epoch_ms(intervals["end"]), lo, hi)
    inside = (end_ms > start_ms) | ((start_ms >= lo) & (start_ms < hi) & (end_ms == start_ms))
    codes = pd.Categorical(intervals["hotspot_id"], categories=zones["hotspot_id"]).codes
    codes, start_ms, end_ms = codes[inside].astype("int64"), start_ms[inside], end_ms[inside]
    n = len(zones)
    officer = np.bincount(codes, weights=(end_ms - start_ms) / _MS_PER_MIN, minlength=n)
    keys, union_start, union_end = merge_intervals(codes, start_ms, end_ms)
    patrol = np.bincount(keys, weights=(union_end - union_start) / _MS_PER_MIN, minlength=n)
    visit_start = epoch_ms(visit_table["start"])
    in_period = visit_table[(visit_start >= lo) & (visit_start < hi)]
    grouped = in_period.groupby("hotspot_id")
    days = in_period["start"].dt.tz_convert(TIMEZONE).dt.date.groupby(in_period["hotspot_id"])
    stats = pd.DataFrame(
        {
            "visits": grouped.size(),
            "koper_visits": grouped["koper"].sum(),
            "days_visited_pct": 100.0 * days.nunique() / period.days,
            "median_visit_minutes": grouped["minutes"].median(),
            "mean_visit_minutes": grouped["minutes"].mean(),
        }
    ).reindex(zones["hotspot_id"].to_numpy())
    frame = pd.DataFrame(
        {
            "hotspot_id": zones["hotspot_id"].to_numpy(),
            "period": period.period,
            "weeks": period.weeks,
            "patrol_minutes": patrol,
            "name": zones["name"].to_numpy(),
            "officer_minutes": officer,
        }
    )
    for column in ("visits", "koper_visits", "days_visited_pct"):
        frame[column] = stats[column].fillna(0).to_numpy()
    for column in ("median_visit_minutes", "mean_visit_minutes"):
        frame[column] = stats[column].to_numpy()
    frame[["visits", "koper_visits"]] = frame[["visits", "koper_visits"]].astype("int64")
    return frame


def _by_role(intervals: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``("all", intervals)`` then ``(role, subset)`` for each role present."""
    yield ALL_ROLES, intervals
    for role in sorted(intervals["role"].dropna().unique()):
        yield role, intervals[intervals["role"] == role]


def _interval_frame(
    *,
    unit_id: np.ndarray,
    role: np.ndarray,
    hotspot_id: np.ndarray,
    start_ms: np.ndarray,
    end_ms: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": pd.array(unit_id, dtype="str"),
            "role": pd.array(role, dtype="str"),
            "hotspot_id": pd.array(hotspot_id, dtype="str"),
            "start": _timestamps(start_ms),
            "end": _timestamps(end_ms),
            "minutes": (end_ms - start_ms) / _MS_PER_MIN,
        }
    )


def _period_code(t_ms: np.ndarray, periods: pd.DataFrame) -> np.ndarray:
    """Row number in ``periods`` of each epoch-ms time, -1 outside all periods."""
    codes = np.full(len(t_ms), -1, dtype="int64")
    for index, period in enumerate(periods.itertuples()):
        lo, hi = epoch_ms(pd.Series([period.start, period.end]))
        codes[(t_ms >= lo) & (t_ms < hi)] = index
    return codes


def _period_of(t_ms: np.ndarray, periods: pd.DataFrame) -> np.ndarray:
    """Period name of each epoch-ms time, None outside all periods."""
    names = np.r_[periods["period"].to_numpy(dtype=object), None]
    return names[_period_code(t_ms, periods)]


def _time_before(edges_ms: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray) -> np.ndarray:
    """Total ms of the intervals ``[start, end)`` that lies before each edge (int64 ms).

    Uses sum(min(edge, end)) - sum(min(edge, start)), each from sorted prefix sums.
    """
    origin = int(edges_ms[0]) if len(edges_ms) else 0
    edges = np.asarray(edges_ms, "int64") - origin
    return _sum_of_min(edges, end_ms - origin) - _sum_of_min(edges, start_ms - origin)


def _sum_of_min(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``[sum(min(e, values)) for e in edges]`` in O((n + m) log n), int64."""
    values = np.sort(np.asarray(values, "int64"))
    prefix = np.r_[0, np.cumsum(values)]
    below = np.searchsorted(values, edges, side="left")
    return prefix[below] + edges * (len(values) - below)


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without a loop."""
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)


def _unit_codes(pings: pd.DataFrame) -> np.ndarray:
    return pd.factorize(pings["unit_id"])[0].astype("int64")


def _track_order(units: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """Row order by unit then time; skips the sort when already in that order."""
    if len(units) < 2:
        return np.arange(len(units))
    same = units[1:] == units[:-1]
    # Already grouped by unit (each unit one block) and time-sorted within units?
    blocks = np.count_nonzero(~same) + 1
    if blocks == len(np.unique(units)) and np.all(~same | (t_ms[1:] >= t_ms[:-1])):
        return np.arange(len(units))
    return np.lexsort((t_ms, units))


def _timestamps(epoch_ms: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(epoch_ms, dtype="int64"), unit="ms", utc=True).tz_convert(
        TIMEZONE
    )


def _as_date(name: str, value: dt.date | str) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        fail(f"`{name}` must be a date like 2024-06-01, got {value!r}")
        raise
