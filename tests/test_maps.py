"""Tests for geo.maps: offline assets, escaping, size caps, aggregation, determinism."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.plugins import Fullscreen, HeatMap
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.checks import GeoInputError
from geo.hotspots.dbscan import HOTSPOT_COLUMNS
from geo.maps.base import (
    BACKGROUND,
    CHANGE_COLOURS,
    MAX_MAP_BYTES,
    NO_BASEMAP,
    OSM_TILES,
    SYNTHETIC_NOTE,
    VENDOR_FILES,
    VENDOR_URL,
    _walk,
    build_base_map,
    map_html,
    map_html_bytes,
    missing_vendor_files,
    simplify_for_web,
    use_local_assets,
)
from geo.maps.hotspot import (
    build_change_map,
    build_hotspot_map,
    chosen_rank,
    focus_layer,
    focus_view,
)
from geo.maps.layers import (
    _OTHER_COLOUR,
    HOTSPOT_COLOURS,
    KDE_COLOURS,
    _LabelLayer,
    add_change_layer,
    add_cluster_layer,
    add_gi_layer,
    add_heat_layer,
    add_hotspot_layer,
    add_kde_layer,
    add_label_layer,
    aggregate_points,
    offline_base_group,
    street_labels,
)
from geo.projection import bng_to_lonlat
from geo.schema import WGS84

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
TORQUAY_BNG = (291_800.0, 63_600.0)  # Castle Circus, metres EPSG:27700


def hotspot_table(n: int, *, radius_m: float = 40.0, vertices: int = 32) -> gpd.GeoDataFrame:
    """``n`` round hotspots 150 m apart around Torquay, rank 1 first (synthetic)."""
    i = np.arange(n)
    x = TORQUAY_BNG[0] + 150.0 * (i % 60)
    y = TORQUAY_BNG[1] + 150.0 * (i // 60)
    polygons = shapely.buffer(shapely.points(x, y), radius_m, quad_segs=vertices // 4)
    geometry = gpd.GeoSeries(polygons, crs="EPSG:27700").to_crs("EPSG:4326")
    incidents = 1000 - i
    return gpd.GeoDataFrame(
        {
            "hotspot_id": i + 1,
            "rank": i + 1,
            "name": [SCRIPT if k == 0 else f"Hotspot street {k}" for k in i],
            "incidents": incidents,
            "share": incidents / incidents.sum(),
            "area_m2": np.full(n, np.pi * radius_m**2),
            "density_per_ha": incidents / (np.pi * radius_m**2 / 1e4),
            "pai": np.full(n, 2.5),
            "first_month": pd.Timestamp("2024-01-01").date(),
            "last_month": pd.Timestamp("2025-06-01").date(),
            "months_active": np.full(n, 18),
            "top_categories": [["Anti-social behaviour", IMG]] * n,
            "top_streets": "Union Street; Fleet Street",
            "trend": "rising",
            "trend_ratio": np.full(n, 1.25),
        },
        geometry=geometry,
    )


def incident_points(n: int, snaps: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` incidents on ``snaps`` police.uk-like snap points over ~6 x 4 km (synthetic)."""
    rng = np.random.default_rng(seed)
    sx = TORQUAY_BNG[0] - 3000 + rng.random(snaps) * 6000
    sy = TORQUAY_BNG[1] - 2000 + rng.random(snaps) * 4000
    pick = rng.integers(0, snaps, n)
    lon, lat = bng_to_lonlat(sx[pick], sy[pick])
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def grid_cells(n_side: int, classes: list[str]) -> gpd.GeoDataFrame:
    """``n_side`` x ``n_side`` 100 m cells with Gi* classes cycled from ``classes``."""
    i, j = np.meshgrid(np.arange(n_side), np.arange(n_side))
    x0 = TORQUAY_BNG[0] - 3000 + 100.0 * i.ravel()
    y0 = TORQUAY_BNG[1] - 2000 + 100.0 * j.ravel()
    cells = gpd.GeoSeries(shapely.box(x0, y0, x0 + 100, y0 + 100), crs="EPSG:27700")
    gi_class = [classes[k % len(classes)] for k in range(len(cells))]
    z = np.linspace(-4, 4, len(cells))
    return gpd.GeoDataFrame({"gi_class": gi_class, "gi_z": z}, geometry=cells.to_crs(4326))


