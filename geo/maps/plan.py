"""The patrol-plan map: planned hotspots coloured by plan rank, dosage in the tooltip.

Built from :mod:`geo.maps` parts, so it keeps their promises: local assets only, a
byte budget, deterministic content and HTML-escaped text.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo.checks import check_columns
from geo.maps.base import build_base_map, to_wgs84, use_local_assets
from geo.maps.layers import (
    add_hotspot_layer,
    add_label_layer,
    add_legend,
    hotspot_labels,
    offline_base_group,
)
from geo.planning.exports import dosage_text


def build_plan_map(
    plan: gpd.GeoDataFrame, *, tiles: bool = True, streets: pd.DataFrame | None = None
) -> folium.Map:
    """Map of a plan table (:attr:`geo.planner.PatrolPlan.plan`, any CRS).

    Each hotspot is labelled ``"name: 4 visits x 15 min = 60 min a day"``
    (:func:`geo.exports.dosage_text`) and its tooltip gives the forecast risk (expected
    incidents next month, one decimal), labelled as a forecast. Each hotspot carries its
    name as a label (best plan rank wins where labels would overprint); ``streets``
    (:func:`geo.maps.layers.street_labels`) make the offline base.
    """
    check_columns(
        "plan",
        plan.columns,
        (
            "hotspot_id",
            "plan_rank",
            "name",
            "risk",
            "visits_per_day",
            "minutes_per_visit",
            "minutes_per_day",
        ),
    )
    shown = gpd.GeoDataFrame(
        {
            "hotspot_id": plan["hotspot_id"].to_numpy(),
            "rank": plan["plan_rank"].to_numpy(),
            "name": [f"{row['name']}: {dosage_text(row)}" for _, row in plan.iterrows()],
            "incidents": plan["risk"].to_numpy(),
        },
        geometry=plan.geometry.to_numpy(),
        crs=plan.crs,
    )
    m = build_base_map(
        to_wgs84(shown, "plan").total_bounds,
        tiles=tiles,
        offline_base=offline_base_group(streets),
    )
    legend = add_hotspot_layer(
        m,
        shown,
        name="Planned hotspots",
        count_label="Forecast incidents (next month)",
        count_format="{:,.1f}",
    )
    add_label_layer(m, hotspot_labels(plan), name="Hotspot names")
    add_legend(m, [("Plan rank", legend)], note="Forecast: expected incidents next month")
    folium.LayerControl(collapsed=False).add_to(m)
    return use_local_assets(m)
