"""The patrol-plan map: planned hotspots coloured by plan rank, dosage in the tooltip.

Built from :mod:`geo.maps` parts, so it keeps their promises: local assets only, a
byte budget, deterministic content and HTML-escaped text.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from geo import maps
from geo.checks import check_columns


def build_plan_map(plan: gpd.GeoDataFrame, *, tiles: bool = True) -> folium.Map:
    """Map of a plan table (:attr:`geo.planner.PatrolPlan.plan`, any CRS).

    Each hotspot is labelled ``"name: 4 visits x 15 min"`` and its popup gives the
    forecast risk as "Incidents" (expected next month, rounded).
    """
    check_columns(
        "plan",
        plan.columns,
        ("hotspot_id", "plan_rank", "name", "risk", "visits_per_day", "minutes_per_visit"),
    )
    shown = gpd.GeoDataFrame(
        {
            "id": plan["hotspot_id"].to_numpy(),
            "rank": plan["plan_rank"].to_numpy(),
            "name": [
                f"{name}: {visits} visits x {minutes:g} min"
                for name, visits, minutes in zip(
                    plan["name"], plan["visits_per_day"], plan["minutes_per_visit"], strict=True
                )
            ],
            "incidents": plan["risk"].round(1).to_numpy(),
        },
        geometry=plan.geometry.to_numpy(),
        crs=plan.crs,
    )
    m = maps.build_base_map(shown.to_crs(maps.WGS84).total_bounds, tiles=tiles)
    legend = maps.add_hotspot_layer(m, shown, name="Planned hotspots")
    maps.add_legend(m, [("Plan rank", legend)], note="Incidents = forecast for next month")
    folium.LayerControl(collapsed=False).add_to(m)
    return maps.use_local_assets(m)
