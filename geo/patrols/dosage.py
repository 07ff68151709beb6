"""Patrol dosage per hotspot and period: patrol minutes, visits, Koper-dose visits.

Definitions (Williams & Coupe 2017; Koper 1995):

* **Presence interval**: one stay of one unit in one hotspot. A stay starts at the first
  ping inside the polygon (on the edge counts as inside) and lasts while the unit's pings
  stay within ``edge_tolerance_m`` (10 m) of the polygon, each at most ``max_gap_min``
  after the previous (hysteresis: GPS jitter of a few metres at the edge neither loses
  minutes nor creates visits). It ends at the last inside ping of that run of pings.
  Entry and exit times are interpolated on the polygon edge between the inside ping and
  its outside neighbour, by the ratio of their distances to the edge (linear motion
  between pings), when that neighbour is at most ``max_gap_min`` away in time; otherwise
  the inside ping's own time is used. A gap of up to ``max_gap_min`` with the unit inside
  (or within tolerance) at both ends is bridged; a longer gap ends the stay. A lone
  inside ping with no neighbour within ``max_gap_min`` is a presence of 0 minutes.
* **Officer-minutes**: the sum of presence over units (two officers for 10 min = 20).
* **Visit**: an entry to exit of the patrol presence (union over units) in a hotspot;
  presences closer than ``merge_gap_min`` (default 0: touching or overlapping) join.
  Its minutes are exit minus entry.
* **Patrol-minutes**: the visits' minutes, clipped to the period, so visit minutes and
  patrol minutes agree by construction.
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
from geo.io.pings import epoch_ms
from geo.io.polygons import read_polygons
from geo.schema import BNG, MAX_GAP_MIN, TIMEZONE

ALL_ROLES = "all"


KOPER_MINUTES = (10.0, 16.0)


#: Presences closer than this (minutes) join into one visit. Edge flicker is handled by the
#: edge tolerance, so only touching or overlapping presences join by default.
MERGE_GAP_MIN = 0.0

# MAX_GAP_MIN, the longest gap between pings bridged inside a stay (10 min), is imported
# from geo.schema: the ping reader's ``long gap`` flag shares it, and io sits below patrols.


#: Pings this close to a hotspot's edge (metres, outside) keep a unit that entered inside.
EDGE_TOLERANCE_M = 10.0


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


#: Metrics :func:`dosage_change` puts side by side.
DOSAGE_METRICS: tuple[str, ...] = (
    "patrol_minutes_per_week",
    "visits",
    "koper_visits",
    "days_visited_pct",
)


_MS_PER_MIN = 60_000


_HOUR_MS = 3_600_000


#: Columns that identify a hotspot in a user's file, in order of preference.
HOTSPOT_KEYS = ("hotspot_id", "id", "rank")


def read_hotspots(path: str | Path) -> gpd.GeoDataFrame:
    """Read hotspot polygons (GeoJSON or any GDAL vector file) as EPSG:4326."""
    hotspots = read_polygons(path, "hotspot")
    if not set(HOTSPOT_KEYS) & set(hotspots.columns):
        fail(
            "hotspot file has no 'hotspot_id', 'id' or 'rank' property",
            fix="Add a hotspot_id to each hotspot",
            file=path,
        )
    return hotspots


def hotspot_zones(hotspots: gpd.GeoDataFrame, *, buffer_m: float = 0.0) -> gpd.GeoDataFrame:
    """Hotspot polygons in EPSG:27700 with ``hotspot_id`` (str), ``name`` and geometry.

    ``hotspot_id`` is the first of :data:`HOTSPOT_KEYS` present (``id`` and ``rank`` are
    accepted for files written by other tools). ``buffer_m`` (metres,
    >= 0) widens each polygon, applied in EPSG:27700.
    """
    buffer_m = check_non_negative("buffer_m", buffer_m)
    check_not_empty("hotspots", len(hotspots), fix="Pass at least one hotspot polygon")
    if hotspots.crs is None:
        fail("`hotspots` has no CRS", fix="Set it, e.g. hotspots.set_crs('EPSG:4326')")
    key = next((column for column in HOTSPOT_KEYS if column in hotspots.columns), "hotspot_id")
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
class ZoneTracks:
    """Pings in unit-then-time order and their (ping, zone) inside pairs, computed once.

    ``x``/``y`` are the ordered pings' coordinates (metres, EPSG:27700); ``ping``/``zone``
    pair every ping strictly inside or on the edge of a zone, sorted by zone then ping.
    """

    order: np.ndarray
    units: np.ndarray
    t_ms: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ping: np.ndarray
    zone: np.ndarray


def track_zones(pings: pd.DataFrame, zones: gpd.GeoDataFrame) -> ZoneTracks:
    check_columns("pings", pings.columns, ("unit_id", "role", "timestamp", "easting", "northing"))
    units, t_ms = _unit_codes(pings), epoch_ms(pings["timestamp"])
    order = _track_order(units, t_ms)
    x = pings["easting"].to_numpy(dtype="float64")[order]
    y = pings["northing"].to_numpy(dtype="float64")[order]
    ping, zone = locate_pings(x, y, zones)
    by_zone = np.lexsort((ping, zone))
    return ZoneTracks(order, units[order], t_ms[order], x, y, ping[by_zone], zone[by_zone])


def presence_intervals(
    pings: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    *,
    max_gap_min: float = MAX_GAP_MIN,
    edge_tolerance_m: float = EDGE_TOLERANCE_M,
    tracks: ZoneTracks | None = None,
) -> pd.DataFrame:
    """Stays of each unit in each hotspot, with interpolated entry and exit (module docstring).

    ``max_gap_min`` (minutes) is the longest gap between pings bridged inside a stay;
    ``edge_tolerance_m`` (metres) how far outside the edge a unit that entered may stray.
    Returns :data:`INTERVAL_COLUMNS`: ``start``/``end`` tz Europe/London, ``minutes``.
    """
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    tolerance = check_non_negative("edge_tolerance_m", edge_tolerance_m)
    tracks = tracks or track_zones(pings, zones)
    first_ping, zone, start_ms, end_ms = _stays(tracks, zones, gap_ms, tolerance)
    source_rows = tracks.order[first_ping]
    return _interval_frame(
        unit_id=pings["unit_id"].to_numpy()[source_rows],
        role=pings["role"].to_numpy()[source_rows],
        hotspot_id=zones["hotspot_id"].to_numpy()[zone],
        start_ms=start_ms,
        end_ms=end_ms,
    )


def _stays(
    tracks: ZoneTracks, zones: gpd.GeoDataFrame, gap_ms: float, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stays in every zone, zone by zone: ``(first inside ping, zone, start_ms, end_ms)``."""
    parts = [
        _zone_stays(tracks, polygon, zone_index, gap_ms, tolerance)
        for zone_index, polygon in enumerate(zones.geometry.to_numpy())
    ]
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(4))


