"""Map layers: hotspots, heat, clustered incidents, Gi* cells, KDE, boundaries,
change cells, place labels and the legend. Each ``add_*`` adds one layer to a folium map
within its share of the payload budget (:mod:`geo.maps.base`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.plugins import FastMarkerCluster, HeatMap
from folium.template import Template

from geo.checks import check_choice, check_columns, check_min_int, fail
from geo.hotspots.naming import street_names
from geo.maps.base import (
    BOUNDARY_BYTES,
    CHANGE_BYTES,
    CHANGE_COLOURS,
    GI_BYTES,
    GI_COLOURS,
    HOTSPOT_BYTES,
    KDE_BYTES,
    LABEL_BYTES,
    MAX_CLUSTER_POINTS,
    MAX_HEAT_POINTS,
    MAX_HOTSPOTS,
    MAX_LABELS,
    NO_BASEMAP,
    POINT_DECIMALS,
    HotspotColour,
    _as_text,
    _months,
    escape_text,
    feature_collection,
    format_values,
    layer_name,
    simplify_for_web,
    to_wgs84,
)
from geo.projection import metric_crs_for, transform_xy
from geo.schema import WGS84

_OTHER_COLOUR = "#999999"


#: Sequential palette for hotspots, most intense first (ColorBrewer YlOrRd).
HOTSPOT_COLOURS = ("#bd0026", "#f03b20", "#fd8d3c", "#fecc5c", "#ffffb2")


#: Upper rank of each hotspot colour class (the last class is open-ended).
RANK_BREAKS = (5, 10, 20, 50)


def add_hotspot_layer(
    m: folium.Map,
    hotspots: gpd.GeoDataFrame,
    *,
    color_by: HotspotColour = "rank",
    max_hotspots: int = MAX_HOTSPOTS,
    simplify_m: float = 2.0,
    max_bytes: int = HOTSPOT_BYTES,
    name: str = "Hotspots",
    count_label: str = "Incidents",
    count_format: str = "{:,.0f}",
) -> list[tuple[str, str]]:
    """Draw hotspot polygons, coloured by rank or intensity, with tooltips and popups.

    Parameters
    ----------
    hotspots
        The hotspot table: ``id``, ``rank`` (1 = most incidents), ``name``, ``incidents``
        and polygon ``geometry`` are required; ``share`` (fraction 0-1), ``area_m2``,
        ``density_per_ha``, ``pai``, ``first_month``, ``last_month``, ``months_active``,
        ``top_categories``, ``top_streets``, ``trend`` and ``trend_ratio`` are shown
        when present. Any CRS; drawn in EPSG:4326.
    color_by
        ``"rank"`` (classes 1-5, 6-10, 11-20, 21-50, 51+) or ``"intensity"`` (quintiles
        of ``density_per_ha``, incidents per hectare).
    max_hotspots, max_bytes
        At most ``max_hotspots`` polygons, best ranked first, within ``max_bytes`` of
        GeoJSON; the layer name says when some are left out.
    simplify_m
        Simplification tolerance, metres.
    count_label, count_format
        Label and number format of the ``incidents`` column, e.g. for a forecast.

    Returns
    -------
    list of (label, colour)
        Legend entries for :func:`add_legend`.
    """
    check_columns(
        "hotspots", hotspots.columns, ("hotspot_id", "rank", "name", "incidents", "geometry")
    )
    check_choice("color_by", color_by, ("rank", "intensity"))
    if color_by == "intensity":
        check_columns("hotspots", hotspots.columns, ("density_per_ha",))
    max_hotspots = check_min_int("max_hotspots", max_hotspots, 1)
    total = len(hotspots)
    top = to_wgs84(hotspots, "hotspots").sort_values(["rank", "hotspot_id"], kind="stable")
    top = top.head(max_hotspots)
    colours, legend = _hotspot_colours(top, color_by)
    properties, labels = _hotspot_properties(top, count_label, count_format)
    tooltip = [f for f in ("hotspot", "incidents", "share", "density_per_ha") if f in labels]
    properties["_fill"] = colours
    data, shown = feature_collection(simplify_for_web(top, simplify_m), properties, max_bytes)
    layer = folium.GeoJson(
        data,
        name=layer_name(name, shown, total, "hotspots"),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#222222",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        highlight_function=lambda _f: {"weight": 3, "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=tooltip, aliases=[labels[f] for f in tooltip]),
        popup=folium.GeoJsonPopup(
            fields=list(labels), aliases=list(labels.values()), max_width=360
        ),
        zoom_on_click=False,
    )
    layer.add_to(m)
    return legend


def _hotspot_colours(
    hotspots: gpd.GeoDataFrame, color_by: HotspotColour
) -> tuple[list[str], list[tuple[str, str]]]:
    if color_by == "rank":
        ranks = pd.to_numeric(hotspots["rank"], errors="coerce").to_numpy()
        classes = np.searchsorted(np.array(RANK_BREAKS), ranks, side="left")
        uppers = (*RANK_BREAKS, None)
        lowers = (1, *(b + 1 for b in RANK_BREAKS))
        labels = [
            f"Rank {low}–{high}" if high else f"Rank {low}+"
            for low, high in zip(lowers, uppers, strict=True)
        ]
    else:
        density = pd.to_numeric(hotspots["density_per_ha"], errors="coerce").to_numpy()
        finite = density[np.isfinite(density)]
        edges = np.unique(np.quantile(finite, [0.8, 0.6, 0.4, 0.2])) if finite.size else []
        edges = np.sort(edges)[::-1]
        below = (density[:, None] < edges[None, :]).sum(axis=1)
        classes = np.where(np.isfinite(density), below, len(edges))
        labels = [f"≥ {edge:,.1f} incidents/ha" for edge in edges] + [
            f"< {edges[-1]:,.1f} incidents/ha" if len(edges) else "all hotspots"
        ]
    colours = [HOTSPOT_COLOURS[c] for c in classes]
    present = set(classes.tolist())
    legend = [(labels[c], HOTSPOT_COLOURS[c]) for c in range(len(labels)) if c in present]
    return colours, legend


def _hotspot_properties(
    hotspots: gpd.GeoDataFrame, count_label: str, count_format: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Escaped display text per hotspot, and the label of each column (field -> label)."""
    display = {
        "share": ("Share of all incidents", lambda s: format_values(s, "{:.1%}")),
        "area_m2": (
            "Area",
            lambda s: format_values(pd.to_numeric(s, errors="coerce") / 1e4, "{:,.2f} ha"),
        ),
        "density_per_ha": ("Density", lambda s: format_values(s, "{:,.1f} incidents/ha")),
        "pai": ("PAI", lambda s: format_values(s, "{:,.1f}")),
        "first_month": ("First month", _months),
        "last_month": ("Last month", _months),
        "months_active": ("Months active", lambda s: format_values(s, "{:,.0f}")),
        "top_categories": ("Top categories", escape_text),
        "top_streets": ("Top streets", escape_text),
        "trend": ("Trend", escape_text),
        "trend_ratio": ("Trend ratio", lambda s: format_values(s, "×{:,.2f}")),
    }
    ranks = format_values(hotspots["rank"], "#{:.0f}")
    names = escape_text(hotspots["name"])
    text = {
        "hotspot": [f"{rank} {name}" for rank, name in zip(ranks, names, strict=True)],
        "incidents": format_values(hotspots["incidents"], count_format),
    }
    labels = {"hotspot": "Hotspot", "incidents": count_label}
    for column, (label, fmt) in display.items():
        if column in hotspots.columns:
            text[column] = fmt(hotspots[column])
            labels[column] = label
    return pd.DataFrame(text, index=hotspots.index), labels


