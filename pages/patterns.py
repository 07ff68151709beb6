"""Times and repeats on timestamped reports: hour of week, repeat locations, near repeats.

police.uk data has months only, so these run on partner reports; the page says why when
the chosen data cannot be used.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.partners import incidents, repetition
from geo.safety import escape_markdown
from pages import auth, common

PARTNER, POLICE = "Partner reports", "police.uk (Torbay)"

account = auth.require_role("patterns")
db = auth.database()
st.title("Times and repeats")

source = st.radio("Data", [PARTNER, POLICE], horizontal=True, key="patterns_source")
if source == PARTNER:
    frame = auth.run_or_stop(incidents.as_incident_frame, db, account)
else:
    frame = common.dataset_incidents("torbay")
reason = repetition.timing_unavailable(frame)
if reason:
    st.info(f"These analyses cannot run on {escape_markdown(source)}: {escape_markdown(reason)}.")
    st.stop()
if frame.empty:
    st.info("No reports yet.")
    st.stop()

st.subheader("Hour of the week (aoristic)")
profile = repetition.aoristic_hour_of_week(frame["occurred_at"])
st.vega_lite_chart(spec=common.weekday_hour_chart(profile, "weight", "Incidents"), width="stretch")

st.subheader(
    f"Repeat locations: premises with 3 or more incidents in {repetition.REPEAT_DAYS} days"
)
repeats = repetition.repeat_locations(frame, dt.datetime.now(dt.UTC))
st.dataframe(repeats, hide_index=True)

st.subheader("Near repeats (Knox test, 99 permutations)")
st.caption(
    "Pairs of incidents close in space and time, against the same places with their times "
    "shuffled. Ratios above 1 with p below 0.05 suggest near repeats (after Ratcliffe's "
    "Near Repeat Calculator)."
)
knox = auth.run_or_stop(repetition.knox_test_frame, frame)
st.markdown("**Observed / expected pairs**")
st.dataframe(knox.ratio.round(2))
st.markdown("**p-values**")
st.dataframe(knox.p_value.round(3))
st.markdown("**Observed pairs**")
st.dataframe(knox.observed)