def _zone_stays(
    tracks: ZoneTracks, polygon, zone_index: int, gap_ms: float, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stays in one polygon: ``(first inside ping, zone, start_ms, end_ms)`` arrays."""
    units, t_ms, x, y = tracks.units, tracks.t_ms, tracks.x, tracks.y
    minx, miny, maxx, maxy = polygon.bounds
    near = np.flatnonzero(
        (x >= minx - tolerance)
        & (x <= maxx + tolerance)
        & (y >= miny - tolerance)
        & (y <= maxy + tolerance)
    )
    shapely.prepare(polygon)
    near = near[shapely.dwithin(polygon, shapely.points(x[near], y[near]), tolerance)]
    inside = shapely.intersects_xy(polygon, x[near], y[near])
    # Runs of consecutive near pings of one unit, none more than gap_ms after the previous.
    joined = (
        (near[1:] == near[:-1] + 1)
        & (units[near[1:]] == units[near[:-1]])
        & (t_ms[near[1:]] - t_ms[near[:-1]] <= gap_ms)
    )
    run = np.r_[0, np.cumsum(~joined)] if len(near) else near
    run, first_in, last_in = run[inside], near[inside], near[inside]
    if len(run) == 0:
        empty = np.empty(0, dtype="int64")
        return empty, empty, empty, empty
    new = np.r_[True, run[1:] != run[:-1]]
    first_in = first_in[new]
    last_in = last_in[np.r_[new[1:], True]]
    boundary = polygon.boundary
    start_ms = _edge_time(tracks, boundary, first_in, first_in - 1, gap_ms)
    end_ms = _edge_time(tracks, boundary, last_in, last_in + 1, gap_ms)
    zone = np.full(len(first_in), zone_index, dtype="int64")
    return first_in, zone, start_ms, end_ms


def _edge_time(
    tracks: ZoneTracks, boundary, inside: np.ndarray, neighbour: np.ndarray, gap_ms: float
) -> np.ndarray:
    """When the unit crossed the edge between each inside ping and its outside neighbour.

    Linear in the pings' distances to the edge (metres); the inside ping's own time when
    the neighbour belongs to another unit, does not exist, or is more than ``gap_ms`` away.
    """
    t_in = tracks.t_ms[inside]
    ok = (neighbour >= 0) & (neighbour < len(tracks.t_ms))
    other = np.where(ok, neighbour, inside)
    ok &= (tracks.units[other] == tracks.units[inside]) & (
        np.abs(tracks.t_ms[other] - t_in) <= gap_ms
    )
    depth = shapely.distance(boundary, shapely.points(tracks.x[inside], tracks.y[inside]))
    away = shapely.distance(boundary, shapely.points(tracks.x[other], tracks.y[other]))
    share = np.divide(depth, depth + away, out=np.zeros(len(inside)), where=(depth + away) > 0)
    crossing = t_in + np.rint(share * (tracks.t_ms[other] - t_in)).astype("int64")
    return np.where(ok, crossing, t_in)


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
    # Patrol minutes are the visits' minutes clipped to the period: they agree by construction.
    visit_codes = pd.Categorical(visit_table["hotspot_id"], categories=zones["hotspot_id"]).codes
    visit_lo = np.clip(epoch_ms(visit_table["start"]), lo, hi)
    visit_hi = np.clip(epoch_ms(visit_table["end"]), lo, hi)
    known = visit_codes >= 0
    patrol = np.bincount(
        visit_codes[known].astype("int64"),
        weights=(visit_hi - visit_lo)[known] / _MS_PER_MIN,
        minlength=n,
    )
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
