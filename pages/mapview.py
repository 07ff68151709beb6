"""Show folium maps: rendered once per view for every session, drawn by streamlit-folium.

Not a page itself. ``st_folium`` builds and renders its map on every run of every
session: with many users on the same view that was most of the server's work (folium
makes a random id for each of thousands of elements, then renders Jinja templates for
each). Here the rendering is cached for all sessions under a *view key*, plain values
naming everything the map shows, and the browser component gets exactly what
``st_folium`` would send it. The component and its helpers are streamlit-folium's own
(pinned to a 0.27 release in requirements.txt because they are private there).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import folium
import folium.elements
import streamlit as st
import streamlit_folium as sf

from pages import common


@dataclass(frozen=True)
class RenderedMap:
    """A folium map as the st_folium browser component receives it."""

    script: str
    header: str
    html: str
    map_id: str
    component_key: str
    defaults: dict[str, Any]
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]


def _linked_assets(folium_map: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CSS and JS links the map's elements need, deduplicated in first-seen order."""
    css: list[str] = []
    js: list[str] = []

    # No branca colormaps here: geo.maps.base refuses them (they load d3 from a CDN).
    def walk(element):
        if isinstance(element, folium.elements.JSCSSMixin):
            css.extend(href for _, href in getattr(element, "default_css", []))
            js.extend(src for _, src in getattr(element, "default_js", []))
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(folium_map)
    return tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js))


def render(folium_map: folium.Map, key: str, returned_objects: Iterable[str]) -> RenderedMap:
    """Render ``folium_map`` once into the browser component's arguments."""
    folium_map.get_root().render()
    folium_map.render()
    # st_folium's order: the HTML and header before the script, which renames elements.
    html = sf._get_html(folium_map)
    header = sf._get_header(folium_map)
    script = sf._get_map_string(folium_map)
    southwest, northeast = folium_map.get_bounds()
    defaults = {
        "last_object_clicked_tooltip": None,
        "bounds": {
            "_southWest": {"lat": southwest[0], "lng": southwest[1]},
            "_northEast": {"lat": northeast[0], "lng": northeast[1]},
        },
        "zoom": folium_map.options.get("zoom"),
    }
    css_links, js_links = _linked_assets(folium_map)
    return RenderedMap(
        script=script,
        header=header,
        html=html,
        map_id=sf.get_full_id(folium_map),
        component_key=sf.generate_js_hash(script, key, False),
        defaults={name: defaults.get(name) for name in returned_objects},
        css_links=css_links,
        js_links=js_links,
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _rendered(
    view: Hashable,  # noqa: ARG001 (the cache key)
    key: str,
    returned_objects: tuple[str, ...],
    _build: Callable[[], folium.Map],
) -> RenderedMap:
    return common.on_proj_thread(lambda: render(_build(), key, returned_objects))


def _feature_group_script(group: folium.FeatureGroup) -> str:
    """The script that adds ``group`` to the shown map (st_folium's dynamic layer)."""
    # streamlit-folium writes the group against a map and renames that map to the
    # component's; a blank map stands in for the cached one, whose id is not needed.
    return sf._get_feature_group_string(group, map=folium.Map(tiles=None), idx=0)


def show_map(
    build: Callable[[], folium.Map],
    *,
    view: Hashable | None,
    key: str,
    height: int,
    returned_objects: Iterable[str] = (),
    feature_group_to_add: folium.FeatureGroup | None = None,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
) -> dict[str, Any] | None:
    """Draw the map that ``build()`` makes, full width; return what the user clicked.

    ``view`` names everything the map shows in plain values (the sidebar's selection, the
    page's settings): every session asking for the same view gets the one rendering. It
    must include whose data the map shows, so a role-limited map is never shared beyond
    that role. ``None`` renders for this run only (maps of one user's own data).
    ``feature_group_to_add``, ``center`` and ``zoom`` change the drawn map without
    redrawing it, as in ``st_folium``.
    """
    returned = tuple(returned_objects)
    if view is None:
        rendered = common.on_proj_thread(lambda: render(build(), key, returned))
    else:
        rendered = _rendered(view, key, returned, build)

    def remember_interaction() -> None:  # what st_folium does for a keyed map
        st.session_state[key] = st.session_state.get(rendered.component_key, {})

    return sf._component_func(
        script=rendered.script,
        header=rendered.header,
        html=rendered.html,
        id=rendered.map_id,
        key=rendered.component_key,
        height=height,
        width=None,
        returned_objects=list(returned),
        default=rendered.defaults,
        zoom=zoom,
        center=center,
        feature_group=None
        if feature_group_to_add is None
        else _feature_group_script(feature_group_to_add),
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(rendered.css_links),
        js_links=list(rendered.js_links),
        on_change=remember_interaction,
        wrap_longitude=False,
    )


# Streamlit's legacy mode also lists this helper module as a page (``/mapview``).
if __name__ == "__main__":
    common.run_through_entry_script()
