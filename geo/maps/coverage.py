"""The patrol-coverage map: patrol time as heat, hotspots coloured by change in dosage.

Built from :mod:`geo.maps` parts, so it keeps their promises: local assets only
(:func:`geo.maps.use_local_assets`), a byte budget per layer, deterministic content, and
every text from data HTML-escaped before it reaches a tooltip.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import HeatMap

from geo.checks import check_columns, check_min_int
from geo.maps.base import (
    HOTSPOT_BYTES,
    POINT_DECIMALS,
    build_base_map,
    escape_text,
    format_values,
    layer_name,
    simplify_for_web,
    to_wgs84,
    use_local_assets,
)
from geo.maps.layers import add_filled_polygons, add_legend
from geo.patrols.dosage import ALL_ROLES, PERIODS
from geo.patrols.summaries import DOSAGE_CLASSES
from geo.projection import bng_to_lonlat

#: Colour of each :data:`geo.coverage.DOSAGE_CLASSES` (ColorBrewer RdBu: blue = more patrol).
DOSAGE_COLOURS: dict[str, str] = dict(
    zip(
        DOSAGE_CLASSES,
        ("#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b", "#bdbdbd"),
        strict=True,
    )
)


#: Heat gradient for patrol time (purple, so it does not read as the change colours).
HEAT_GRADIENT = {0.2: "#dadaeb", 0.5: "#9e9ac8", 0.8: "#6a51a3", 1.0: "#3f007d"}


#: Heat cells per period layer; two layers stay well inside :data:`geo.maps.MAX_MAP_BYTES`.
MAX_HEAT_CELLS = 6_000


SYNTHETIC_PATROL_NOTE = "SYNTHETIC patrol tracks: not real GPS data"


def build_coverage_map(
    zones: gpd.GeoDataFrame,
    change: pd.DataFrame,
    density: pd.DataFrame,
    *,
    role: str = ALL_ROLES,
    tiles: bool = True,
    synthetic: bool = False,
    max_cells: int = MAX_HEAT_CELLS,
) -> folium.Map:
    """Build the coverage map: one heat layer of patrol time per period, and the hotspots.

    Parameters
    ----------
    zones
        Hotspot polygons with ``hotspot_id`` and ``name`` (any CRS), e.g.
        ``Coverage.zones`` (buffer included).
    change
        :func:`geo.coverage.dosage_change` output for ``role``: colours each hotspot by
        ``dosage_class``; hotspots missing from it are drawn as "no patrol".
    density
        :func:`geo.coverage.patrol_density` output (cells in metres, EPSG:27700); the
        rows of ``role`` are drawn, at most ``max_cells`` busiest cells per period.
    synthetic
        Say in the legend and in every layer name that the patrols are synthetic.
    """
    check_columns("zones", zones.columns, ("hotspot_id", "name", "geometry"))
    check_columns("density", density.columns, ("period", "role", "easting", "northing", "minutes"))
    max_cells = check_min_int("max_cells", max_cells, 1)
    m = build_base_map(to_wgs84(zones, "zones").total_bounds, tiles=tiles)
    cells = density[density["role"] == role]
    patrol = "SYNTHETIC patrol" if synthetic else "Patrol"
    for period in PERIODS:
        add_patrol_heat_layer(
            m,
            cells[cells["period"] == period],
            max_cells=max_cells,
            name=f"{patrol} time {period} (heat)",
            show=period == PERIODS[-1],
        )
    dosage = "SYNTHETIC patrol dosage" if synthetic else "patrol dosage"
    legend = add_dosage_layer(m, zones, change, name=f"Hotspots by change in {dosage}")
    add_legend(
        m,
        [
            ("Change in patrol minutes per week", legend),
            ("Patrol time (heat)", [("More minutes", HEAT_GRADIENT[1.0])]),
        ],
        note=SYNTHETIC_PATROL_NOTE if synthetic else None,
    )
    folium.LayerControl(collapsed=False).add_to(m)
    return use_local_assets(m)


def add_patrol_heat_layer(
    m: folium.Map,
    cells: pd.DataFrame,
    *,
    max_cells: int = MAX_HEAT_CELLS,
    name: str = "Patrol time (heat)",
    show: bool = True,
) -> int:
    """Add grid cells of patrol minutes (``easting``/``northing`` in EPSG:27700) as heat.

    The ``max_cells`` cells with most minutes are drawn (ties by position, so the layer
    is deterministic), weighted so the 99th percentile is full intensity. Returns the
    number of cells drawn.
    """
    busiest = cells.sort_values(
        ["minutes", "easting", "northing"], ascending=[False, True, True], kind="stable"
    ).head(max_cells)
    lon, lat = bng_to_lonlat(busiest["easting"].to_numpy(), busiest["northing"].to_numpy())
    weight = busiest["minutes"].to_numpy(dtype="float64")
    if len(weight):
        weight = np.minimum(weight / max(float(np.quantile(weight, 0.99)), 1e-9), 1.0)
    rows = np.column_stack(
        [np.round(lat, POINT_DECIMALS), np.round(lon, POINT_DECIMALS), weight.round(3)]
    )
    HeatMap(
        rows.tolist(),
        name=layer_name(name, len(busiest), len(cells), "cells"),
        radius=12,
        blur=12,
        min_opacity=0.25,
        gradient=HEAT_GRADIENT,
        show=show,
    ).add_to(m)
    return len(busiest)


def add_dosage_layer(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    change: pd.DataFrame,
    *,
    simplify_m: float = 2.0,
    max_bytes: int = HOTSPOT_BYTES,
    name: str = "Hotspots by change in patrol dosage",
) -> list[tuple[str, str]]:
    """Draw hotspots coloured by ``dosage_class`` with before/after minutes per week.

    Largest absolute changes are kept first when over ``max_bytes``. Returns legend
    entries for :func:`geo.maps.add_legend`.
    """
    check_columns(
        "change",
        change.columns,
        (
            "hotspot_id",
            "patrol_minutes_per_week_before",
            "patrol_minutes_per_week_after",
            "change",
            "pct_change",
            "dosage_class",
        ),
    )
    drawn = to_wgs84(zones, "zones").merge(
        change.drop(columns="name", errors="ignore"), on="hotspot_id", how="left"
    )
    drawn["dosage_class"] = drawn["dosage_class"].fillna(DOSAGE_CLASSES[-1])
    drawn = drawn.assign(_abs=drawn["change"].abs()).sort_values(
        ["_abs", "hotspot_id"], ascending=[False, True], kind="stable", na_position="last"
    )
    pct = format_values(drawn["pct_change"], " ({:+,.0f}%)")
    properties = pd.DataFrame(
        {
            "name_text": escape_text(drawn["name"]),
            "before_text": format_values(drawn["patrol_minutes_per_week_before"], "{:,.0f}"),
            "after_text": format_values(drawn["patrol_minutes_per_week_after"], "{:,.0f}"),
            "change_text": [
                c + ("" if p == "–" else p)
                for c, p in zip(format_values(drawn["change"], "{:+,.0f}"), pct, strict=True)
            ],
            "class_text": escape_text(drawn["dosage_class"]),
            "_fill": drawn["dosage_class"]
            .map(DOSAGE_COLOURS)
            .fillna(DOSAGE_COLOURS[DOSAGE_CLASSES[-1]])
            .tolist(),
        },
        index=drawn.index,
    )
    fields = ["name_text", "before_text", "after_text", "change_text", "class_text"]
    aliases = [
        "Hotspot",
        "Before (patrol min/week)",
        "After (patrol min/week)",
        "Change",
        "Change class",
    ]
    add_filled_polygons(
        m,
        simplify_for_web(drawn, simplify_m),
        properties,
        name=name,
        what="hotspots",
        tooltip=(fields, aliases),
        max_bytes=max_bytes,
        fill_opacity=0.6,
    )
    present = set(drawn["dosage_class"])
    return [(label, colour) for label, colour in DOSAGE_COLOURS.items() if label in present]