def aggregate_points(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    max_points: int = MAX_HEAT_POINTS,
    decimals: int = POINT_DECIMALS,
) -> np.ndarray:
    """Aggregate point coordinates to at most ``max_points`` weighted points.

    Duplicates (police.uk snaps incidents to a few thousand map points) are merged first,
    at ``decimals`` places of degrees. If more than ``max_points`` unique points remain,
    they are merged on a square grid in metres (metric CRS of the data), starting at 5 m
    and doubling until few enough cells remain; each cell becomes the weighted centre
    of its points.

    Parameters
    ----------
    lon, lat
        Degrees, EPSG:4326. Non-finite pairs are ignored.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 3)``: latitude, longitude (rounded to ``decimals``) and the number of
        incidents merged into the point; sorted, so equal input gives equal output.
    """
    max_points = check_min_int("max_points", max_points, 1)
    lon = np.asarray(lon, dtype="float64").ravel()
    lat = np.asarray(lat, dtype="float64").ravel()
    if lon.shape != lat.shape:
        fail(f"`lon` and `lat` must have the same length, got {lon.size} and {lat.size}")
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    scale = 10.0**decimals
    key = _cell_key(np.round(lat * scale), np.round(lon * scale))
    lat, lon, weight = _merge(key, lat, lon, np.ones_like(lat))
    cell_m = 5.0
    while lat.size > max_points:
        x, y = transform_xy(lon, lat, WGS84, metric_crs_for(lon, lat))
        lat, lon, weight = _merge(
            _cell_key(np.floor(y / cell_m), np.floor(x / cell_m)), lat, lon, weight
        )
        cell_m *= 2
    return np.column_stack([np.round(lat, decimals), np.round(lon, decimals), weight])


