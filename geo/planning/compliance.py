"""Plan against delivery: planned and delivered patrol minutes and visits per hotspot.

Delivered dosage is measured by :mod:`geo.coverage` from GPS pings (patrol-minutes with
at least one unit present, visits with re-entries within 2 minutes merged, Koper visits
of 10-16 minutes; Williams & Coupe 2017). The plan's daily dosage is multiplied by the
number of calendar days compared (Europe/London).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from geo.checks import check_columns, check_not_empty, fail
from geo.patrols.dosage import ALL_ROLES, coverage_table, hotspot_zones, presence_intervals
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
    max_gap_min: float = 5.0,
) -> pd.DataFrame:
    """Planned against delivered dosage per hotspot over local dates ``[start, end)``.

    Parameters
    ----------
    plan : the plan table (:attr:`geo.planner.PatrolPlan.plan`): ``hotspot_id``,
        ``name``, ``visits_per_day``, ``minutes_per_day`` and polygons (any CRS).
    pings : canonical pings (:data:`geo.patrols.PING_COLUMNS`).
    start, end : first and last-plus-one local dates compared.
    buffer_m, max_gap_min : as :func:`geo.coverage.measure_coverage`.

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
    days = (stop - first).days
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
