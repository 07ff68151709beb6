"""The Overview of a national store with all forces chosen: a layout helper for
``pages/overview.py`` (not a page itself)."""

from __future__ import annotations

import streamlit as st

from geo import caveats
from geo.formatting import month_text
from geo.maps.national import build_forces_map
from geo.safety import escape_markdown
from pages import common, mapview


def show_overview(selection: common.Selection) -> None:
    """Every force's figures side by side, the forces' map and the national trend."""
    st.title(f"Overview: {escape_markdown(selection.label)}, all forces")
    st.caption(
        f"{month_text(selection.first_month)} to {month_text(selection.last_month)} · "
        f"{', '.join(selection.categories) if selection.categories else 'all categories'}"
    )
    found = common.national_overview(
        selection.dataset, selection.first_month, selection.last_month, selection.categories
    )
    defaults = common.area_defaults(selection)
    kpi = st.columns(4)
    kpi[0].metric("Incidents", f"{found.incidents:,}")
    kpi[1].metric("Forces", f"{len(found.summary):,}")
    kpi[2].metric(
        "Hotspots",
        f"{found.hotspot_count:,}",
        help=f"DBSCAN per force, eps {defaults.eps_m:.0f} m, at least "
        f"{defaults.min_samples} incidents; a hotspot across a force boundary is counted "
        "once, by the force with most of its incidents",
    )
    kpi[3].metric("Incidents in hotspots", f"{found.share_in_hotspots:.0%}")

    st.subheader("Forces compared")
    common.show_table(found.summary, width="stretch")
    st.download_button(
        "Download the national summary (CSV)",
        common.table_csv(found.summary),
        "national-summary.csv",
        mime="text/csv",
        on_click="ignore",
    )
    st.caption(
        "Gini: how unevenly each force's incidents spread over its snap points that have "
        "any (0: evenly; 1: all at one point). police.uk lists no empty snap points, so "
        "it understates concentration. Choose a force in the sidebar to explore it."
    )
    mapview.show_map(
        lambda: build_forces_map(found.forces), view=selection, key="forces_map", height=520
    )

    st.subheader("Monthly trend, all forces")
    trend = common.monthly_in_view(selection)
    st.vega_lite_chart(spec=common.monthly_chart(trend), width="stretch")
    st.info(caveats.LOCATION_ANONYMISATION)
    st.caption(caveats.MONTH_ONLY + " " + caveats.ASB_IS_NOT_CRIME)


# Streamlit's legacy mode also lists this helper module as a page (``/national``).
if __name__ == "__main__":
    common.run_through_entry_script()