def lsoas(n: int = 2) -> gpd.GeoDataFrame:
    names = ["Torbay <b>008A</b>"] + [f"Torbay {k:03d}B" for k in range(1, n)]
    west = -3.56 + 0.01 * np.arange(n)
    return gpd.GeoDataFrame(
        {"lsoa_code": [f"E0100{k}" for k in range(n)], "lsoa_name": names},
        geometry=[box(w, 50.45, w + 0.01, 50.48) for w in west],
        crs="EPSG:4326",
    )


GAZETTEER = pd.DataFrame(
    {"name": ["Castle Circus", SCRIPT], "lat": [50.468426, 50.4683], "lon": [-3.531704, -3.53]}
)


def geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {c.layer_name: c for c in m._children.values() if isinstance(c, folium.GeoJson)}


def properties(layer: folium.GeoJson) -> list[dict]:
    return [feature["properties"] for feature in layer.data["features"]]


@pytest.fixture(scope="module")
def explorer_map() -> folium.Map:
    return build_hotspot_map(
        hotspot_table(6),
        incident_points(2000, 200),
        boundaries=lsoas(),
        gi_cells=grid_cells(4, ["hot 99%", "not significant", "cold 95%"]),
        gazetteer=GAZETTEER,
    )


@pytest.fixture(scope="module")
def explorer_html(explorer_map: folium.Map) -> str:
    return map_html(explorer_map)


def test_fixture_has_the_hotspot_table_columns() -> None:
    assert tuple(hotspot_table(2).columns) == HOTSPOT_COLUMNS


# ---------------------------------------------------------------- offline assets


def test_every_asset_is_served_locally(explorer_html: str) -> None:
    links = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', explorer_html)
    assert links, "the page should load Leaflet"
    assert all(url.startswith(VENDOR_URL + "/") for url in links), links
    local = {url.removeprefix(VENDOR_URL + "/") for url in links}
    assert local <= set(VENDOR_FILES.values())
    assert "leaflet/dist/leaflet.js" in local
    assert "folium/leaflet_heat.min.js" in local


def test_only_osm_tiles_come_from_the_internet(explorer_html: str) -> None:
    hosts = set(re.findall(r"https?://([^/\"'\\]+)", explorer_html))
    assert hosts <= {"tile.openstreetmap.org", "www.openstreetmap.org"}


def test_streamlit_folium_gets_local_links(explorer_map: folium.Map) -> None:
    # st_folium collects js/css from the same attributes of every element.
    urls = [
        url
        for element in _walk(explorer_map)
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
    ]
    assert urls
    assert all(url.startswith("/app/static/vendor/") for url in urls)


def test_use_local_assets_leaves_folium_classes_alone(explorer_map: folium.Map) -> None:
    assert folium.Map.default_js[0][1].startswith("https://")
    assert HeatMap.default_js[0][1].startswith("https://")


def test_use_local_assets_takes_a_url_prefix() -> None:
    m = use_local_assets(folium.Map(tiles=None), url_prefix="/base/app/static/vendor/")
    assert dict(m.default_js)["leaflet"] == "/base/app/static/vendor/leaflet/dist/leaflet.js"


def test_asset_without_local_copy_is_refused() -> None:
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    with pytest.raises(GeoInputError, match="Control.Fullscreen|fullscreen"):
        use_local_assets(m)


def test_missing_vendor_files_lists_what_is_absent(tmp_path: Path) -> None:
    assert missing_vendor_files(tmp_path) == sorted(set(VENDOR_FILES.values()))
    for relative in VENDOR_FILES.values():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    assert missing_vendor_files(tmp_path) == []


# ---------------------------------------------------------------- basemap fallback


def test_offline_base_is_offered_taken_when_tiles_fail_and_named(explorer_html: str) -> None:
    assert '"Offline base: LSOA outlines"' in explorer_html  # the fixture has no street text
    assert "tileerror" in explorer_html
    assert '"Base map: "' in explorer_html and '"OpenStreetMap tiles"' in explorer_html
    assert BACKGROUND in explorer_html


def test_tiles_false_starts_on_blank_background() -> None:
    m = build_base_map((-3.6, 50.4, -3.5, 50.5), tiles=False)
    layers = {c.layer_name: c for c in m._children.values() if hasattr(c, "layer_name")}
    assert layers[OSM_TILES].show is False
    assert layers[NO_BASEMAP].show is True


