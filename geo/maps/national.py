"""The national map: one area per force, shaded by how concentrated its incidents are."""

from __future__ import annotations

from itertools import pairwise

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.checks import check_columns
from geo.maps.base import (
    HOTSPOT_BYTES,
    build_base_map,
    escape_text,
    format_values,
    to_wgs84,
    use_local_assets,
)
from geo.maps.layers import add_filled_polygons, add_legend

#: Gini classes (upper bounds, exclusive) and their colours, light to dark (ColorBrewer
#: YlOrRd, https://colorbrewer2.org). Gini over snap points with incidents runs from 0
#: (every point alike) to 1 (all incidents at one point).
GINI_CLASSES = ((0.4, "#ffffb2"), (0.5, "#fecc5c"), (0.6, "#fd8d3c"), (0.7, "#f03b20"))
GINI_TOP = "#bd0026"

#: Said on the map, because the shapes are not force boundaries.
OUTLINE_NOTE = (
    "Force areas are drawn as the convex hull of each force's snap points (police force "
    "boundaries are not shipped with the app), so neighbours overlap."
)


def gini_colour(gini: pd.Series) -> np.ndarray:
    """Fill colour of each Gini value (:data:`GINI_CLASSES`); grey when missing."""
    values = pd.to_numeric(gini, errors="coerce").to_numpy(dtype="float64")
    bounds = [bound for bound, _ in GINI_CLASSES]
    colours = np.array([c for _, c in GINI_CLASSES] + [GINI_TOP], dtype=object)
    chosen = colours[np.searchsorted(bounds, values, side="right")]
    return np.where(np.isnan(values), "#bbbbbb", chosen)


def build_forces_map(forces: gpd.GeoDataFrame, *, tiles: bool = True) -> folium.Map:
    """Map of force areas shaded by Gini, with a tooltip of the national summary row.

    ``forces``: :attr:`geo.hotspots.national.NationalOverview.forces` (outlines with
    ``area``, ``incidents``, ``hotspots``, ``share_in_hotspots`` (0-1), ``gini``,
    ``top_hotspot``; any CRS).
    """
    check_columns(
        "forces",
        forces.columns,
        ("area", "incidents", "hotspots", "share_in_hotspots", "gini", "top_hotspot"),
    )
    drawn = to_wgs84(forces, "forces").reset_index(drop=True)
    m = build_base_map(drawn.total_bounds, tiles=tiles)
    properties = pd.DataFrame(
        {
            "_fill": gini_colour(drawn["gini"]),
            "force": escape_text(drawn["area"]),
            "incidents": format_values(drawn["incidents"], "{:,.0f}"),
            "hotspots": format_values(drawn["hotspots"], "{:,.0f}"),
            "share": format_values(drawn["share_in_hotspots"] * 100, "{:.0f}%"),
            "gini": format_values(drawn["gini"], "{:.2f}"),
            "top": escape_text(drawn["top_hotspot"]),
        }
    )
    add_filled_polygons(
        m,
        drawn.geometry,
        properties,
        name="Forces by concentration (Gini)",
        what="forces",
        tooltip=(
            ["force", "incidents", "hotspots", "share", "gini", "top"],
            [
                "Force",
                "Incidents",
                "Hotspots",
                "Incidents in hotspots",
                "Gini",
                "Top hotspot",
            ],
        ),
        max_bytes=HOTSPOT_BYTES,
        fill_opacity=0.55,
    )
    bounds = [bound for bound, _ in GINI_CLASSES]
    labels = [f"under {bounds[0]:.1f}"]
    labels += [f"{low:.1f} to {high:.1f}" for low, high in pairwise(bounds)]
    labels.append(f"{bounds[-1]:.1f} or more")
    colours = [c for _, c in GINI_CLASSES] + [GINI_TOP]
    add_legend(
        m,
        [("Concentration of incidents (Gini)", list(zip(labels, colours, strict=True)))],
        note=OUTLINE_NOTE,
    )
    folium.LayerControl(collapsed=True).add_to(m)
    return use_local_assets(m)
