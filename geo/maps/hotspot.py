"""The hotspot explorer and change maps, built from :mod:`geo.maps.layers`, and the
link from a clicked hotspot back to its table row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.checks import check_choice, fail
from geo.maps.base import (
    CHANGE_COLOURS,
    SYNTHETIC_NOTE,
    HotspotColour,
    IncidentStyle,
    build_base_map,
    to_wgs84,
    use_local_assets,
)
from geo.maps.layers import (
    add_boundary_layer,
    add_change_layer,
    add_cluster_layer,
    add_gi_layer,
    add_heat_layer,
    add_hotspot_layer,
    add_kde_layer,
    add_label_layer,
    add_legend,
    offline_base_group,
)


def build_hotspot_map(
    hotspots: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame | None = None,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    gi_cells: gpd.GeoDataFrame | None = None,
    kde_cells: gpd.GeoDataFrame | None = None,
    gazetteer: pd.DataFrame | None = None,
    streets: pd.DataFrame | None = None,
    incident_style: IncidentStyle = "heat",
    color_by: HotspotColour = "rank",
    tiles: bool = True,
    synthetic: bool = False,
    collapsed: bool = False,
) -> folium.Map:
    """Build the hotspot-explorer map: every layer, a layer control and a legend.

    Layers, bottom to top: boundaries, Gi*, incidents (heat, clusters or the KDE
    surface ``kde_cells`` from :func:`geo.kde.kde_grid`), hotspots, labels. The base is
    OpenStreetMap tiles (``tiles``) or, offline, the street names ``streets``
    (:func:`geo.maps.layers.street_labels`) and the boundaries' outlines. Bounds fit the
    hotspots, else the incidents, else the boundaries. ``synthetic=True`` says so in
    the legend; ``collapsed`` folds the layer control into a button (small maps).
    Assets are local
    (:func:`use_local_assets`); the HTML stays under :data:`MAX_MAP_BYTES`.
    """
    check_choice("incident_style", incident_style, ("heat", "kde", "clusters", "none"))
    m = build_base_map(
        _fit_bounds(hotspots, incidents, boundaries),
        tiles=tiles,
        offline_base=offline_base_group(streets, boundaries),
    )
    sections: list[tuple[str, Sequence[tuple[str, str]]]] = []
    if boundaries is not None:
        add_boundary_layer(m, boundaries)
    if gi_cells is not None:
        sections.append(("Gi* hot and cold spots", add_gi_layer(m, gi_cells)))
    if incidents is not None and incident_style == "heat":
        add_heat_layer(m, incidents)
    elif incidents is not None and incident_style == "clusters":
        add_cluster_layer(m, incidents)
    elif incident_style == "kde":
        if kde_cells is None:
            fail('`incident_style="kde"` needs `kde_cells`', fix="Pass geo.kde.kde_grid(...)")
        sections.append(("Incident density (KDE)", add_kde_layer(m, kde_cells)))
    title = "Hotspots by rank" if color_by == "rank" else "Hotspots by density"
    sections.insert(0, (title, add_hotspot_layer(m, hotspots, color_by=color_by)))
    if gazetteer is not None:
        add_label_layer(m, gazetteer)
    return _finish(m, sections, synthetic, collapsed=collapsed)


def build_change_map(
    areas: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    gazetteer: pd.DataFrame | None = None,
    streets: pd.DataFrame | None = None,
    tiles: bool = True,
    synthetic: bool = False,
) -> folium.Map:
    """Build the hotspot-change map (see :func:`add_change_layer`) with boundaries and labels.

    The view fits the cells with a change class (persistent, emerging, ...), so they are
    visible at the first zoom, not specks in the whole study area.
    """
    classified = areas[areas["classification"].astype("string").str.lower().isin(CHANGE_COLOURS)]
    m = build_base_map(
        _fit_bounds(classified, areas, boundaries),
        tiles=tiles,
        offline_base=offline_base_group(streets, boundaries),
    )
    if boundaries is not None:
        add_boundary_layer(m, boundaries)
    legend = add_change_layer(m, areas)
    if gazetteer is not None:
        add_label_layer(m, gazetteer)
    return _finish(m, [("Hotspot change", legend)], synthetic)


def _finish(
    m: folium.Map,
    sections: list[tuple[str, Sequence[tuple[str, str]]]],
    synthetic: bool,
    *,
    collapsed: bool = False,
) -> folium.Map:
    add_legend(m, sections, note=SYNTHETIC_NOTE if synthetic else None)
    folium.LayerControl(collapsed=collapsed).add_to(m)
    return use_local_assets(m)


def _fit_bounds(*frames: gpd.GeoDataFrame | None) -> np.ndarray:
    usable = [f for f in frames if f is not None and len(f) and not f.geometry.is_empty.all()]
    if not usable:
        fail("nothing to map: hotspots, incidents and boundaries are all empty")
    return to_wgs84(usable[0], "map data").total_bounds


def rank_from_tooltip(text: str | None) -> int | None:
    """The hotspot rank in a clicked hotspot tooltip (``"#3 Castle Circus ..."``), else None."""
    found = re.search(r"#(\d+)", text or "")
    return int(found.group(1)) if found else None


def chosen_rank(memory: dict, *, row_rank: int | None, click_rank: int | None, default: int) -> int:
    """The hotspot rank the user picked last, by table row or by map click.

    ``memory`` is a dict kept between reruns (a page's session state entry); it records
    the row and click seen last, so whichever of the two changed most recently wins: a
    new map click after a table selection selects the clicked hotspot, and a new row
    selection after a click selects the row. Without either, ``default``.
    """
    if click_rank is not None and click_rank != memory.get("click"):
        memory["chosen"] = click_rank
    elif row_rank != memory.get("row"):
        memory["chosen"] = row_rank
    memory["click"], memory["row"] = click_rank, row_rank
    chosen = memory.get("chosen")
    return default if chosen is None else int(chosen)


def focus_layer(hotspot: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """A thick outline of the chosen hotspot, added to a drawn map without redrawing it
    (``st_folium(feature_group_to_add=...)``); not clickable, so clicks reach the
    hotspot below."""
    group = folium.FeatureGroup(name="Chosen hotspot")
    for ring in _rings(to_wgs84(hotspot, "hotspot").geometry):
        folium.PolyLine(
            [(lat, lon) for lon, lat in ring],
            color="#00e5ff",
            weight=5,
            opacity=0.95,
            interactive=False,
        ).add_to(group)
    return group


def _rings(geometries: gpd.GeoSeries) -> list[list[tuple[float, float]]]:
    rings = []
    for geometry in geometries:
        for part in getattr(geometry, "geoms", [geometry]):
            if part.geom_type == "Polygon":
                rings.append([(round(x, 6), round(y, 6)) for x, y in part.exterior.coords])
    return rings


def focus_view(
    hotspot: gpd.GeoDataFrame, *, width_px: int = 700, height_px: int = 560
) -> tuple[list[float], int]:
    """``([lat, lon], zoom)`` that centres the map on ``hotspot`` and fits it in a map of
    ``width_px`` x ``height_px`` with a margin (Web Mercator zoom levels, 256 px tiles),
    at most zoom 18."""
    west, south, east, north = to_wgs84(hotspot, "hotspot").total_bounds
    span_x = max(east - west, 1e-6) / 360
    sin = np.sin(np.radians([south, north]))
    merc = np.log((1 + sin) / (1 - sin)) / (4 * np.pi)
    span_y = max(float(merc[1] - merc[0]), 1e-9)
    zoom = np.floor(min(np.log2(width_px / 256 / span_x), np.log2(height_px / 256 / span_y)))
    return [(south + north) / 2, (west + east) / 2], int(min(max(zoom - 1, 1), 18))
