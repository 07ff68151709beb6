"""Report an incident: where (premises or a map click), when, what; the reference at once."""

from __future__ import annotations

import datetime as dt

import folium
import shapely
import streamlit as st

from geo.checks import GeoInputError
from geo.maps.base import build_base_map, use_local_assets
from geo.partners import accounts, incidents
from geo.partners.models import LONDON
from geo.partners.validation import ReportRejectedError, partnership_area
from geo.safety import escape_markdown
from pages import auth, mapview

PREMISES, MAP = "One of our premises", "A point on the map"
CLICKED = "report_clicked"

account = auth.require_role("report")
db = auth.database()
st.title("Report an incident")

premises = auth.run_or_stop(accounts.premises_of, db, account)
modes = [PREMISES, MAP] if len(premises) else [MAP]
mode = st.radio("Where did it happen?", modes, horizontal=True, key="report_location_mode")
if mode == PREMISES:
    site = st.selectbox("Premises", premises["name"].tolist(), key="report_premises")
else:
    site = None
    st.caption("Click the map where it happened (inside the partnership area).")
    area = partnership_area()
    picture = build_base_map(area.bounds)
    folium.GeoJson(
        shapely.geometry.mapping(area),
        name="Partnership area",
        style_function=lambda _: {"color": "#1f6feb", "weight": 2, "fillOpacity": 0.03},
    ).add_to(picture)
    clicked = st.session_state.get(CLICKED)
    if clicked:
        folium.Marker([clicked["lat"], clicked["lng"]], tooltip="Incident location").add_to(picture)
    returned = mapview.show_map(
        lambda: use_local_assets(picture),
        view=None,  # shows this user's own click
        key="report_map",
        height=420,
        returned_objects=["last_clicked"],
    )
    if returned and returned.get("last_clicked") and returned["last_clicked"] != clicked:
        st.session_state[CLICKED] = returned["last_clicked"]
        st.rerun()
    if clicked:
        st.write(f"Location: {clicked['lat']:.5f}, {clicked['lng']:.5f}")

now = dt.datetime.now(LONDON)
with st.form("report"):
    day = st.date_input("Date", value=now.date(), max_value=now.date(), key="report_date")
    time = st.time_input(
        "Time", value=now.time().replace(second=0, microsecond=0), key="report_time"
    )
    category = st.selectbox(
        "Category", auth.run_or_stop(incidents.categories, db), key="report_category"
    )
    description = st.text_area(
        "What happened", max_chars=5000, key="report_description", help="Shown as plain text"
    )
    loss = st.number_input("Loss (£)", min_value=0.0, value=None, step=1.0, key="report_loss")
    prevented = st.checkbox("Loss prevented", key="report_prevented")
    police_reference = st.text_input("Police reference (if any)", key="report_police_reference")
    submitted = st.form_submit_button("Save report")

if submitted:
    clicked = st.session_state.get(CLICKED) or {}
    try:
        reference = incidents.report_incident(
            db,
            account,
            occurred_at=dt.datetime.combine(day, time, tzinfo=LONDON),
            category=category,
            description=description,
            premises=site,
            latitude=clicked.get("lat"),
            longitude=clicked.get("lng"),
            loss_gbp=loss,
            prevented=prevented,
            police_reference=police_reference,
        )
    except ReportRejectedError as error:
        st.error("The report was not saved. Please change:")
        for problem in error.problems:
            st.markdown(f"- {escape_markdown(problem)}")
    except (GeoInputError, PermissionError) as error:  # refused role, database unavailable
        st.error(escape_markdown(error))
    else:
        st.success(f"Saved. Your reference is **{escape_markdown(reference)}**.")

st.subheader("Add an update to a report")
visible = auth.run_or_stop(incidents.visible_incidents, db, account)
if visible.empty:
    st.caption("No reports yet.")
    st.stop()
with st.form("update"):
    reference = st.selectbox("Report", visible["reference"].tolist(), key="update_reference")
    note = st.text_area("Update", max_chars=5000, key="update_note")
    new_police_reference = st.text_input(
        "New police reference (leave blank to keep)", key="update_police_reference"
    )
    update_submitted = st.form_submit_button("Add update")
if update_submitted:
    changes = {"police_reference": new_police_reference} if new_police_reference else {}
    written = auth.run_or_stop(
        incidents.add_update, db, account, reference, note=note, changes=changes
    )
    st.success(f"Added {written} update(s) to {escape_markdown(reference)}; edits are audited.")