@pytest.mark.parametrize(
    "bounds", [(1, 2, 3), (-3.5, 50.5, -3.6, 50.4), (0, 0, 400_000, 100_000), (0, np.nan, 1, 1)]
)
def test_bad_bounds_are_refused(bounds: tuple) -> None:
    with pytest.raises(GeoInputError, match="bounds"):
        build_base_map(bounds)


# ---------------------------------------------------------------- escaping


def test_script_from_data_never_reaches_the_html_raw(explorer_html: str) -> None:
    assert SCRIPT not in explorer_html
    assert "<img src=x" not in explorer_html
    assert "<b>008A</b>" not in explorer_html


def test_text_is_escaped_in_tooltip_and_popup_properties(explorer_map: folium.Map) -> None:
    hotspots = properties(geojson_layers(explorer_map)["Hotspots"])
    assert hotspots[0]["hotspot"] == "#1 &lt;script&gt;alert(1)&lt;/script&gt;"
    assert hotspots[0]["top_categories"] == (
        "Anti-social behaviour, &lt;img src=x onerror=alert(2)&gt;"
    )
    areas = properties(geojson_layers(explorer_map)["LSOA boundaries"])
    assert areas[0]["area"] == "Torbay &lt;b&gt;008A&lt;/b&gt;"


def test_labels_are_set_as_text_not_html(explorer_map: folium.Map, explorer_html: str) -> None:
    labels = next(c for c in explorer_map._children.values() if isinstance(c, _LabelLayer))
    assert labels.rows[1][2] == SCRIPT  # kept verbatim: the browser sets textContent
    assert "span.textContent = row[2]" in explorer_html
    assert "\\u003cscript\\u003ealert(1)" in explorer_html


def test_change_and_legend_text_are_escaped() -> None:
    areas = hotspot_table(3).assign(classification=["persistent", SCRIPT, "former"])
    areas["change"] = [5, -3, 10]
    m = build_change_map(areas, synthetic=True)
    html_text = map_html(m)
    assert SCRIPT not in html_text
    assert SYNTHETIC_NOTE in html_text


# ---------------------------------------------------------------- hotspot layer


def test_hotspots_are_drawn_best_ranked_first_with_rank_colours() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    table = hotspot_table(12).sample(frac=1, random_state=3)
    legend = add_hotspot_layer(m, table)
    drawn = properties(geojson_layers(m)["Hotspots"])
    assert [p["hotspot"].split()[0] for p in drawn[:3]] == ["#1", "#2", "#3"]
    fills = [p["_fill"] for p in drawn]
    assert fills[:5] == [HOTSPOT_COLOURS[0]] * 5
    assert fills[5:10] == [HOTSPOT_COLOURS[1]] * 5
    assert fills[10:] == [HOTSPOT_COLOURS[2]] * 2
    assert [label for label, _ in legend] == ["Rank 1–5", "Rank 6–10", "Rank 11–20"]


def test_intensity_colours_put_the_densest_in_the_darkest_class() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    table = hotspot_table(10)
    table["density_per_ha"] = np.arange(10.0)  # rank 10 is the densest
    add_hotspot_layer(m, table, color_by="intensity")
    fill = {p["hotspot"].split()[0]: p["_fill"] for p in properties(geojson_layers(m)["Hotspots"])}
    assert fill["#10"] == fill["#9"] == HOTSPOT_COLOURS[0]
    assert fill["#1"] == HOTSPOT_COLOURS[-1]


def test_tooltip_shows_formatted_numbers() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    table = hotspot_table(1).assign(incidents=[12345], share=[0.256], density_per_ha=[41.04])
    add_hotspot_layer(m, table)
    (drawn,) = properties(geojson_layers(m)["Hotspots"])
    assert drawn["incidents"] == "12,345"
    assert drawn["share"] == "25.6%"
    assert drawn["density_per_ha"] == "41.0 incidents/ha"
    assert drawn["area_m2"] == "0.50 ha"
    assert drawn["first_month"] == "Jan 2024"
    assert drawn["trend_ratio"] == "×1.25"


def test_hotspot_layer_needs_its_columns() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    with pytest.raises(GeoInputError, match="'rank'"):
        add_hotspot_layer(m, hotspot_table(2).drop(columns="rank"))
    with pytest.raises(GeoInputError, match="color_by"):
        add_hotspot_layer(m, hotspot_table(2), color_by="size")
    with pytest.raises(GeoInputError, match="no CRS"):
        add_hotspot_layer(m, hotspot_table(2).set_crs(None, allow_override=True))


