"""pages/mapview.py sends the browser exactly what st_folium sends, rendered once per view."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest
from streamlit_folium import generate_js_hash


def _two_maps() -> None:
    """Script: the same map through st_folium and through mapview.show_map, twice."""
    import folium
    import streamlit as st
    from streamlit_folium import st_folium

    from geo.maps.base import build_base_map
    from pages import mapview

    def build() -> folium.Map:
        picture = build_base_map((-3.54, 50.46, -3.52, 50.47))
        folium.GeoJson(
            {"type": "Polygon", "coordinates": [[[-3.53, 50.46], [-3.52, 50.46], [-3.52, 50.47]]]},
            tooltip="#1 Castle Circus",
        ).add_to(picture)
        return picture

    focus = folium.FeatureGroup(name="Chosen")
    folium.CircleMarker([50.465, -3.525], radius=4).add_to(focus)
    st_folium(
        build(),
        key="plain",
        height=300,
        use_container_width=True,
        returned_objects=["last_object_clicked_tooltip"],
        feature_group_to_add=focus,
        center=(50.465, -3.525),
        zoom=16,
    )
    focus = folium.FeatureGroup(name="Chosen")
    folium.CircleMarker([50.465, -3.525], radius=4).add_to(focus)
    mapview.show_map(
        build,
        view=("test view",),
        key="cached",
        height=300,
        returned_objects=["last_object_clicked_tooltip"],
        feature_group_to_add=focus,
        center=(50.465, -3.525),
        zoom=16,
    )
    st.session_state["renderings"] = [
        id(mapview._rendered(("test view",), "cached", ("last_object_clicked_tooltip",), build))
        for _ in range(2)
    ]


def _component_args(app: AppTest) -> list[dict]:
    return [json.loads(c.proto.json_args) for c in app.get("component_instance")]


def test_show_map_sends_what_st_folium_sends():
    app = AppTest.from_function(_two_maps, default_timeout=120).run()
    assert not app.exception
    plain, cached = _component_args(app)
    # Folium gives each build random element ids; st_folium's script and key do not depend
    # on them, but the map's own id does.
    assert plain.pop("id").startswith("map_")
    assert cached.pop("id").startswith("map_")
    # The component's key is st_folium's hash of the script and the map's own key.
    assert plain.pop("key") == generate_js_hash(plain["script"], "plain", False)
    assert cached.pop("key") == generate_js_hash(cached["script"], "cached", False)
    assert plain == cached
    assert "Castle Circus" in cached["script"]
    assert "feature_group_feature_group_0" in cached["feature_group"]


def test_a_view_is_rendered_once_for_every_run():
    app = AppTest.from_function(_two_maps, default_timeout=120).run()
    first, second = app.session_state["renderings"]
    assert first == second
