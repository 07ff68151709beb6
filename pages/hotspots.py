"""Hotspot explorer: DBSCAN controls, the map, the hotspot table and one hotspot's details."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.hotspots import dbscan as hotspots
from geo.maps.hotspot import (
    build_hotspot_map,
    focus_layer,
    focus_view,
    rank_from_tooltip,
)
from geo.maps.hotspot import chosen_rank as chosen_rank_of
from geo.safety import csv_bytes, escape_markdown
from pages import common, mapview

selection = common.require_selection()
st.title(f"Hotspot explorer: {escape_markdown(selection.label)}")
st.caption(
    f"{selection.first_month} to {selection.last_month} · "
    f"{', '.join(selection.categories) if selection.categories else 'all categories'}"
)

defaults = common.area_defaults(selection)
controls = st.columns([2, 2, 1])
eps_m, min_samples = common.hotspot_settings(controls[0], controls[1], defaults, in_link=True)
auto = controls[2].toggle(
    "Auto", key="auto", help="sfhotspot's rule: eps and minimum from the data's density."
)
result = common.find_hotspots(selection, eps_m, min_samples, auto)
table = result.hotspots
frame = common.incidents(selection)
if auto:
    st.info(
        f"Auto mode used eps = {result.eps_m:,.0f} m and minimum incidents = "
        f"{result.min_samples} (sfhotspot rule)."
    )

kpi = st.columns(4)
kpi[0].metric("Hotspots", f"{len(table):,}")
kpi[1].metric("Incidents in hotspots", f"{result.share_in_hotspots:.0%}")
kpi[2].metric(
    "Area covered",
    f"{common.covered_area_ha(result):,.1f} ha",
    help="Area of the hotspots together (overlaps counted once)",
)
kpi[3].metric("Incidents", f"{len(frame):,}")

with st.expander("Choosing eps: k-distance chart"):
    st.vega_lite_chart(
        spec=common.k_distance_chart(selection, int(result.min_samples), result.eps_m),
        width="stretch",
    )
    st.caption("The knee of the curve is a good eps; the red line is the eps in use.")

options = st.columns(5)
incident_style = options[0].selectbox(
    "Incidents layer",
    ["heat", "kde", "clusters", "none"],
    format_func={
        "heat": "heat (snap points)",
        "kde": "density surface (KDE)",
        "clusters": "clustered points",
        "none": "none",
    }.get,
    key="incident_style",
    help="The KDE surface is a quartic kernel on a grid (incidents per km²), bandwidth "
    "chosen from the data's spread (MASS bandwidth.nrd rule of thumb, halved).",
)
color_by = options[1].selectbox("Colour hotspots by", ["rank", "intensity"], key="color_by")
show_gi = options[2].toggle("Gi* layer", key="show_gi", help="Getis-Ord Gi* on a grid, FDR.")
show_lsoa = options[3].toggle("LSOA boundaries", value=True, key="show_lsoa")
tiles = options[4].toggle(
    "OSM street tiles",
    value=True,
    key="tiles",
    help="On: OpenStreetMap tiles, loaded by your browser from the internet; if they cannot "
    "load, the map switches to its offline base. Off: the offline base, street names from "
    "the incidents' own location text and LSOA outlines. The map's bottom-left corner "
    "says which base is shown.",
)
# The map's inputs; map_view names them in plain values, so one rendering serves every
# session with the same settings.
layers = {
    "boundaries": common.boundaries(selection.dataset) if show_lsoa else None,
    "gi_cells": common.gi_cells(selection) if show_gi else None,
    "kde_cells": common.kde_cells(selection) if incident_style == "kde" else None,
    "gazetteer": common.gazetteer(),
    "streets": common.street_labels(selection),
    "synthetic": common.is_synthetic(selection),
}
map_view = (
    selection,
    eps_m,
    min_samples,
    auto,
    incident_style,
    color_by,
    show_gi,
    show_lsoa,
    tiles,
)
map_slot = st.container()
st.subheader("Hotspots")
st.caption("Pick a row to show that hotspot on the map, or click a hotspot on the map.")
picked = common.show_table(
    table.drop(columns="geometry"),
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="hotspot_table",
)
rows = picked.selection.rows if picked is not None else []
focus = None
if len(table):
    chosen_rank = st.session_state.setdefault("hotspot_choice", {})
    rank = chosen_rank_of(
        chosen_rank,
        row_rank=int(table["rank"].iloc[rows[0]]) if rows else None,
        click_rank=rank_from_tooltip(
            st.session_state.get("hotspot_map", {}).get("last_object_clicked_tooltip")
        ),
        default=int(table["rank"].iloc[0]),
    )
    focus = table[table["rank"] == rank].head(1)
    if focus.empty:
        focus = table.head(1)
# Until the user picks a hotspot the map shows them all; then it zooms to the one picked.
picked_by_user = st.session_state.get("hotspot_choice", {}).get("chosen") is not None
center, zoom = focus_view(focus) if focus is not None and picked_by_user else (None, None)
with map_slot:
    mapview.show_map(
        lambda: build_hotspot_map(
            table,
            frame if incident_style != "none" else None,
            incident_style=incident_style,
            color_by=color_by,
            tiles=tiles,
            **layers,
        ),
        view=map_view,
        key="hotspot_map",
        height=560,
        returned_objects=["last_object_clicked_tooltip"],
        feature_group_to_add=focus_layer(focus) if focus is not None else None,
        center=center,
        zoom=zoom,
    )
downloads = st.columns(3)
downloads[0].download_button(
    "Hotspots (GeoJSON)",
    lambda: hotspots.hotspots_geojson(table),  # built only when clicked
    "hotspots.geojson",
    mime="application/geo+json",
    on_click="ignore",
)
downloads[1].download_button(
    "Hotspots (CSV)",
    lambda: common.table_csv(table.drop(columns="geometry")),  # built only when clicked
    "hotspots.csv",
    mime="text/csv",
    on_click="ignore",
)

if focus is not None:
    chosen = focus.iloc[0]
    profile = common.hotspot_profile(selection, eps_m, min_samples, auto, int(chosen["hotspot_id"]))
    members = profile.members
    if common.row_level_allowed(selection):
        downloads[2].download_button(
            f"Incidents of #{chosen['rank']} (CSV)",
            lambda: csv_bytes(members.drop(columns="geometry")),
            f"hotspot-{chosen['rank']}-incidents.csv",
            mime="text/csv",
            on_click="ignore",
        )
    else:
        downloads[2].caption("No list of single incidents for funders: counts only.")

    st.subheader(f"#{chosen['rank']} {escape_markdown(chosen['name'])}")
    detail = st.columns(4)
    detail[0].metric("Incidents", f"{chosen['incidents']:,}")
    detail[1].metric("Share", f"{chosen['share']:.1%}")
    detail[2].metric(
        "PAI",
        f"{chosen['pai']:,.1f}" if pd.notna(chosen["pai"]) else "n/a",
        help="(share of incidents) / (share of study area); n/a when the study area is a "
        "line or a point",
    )
    detail[3].metric("Trend", str(chosen["trend"]))
    left, right = st.columns(2)
    left.vega_lite_chart(spec=common.monthly_chart(profile.monthly), width="stretch")
    right.dataframe(profile.categories, hide_index=True)
    st.markdown(f"**Top streets:** {escape_markdown(chosen['top_streets'] or 'none named')}")

st.caption(common.data_caveats(selection)[0])
