"""Overview: headline figures, monthly trend, categories and data coverage."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo import caveats, timeseries
from pages import common

selection = common.require_selection()
frame = common.incidents(selection)
counts = common.monthly(selection)
in_range = counts[counts["month"].between(selection.first_month, selection.last_month)]

st.title(f"Overview: {selection.label}")
st.caption(
    f"{selection.first_month} to {selection.last_month} · "
    f"{', '.join(selection.categories) if selection.categories else 'all categories'}"
)

yoy = timeseries.year_on_year(counts, selection.first_month, selection.last_month)
kpi = st.columns(4)
kpi[0].metric("Incidents", f"{len(frame):,}")
if yoy.months_compared:
    kpi[1].metric(
        "Change on a year earlier",
        f"{yoy.percent_change:+.0f}%",
        help=f"{yoy.current:,.0f} against {yoy.previous:,.0f} in the same "
        f"{len(yoy.months_compared)} calendar month(s) a year earlier, months with data only",
        delta_color="inverse",
        delta=f"{yoy.current - yoy.previous:+,.0f}",
    )
else:
    kpi[1].metric(
        "Change on a year earlier", "n/a", help="No month in range has data a year earlier"
    )
kpi[2].metric("Months with data", f"{in_range['count'].notna().sum()} of {len(in_range)}")
kpi[3].metric("Categories", f"{frame['category'].nunique()}")

st.subheader("Monthly trend")
chart = (
    alt.Chart(in_range)
    .mark_line(point=True)
    .encode(
        x=alt.X("month:O", title="Month"),
        y=alt.Y("count:Q", title="Incidents"),
        tooltip=["month", "count"],
    )
)
st.altair_chart(chart, width="stretch")
gaps = in_range.loc[in_range["count"].isna(), "month"].tolist()
if gaps:
    st.caption(
        f"Gaps are months with no published data ({', '.join(gaps)}), not zero. "
        + caveats.MISSING_MONTHS
    )

st.subheader("Incidents by category")
by_category = frame["category"].value_counts().rename_axis("category").reset_index(name="incidents")
left, right = st.columns([3, 2])
left.altair_chart(
    alt.Chart(by_category)
    .mark_bar()
    .encode(
        x=alt.X("incidents:Q"),
        y=alt.Y("category:N", sort="-x", title=None),
        tooltip=["category", "incidents"],
    ),
    width="stretch",
)
right.dataframe(by_category, hide_index=True, width="stretch")
right.download_button(
    "Download counts (CSV)",
    by_category.to_csv(index=False),
    "incidents-by-category.csv",
    mime="text/csv",
    on_click="ignore",
)

st.subheader("Data coverage")
summary, rejected = common.coverage(selection)
cols = st.columns(3)
cols[0].metric("Rows read", f"{summary['rows_read']:,}")
cols[1].metric("Accepted", f"{summary['rows_accepted']:,}")
cols[2].metric("Rejected", f"{summary['rows_rejected']:,}")
if summary["rejected_by_reason"]:
    reasons = pd.DataFrame(summary["rejected_by_reason"].items(), columns=["reason", "rows"])
    st.dataframe(reasons, hide_index=True)
    st.download_button(
        "Download rejected rows with reasons (CSV)",
        rejected.to_csv(index=False),
        f"{selection.dataset}-rejected.csv",
        mime="text/csv",
        on_click="ignore",
    )
for force, months in summary["months_missing"].items():
    if months:
        st.warning(
            f"{force}: no data for {len(months)} month(s) ({', '.join(months)}). "
            "They are gaps, not zeros."
        )
st.info(caveats.LOCATION_ANONYMISATION)
st.caption(caveats.MONTH_ONLY + " " + caveats.ASB_IS_NOT_CRIME)
