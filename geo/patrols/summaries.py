"""Summaries of patrol dosage for pages and reports: patrol minutes by hour, visit
lengths, the share of patrol time in hotspots, weekly series, the change in dosage and its
classes, and patrol density. Inputs are the intervals and visits of :mod:`geo.patrols.dosage`.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.checks import check_columns, check_positive
from geo.io.pings import epoch_ms
from geo.patrols.dosage import (
    _HOUR_MS,
    _MS_PER_MIN,
    ALL_ROLES,
    DOSAGE_METRICS,
    KOPER_MINUTES,
    MAX_GAP_MIN,
    PERIODS,
    ZoneTracks,
    _by_role,
    _period_code,
    _period_of,
    _ragged_arange,
    _time_before,
    _timestamps,
    _track_order,
    _unit_codes,
    merge_intervals,
    track_zones,
)
from geo.schema import TIMEZONE

#: Visit-length bins in minutes, left-closed: [0, 2), [2, 5), ... [30, inf). The Koper
#: bin ends just above 16 so that it holds exactly the Koper visits, 10 <= minutes <= 16.
VISIT_LENGTH_BINS = (0.0, 2.0, 5.0, 10.0, float(np.nextafter(16.0, np.inf)), 30.0, np.inf)


#: Label of each visit-length bin ("0-2", ... "30+") and of the Koper bin.
VISIT_LENGTH_LABELS: tuple[str, ...] = tuple(
    f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"
    for lo, hi in zip(VISIT_LENGTH_BINS[:-1], VISIT_LENGTH_BINS[1:], strict=True)
)


KOPER_LABEL = f"{KOPER_MINUTES[0]:g}-{KOPER_MINUTES[1]:g}"


#: Classes of change in patrol minutes per week (:func:`classify_dosage`), most first.
DOSAGE_CLASSES: tuple[str, ...] = (
    "doubled or more",
    "up 25-100%",
    "within ±25%",
    "down 25-50%",
    "down 50% or more",
    "no patrol",
)


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
    max_gap_min: float = MAX_GAP_MIN,
    tracks: ZoneTracks | None = None,
) -> pd.DataFrame:
    """Share of all patrol time (officer-minutes between pings) spent in any hotspot.

    Columns ``period``, ``role``, ``patrol_minutes_total``, ``hotspot_minutes`` and
    ``hotspot_share_pct``. Time between two pings counts when they are at most
    ``max_gap_min`` apart; it is in a hotspot when both pings are in the same hotspot.
    """
    gap_ms = check_positive("max_gap_min", max_gap_min) * _MS_PER_MIN
    tracks = tracks or track_zones(pings, zones)
    role_codes, roles = pd.factorize(pings["role"])
    total_ms, inside_ms = hotspot_time_ms(
        tracks, role_codes[tracks.order], len(roles), periods, gap_ms
    )
    return share_table(total_ms, inside_ms, periods, list(roles))


def hotspot_time_ms(
    tracks: ZoneTracks, role_codes: np.ndarray, n_roles: int, periods: pd.DataFrame, gap_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """Patrol time and time in a hotspot, integer ms, as (periods, roles) arrays.

    ``role_codes`` are the pings' role numbers in track order (``tracks.order``). Whole
    milliseconds add up exactly in any order, so sums over partitions of the pings equal
    the sum over all of them (see :func:`hotspot_share` for what counts).
    """
    units, t_ms, ping, zone = tracks.units, tracks.t_ms, tracks.ping, tracks.zone
    step_ms = np.r_[np.diff(t_ms), 0]
    counted = np.r_[units[1:] == units[:-1], False] & (step_ms <= gap_ms)
    in_hotspot = np.zeros(len(t_ms), dtype=bool)
    in_hotspot[ping[:-1][(zone[1:] == zone[:-1]) & (ping[1:] == ping[:-1] + 1)]] = True
    period_codes = _period_code(t_ms, periods)
    keep = counted & (period_codes >= 0)
    cell = period_codes[keep] * n_roles + role_codes[keep]
    size = len(periods) * n_roles
    # float64 holds integer sums exactly up to 2**53 ms (285,000 years).
    total = np.bincount(cell, weights=step_ms[keep], minlength=size)
    inside = np.bincount(cell, weights=np.where(in_hotspot[keep], step_ms[keep], 0), minlength=size)
    shape = (len(periods), n_roles)
    return total.astype("int64").reshape(shape), inside.astype("int64").reshape(shape)


def share_table(
    total_ms: np.ndarray, inside_ms: np.ndarray, periods: pd.DataFrame, roles: list[str]
) -> pd.DataFrame:
    """:func:`hotspot_share`'s table from :func:`hotspot_time_ms`'s (periods, roles) sums."""
    total, inside = total_ms / _MS_PER_MIN, inside_ms / _MS_PER_MIN
    rows = []
    for p, period in enumerate(periods["period"]):
        rows.append(
            (period, ALL_ROLES, total_ms[p].sum() / _MS_PER_MIN, inside_ms[p].sum() / _MS_PER_MIN)
        )
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
    max_gap_min: float = MAX_GAP_MIN,
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
