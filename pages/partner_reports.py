"""Partner reports the user may see, with each report's history; funders see counts only."""

from __future__ import annotations

import streamlit as st

from geo.hotspots import peaktimes
from geo.partners import config, incidents
from geo.safety import csv_bytes
from pages import auth, common

account = auth.require_role("partner_reports")
db = auth.database()
st.title("Partner reports")

exported = auth.run_or_stop(incidents.export_visible, db, account)
st.download_button(
    "Download CSV",
    csv_bytes(exported),
    file_name="partner-reports.csv",
    mime="text/csv",
    key="partner_reports_csv",
)

if account.role == config.FUNDER:
    st.caption(
        f"Counts by month, category and {config.FUNDER_CELL_M} m grid square: no narratives, "
        "reporters or references."
    )
    totals = incidents.aggregate_totals(exported)
    st.metric("Incidents", f"{totals.incidents:,}")
    st.bar_chart(totals.by_month, x="month", y="incidents")
    st.map(totals.by_cell, latitude="latitude", longitude="longitude", size="radius_m")
    st.dataframe(exported, hide_index=True)
    st.stop()

visible = auth.run_or_stop(incidents.visible_incidents, db, account)
st.metric("Reports", f"{len(visible):,}")
if visible["synthetic"].any():
    st.caption("Rows marked synthetic are made-up demo reports.")
if visible.empty:
    st.stop()
st.map(visible, latitude="latitude", longitude="longitude")
st.subheader("When: day of week and hour of day")
grid = peaktimes.weekday_hour_counts(visible)
st.vega_lite_chart(spec=common.weekday_hour_chart(grid, "incidents", "Reports"), width="stretch")
# st.dataframe shows every cell as plain text, so stored markup never runs.
st.dataframe(visible, hide_index=True)

reference = st.selectbox("Report history", visible["reference"].tolist(), key="history_reference")
history = auth.run_or_stop(incidents.incident_history, db, account, reference)
st.markdown("**Outcomes**")
st.dataframe(history["outcomes"], hide_index=True)
st.markdown("**Updates** (every edit keeps the old and the new value)")
st.dataframe(history["updates"], hide_index=True)
