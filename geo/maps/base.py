"""The base of every map: offline assets, the payload budget, escaping and GeoJSON.

Pure functions, no Streamlit. Every builder takes data in WGS84 (EPSG:4326) or converts
it, and keeps the rendered HTML under :data:`MAX_MAP_BYTES`: layers are simplified,
coordinates rounded and raw points aggregated, so a map never carries thousands of raw
markers. Leaflet and its plugins load from ``static/vendor`` (never a CDN), so layers
render without internet.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.checks import check_positive, fail
from geo.formatting import month_label
from geo.projection import metric_crs_for
from geo.schema import WGS84

#: URL under which Streamlit serves ``static/vendor/`` (``server.enableStaticServing``).
VENDOR_URL = "/app/static/vendor"


#: folium asset name -> file under ``static/vendor/``. Every JS/CSS link folium emits for
#: the elements used here must be listed; :func:`use_local_assets` fails on any other.
VENDOR_FILES: dict[str, str] = {
    "leaflet": "leaflet/dist/leaflet.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "glyphicons_css": "bootstrap3-glyphicons/dist/css/bootstrap3-glyphicons.min.css",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_rotate_css": "folium/leaflet.awesome.rotate.min.css",
    "leaflet-heat.js": "folium/leaflet_heat.min.js",
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}


#: Upper bound on the rendered map HTML, bytes.
MAX_MAP_BYTES = 1_500_000


#: Byte budgets of the data each layer embeds, as rendered. With at most 12,000 heat
#: points (<= 32 bytes each) and folium's own script (< 100 kB) the busiest map stays
#: under :data:`MAX_MAP_BYTES`.
HOTSPOT_BYTES = 450_000


BOUNDARY_BYTES = 180_000


GI_BYTES = 250_000


KDE_BYTES = 300_000


CHANGE_BYTES = 500_000


LABEL_BYTES = 25_000


#: Default caps.
MAX_HOTSPOTS = 500


MAX_HEAT_POINTS = 12_000


MAX_CLUSTER_POINTS = 5_000


MAX_LABELS = 300


#: Decimal places of WGS84 coordinates: 6 for polygons (~0.1 m), 5 for points (~1 m).
POLYGON_DECIMALS = 6


POINT_DECIMALS = 5


OSM_TILES = "OpenStreetMap"


NO_BASEMAP = "No basemap"


#: Name of the base drawn without internet: street names and LSOA outlines.
OFFLINE_BASE = "Offline base: street names, LSOA outlines"


BACKGROUND = "#f4f3ef"


SYNTHETIC_NOTE = "Synthetic data: not real incidents"


#: Gi* classes (column ``gi_class``) and their colours, hottest first.
GI_COLOURS: dict[str, str] = {
    "hot 99%": "#d62f27",
    "hot 95%": "#ed7551",
    "hot 90%": "#fab984",
    "not significant": "#d9d9d9",
    "cold 90%": "#c0ccbe",
    "cold 95%": "#849eba",
    "cold 99%": "#4575b5",
}


#: Hotspot-change classes (column ``classification``) and their colours.
CHANGE_COLOURS: dict[str, str] = {
    "persistent": "#b2182b",
    "emerging": "#f4a582",
    "intermittent": "#fddb6d",
    "former": "#4393c3",
}


HotspotColour = Literal["rank", "intensity"]


IncidentStyle = Literal["heat", "kde", "clusters", "none"]


def use_local_assets(element: Element, url_prefix: str = VENDOR_URL) -> Element:
    """Point every JS/CSS link of ``element`` and its children at the app's own copies.

    folium hard-codes CDN URLs in each class's ``default_js``/``default_css``; this sets
    instance copies that use ``url_prefix`` + :data:`VENDOR_FILES` instead (class
    attributes are left alone). ``st_folium`` collects the links from the same
    attributes, so the map loads nothing from the internet. Call it after the last layer
    is added; it is idempotent.

    Raises :class:`~geo.checks.GeoInputError` for an asset with no local copy.
    """
    prefix = url_prefix.rstrip("/")
    for item in _walk(element):
        if isinstance(item, JSCSSMixin):
            item.default_js = [(name, _local_url(name, prefix)) for name, _ in item.default_js]
            item.default_css = [(name, _local_url(name, prefix)) for name, _ in item.default_css]
        elif type(item).__module__.startswith("branca.colormap"):
            fail(
                "branca colormaps load d3 from a CDN and break offline maps",
                fix="Use add_legend() instead",
            )
    return element


def missing_vendor_files(vendor_dir: str | Path) -> list[str]:
    """Return the :data:`VENDOR_FILES` not present under ``vendor_dir`` (sorted)."""
    root = Path(vendor_dir)
    return sorted(path for path in set(VENDOR_FILES.values()) if not (root / path).is_file())


def _local_url(name: str, prefix: str) -> str:
    if name not in VENDOR_FILES:
        fail(
            f"folium asset {name!r} has no local copy, so the map would need the internet",
            fix="Add it to geo.maps.VENDOR_FILES and scripts/vendor_assets.py",
        )
    return f"{prefix}/{VENDOR_FILES[name]}"


def _walk(element: Element) -> Iterable[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def map_html(m: folium.Map) -> str:
    """Render the complete standalone HTML page of ``m``."""
    return m.get_root().render()


def map_html_bytes(m: folium.Map) -> int:
    """Size in bytes (UTF-8) of the rendered HTML of ``m``; compare with :data:`MAX_MAP_BYTES`."""
    return len(map_html(m).encode("utf-8"))


def build_base_map(
    bounds: Sequence[float],
    *,
    tiles: bool = True,
    prefer_canvas: bool = False,
    offline_base: folium.FeatureGroup | None = None,
) -> folium.Map:
    """Create an empty map fitted to ``bounds`` with an OSM and an offline base layer.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees (EPSG:4326), e.g.
        ``gdf.total_bounds``.
    tiles
        Start on OSM tiles, which the user's browser loads from the internet. When the
        first tiles fail to load, the map switches itself to the offline base.
    prefer_canvas
        Draw vectors on one canvas instead of SVG: faster for thousands of shapes, but
        shapes are then not SVG paths.
    offline_base
        The base shown without tiles (:func:`geo.maps.layers.offline_base_group`:
        street names and LSOA outlines); None gives a plain background, "No basemap".

    A note in the bottom-left corner always says which base is shown.
    """
    west, south, east, north = _check_bounds(bounds)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=13,
        tiles=None,
        control_scale=True,
        prefer_canvas=prefer_canvas,
        max_zoom=19,
    )
    osm = folium.TileLayer(OSM_TILES, name=OSM_TILES, max_zoom=19, show=tiles)
    osm.add_to(m)
    if offline_base is None:
        offline_base = folium.FeatureGroup(name=NO_BASEMAP, overlay=False)
    offline_base.show = not tiles
    offline_base.add_to(m)
    _OfflineFallback(osm, offline_base).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    values = np.asarray(bounds, dtype="float64").ravel()
    if values.size != 4 or not np.isfinite(values).all():
        fail(
            f"`bounds` must be 4 finite numbers (min_lon, min_lat, max_lon, max_lat), "
            f"got {bounds!r}"
        )
    west, south, east, north = (float(v) for v in values)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        fail(
            f"`bounds` must be (min_lon, min_lat, max_lon, max_lat) in degrees, got {bounds!r}",
            fix="Pass gdf.to_crs('EPSG:4326').total_bounds",
        )
    return west, south, east, north


class _OfflineFallback(MacroElement):
    """Swap to the offline base when the first tiles fail, say which base is shown, and
    style the background, labels and legends."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var tiles = {{ this.tiles.get_name() }};
            var blank = {{ this.blank.get_name() }};
            var style = document.createElement("style");
            style.textContent = {{ this.css|tojson }};
            document.head.appendChild(style);
            var note = L.control({position: "bottomleft"});
            note.onAdd = function () {
                this._div = L.DomUtil.create("div", "geo-legend geo-base-note");
                return this._div;
            };
            note.addTo(map);
            function say(text) { note._div.textContent = "Base map: " + text; }
            say(map.hasLayer(tiles) ? {{ this.tiles_name|tojson }}
                                    : {{ this.blank_name|tojson }});
            map.on("baselayerchange", function (e) { say(e.name); });
            var loaded = false;
            tiles.on("tileload", function () { loaded = true; });
            tiles.on("tileerror", function () {
                if (!loaded && map.hasLayer(tiles)) {
                    map.removeLayer(tiles);
                    map.addLayer(blank);
                    say({{ this.blank_name|tojson }} + " (street tiles could not load)");
                }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tiles: Layer, blank: Layer):
        super().__init__()
        self._name = "OfflineFallback"
        self.tiles = tiles
        self.blank = blank
        self.blank_name = blank.layer_name
        self.tiles_name = tiles.layer_name + " tiles"
        self.css = (
            f".leaflet-container{{background:{BACKGROUND}}}"
            ".geo-label{font:600 11px/1.2 sans-serif;color:#222;white-space:nowrap;"
            "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}"
            ".geo-street{font:italic 500 10px/1.2 sans-serif;color:#555}"
            ".geo-base-note{font-size:11px;padding:2px 6px}"
            ".geo-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
            "font:12px/1.4 sans-serif;color:#222;box-shadow:0 1px 4px rgba(0,0,0,.3)}"
            ".geo-legend i{display:inline-block;width:12px;height:12px;margin-right:6px;"
            "border:1px solid #444;vertical-align:-2px}"
            ".leaflet-popup-content th{padding-right:8px;text-align:left;vertical-align:top}"
        )


def simplify_for_web(
    gdf: gpd.GeoDataFrame, tolerance_m: float, decimals: int = POLYGON_DECIMALS
) -> gpd.GeoSeries:
    """Return the geometries of ``gdf`` simplified by ``tolerance_m`` metres, in EPSG:4326.

    Simplification runs in the metric CRS of the data (:func:`geo.projection.metric_crs_for`)
    with topology preserved; coordinates are then rounded to ``decimals`` places.
    """
    tolerance_m = check_positive("tolerance_m", tolerance_m)
    geoms = to_wgs84(gdf, "gdf").geometry
    if geoms.empty:
        return geoms
    west, south, east, north = geoms.total_bounds
    metric = metric_crs_for(np.array([(west + east) / 2]), np.array([(south + north) / 2]))
    simplified = geoms.to_crs(metric).simplify(tolerance_m, preserve_topology=True)
    rounded = shapely.transform(simplified.to_crs(WGS84).values, lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=gdf.index, crs=WGS84)


def to_wgs84(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326; fails naming argument ``name`` when it is not usable."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        fail(f"`{name}` must be a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        fail(f"`{name}` has no CRS", fix="Set it, e.g. gdf.set_crs('EPSG:4326')")
    return gdf if gdf.crs == WGS84 else gdf.to_crs(WGS84)


def feature_collection(
    geoms: gpd.GeoSeries, properties: pd.DataFrame, max_bytes: int
) -> tuple[dict[str, Any], int]:
    """GeoJSON of the first features whose rendered size fits in ``max_bytes``; also the count.

    ``geoms`` and ``properties`` (all text) are in priority order; empty geometries are
    skipped. Sizes are counted as folium writes them (``json.dumps``, then ``<>&'``
    escaped as 6-byte ``\\u00XX``).
    """
    keep = ~(geoms.is_empty | geoms.isna()).to_numpy()
    geometries = shapely.to_geojson(geoms.to_numpy()[keep])
    records = properties.loc[keep].to_dict(orient="records")
    features = [
        {"type": "Feature", "id": f"f{i}", "properties": props, "geometry": json.loads(geometry)}
        for i, (props, geometry) in enumerate(zip(records, geometries, strict=True))
    ]
    sizes = np.cumsum([_rendered_size(feature) + 2 for feature in features])
    count = int(np.searchsorted(sizes, max_bytes, side="right"))
    return {"type": "FeatureCollection", "features": features[:count]}, count


def _rendered_size(value: Any) -> int:
    text = json.dumps(value)
    return len(text) + 5 * sum(text.count(c) for c in "<>&'")


def layer_name(label: str, shown: int, total: int, what: str) -> str:
    """Layer-control label that says when only ``shown`` of ``total`` ``what`` are drawn."""
    if shown == total:
        return label
    return f"{label} ({shown:,} of {total:,} {what} shown)"


def escape_text(values: Iterable[Any]) -> list[str]:
    """Format and HTML-escape values for tooltips and popups (missing -> "–")."""
    return [html.escape(_as_text(value)) for value in values]


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(_as_text(item) for item in value)
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return "–"
    return str(value)


def format_values(values: pd.Series, pattern: str) -> list[str]:
    """Format numbers with ``pattern`` (e.g. ``"{:,.1f}"``), missing -> "–"."""
    numbers = pd.to_numeric(values, errors="coerce")
    return ["–" if pd.isna(v) else pattern.format(v) for v in numbers]


def _months(values: pd.Series) -> list[str]:
    """Months as escaped "Jan 2024" (dates, timestamps, periods or text)."""
    return escape_text(month_label(v) or None for v in values)
