"""Patrol plan exports: CSV, GeoJSON and GPX 1.1 waypoints for handheld devices.

Every export is built from one :class:`geo.planner.PatrolPlan`, so the numbers in the
files equal the plan on screen. Coordinates are WGS84 (``EPSG:4326``); times are local
(``Europe/London``) with their UTC offset.
"""

from __future__ import annotations

import gpxpy.gpx
import pandas as pd

from geo.planning.planner import PLAN_COLUMNS, PatrolPlan
from geo.safety import csv_text
from geo.schema import WGS84

#: GPX ``<creator>`` attribute.
CREATOR = "asb-hotspot-dashboard patrol planner"


def waypoints(plan: PatrolPlan) -> pd.DataFrame:
    """One point per planned hotspot: ``lat``/``lon`` (EPSG:4326) of a point inside the
    polygon (:meth:`shapely.Geometry.representative_point`), rounded to 6 decimals."""
    points = plan.plan.to_crs(WGS84).geometry.representative_point()
    return pd.DataFrame({"lat": points.y.round(6), "lon": points.x.round(6)}, index=plan.plan.index)


def visit_times(plan: PatrolPlan) -> pd.Series:
    """``"18:00, 20:00, ..."`` local start times of each hotspot's visits, by hotspot id."""
    schedule = plan.schedule.sort_values("start", kind="stable")
    text = schedule["start"].dt.strftime("%H:%M").groupby(schedule["hotspot_id"]).agg(", ".join)
    return text.reindex(plan.plan["hotspot_id"].to_numpy()).fillna("")


def plan_frame(plan: PatrolPlan) -> pd.DataFrame:
    """The plan table as plain columns: :data:`~geo.planner.PLAN_COLUMNS`, then
    ``visit_times``, ``lat`` and ``lon`` (no geometry)."""
    table = pd.DataFrame(plan.plan[list(PLAN_COLUMNS)])
    table["visit_times"] = visit_times(plan).to_numpy()
    return pd.concat([table, waypoints(plan)], axis=1)


def plan_csv(plan: PatrolPlan) -> str:
    """The plan as CSV text, one row per hotspot (see :func:`plan_frame`)."""
    return csv_text(plan_frame(plan).round({"risk": 3, "risk_share": 4}))


def schedule_csv(plan: PatrolPlan) -> str:
    """The visit schedule as CSV text; ``start``/``end`` in ISO 8601 with UTC offset."""
    schedule = plan.schedule.copy()
    for column in ("start", "end"):
        schedule[column] = schedule[column].map(lambda t: t.isoformat())
    return csv_text(schedule.round({"travel_km": 3, "travel_min": 1}))


def plan_geojson(plan: PatrolPlan) -> str:
    """The plan as a GeoJSON FeatureCollection of hotspot polygons (EPSG:4326)."""
    table = plan.plan.to_crs(WGS84).copy()
    table["visit_times"] = visit_times(plan).to_numpy()
    table["every_2h"] = table["every_2h"].astype(bool)
    return table.to_json(drop_id=True, to_wgs84=True)


def plan_gpx(plan: PatrolPlan) -> str:
    """GPX 1.1 with one waypoint per hotspot: name ``"#rank name"``, dosage as comment
    and visit times as description."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = CREATOR
    gpx.name = f"Patrol plan {plan.capacity.shift[0]:%Y-%m-%d}"
    points, times = waypoints(plan), visit_times(plan).to_numpy()
    for (_, row), (lat, lon), when in zip(
        plan.plan.iterrows(), points.to_numpy(), times, strict=True
    ):
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=float(lat),
                longitude=float(lon),
                name=f"#{row['plan_rank']} {row['name']}",
                comment=dosage_text(row),
                description=f"Visits at {when}" if when else None,
                symbol="Flag",
            )
        )
    return gpx.to_xml(version="1.1")


def dosage_text(row: pd.Series) -> str:
    """``"4 visits x 15 min = 60 min a day"`` for one plan row."""
    visits = int(row["visits_per_day"])
    return (
        f"{visits} visit{'s' if visits != 1 else ''} x {row['minutes_per_visit']:g} min = "
        f"{row['minutes_per_day']:g} min a day"
    )
