"""Patrol coverage: did hotspot funding change where, how often and how long patrols go?

Thin page: widgets, cached calls into ``geo.coverage`` and rendering. Caches are keyed on
plain values (file bytes, dates, numbers, the frozen sidebar selection), never on
GeoDataFrames.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import caveats
from geo.checks import GeoInputError
from geo.io.datasets import DATA_DIR
from geo.io.pings import PatrolRead, read_patrols
from geo.maps.coverage import build_coverage_map
from geo.patrols import dosage as coverage
from geo.patrols import synthetic
from geo.patrols.measure import Coverage, dosage_headline, measure_coverage
from geo.patrols.summaries import (
    KOPER_LABEL,
    VISIT_LENGTH_LABELS,
    demand_by_hour,
    dosage_change,
    hour_of_day_profile,
    patrol_density,
    visit_length_shares,
    weekly_coverage,
)
from geo.safety import csv_bytes, escape_markdown
from pages import common, mapview

SYNTHETIC_DIR = DATA_DIR / "synthetic"
DEMO_DATASET = "torbay"
ROLES = (coverage.ALL_ROLES, "police", "pcso", "marshal")
DBSCAN, ZONES = "dbscan", "zones"
Files = tuple[tuple[str, bytes], ...]


# ---------------------------------------------------------------- cached calls into geo


@st.cache_data(show_spinner="Reading patrol pings…", max_entries=2)
def patrols(files: Files, max_gap_min: float) -> PatrolRead:
    """Uploaded ping CSV / GPX files, or the SYNTHETIC demo when there are none.

    Both are validated by :func:`geo.patrols.read_patrols`, as the CLI does, so the page
    shows the same counts and flags; ``max_gap_min`` sets the "long gap" flags.
    """
    if not files:
        return read_patrols([SYNTHETIC_DIR / synthetic.PINGS_FILE], max_gap_min=max_gap_min)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, (name, data) in enumerate(files):
            # One folder per file keeps the uploaded name (the rows' `source`) unique.
            path = Path(folder) / str(index) / common.safe_file_name(name, "pings.csv")
            path.parent.mkdir()
            path.write_bytes(data)
            paths.append(path)
        return read_patrols(paths, max_gap_min=max_gap_min)


@st.cache_data(max_entries=8)
def patrol_days(files: Files, max_gap_min: float) -> tuple[dt.date, dt.date] | None:
    """First and last local day with pings (None when no ping was accepted)."""
    return patrols(files, max_gap_min).days()


@st.cache_data(show_spinner="Finding hotspots…", max_entries=16)
def hotspot_polygons(
    selection: common.Selection, source: str, eps_m: float, min_samples: int, top_n: int
) -> gpd.GeoDataFrame:
    """The ``top_n`` DBSCAN hotspots of the selection, or the synthetic target zones."""
    if source == ZONES:
        return coverage.read_hotspots(SYNTHETIC_DIR / synthetic.HOTSPOTS_FILE)
    found = common.find_hotspots(selection, eps_m, min_samples)  # shared with the explorer
    return found.hotspots.sort_values("rank").head(top_n)


@st.cache_data(show_spinner="Measuring patrol coverage…", max_entries=8)
def measure(
    files: Files,
    selection: common.Selection,
    *,
    max_gap_min: float,
    hotspot_args: tuple,
    funding: dt.date,
    start: dt.date,
    end: dt.date,
    buffer_m: float,
) -> tuple[Coverage, pd.DataFrame, pd.DataFrame]:
    """Coverage tables, the weekly series and the patrol-time density grid."""
    pings = patrols(files, max_gap_min).rows
    zones = hotspot_polygons(selection, *hotspot_args)
    result = measure_coverage(
        pings, zones, funding, buffer_m=buffer_m, max_gap_min=max_gap_min, start=start, end=end
    )
    weekly = weekly_coverage(result.intervals, result.periods)
    density = patrol_density(pings, result.periods, max_gap_min=max_gap_min)
    return result, weekly, density


def percent(value: float) -> str:
    """``"30%"``, or ``"n/a"`` for a period without visits (NaN)."""
    return "n/a" if pd.isna(value) else f"{value:.0f}%"


# ---------------------------------------------------------------- inputs


selection = common.require_selection()

st.sidebar.header("Patrol coverage")
source = st.sidebar.radio(
    "Patrols",
    ["synthetic", "upload"],
    format_func={
        "synthetic": "SYNTHETIC demo patrols (Torbay)",
        "upload": "Upload ping CSV / GPX files",
    }.get,
    key="cov_source",
)
is_synthetic = source == "synthetic"
max_gap_min = st.sidebar.number_input(
    "Max gap between pings (min)",
    min_value=0.5,
    max_value=60.0,
    value=coverage.MAX_GAP_MIN,
    step=0.5,
    key="cov_max_gap",
    help="A gap between pings is bridged when the unit is in the hotspot at both ends and "
    "the gap is no longer than this.",
)
files: Files = ()
if not is_synthetic:
    uploaded = st.sidebar.file_uploader(
        "GPS pings (CSV: unit_id, timestamp, lat/lon or easting/northing; or GPX)",
        type=["csv", "gpx"],
        accept_multiple_files=True,
        key="cov_upload",
    )
    files = tuple((f.name, f.getvalue()) for f in uploaded or ())

title = "Patrol coverage: SYNTHETIC demo patrols" if is_synthetic else "Patrol coverage"
st.title(title)
st.caption(
    "Patrol time, visits and Koper-dose visits (10–16 min) in each hotspot, before and "
    "after the hotspot-policing funding date, normalised per week."
)
if is_synthetic:
    st.warning(caveats.SYNTHETIC_PATROLS, icon=":material/science:")
    if selection.dataset != DEMO_DATASET:
        st.info(
            "Demo patrols exist only for Torbay, and the sidebar shows "
            f"{escape_markdown(selection.label)}. "
            "Choose Torbay as the area, or upload your own ping CSV or GPX files."
        )
        st.stop()
elif not files:
    st.info("Upload one or more ping CSV or GPX files in the sidebar to begin.")
    st.stop()

try:
    read = patrols(files, max_gap_min)
except GeoInputError as error:
    st.error(f"These patrol files cannot be used. {escape_markdown(error)}")
    st.stop()
file_tag = "-synthetic" if is_synthetic else ""
checks_title = "Patrol file checks (SYNTHETIC demo pings)" if is_synthetic else "Patrol file checks"
with st.expander(checks_title, expanded=not read.rejected.empty):
    cols = st.columns(3)
    cols[0].metric("Pings read", f"{read.read:,}")
    cols[1].metric("Accepted", f"{len(read.rows):,}")
    cols[2].metric("Rejected", f"{len(read.rejected):,}")
    if not read.rejected.empty:
        st.download_button(
            "Download rejected rows with reasons (CSV)",
            csv_bytes(read.rejected),
            f"patrol-pings{file_tag}-rejected.csv",
            mime="text/csv",
            on_click="ignore",
        )
    if not read.flags.empty:
        st.caption("Kept but flagged (check these pings):")
        st.dataframe(read.flag_counts(), hide_index=True)
        st.download_button(
            "Download flagged pings (CSV)",
            csv_bytes(read.flags),
            f"patrol-pings{file_tag}-flagged.csv",
            mime="text/csv",
            on_click="ignore",
        )
days = patrol_days(files, max_gap_min)
if days is None:
    st.error("No ping was accepted from these files; see the rejected rows above.")
    st.stop()

first_day, last_day = days
if first_day == last_day:
    st.error(
        f"All pings are on {first_day}: a before/after comparison needs pings on at least two days."
    )
    st.stop()
defaults = common.area_defaults(selection)
# The SYNTHETIC patrols were generated around their own funding date.
wanted_funding = synthetic.FUNDING_DATE if source == "synthetic" else defaults.funding_date
default_funding = min(max(wanted_funding, first_day + dt.timedelta(days=1)), last_day)
funding = st.sidebar.date_input(
    "Funding date",
    value=default_funding,
    min_value=first_day + dt.timedelta(days=1),
    max_value=last_day,
    key="cov_funding",
    help=defaults.funding_note
    if source != "synthetic"
    else "The SYNTHETIC patrols change on 1 June 2024, when Street Focus Torquay started.",
)
window_start = st.sidebar.date_input(
    "Before window from",
    value=first_day,
    min_value=first_day,
    max_value=last_day,
    key="cov_start",
)
window_last = st.sidebar.date_input(
    "After window to (last day)",
    value=last_day,
    min_value=first_day,
    max_value=last_day,
    key="cov_end",
)
role = st.sidebar.selectbox(
    "Role",
    ROLES,
    format_func=lambda r: "All roles" if r == coverage.ALL_ROLES else r,
    key="cov_role",
)
buffer_m = st.sidebar.number_input(
    "Hotspot buffer (m)", min_value=0.0, max_value=200.0, value=0.0, step=5.0, key="cov_buffer"
)
hotspot_sources = {DBSCAN: "DBSCAN hotspots of the selection"}
if selection.dataset == DEMO_DATASET:
    hotspot_sources[ZONES] = "SYNTHETIC demo target zones (5)"
hotspot_source = st.sidebar.radio(
    "Hotspots", list(hotspot_sources), format_func=hotspot_sources.get, key="cov_hotspots"
)
eps_m, min_samples, top_n = defaults.eps_m, defaults.min_samples, 0
if hotspot_source == DBSCAN:
    eps_m, min_samples = common.hotspot_settings(
        st.sidebar, st.sidebar, defaults, key_prefix="cov_"
    )
    top_n = st.sidebar.number_input(
        "Hotspots analysed (top by incidents)",
        min_value=1,
        max_value=500,
        value=20,
        step=1,
        key="cov_top_n",
    )

# ---------------------------------------------------------------- results

try:
    result, weekly, density = measure(
        files,
        selection,
        max_gap_min=float(max_gap_min),
        hotspot_args=(hotspot_source, float(eps_m), int(min_samples), int(top_n)),
        funding=funding,
        start=window_start,
        end=window_last + dt.timedelta(days=1),
        buffer_m=float(buffer_m),
    )
except GeoInputError as error:
    st.error(f"Coverage cannot be measured. {escape_markdown(error)}")
    st.stop()

change = dosage_change(result.table, role)
if change.empty:
    st.warning(f"No {role} patrol time in these hotspots in the chosen windows.")
    st.stop()

synthetic_tag = " (SYNTHETIC patrols)" if is_synthetic else ""
role_text = "all roles" if role == coverage.ALL_ROLES else role
headline = dosage_headline(result, role)
before_weeks, after_weeks = headline.weeks_before, headline.weeks_after
st.caption(
    f"{len(result.zones)} hotspots · {role_text} · before {window_start} to "
    f"{funding - dt.timedelta(days=1)} ({before_weeks:.1f} weeks) · after {funding} to "
    f"{window_last} ({after_weeks:.1f} weeks) · buffer {buffer_m:g} m · max gap "
    f"{max_gap_min:g} min"
)

kpi = st.columns(4)
kpi[0].metric(
    "Patrol min/week in hotspots",
    f"{headline.patrol_min_per_week_after:,.0f}",
    delta=f"{headline.patrol_min_per_week_after - headline.patrol_min_per_week_before:+,.0f} "
    f"on {headline.patrol_min_per_week_before:,.0f} before",
    help="Minutes with at least one unit present, summed over hotspots, after the funding "
    "date; the change is against the before window.",
)
kpi[1].metric(
    "Koper visits/week (10–16 min)",
    f"{headline.koper_per_week_after:,.1f}",
    delta=f"{headline.koper_per_week_after - headline.koper_per_week_before:+,.1f} "
    f"on {headline.koper_per_week_before:,.1f} before",
)
kpi[2].metric(
    "Hotspots with more patrol", f"{headline.hotspots_with_more_patrol} of {headline.hotspots}"
)
share_before, share_after = (
    headline.share_in_hotspots_before_pct,
    headline.share_in_hotspots_after_pct,
)
kpi[3].metric(
    "Share of patrol time in hotspots",
    "n/a" if share_after is None else f"{share_after:.0f}%",
    delta=None
    if share_after is None or share_before is None
    else (f"{share_after - share_before:+.1f} pts on {share_before:.0f}% before"),
)

if hotspot_source == DBSCAN:
    zones_hint = (
        " The SYNTHETIC patrols were planned as 10–16 minute stops in five 60 m target "
        "zones: choose “SYNTHETIC demo target zones” under Hotspots to measure the dose "
        "where it was planned."
        if is_synthetic
        else ""
    )
    st.info(
        f"**Reading the Koper figures.** DBSCAN hotspots are polygons around whole incident "
        f"clusters, here median {headline.hotspot_ha_median:.1f} ha, largest "
        f"{headline.hotspot_ha_max:.1f} ha. "
        "A unit that stops at several places inside one large polygon makes one long visit, "
        "and visits longer than the 10–16 minute dose are not Koper visits: "
        f"{percent(headline.long_visits_before_pct)} of visits before and "
        f"{percent(headline.long_visits_after_pct)} after lasted 16 minutes or more. Koper "
        f"visits per week went from {headline.koper_per_week_before:,.1f} to "
        f"{headline.koper_per_week_after:,.1f} while patrol time in the hotspots went from "
        f"{headline.patrol_min_per_week_before:,.0f} to "
        f"{headline.patrol_min_per_week_after:,.0f} min/week: in polygons this size they "
        "measure how long units stay, not whether 10–16 minute stops happened inside."
        f"{zones_hint}",
        icon=":material/info:",
    )

st.subheader(f"Map: change in patrol dosage{synthetic_tag}")
mapview.show_map(
    lambda: build_coverage_map(result.zones, change, density, role=role, synthetic=is_synthetic),
    view=None,  # patrol logs may be this user's upload
    key="coverage_map",
    height=520,
)
st.caption(
    "Hotspots coloured by change in patrol minutes per week (after against before); "
    "heat shows where patrol time was spent (switch periods in the layer control)."
)

st.subheader(f"Per-hotspot dosage{synthetic_tag}")
display = change.rename(
    columns={
        "hotspot_id": "Hotspot",
        "name": "Name",
        "patrol_minutes_per_week_before": "Before (min/week)",
        "patrol_minutes_per_week_after": "After (min/week)",
        "change": "Change (min/week)",
        "pct_change": "Change %",
        "visits_before": "Visits before",
        "visits_after": "Visits after",
        "koper_visits_before": "Koper visits before",
        "koper_visits_after": "Koper visits after",
        "days_visited_pct_before": "Days visited % before",
        "days_visited_pct_after": "Days visited % after",
        "dosage_class": "Change class",
    }
)
number = st.column_config.NumberColumn
st.dataframe(
    display,
    hide_index=True,
    width="stretch",
    column_config={
        "Before (min/week)": number(format="%.1f"),
        "After (min/week)": number(format="%.1f"),
        "Change (min/week)": number(format="%+.1f"),
        "Change %": number(format="%+.0f%%"),
        "Days visited % before": number(format="%.0f%%"),
        "Days visited % after": number(format="%.0f%%"),
    },
)
st.caption(
    f"Visits and Koper visits are totals over each window, and the windows differ in length "
    f"({before_weeks:.1f} weeks before, {after_weeks:.1f} after): compare them per week, "
    "as in Koper visits/week above. Minutes are already per week."
)
downloads = st.columns(2)
downloads[0].download_button(
    "Download per-hotspot dosage (CSV)",
    csv_bytes(change.assign(role=role, funding_date=str(funding))),
    f"patrol-dosage{file_tag}-{role}-{funding}.csv",
    mime="text/csv",
    on_click="ignore",
)
downloads[1].download_button(
    "Download full coverage table, every role (CSV)",
    csv_bytes(result.table),
    f"patrol-coverage{file_tag}-{funding}.csv",
    mime="text/csv",
    on_click="ignore",
)

st.subheader(f"Weekly patrol minutes in hotspots{synthetic_tag}")
shown_roles = [r for r in weekly["role"].unique() if role in (coverage.ALL_ROLES, r)]
series = weekly[weekly["role"].isin(shown_roles)].assign(
    week=lambda f: f["week_start"].dt.strftime("%Y-%m-%d")
)
lines = (
    alt.Chart(series)
    .mark_line(point=alt.OverlayMarkDef(size=12))
    .encode(
        x=alt.X("week:T", title="Week starting"),
        y=alt.Y("patrol_minutes:Q", title="Patrol minutes in hotspots"),
        color=alt.Color("role:N", title="Role", scale=alt.Scale(scheme="tableau10")),
        tooltip=["week", "role", alt.Tooltip("patrol_minutes:Q", format=",.0f")],
    )
)
funding_rule = alt.Chart(pd.DataFrame({"date": [str(funding)], "label": ["Funding"]}))
chart = (
    lines
    + funding_rule.mark_rule(color="#b2182b", strokeDash=[4, 4]).encode(x="date:T")
    + funding_rule.mark_text(align="left", dx=4, dy=-6, color="#b2182b").encode(
        x="date:T", y=alt.value(0), text="label:N"
    )
).properties(title=f"Weekly patrol minutes, {role_text}{synthetic_tag}")
st.altair_chart(chart, width="stretch")
st.caption("Weeks run from the funding date's weekday; part-weeks at the window ends are left out.")

st.subheader(f"Patrol time by hour of day{synthetic_tag}")
profile = hour_of_day_profile(result.hourly, result.periods, role).assign(
    series=lambda f: "Patrol time " + f["period"]
)
demand = demand_by_hour(common.incidents(selection))
if demand.empty:
    st.info(caveats.MONTH_ONLY + " Patrol coverage by hour is shown alone.")
else:
    profile = pd.concat([profile, demand.assign(series="Incidents (demand)")], ignore_index=True)
hour_chart = (
    alt.Chart(profile)
    .mark_line(point=True)
    .encode(
        x=alt.X("hour:O", title="Hour of day (UK time)"),
        y=alt.Y("share_pct:Q", title="% of the period's total"),
        color=alt.Color("series:N", title=None),
        tooltip=[
            "series",
            "hour",
            alt.Tooltip("share_pct:Q", format=".1f", title="%"),
            alt.Tooltip("patrol_minutes_per_week:Q", format=",.0f", title="patrol min/week"),
        ],
    )
    .properties(title=f"Share of patrol time by hour, {role_text}{synthetic_tag}")
)
st.altair_chart(hour_chart, width="stretch")

st.subheader(f"Visit lengths{synthetic_tag}")
lengths = visit_length_shares(result.visit_lengths, role)
order = list(VISIT_LENGTH_LABELS)
band = alt.Chart(pd.DataFrame({"length_min": [KOPER_LABEL], "label": ["Koper dose"]}))
bars = (
    alt.Chart(lengths)
    .mark_bar()
    .encode(
        x=alt.X("length_min:O", sort=order, title="Visit length (minutes)"),
        xOffset=alt.XOffset("period:N", sort=list(coverage.PERIODS)),
        y=alt.Y("share_pct:Q", title="% of the period's visits"),
        color=alt.Color("period:N", sort=list(coverage.PERIODS), title="Period"),
        tooltip=["period", "length_min", "visits", alt.Tooltip("share_pct:Q", format=".1f")],
    )
)
visit_chart = (
    band.mark_rect(color="#fee08b", opacity=0.5).encode(x=alt.X("length_min:O", sort=order))
    + bars
    + band.mark_text(dy=-8, color="#7f6000").encode(
        x=alt.X("length_min:O", sort=order), y=alt.value(0), text="label:N"
    )
).properties(title=f"Visit lengths, {role_text}{synthetic_tag} (10–16 min = Koper dose)")
st.altair_chart(visit_chart, width="stretch")
st.caption(
    "Koper (1995): visits of about 10–16 minutes deter most; much shorter visits do little, "
    "longer ones add little. A gap in pings no longer than the max gap is bridged when the "
    "unit is inside at both ends; entry and exit times are interpolated on the hotspot "
    "edge. Visit length depends on the hotspot's size: in a large polygon, stops at "
    f"several places join into one visit ({percent(headline.long_visits_after_pct)} of "
    "visits after the funding date lasted 16 minutes or more)."
)