def test_polygons_are_simplified_and_rounded() -> None:
    table = hotspot_table(1, radius_m=100, vertices=400)
    simplified = simplify_for_web(table, tolerance_m=2.0)
    before = shapely.get_num_coordinates(table.geometry.values)[0]
    after = shapely.get_num_coordinates(simplified.values)[0]
    assert after < before / 4
    coords = shapely.get_coordinates(simplified.values)
    assert np.array_equal(coords, np.round(coords, 6))
    # the outline moves by at most the tolerance (+ rounding, ~0.1 m)
    original = table.geometry.to_crs(27700).iloc[0]
    moved = gpd.GeoSeries(simplified).to_crs(27700).iloc[0]
    assert 0.5 < shapely.hausdorff_distance(original, moved) <= 2.2


# ---------------------------------------------------------------- Gi*, change, labels


def test_gi_layer_draws_significant_cells_most_significant_first() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    cells = grid_cells(3, ["hot 90%", "not significant", "Cold 99%", "hot 99%"])
    legend = add_gi_layer(m, cells)
    layer = next(iter(geojson_layers(m).values()))
    drawn = [p["gi_class"] for p in properties(layer)]
    assert "not significant" not in drawn
    assert drawn[0] in ("hot 99%", "cold 99%")
    assert drawn[-1] == "hot 90%"
    assert layer.show is True  # turning the layer on shows it, ticked
    assert [label for label, _ in legend] == ["Hot 99%", "Hot 90%", "Cold 99%"]


def test_gi_layer_refuses_unknown_classes() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    with pytest.raises(GeoInputError, match="very hot"):
        add_gi_layer(m, grid_cells(2, ["very hot"]))


def test_change_layer_colours_by_class_largest_change_first() -> None:
    areas = hotspot_table(4).assign(
        classification=["persistent", "emerging", "former", "odd"], change=[1, -20, 5, 0]
    )
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    legend = add_change_layer(m, areas)
    drawn = properties(next(iter(geojson_layers(m).values())))
    assert [p["change_text"] for p in drawn] == ["-20", "+5", "+1", "+0"]
    assert drawn[0]["_fill"] == CHANGE_COLOURS["emerging"]
    assert drawn[-1]["_fill"] == _OTHER_COLOUR
    assert ("Other", _OTHER_COLOUR) in legend


def test_labels_are_capped() -> None:
    m = build_base_map((-3.6, 50.4, -3.4, 50.6))
    many = pd.DataFrame({"name": [f"Place {i}" for i in range(1000)], "lat": 50.46, "lon": -3.53})
    assert add_label_layer(m, many, max_labels=120) == 120
    assert add_label_layer(m, many, max_bytes=2_000) < 120


# ---------------------------------------------------------------- points


def test_duplicates_are_merged_with_counts() -> None:
    lon = np.array([-3.5, -3.5, -3.5, -3.4, np.nan])
    lat = np.array([50.4, 50.4, 50.4, 50.5, 50.5])
    points = aggregate_points(lon, lat)
    assert points.tolist() == [[50.4, -3.5, 3.0], [50.5, -3.4, 1.0]]


def test_grid_merge_keeps_weighted_centre() -> None:
    # 3 incidents at A and 1 at B, 2 m apart: one 5 m cell, centre 3/4 of the way to A
    lon_a, lat_a = bng_to_lonlat(np.array([300_001.0]), np.array([100_001.0]))
    lon_b, lat_b = bng_to_lonlat(np.array([300_003.0]), np.array([100_001.0]))
    lon = np.r_[np.repeat(lon_a, 3), lon_b]
    lat = np.r_[np.repeat(lat_a, 3), lat_b]
    (point,) = aggregate_points(lon, lat, max_points=1)
    assert point[2] == 4
    assert point[1] == pytest.approx((3 * lon_a[0] + lon_b[0]) / 4, abs=1e-5)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3000),
    snaps=st.integers(1, 500),
    cap=st.integers(1, 400),
    seed=st.integers(0, 10),
)
def test_aggregation_keeps_every_incident_and_respects_the_cap(
    n: int, snaps: int, cap: int, seed: int
) -> None:
    points = incident_points(n, snaps, seed)
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    merged = aggregate_points(lon, lat, max_points=cap)
    assert len(merged) <= cap
    assert merged[:, 2].sum() == n
    assert np.array_equal(merged, aggregate_points(lon, lat, max_points=cap))


