"""Overview: headline figures, monthly trend, categories and data quality."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo import caveats, timeseries
from geo.hotspots import peaktimes
from geo.maps.hotspot import build_hotspot_map
from geo.safety import csv_bytes, escape_markdown
from pages import common, mapview, national

selection = common.require_selection(all_forces=True)
if common.is_national(selection.dataset) and selection.force is None:
    national.show_overview(selection)
    st.stop()
frame = common.incidents(selection)
counts = common.monthly(selection)
in_range = common.monthly_in_view(selection)

st.title(f"Overview: {escape_markdown(selection.label)}")
st.caption(
    f"{selection.first_month} to {selection.last_month} · "
    f"{', '.join(selection.categories) if selection.categories else 'all categories'}"
)

yoy = timeseries.year_on_year(counts, selection.first_month, selection.last_month)
found, no_hotspots = common.default_hotspots(selection)
kpi = st.columns(5)
kpi[0].metric("Incidents", f"{len(frame):,}")
if yoy.months_compared and yoy.previous > 0:
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
        "Change on a year earlier",
        "n/a",
        help="No month in range has incidents a year earlier to compare with",
    )
if found is not None:
    kpi[2].metric(
        "Hotspots",
        f"{len(found.hotspots):,}",
        help=f"DBSCAN, eps {found.eps_m:.0f} m, at least {found.min_samples} incidents",
    )
    kpi[3].metric("Incidents in hotspots", f"{found.share_in_hotspots:.0%}")
    kpi[4].metric(
        "Area covered",
        f"{common.covered_area_ha(found):,.1f} ha",
        help="Area of the hotspots together (overlaps counted once)",
    )
else:
    kpi[2].metric("Hotspots", "0", help=no_hotspots)

st.subheader("Monthly trend")
st.vega_lite_chart(spec=common.monthly_chart(in_range), width="stretch")
gaps = in_range.loc[in_range["count"].isna(), "month"].tolist()
if gaps:
    st.caption(f"Gaps: no data for {timeseries.month_ranges(gaps)}. " + caveats.MISSING_MONTHS)

if found is not None and len(found.hotspots):
    st.subheader("Top 10 hotspots")
    top = found.hotspots.head(10)
    left, right = st.columns([3, 2])
    common.show_table(
        top[["rank", "name", "incidents", "share", "pai", "trend"]], left, width="stretch"
    )
    with right:
        streets = common.street_labels(selection)
        synthetic = common.is_synthetic(selection)
        mapview.show_map(
            lambda: build_hotspot_map(
                top, incident_style="none", streets=streets, synthetic=synthetic, collapsed=True
            ),
            view=selection,
            key="overview_map",
            height=320,
        )
    st.caption("Open the Hotspot explorer to change the DBSCAN settings.")

if peaktimes.has_times(frame):
    st.subheader("When: day of week and hour of day")
    by_hour = peaktimes.weekday_hour_counts(frame)
    st.vega_lite_chart(
        spec=common.weekday_hour_chart(by_hour, "incidents", "Incidents"), width="stretch"
    )
    st.caption("UK time (Europe/London) of every incident that has one.")

st.subheader("Incidents by category")
by_category = timeseries.category_counts(frame)
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
common.show_table(by_category, right, width="stretch")
right.download_button(
    "Download counts (CSV)",
    common.table_csv(by_category),
    "incidents-by-category.csv",
    mime="text/csv",
    on_click="ignore",
)

st.subheader("Data quality")
summary, rejected = common.data_quality(selection)
cols = st.columns(3)
if summary["rows_read"] is None:  # a national store records accepted rows only
    cols[0].metric("Rows in the store", f"{summary['rows_accepted']:,}")
    st.caption("Rejected rows are in the file `geo ingest --rejected` wrote for this store.")
else:
    cols[0].metric("Rows read", f"{summary['rows_read']:,}")
    cols[1].metric("Accepted", f"{summary['rows_accepted']:,}")
    cols[2].metric("Rejected", f"{summary['rows_rejected']:,}")
if summary["rejected_by_reason"]:
    reasons = pd.DataFrame(summary["rejected_by_reason"].items(), columns=["reason", "rows"])
    common.show_table(reasons)
    st.download_button(
        "Download rejected rows with reasons (CSV)",
        csv_bytes(rejected),
        f"{selection.dataset}-rejected.csv",
        mime="text/csv",
        on_click="ignore",
    )
for source, months in summary["months_missing"].items():
    if months:
        st.warning(
            f"{source}: no data for {len(months)} month(s) ({timeseries.month_ranges(months)}). "
            "They are gaps, not zeros."
        )
first_note, *more_notes = common.data_caveats(selection)
st.info(first_note)
if more_notes:
    st.caption(" ".join(more_notes))