def _cell_key(row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """One int64 per (row, col) integer pair; both stay well inside +-2**31 here."""
    return (row.astype("int64") << 32) + (col.astype("int64") + (1 << 31))


def _merge(
    key: np.ndarray, lat: np.ndarray, lon: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, group = np.unique(key, return_inverse=True)
    total = np.bincount(group, weights=weight)
    return (
        np.bincount(group, weights=lat * weight) / total,
        np.bincount(group, weights=lon * weight) / total,
        total,
    )


def _incident_lonlat(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    points = to_wgs84(incidents, "incidents").geometry
    return shapely.get_x(points.values), shapely.get_y(points.values)


def add_heat_layer(
    m: folium.Map,
    incidents: gpd.GeoDataFrame,
    *,
    max_points: int = MAX_HEAT_POINTS,
    radius: int = 14,
    name: str = "Incidents (heat)",
    show: bool = True,
) -> int:
    """Add incidents as a heat layer of at most ``max_points`` weighted points.

    Weights are incident counts per aggregated point (:func:`aggregate_points`), scaled
    so the 99th percentile is full intensity. Returns the number of points drawn.
    """
    lon, lat = _incident_lonlat(incidents)
    points = aggregate_points(lon, lat, max_points=max_points)
    if len(points):
        top = max(float(np.quantile(points[:, 2], 0.99)), 1.0)
        points[:, 2] = np.round(np.minimum(points[:, 2] / top, 1.0), 3)
    HeatMap(
        points.tolist(), name=name, radius=radius, blur=radius, min_opacity=0.3, show=show
    ).add_to(m)
    return len(points)


_CLUSTER_CALLBACK = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 5, weight: 1, color: "#333", fillColor: "#3182bd", fillOpacity: 0.8,
        incidents: row[2]});
    marker.bindTooltip(row[2] + (row[2] === 1 ? " incident" : " incidents"));
    return marker;
}"""


_CLUSTER_ICON = """function (cluster) {
    var n = 0;
    cluster.getAllChildMarkers().forEach(function (m) { n += m.options.incidents || 1; });
    var size = n < 100 ? "small" : (n < 1000 ? "medium" : "large");
    return L.divIcon({html: "<div><span>" + n + "</span></div>",
        className: "marker-cluster marker-cluster-" + size, iconSize: new L.Point(40, 40)});
}"""


def add_cluster_layer(
    m: folium.Map,
    incidents: gpd.GeoDataFrame,
    *,
    max_points: int = MAX_CLUSTER_POINTS,
    name: str = "Incidents (clusters)",
    show: bool = True,
) -> int:
    """Add incidents as clustered circle markers (at most ``max_points`` markers).

    Markers are aggregated points (:func:`aggregate_points`); cluster badges show the
    number of incidents, not of markers. Returns the number of markers drawn.
    """
    lon, lat = _incident_lonlat(incidents)
    points = aggregate_points(lon, lat, max_points=max_points)
    rows = [[lat_i, lon_i, int(w)] for lat_i, lon_i, w in points.tolist()]
    FastMarkerCluster(
        rows, callback=_CLUSTER_CALLBACK, icon_create_function=_CLUSTER_ICON, name=name, show=show
    ).add_to(m)
    return len(rows)


def add_gi_layer(
    m: folium.Map,
    cells: gpd.GeoDataFrame,
    *,
    class_column: str = "gi_class",
    z_column: str | None = "gi_z",
    include_not_significant: bool = False,
    max_bytes: int = GI_BYTES,
    name: str = "Gi* hot and cold spots",
    show: bool = True,
) -> list[tuple[str, str]]:
    """Add Getis-Ord Gi* grid cells coloured by significance class (shown: the user asked).

    ``cells[class_column]`` holds one of :data:`GI_COLOURS` (``"hot 99%"`` ...
    ``"cold 99%"``); ``cells[z_column]`` (optional) the z-score shown in the tooltip.
    "not significant" cells are left out unless ``include_not_significant``. Most
    significant cells are kept first when over ``max_bytes``. Returns legend entries.
    """
    check_columns("cells", cells.columns, (class_column, "geometry"))
    cells = cells[cells[class_column].notna()]
    classes = cells[class_column].astype("string").str.strip().str.lower()
    unknown = sorted(set(classes.dropna()) - set(GI_COLOURS))
    if unknown:
        fail(
            f"`cells[{class_column!r}]` has unknown Gi* class(es) {unknown!r}",
            fix=f"Use one of {list(GI_COLOURS)}",
        )
    order = classes.map({c: i for i, c in enumerate(GI_COLOURS)})
    significance = (order - 3).abs()  # 3 = "not significant"
    drawn = cells.assign(_class=classes, _sig=significance)
    if not include_not_significant:
        drawn = drawn[drawn["_sig"] > 0]
    sort = ["_sig"]
    if z_column and z_column in cells.columns:
        drawn = drawn.assign(_absz=pd.to_numeric(drawn[z_column], errors="coerce").abs())
        sort.append("_absz")
    drawn = drawn.sort_values(sort, ascending=False, kind="stable")
    properties = pd.DataFrame(
        {"gi_class": escape_text(drawn["_class"]), "_fill": drawn["_class"].map(GI_COLOURS)},
        index=drawn.index,
    )
    fields, aliases = ["gi_class"], ["Gi* class"]
    if z_column and z_column in cells.columns:
        properties["z_text"] = format_values(drawn[z_column], "{:+.2f}")
        fields, aliases = [*fields, "z_text"], [*aliases, "z-score"]
    data, shown = feature_collection(simplify_for_web(drawn, 1.0), properties, max_bytes)
    folium.GeoJson(
        data,
        name=layer_name(name, shown, len(drawn), "cells"),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": f["properties"]["_fill"],
            "weight": 0.5,
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        show=show,
    ).add_to(m)
    present = set(drawn["_class"])
    return [
        (label.capitalize(), colour) for label, colour in GI_COLOURS.items() if label in present
    ]


#: Density classes of the KDE surface, lowest first (ColorBrewer PuBu): blues, so the
#: surface is never mistaken for the hotspot ranks' reds.
KDE_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")


def add_kde_layer(
    m: folium.Map,
    cells: gpd.GeoDataFrame,
    *,
    max_bytes: int = KDE_BYTES,
    name: str = "Incident density (KDE)",
    show: bool = True,
) -> list[tuple[str, str]]:
    """Add a kernel density surface: grid cells coloured by ``density_per_km2``.

    ``cells`` come from :func:`geo.kde.kde_grid`. Colours are quintiles of the cells'
    densities; the densest cells are drawn first until ``max_bytes``, so a large area
    keeps its hottest parts. Returns legend entries (incidents per km²).
    """
    check_columns("cells", cells.columns, ("density_per_km2", "geometry"))
    density = pd.to_numeric(cells["density_per_km2"], errors="coerce")
    drawn = to_wgs84(cells, "cells").assign(_density=density)
    drawn = drawn[drawn["_density"] > 0].sort_values("_density", ascending=False, kind="stable")
    if drawn.empty:
        return []
    # Equal densities can repeat a quintile: keep distinct breaks, one colour class each.
    breaks = np.unique(np.quantile(drawn["_density"], [0.2, 0.4, 0.6, 0.8]))
    level = np.searchsorted(breaks, drawn["_density"].to_numpy(), side="right")
    properties = pd.DataFrame(
        {
            "density_text": format_values(drawn["_density"], "{:,.0f} incidents/km²"),
            "_fill": np.asarray(KDE_COLOURS)[level],
        },
        index=drawn.index,
    )
    data, shown = feature_collection(simplify_for_web(drawn, 1.0), properties, max_bytes)
    folium.GeoJson(
        data,
        name=layer_name(name, shown, len(drawn), "cells"),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "stroke": False,
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(fields=["density_text"], aliases=["Density"]),
        show=show,
    ).add_to(m)
    edges = [drawn["_density"].min(), *breaks, drawn["_density"].max()]
    return [
        (f"{low:,.0f}–{high:,.0f} per km²", colour)
        for low, high, colour in zip(edges[:-1], edges[1:], KDE_COLOURS, strict=False)
    ][::-1]


def add_boundary_layer(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    *,
    name_column: str = "lsoa_name",
    simplify_m: float = 10.0,
    max_bytes: int = BOUNDARY_BYTES,
    name: str = "LSOA boundaries",
    show: bool = True,
) -> int:
    """Add area outlines (e.g. LSOAs) with their name as tooltip; returns areas drawn.

    Outlines only (no fill), so they never hide or block the layers below.
    """
    check_columns("boundaries", boundaries.columns, (name_column, "geometry"))
    areas = to_wgs84(boundaries, "boundaries")
    properties = pd.DataFrame({"area": escape_text(areas[name_column])}, index=areas.index)
    data, shown = feature_collection(simplify_for_web(areas, simplify_m), properties, max_bytes)
    folium.GeoJson(
        data,
        name=layer_name(name, shown, len(areas), "areas"),
        style_function=lambda _f: {"color": "#555555", "weight": 1, "fill": False},
        tooltip=folium.GeoJsonTooltip(fields=["area"], aliases=["Area"]),
        show=show,
    ).add_to(m)
    return shown


def add_change_layer(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    name_column: str | None = "name",
    simplify_m: float = 2.0,
    max_bytes: int = CHANGE_BYTES,
    name: str = "Hotspot change",
) -> list[tuple[str, str]]:
    """Add cells or hotspots coloured by change class, largest changes first.

    ``areas`` needs ``classification`` (one of :data:`CHANGE_COLOURS`, other values in
    grey) and ``change`` (later minus earlier period, incidents); ``name_column`` is
    shown in the tooltip when present. Returns legend entries.
    """
    check_columns("areas", areas.columns, ("classification", "change", "geometry"))
    change = pd.to_numeric(areas["change"], errors="coerce")
    drawn = (
        to_wgs84(areas, "areas")
        .assign(_abs=change.abs())
        .sort_values("_abs", ascending=False, kind="stable", na_position="last")
    )
    classes = drawn["classification"].astype("string").str.strip().str.lower()
    properties = pd.DataFrame(
        {
            "class_text": escape_text(drawn["classification"]),
            "change_text": format_values(drawn["change"], "{:+,.0f}"),
            "_fill": classes.map(CHANGE_COLOURS).fillna(_OTHER_COLOUR).tolist(),
        },
        index=drawn.index,
    )
    fields, aliases = ["class_text", "change_text"], ["Change class", "Change in incidents"]
    if name_column and name_column in areas.columns:
        properties.insert(0, "name_text", escape_text(drawn[name_column]))
        fields, aliases = ["name_text", *fields], ["Name", *aliases]
    add_filled_polygons(
        m,
        simplify_for_web(drawn, simplify_m),
        properties,
        name=name,
        what="areas",
        tooltip=(fields, aliases),
        max_bytes=max_bytes,
        fill_opacity=0.65,
    )
    present = set(classes.dropna())
    legend = [(k.capitalize(), v) for k, v in CHANGE_COLOURS.items() if k in present]
    if not present <= set(CHANGE_COLOURS):
        legend.append(("Other", _OTHER_COLOUR))
    return legend


def add_filled_polygons(
    m: folium.Map,
    polygons: gpd.GeoDataFrame,
    properties: pd.DataFrame,
    *,
    name: str,
    what: str,
    tooltip: tuple[list[str], list[str]],
    max_bytes: int,
    fill_opacity: float,
    zoom_on_click: bool = False,
) -> None:
    """Add ``polygons`` (EPSG:4326) filled with each row's ``_fill`` colour of
    ``properties``, with a tooltip of ``(fields, aliases)``, within ``max_bytes``."""
    data, shown = feature_collection(polygons, properties, max_bytes)
    fields, aliases = tooltip
    folium.GeoJson(
        data,
        name=layer_name(name, shown, len(polygons), what),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#222222",
            "weight": 1,
            "fillOpacity": fill_opacity,
        },
        highlight_function=lambda _f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        zoom_on_click=zoom_on_click,
    ).add_to(m)


class _LabelLayer(Layer):
    """Text labels drawn with ``textContent``, so label text can never become HTML.

    Labels never overprint: after every zoom or pan, and when a layer is switched, all
    labels on the map are placed in priority order (``row[3]``, lowest first: hotspot
    places before streets, busier streets first) and a label whose box would touch one
    already placed is hidden until zooming in makes room for it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {{ this.rows|tojson }}.forEach(function (row) {
            var span = document.createElement("span");
            span.className = {{ this.css_class|tojson }};
            span.textContent = row[2];
            var label = L.marker([row[0], row[1]], {
                icon: L.divIcon({html: span, className: "", iconSize: null}),
                interactive: false, keyboard: false
            });
            label.geoPriority = row[3];
            label.addTo({{ this.get_name() }});
        });
        {{ this.get_name() }}.on("add", function (e) {
            var map = e.target._map;
            if (map.geoDeclutter) { map.geoDeclutter(); return; }
            map.geoDeclutter = function () {
                setTimeout(function () {
                    var labels = [];
                    map.eachLayer(function (layer) {
                        if (layer.geoPriority !== undefined && layer.getElement()) {
                            labels.push(layer);
                        }
                    });
                    labels.sort(function (a, b) { return a.geoPriority - b.geoPriority; });
                    var placed = [];
                    labels.forEach(function (label) {
                        var el = label.getElement();
                        el.style.visibility = "visible";
                        var r = el.firstChild ? el.firstChild.getBoundingClientRect()
                                              : el.getBoundingClientRect();
                        var clash = placed.some(function (q) {
                            return r.left < q.right + 3 && q.left < r.right + 3 &&
                                   r.top < q.bottom + 2 && q.top < r.bottom + 2;
                        });
                        if (clash) { el.style.visibility = "hidden"; } else { placed.push(r); }
                    });
                }, 0);
            };
            map.on("zoomend moveend overlayadd overlayremove baselayerchange",
                   map.geoDeclutter);
            map.geoDeclutter();
        });
        {% endmacro %}
        """
    )

    def __init__(
        self, rows: list[list[Any]], name: str, show: bool, *, control: bool, css_class: str
    ):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "LabelLayer"
        self.rows = rows
        self.css_class = css_class


def _label_rows(
    labels: pd.DataFrame, max_labels: int, max_bytes: int, first_priority: int
) -> list[list[Any]]:
    """``[lat, lon, text, priority]`` rows of the first labels that fit in ``max_bytes``."""
    check_columns("labels", labels.columns, ("name", "lat", "lon"))
    max_labels = check_min_int("max_labels", max_labels, 1)
    lat = pd.to_numeric(labels["lat"], errors="coerce").round(POINT_DECIMALS)
    lon = pd.to_numeric(labels["lon"], errors="coerce").round(POINT_DECIMALS)
    ok = (lat.notna() & lon.notna()).to_numpy()
    names = [_as_text(n) for n in labels["name"].to_numpy()[ok]]
    rows = [
        [float(a), float(o), n, first_priority + i]
        for i, (a, o, n) in enumerate(zip(lat[ok], lon[ok], names, strict=True))
    ][:max_labels]
    sizes = np.cumsum([len(json.dumps(row)) + 1 for row in rows])
    return rows[: int(np.searchsorted(sizes, max_bytes, side="right"))]


def add_label_layer(
    m: folium.Map,
    gazetteer: pd.DataFrame,
    *,
    max_labels: int = MAX_LABELS,
    max_bytes: int = LABEL_BYTES,
    name: str = "Place labels",
    show: bool = True,
) -> int:
    """Add place-name labels from a gazetteer with columns ``name``, ``lat``, ``lon``.

    The first ``max_labels`` rows that fit in ``max_bytes`` are drawn, and earlier rows
    win where labels would overprint (sort the gazetteer by importance first). Returns
    the number of labels drawn.
    """
    rows = _label_rows(gazetteer, max_labels, max_bytes, 0)
    _LabelLayer(rows, name=name, show=show, control=True, css_class="geo-label").add_to(m)
    return len(rows)


def hotspot_labels(hotspots: gpd.GeoDataFrame, *, rank_column: str = "plan_rank") -> pd.DataFrame:
    """Label rows (``name``, ``lat``, ``lon``) for hotspots at a point inside each
    polygon (EPSG:4326), best ``rank_column`` first, for :func:`add_label_layer`."""
    check_columns("hotspots", hotspots.columns, (rank_column, "name", "geometry"))
    ordered = to_wgs84(hotspots, "hotspots").sort_values(rank_column, kind="stable")
    inside = ordered.geometry.representative_point()
    return pd.DataFrame(
        {
            "name": ordered["name"].astype(str).to_numpy(),
            "lat": inside.y.to_numpy(),
            "lon": inside.x.to_numpy(),
        }
    )


#: Priority of street labels: after every place label.
_STREET_PRIORITY = 100_000


def street_labels(incidents: gpd.GeoDataFrame, *, max_labels: int = MAX_LABELS) -> pd.DataFrame:
    """One label per specific street named in the incidents' ``location`` text, at the
    snap point where most of its incidents are; busiest streets first.

    Generic snap names ("Parking Area") and missing text are left out
    (:func:`geo.hotspots.naming.street_names`). Returns columns ``name``, ``lat``,
    ``lon`` (EPSG:4326) and ``incidents``; empty without location text.
    """
    empty = pd.DataFrame({"name": [], "lat": [], "lon": [], "incidents": []})
    if "location" not in incidents.columns or incidents.empty:
        return empty
    lon, lat = _incident_lonlat(incidents)
    frame = pd.DataFrame(
        {
            "name": street_names(incidents["location"]).to_numpy(),
            "lat": np.round(lat, POINT_DECIMALS),
            "lon": np.round(lon, POINT_DECIMALS),
        }
    ).dropna()
    if frame.empty:
        return empty
    points = frame.value_counts(["name", "lat", "lon"]).rename("n").reset_index()
    points = points.sort_values(["name", "n", "lat", "lon"], ascending=[True, False, True, True])
    busiest = points.drop_duplicates("name").set_index("name")
    total = frame["name"].value_counts()
    busiest = busiest.assign(incidents=total.reindex(busiest.index).to_numpy())
    busiest = busiest.reset_index().sort_values(["incidents", "name"], ascending=[False, True])
    return busiest[["name", "lat", "lon", "incidents"]].head(max_labels).reset_index(drop=True)


def offline_base_group(
    streets: pd.DataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
) -> folium.FeatureGroup:
    """The base layer for maps without internet: LSOA outlines and street names.

    ``streets`` from :func:`street_labels`; ``boundaries`` LSOA polygons (any CRS),
    drawn as grey outlines that clicks pass through. Pass it to
    :func:`geo.maps.base.build_base_map`; its name says what it shows.
    """
    parts = []
    if streets is not None and len(streets):
        parts.append("street names")
    if boundaries is not None and len(boundaries):
        parts.append("LSOA outlines")
    name = f"Offline base: {', '.join(parts)}" if parts else NO_BASEMAP
    group = folium.FeatureGroup(name=name, overlay=False)
    if boundaries is not None and len(boundaries):
        areas = to_wgs84(boundaries, "boundaries")
        data, _ = feature_collection(
            simplify_for_web(areas, 10.0), pd.DataFrame(index=areas.index), BOUNDARY_BYTES
        )
        folium.GeoJson(
            data,
            style_function=lambda _f: {"color": "#9a9a9a", "weight": 1, "fill": False},
            interactive=False,
            control=False,
        ).add_to(group)
    if streets is not None and len(streets):
        rows = _label_rows(streets, MAX_LABELS, LABEL_BYTES, _STREET_PRIORITY)
        _LabelLayer(
            rows, name="Street names", show=True, control=False, css_class="geo-label geo-street"
        ).add_to(group)
    return group


class _Legend(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "geo-legend");
                div.innerHTML = {{ this.content|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, content: str):
        super().__init__()
        self._name = "Legend"
        self.content = content


def add_legend(
    m: folium.Map,
    sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    *,
    note: str | None = None,
) -> None:
    """Add a legend box (bottom right) with one titled section per ``(title, entries)``.

    ``entries`` are ``(label, colour)`` pairs, as returned by the ``add_*_layer``
    builders; ``note`` is a closing line in italics. Text is escaped; no external
    resources are used.
    """
    parts = []
    for title, entries in sections:
        if not entries:
            continue
        parts.append(f"<b>{html.escape(title)}</b><br>")
        parts.extend(
            f"<i style='background:{html.escape(colour)}'></i>{html.escape(label)}<br>"
            for label, colour in entries
        )
    if note:
        parts.append(f"<em>{html.escape(note)}</em>")
    _Legend("".join(parts)).add_to(m)