def test_heat_and_clusters_are_capped() -> None:
    incidents = incident_points(50_000, 20_000)
    m = build_base_map(incidents.total_bounds)
    assert add_heat_layer(m, incidents, max_points=3_000) <= 3_000
    assert add_cluster_layer(m, incidents, max_points=500) <= 500


# ---------------------------------------------------------------- size and determinism


def test_map_stays_under_limit_for_big_inputs() -> None:
    big = build_hotspot_map(
        hotspot_table(2_000, vertices=128),
        incident_points(200_000, 100_000),
        boundaries=lsoas(300),
        gi_cells=grid_cells(70, ["hot 99%", "cold 99%", "hot 95%"]),
        gazetteer=GAZETTEER,
    )
    assert map_html_bytes(big) < MAX_MAP_BYTES
    cut = [name for name in geojson_layers(big) if name.endswith("of 2,000 hotspots shown)")]
    assert len(cut) == 1, "the layer name must say that hotspots were left out"


def test_same_input_gives_the_same_map_up_to_element_ids() -> None:
    def build() -> str:
        m = build_hotspot_map(
            hotspot_table(5), incident_points(3000, 300), gi_cells=grid_cells(3, ["hot 95%"])
        )
        return re.sub(r"[0-9a-f]{32}", "ID", map_html(m))

    assert build() == build()


def test_nothing_to_map_is_an_input_error() -> None:
    with pytest.raises(GeoInputError, match="nothing to map"):
        build_hotspot_map(hotspot_table(0))


def test_kde_surface_layer_is_drawn_within_budget():
    from geo.hotspots.kde import kde_grid
    from geo.projection import lonlat_to_bng

    rng = np.random.default_rng(3)
    lon = -3.53 + rng.normal(0, 0.01, 5_000)
    lat = 50.46 + rng.normal(0, 0.01, 5_000)
    x, y = lonlat_to_bng(lon, lat)
    cells = kde_grid(x, y, "EPSG:27700", cell_size_m=50)
    m = build_base_map(cells.total_bounds, tiles=False)
    legend = add_kde_layer(m, cells, max_bytes=60_000)
    html = map_html(m)
    assert len(legend) == 5 and legend[0][1] == KDE_COLOURS[-1]  # densest first
    assert "incidents/km" in html
    assert len(html.encode()) < 200_000
    hotspots = gpd.GeoDataFrame(geometry=[cells.union_all().convex_hull], crs=cells.crs)
    with pytest.raises(GeoInputError, match="kde_cells"):
        build_hotspot_map(hotspots, incident_style="kde")


# ---------------------------------------------------------------- plan and coverage maps


def test_plan_map_labels_the_forecast_and_the_daily_dosage() -> None:
    from geo.maps.plan import build_plan_map

    plan = hotspot_table(2)[["name", "geometry"]].assign(
        hotspot_id=[7, 9],
        plan_rank=[1, 2],
        risk=[2.64, 0.4],
        visits_per_day=[4, 1],
        minutes_per_visit=[15.0, 15.0],
        minutes_per_day=[60.0, 15.0],
    )
    m = build_plan_map(plan, tiles=False)
    layer = geojson_layers(m)["Planned hotspots"]
    drawn = properties(layer)
    assert drawn[0]["incidents"] == "2.6" and drawn[1]["incidents"] == "0.4"
    assert drawn[1]["hotspot"] == "#2 Hotspot street 1: 1 visit x 15 min = 15 min a day"
    assert SCRIPT not in map_html(m)
    assert "Forecast incidents (next month)" in map_html(m)


def test_coverage_map_names_synthetic_layers() -> None:
    from geo.maps.coverage import build_coverage_map
    from geo.patrols.dosage import ALL_ROLES
    from geo.patrols.summaries import DOSAGE_CLASSES

    zones = hotspot_table(2)[["name", "geometry"]].assign(hotspot_id=[1, 2])
    change = pd.DataFrame(
        {
            "hotspot_id": [1, 2],
            "patrol_minutes_per_week_before": [10.0, 30.0],
            "patrol_minutes_per_week_after": [30.0, 30.0],
            "change": [20.0, 0.0],
            "pct_change": [200.0, 0.0],
            "dosage_class": [DOSAGE_CLASSES[0], DOSAGE_CLASSES[2]],
        }
    )
    density = pd.DataFrame(
        {
            "period": ["before", "after"],
            "role": ALL_ROLES,
            "easting": TORQUAY_BNG[0],
            "northing": TORQUAY_BNG[1],
            "minutes": [10.0, 30.0],
        }
    )
    names = [
        layer.layer_name
        for layer in build_coverage_map(zones, change, density, synthetic=True)._children.values()
        if isinstance(layer, HeatMap | folium.GeoJson)
    ]
    assert len(names) == 3 and all("SYNTHETIC" in name for name in names)
    real = build_coverage_map(zones, change, density)._children.values()
    assert not any("SYNTHETIC" in getattr(layer, "layer_name", "") for layer in real)


