"""Plan against delivery: planned and delivered patrol minutes and visits per hotspot.

Delivered dosage is measured by :mod:`geo.coverage` from GPS pings (patrol-minutes with
at least one unit present, visits with re-entries within 2 minutes merged, Koper visits
of 10-16 minutes; Williams & Coupe 2017). The plan's daily dosage is multiplied by the
number of calendar days compared (Europe/London).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.checks import check_columns, check_min_int, check_not_empty, fail
from geo.patrols.dosage import (
    ALL_ROLES,
    MAX_GAP_MIN,
    coverage_table,
    hotspot_zones,
    presence_intervals,
)
from geo.planning.planner import PatrolPlan
from geo.schema import TIMEZONE

COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "hotspot_id",
    "name",
    "days",
    "planned_visits",
    "delivered_visits",
    "visits_pct",
    "planned_minutes",
    "delivered_minutes",
    "minutes_pct",
    "koper_visits",
    "delivered_visits_per_day",
    "delivered_minutes_per_day",
)


def compare_with_plan(
    plan: gpd.GeoDataFrame,
    pings: pd.DataFrame,
    start: dt.date | str,
    end: dt.date | str,
    *,
    buffer_m: float = 0.0,
    max_gap_min: float = MAX_GAP_MIN,
    shifts: int | None = None,
) -> pd.DataFrame:
    """Planned against delivered dosage per hotspot over local dates ``[start, end)``.

    Parameters
    ----------
    plan : the plan table (:attr:`geo.planner.PatrolPlan.plan`): ``hotspot_id``,
        ``name``, ``visits_per_day``, ``minutes_per_day`` and polygons (any CRS).
    pings : canonical pings (:data:`geo.patrols.PING_COLUMNS`).
    start, end : first and last-plus-one local dates compared.
    buffer_m, max_gap_min : as :func:`geo.coverage.measure_coverage`.
    shifts : shifts the plan covers in the window (default: its calendar days; one
        less when the window holds the morning after a shift that runs past midnight).

    Returns
    -------
    DataFrame
        :data:`COMPLIANCE_COLUMNS`, one row per planned hotspot; percentages are
        delivered / planned x 100 (NaN when nothing was planned).
    """
    check_columns("plan", plan.columns, ("hotspot_id", "name", "visits_per_day", "minutes_per_day"))
    check_not_empty("plan", len(plan), fix="Make a plan first")
    first, stop = _date("start", start), _date("end", end)
    if stop <= first:
        fail(f"`end` ({stop}) must be after `start` ({first})")
    bounds = pd.to_datetime([first, stop]).tz_localize(TIMEZONE)
    days = (stop - first).days if shifts is None else check_min_int("shifts", shifts, 1)
    zones = hotspot_zones(
        gpd.GeoDataFrame(
            {"hotspot_id": plan["hotspot_id"].to_numpy(), "name": plan["name"].to_numpy()},
            geometry=plan.geometry.to_numpy(),
            crs=plan.crs,
        ),
        buffer_m=buffer_m,
    )
    stamps = pings["timestamp"]
    window = pings[(stamps >= bounds[0]) & (stamps < bounds[1])]
    periods = pd.DataFrame(
        {"period": ["plan"], "start": bounds[:1], "end": bounds[1:], "days": [days]}
    ).assign(weeks=days / 7.0)
    intervals = presence_intervals(window, zones, max_gap_min=max_gap_min)
    delivered = coverage_table(intervals, zones, periods)
    delivered = delivered[delivered["role"] == ALL_ROLES].set_index("hotspot_id")
    keys = plan["hotspot_id"].astype("str").to_numpy()
    table = pd.DataFrame(
        {
            "hotspot_id": plan["hotspot_id"].to_numpy(),
            "name": plan["name"].to_numpy(),
            "days": days,
            "planned_visits": plan["visits_per_day"].to_numpy() * days,
            "delivered_visits": delivered["visits"].reindex(keys).fillna(0).to_numpy("int64"),
            "planned_minutes": plan["minutes_per_day"].to_numpy(dtype="float64") * days,
            "delivered_minutes": delivered["patrol_minutes"].reindex(keys).fillna(0).to_numpy(),
            "koper_visits": delivered["koper_visits"].reindex(keys).fillna(0).to_numpy("int64"),
        }
    )
    # A hotspot whose visits could not be scheduled has nothing planned: % is NaN, not inf.
    planned_visits = table["planned_visits"].where(table["planned_visits"] > 0)
    planned_minutes = table["planned_minutes"].where(table["planned_minutes"] > 0)
    table["visits_pct"] = 100.0 * table["delivered_visits"] / planned_visits
    table["minutes_pct"] = 100.0 * table["delivered_minutes"] / planned_minutes
    table["delivered_visits_per_day"] = table["delivered_visits"] / days
    table["delivered_minutes_per_day"] = table["delivered_minutes"] / days
    return table[list(COMPLIANCE_COLUMNS)]


def _date(name: str, value: dt.date | str) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        fail(f"`{name}` must be a date like 2025-12-01, got {value!r}")
        raise


#: Days of delivered patrols compared with a plan: the plan's day and the six after.
COMPARE_DAYS = 7


@dataclass(frozen=True)
class PlanComparison:
    """Plan against delivery over the plan's own period: ``table``
    (:data:`COMPLIANCE_COLUMNS`, None when no delivered data covers the period),
    ``first``/``last`` local dates compared, the shift hours, and ``message``: one plain
    sentence on what was compared, or why nothing could be."""

    table: pd.DataFrame | None
    first: dt.date
    last: dt.date
    shift: str
    message: str


def compare_plan_period(
    plan: PatrolPlan, pings: pd.DataFrame, *, days: int = COMPARE_DAYS, buffer_m: float = 0.0
) -> PlanComparison:
    """Compare ``plan`` with delivered patrols in like periods only.

    The plan is a daily plan for its shift; it is compared with the pings of the same
    shift hours (Europe/London) on the plan's day and the ``days - 1`` days after, never
    with other months or hours. When no ping falls in those shifts, ``table`` is None and
    ``message`` says which days the delivered data does cover.
    """
    days = check_min_int("days", days, 1)
    settings = plan.settings
    first = plan.capacity.shift[0].date()
    stop = first + dt.timedelta(days=days)
    last = stop - dt.timedelta(days=1)
    shift = f"{settings.shift_start}-{settings.shift_end}"
    period = f"{first:%a %d %b %Y} to {last:%a %d %b %Y}, {shift}"
    # From the first shift's start to the last shift's end (past midnight if it wraps).
    opens = plan.capacity.shift[0]
    closes = plan.capacity.shift[1] + pd.Timedelta(days=days - 1)
    stamps = pings["timestamp"]
    inside = (stamps >= opens) & (stamps < closes)
    covered = pings[inside & _in_shift(stamps, settings.shift_start, settings.shift_end)]
    if covered.empty:
        span = (
            "there is no delivered patrol data at all"
            if pings.empty
            else "the delivered patrol data covers "
            f"{pings['timestamp'].min():%d %b %Y} to {pings['timestamp'].max():%d %b %Y}"
        )
        message = (
            f"No delivered patrols cover the plan's period ({period}): {span}. "
            "Plan for a day inside that range to compare like with like."
        )
        return PlanComparison(None, first, last, shift, message)
    # A shift that runs past midnight ends on the day after the last one compared.
    table = compare_with_plan(
        plan.plan, covered, first, stop + dt.timedelta(days=1), buffer_m=buffer_m, shifts=days
    )
    message = f"Plan compared with the patrols delivered in the same shifts, {period}."
    return PlanComparison(table, first, last, shift, message)


def _in_shift(stamps: pd.Series, start: str, end: str) -> pd.Series:
    """Whether each local timestamp falls in the daily shift ``start``-``end`` ("HH:MM";
    a shift ending at or before its start runs past midnight)."""
    local = stamps.dt.tz_convert(TIMEZONE)
    minute = local.dt.hour * 60 + local.dt.minute
    begin, finish = (_clock_minutes(t) for t in (start, end))
    if finish > begin:
        return (minute >= begin) & (minute < finish)
    return (minute >= begin) | (minute < finish)


def _clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)
