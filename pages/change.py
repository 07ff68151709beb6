"""Hotspot change: two periods side by side, a change map and the class of each hotspot."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo import caveats, timeseries
from geo.hotspots import change
from geo.maps.hotspot import build_change_map
from geo.safety import escape_markdown
from pages import common, mapview

selection = common.require_selection()
st.title(f"Hotspot change: {escape_markdown(selection.label)}")
summary, _ = common.data_quality(selection)
months = timeseries.month_range(summary["first_month"], summary["last_month"])
available = [m for m in months if m not in set(common.missing_months(selection))]
if len(available) < 2:
    st.warning("This dataset has fewer than two months with data: nothing to compare.")
    st.stop()

default_before, default_after = change.default_periods(available)
left, right = st.columns(2)
before = left.select_slider(
    "Earlier period", options=months, value=default_before, key="before", bind="query-params"
)
after = right.select_slider(
    "Later period", options=months, value=default_after, key="after", bind="query-params"
)
params = st.columns(2)
defaults = common.area_defaults(selection)
eps_m, min_samples = common.hotspot_settings(params[0], params[1], defaults)


@st.cache_data(show_spinner="Comparing periods…", max_entries=16)
def compare(
    selection: common.Selection, before: tuple, after: tuple, eps_m: float, min_samples: int
) -> change.PeriodChange:
    """Cached :func:`geo.change.period_change` (plain-value keys)."""
    return change.period_change(
        common.incidents(selection, all_months=True),
        before,
        after,
        eps_m=eps_m,
        min_samples=min_samples,
        study_area=common.outline(selection),
        gazetteer=common.gazetteer(),
    )


result = common.stop_on_input_error(compare, selection, before, after, eps_m, min_samples)
table = result.hotspots

sides = st.columns(2)
for column, label, n, n_months, per_month, span in (
    (
        sides[0],
        "Earlier",
        result.incidents_before,
        result.months_before,
        result.per_month_before,
        before,
    ),
    (sides[1], "Later", result.incidents_after, result.months_after, result.per_month_after, after),
):
    column.markdown(f"**{label} period: {span[0]} to {span[1]}**")
    metrics = column.columns(2)
    metrics[0].metric(f"Incidents ({label.lower()})", f"{n:,}")
    metrics[1].metric(
        f"Per month ({label.lower()})",
        "n/a" if per_month is None else f"{per_month:,.1f}",
        help=f"{n_months} month(s) with data; months without data are left out.",
    )
    key = "n_before" if label == "Earlier" else "n_after"
    top = table.sort_values(key, ascending=False).head(5)
    column.dataframe(top[["rank", "name", key]], hide_index=True, width="stretch")

st.subheader("Change map")
period_months = result.cells.attrs.get("period_months", 1)
st.caption(
    "Grid cells coloured by their sfhotspot class over both periods (Gi* per "
    f"{'month' if period_months == 1 else f'{period_months} months with data'}, Holm "
    "correction); the tooltip gives the change in incidents."
)
layers = {
    "boundaries": common.boundaries(selection.dataset),
    "gazetteer": common.gazetteer(),
    "streets": common.street_labels(selection),
}
mapview.show_map(
    lambda: build_change_map(result.cells, **layers),
    view=(selection, before, after, eps_m, min_samples),
    key="change_map",
    height=520,
)

st.subheader("Hotspots: persistent, emerging, former or intermittent")
classes = result.class_counts()
st.altair_chart(
    alt.Chart(classes).mark_bar().encode(x="hotspots:Q", y=alt.Y("class:N", sort="-x")),
    width="stretch",
)
shown = pd.DataFrame(table.drop(columns="geometry"))[
    [
        "rank",
        "name",
        "classification",
        "n_before",
        "n_after",
        "change",
        "per_month_before",
        "per_month_after",
        "rate_change",
    ]
]
common.show_table(shown, width="stretch")
st.download_button(
    "Hotspot change (CSV)",
    common.table_csv(shown),
    "hotspot-change.csv",
    mime="text/csv",
    on_click="ignore",
)
st.caption(caveats.MISSING_MONTHS + " " + caveats.LOCATION_ANONYMISATION)