def test_chosen_rank_follows_the_latest_of_row_and_click():
    memory: dict = {}
    assert chosen_rank(memory, row_rank=None, click_rank=None, default=1) == 1
    assert chosen_rank(memory, row_rank=3, click_rank=None, default=1) == 3
    assert chosen_rank(memory, row_rank=3, click_rank=5, default=1) == 5  # map click after row
    assert chosen_rank(memory, row_rank=3, click_rank=5, default=1) == 5  # rerun: unchanged
    assert chosen_rank(memory, row_rank=2, click_rank=5, default=1) == 2  # new row after click
    assert chosen_rank(memory, row_rank=2, click_rank=7, default=1) == 7


def test_focus_view_fits_a_hotspot_at_street_zoom():
    square = gpd.GeoDataFrame(
        geometry=[shapely.box(-3.532, 50.468, -3.530, 50.469)], crs="EPSG:4326"
    )
    (lat, lon), zoom = focus_view(square)
    assert (round(lat, 4), round(lon, 4)) == (50.4685, -3.531)
    assert 15 <= zoom <= 17  # ~140 m wide in a 700 px map
    outline = focus_layer(square)
    assert len(outline._children) == 1


def test_street_labels_sit_at_each_street_busiest_snap_point(make_incidents) -> None:
    xy = np.r_[np.zeros((3, 2)), np.full((1, 2), 50.0), np.full((2, 2), 300.0), [[600.0, 0]]]
    locations = ["On or near Union Street"] * 4 + ["On or near Mann'S Court"] * 2
    locations += ["On or near Parking Area"]
    labels = street_labels(make_incidents(xy, locations=locations))
    assert labels["name"].tolist() == ["Union Street", "Mann's Court"]
    assert labels["incidents"].tolist() == [4, 2]
    origin = make_incidents(np.zeros((1, 2))).geometry.iloc[0]
    assert (labels["lat"].iloc[0], labels["lon"].iloc[0]) == (
        round(origin.y, 5),
        round(origin.x, 5),
    )


def test_offline_base_carries_street_names_and_outlines(make_incidents) -> None:
    incidents = make_incidents(np.zeros((3, 2)), locations=["On or near Union Street"] * 3)
    outline = gpd.GeoDataFrame(
        {"lsoa_name": ["Torbay 008A"]}, geometry=[incidents.union_all().buffer(0.01)], crs=WGS84
    )
    m = build_base_map(
        incidents.total_bounds,
        tiles=False,
        offline_base=offline_base_group(street_labels(incidents), outline),
    )
    html = map_html(m)
    assert '"Offline base: street names, LSOA outlines"' in html
    assert '"Union Street"' in html and "geo-street" in html
    assert "geoDeclutter" in html  # labels hide where they would overprint


def test_change_map_fits_the_classified_cells() -> None:
    near = shapely.box(-3.531, 50.468, -3.530, 50.469)
    far = shapely.box(-3.70, 50.30, -3.69, 50.31)
    areas = gpd.GeoDataFrame(
        {"classification": ["emerging", "no pattern"], "change": [5, 0]},
        geometry=[near, far],
        crs=WGS84,
    )
    html = map_html(build_change_map(areas))
    fit = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", html)
    assert fit is not None
    assert [float(v) for v in fit.groups()] == [50.468, -3.531, 50.469, -3.53]


def test_kde_ramp_differs_from_hotspot_ranks() -> None:
    assert not set(KDE_COLOURS) & set(HOTSPOT_COLOURS)


def test_overview_mini_map_folds_its_layer_control() -> None:
    html = map_html(build_hotspot_map(hotspot_table(2), incident_style="none", collapsed=True))
    assert '"collapsed": true' in html
