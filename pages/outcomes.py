"""Record an outcome (arrest, CBO, ...) against one or more reports."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.partners import config, incidents, outcomes
from geo.partners.models import LONDON
from geo.safety import escape_markdown
from pages import auth

account = auth.require_role("outcomes")
db = auth.database()
st.title("Record an outcome")

visible = auth.run_or_stop(incidents.visible_incidents, db, account)
if visible.empty:
    st.info("No reports yet.")
    st.stop()
labels = {
    row.reference: f"{row.reference} · {row.occurred_at:%d %b %Y %H:%M} · {row.category} · "
    f"{row.organisation}"
    for row in visible.itertuples()
}
today = dt.datetime.now(LONDON).date()
with st.form("outcome"):
    chosen = st.multiselect(
        "Reports", list(labels), format_func=labels.get, key="outcome_references"
    )
    kind = st.selectbox("Outcome", config.OUTCOME_KINDS, key="outcome_kind")
    decided_on = st.date_input("Date", value=today, max_value=today, key="outcome_date")
    note = st.text_area("Note for the partnership", max_chars=5000, key="outcome_note")
    submitted = st.form_submit_button("Record outcome")
if submitted:
    auth.run_or_stop(
        outcomes.record_outcome, db, account, kind, chosen, decided_on=decided_on, note=note
    )
    st.success(
        f"Recorded {escape_markdown(kind)} against {escape_markdown(', '.join(chosen))}; "
        "the reporting partners see it in their good-news feed."
    )
