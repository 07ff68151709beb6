"""Patrol planner: forecast next month's hotspots, allocate Koper-style visits, export.

Thin page: widgets, cached calls into ``geo`` (keyed on the frozen sidebar selection and
plain values) and rendering.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo import caveats
from geo.hotspots import peaktimes
from geo.io import store
from geo.io.datasets import DATA_DIR
from geo.io.pings import read_patrols
from geo.maps.plan import build_plan_map
from geo.patrols.synthetic import PINGS_FILE
from geo.planning import briefing, compliance, exports, forecast, planner
from geo.safety import escape_markdown
from pages import common, mapview

METHODS = {
    "both": "Recent months + same month last year",
    "recent": "Recent months only",
    "seasonal": "Same month last year only",
}
DEMO_DATASET = "torbay"


# ---------------------------------------------------------------- cached calls into geo


def _history(selection: common.Selection):
    """Every month up to the last selected month (the forecast's training data)."""
    frame = common.incidents(selection, all_months=True)
    return store.filter_incidents(frame, (None, selection.last_month))


@st.cache_data(show_spinner="Forecasting next month…", max_entries=16)
def run_forecast(
    selection: common.Selection, method: forecast.ForecastMethod, units: forecast.UnitSpec
) -> forecast.Forecast:
    """Cached :func:`geo.forecast.forecast_next` for the selection."""
    return forecast.forecast_next(
        _history(selection),
        method=method,
        units=units,
        missing=common.missing_months(selection),
        study_area=common.outline(selection),
        gazetteer=common.gazetteer(),
    )


@st.cache_data(show_spinner="Backtesting the forecast…", max_entries=16)
def run_backtest(
    selection: common.Selection,
    method: forecast.ForecastMethod,
    units: forecast.UnitSpec,
    top_k: int,
) -> forecast.Backtest:
    """Cached :func:`geo.forecast.backtest` for the selection."""
    return forecast.backtest(
        _history(selection),
        method=method,
        units=units,
        top_k=top_k,
        missing=common.missing_months(selection),
        study_area=common.outline(selection),
    )


@st.cache_data(max_entries=32)
def run_plan(
    selection: common.Selection,
    method: forecast.ForecastMethod,
    units: forecast.UnitSpec,
    settings: planner.PlanSettings,
) -> planner.PatrolPlan:
    """Cached :func:`geo.planner.plan_patrols` on the cached forecast."""
    return planner.plan_patrols(run_forecast(selection, method, units).table, settings)


@st.cache_data(max_entries=16)
def run_peak_times(
    selection: common.Selection, method: forecast.ForecastMethod, units: forecast.UnitSpec
) -> pd.DataFrame | None:
    """Cached :func:`geo.peaktimes.peak_times` for the forecast hotspots."""
    table = run_forecast(selection, method, units).table
    return peaktimes.peak_times(_history(selection), table)


@st.cache_data(show_spinner="Reading the synthetic patrols…", max_entries=1)
def synthetic_pings() -> pd.DataFrame:
    """The SYNTHETIC Torbay demo pings, validated as the coverage page and CLI read them."""
    return read_patrols([DATA_DIR / "synthetic" / PINGS_FILE]).rows


@st.cache_data(max_entries=16)
def run_compliance(
    selection: common.Selection,
    method: forecast.ForecastMethod,
    units: forecast.UnitSpec,
    settings: planner.PlanSettings,
) -> compliance.PlanComparison:
    """Cached :func:`geo.compliance.compare_plan_period` against the synthetic patrols."""
    plan = run_plan(selection, method, units, settings)
    return compliance.compare_plan_period(plan, synthetic_pings())


# ---------------------------------------------------------------- page

selection = common.require_selection()
st.title(f"Patrol planner: {escape_markdown(selection.label)}")
st.caption(
    f"Forecast from every month up to {selection.last_month} · "
    f"{', '.join(selection.categories) if selection.categories else 'all categories'}"
)

with st.expander("Forecast settings", expanded=False):
    left, middle, right = st.columns(3)
    method_kind = left.radio(
        "Forecast method", list(METHODS), format_func=METHODS.get, key="planner_method"
    )
    defaults = common.area_defaults(selection)
    eps_m, min_samples = common.hotspot_settings(middle, middle, defaults, key_prefix="planner_")
    top_k = right.number_input("Hotspots scored in the backtest", 1, 50, 10, key="planner_top_k")
method = common.stop_on_input_error(forecast.ForecastMethod, method_kind)
unit_spec = common.stop_on_input_error(
    forecast.UnitSpec, "hotspots", float(eps_m), int(min_samples)
)
predicted = common.stop_on_input_error(run_forecast, selection, method, unit_spec)
target_day = dt.date.fromisoformat(f"{predicted.target}-01")

st.subheader("Resources")
defaults = planner.PlanSettings()  # the same defaults as `python -m geo plan`
cols = st.columns(4)
basis = cols[0].radio("Hours given", ["per day", "per week"], key="planner_basis")
hours = cols[0].number_input(
    f"Patrol hours for hotspots {basis}",
    0.5,
    500.0,
    defaults.hours_per_day,
    step=0.5,
    key="planner_hours",
)
units = cols[1].number_input("Units on shift", 1, 20, defaults.units, key="planner_units")
minutes_per_visit = cols[1].slider(
    "Minutes per visit (Koper 10-16)",
    10,
    16,
    int(defaults.minutes_per_visit),
    key="planner_minutes",
)
shift_start = cols[2].time_input(
    "Shift starts", dt.time.fromisoformat(defaults.shift_start), key="planner_shift_start"
)
shift_end = cols[2].time_input(
    "Shift ends", dt.time.fromisoformat(defaults.shift_end), key="planner_shift_end"
)
busiest = planner.busiest_peak(
    common.incidents(selection), f"{shift_start:%H:%M}", f"{shift_end:%H:%M}"
)
from_times = busiest is not None and cols[3].toggle(
    "Peak from the incidents' times",
    value=True,
    key="planner_peak_from_times",
    help=f"The {planner.PEAK_HOURS} hours of the shift with the most incidents in the "
    "selected months (UK time).",
)
if from_times:
    peak_start, peak_end = (dt.time.fromisoformat(clock) for clock in busiest)
    cols[3].caption(
        f"Peak {busiest[0]}-{busiest[1]}: the {planner.PEAK_HOURS} hours of the shift with "
        "the most incidents."
    )
else:
    peak_start = cols[3].time_input(
        "Peak starts", dt.time.fromisoformat(defaults.shift_start), key="planner_peak_start"
    )
    peak_end = cols[3].time_input(
        "Peak ends", dt.time.fromisoformat(defaults.shift_end), key="planner_peak_end"
    )
more = st.columns(4)
patrol_mode = more[0].radio(
    "Patrol travels",
    planner.PATROL_MODES,
    index=planner.PATROL_MODES.index(defaults.patrol_mode),
    format_func={"foot": "on foot (5 km/h)", "vehicle": "by vehicle"}.get,
    key="planner_mode",
    help="Travel time between hotspots comes from the distance between them.",
)
vehicle_kmh = more[0].number_input(
    "Vehicle speed (km/h)",
    5,
    60,
    int(defaults.vehicle_kmh),
    key="planner_vehicle_kmh",
    disabled=patrol_mode == "foot",
)
max_hotspots = more[1].number_input(
    "Most hotspots in the plan", 1, 50, defaults.max_hotspots, key="planner_max"
)
seed = more[2].number_input("Random order seed", 0, 10_000, defaults.seed, key="planner_seed")
plan_date = more[3].date_input("Plan for", target_day, key="planner_date")

hours_per_day = (
    float(hours) if basis == "per day" else planner.hours_per_day_from_week(float(hours))
)
settings = common.stop_on_input_error(
    planner.PlanSettings,
    hours_per_day=hours_per_day,
    units=int(units),
    shift_start=f"{shift_start:%H:%M}",
    shift_end=f"{shift_end:%H:%M}",
    peak_start=f"{peak_start:%H:%M}",
    peak_end=f"{peak_end:%H:%M}",
    minutes_per_visit=float(minutes_per_visit),
    patrol_mode=patrol_mode,
    vehicle_kmh=float(vehicle_kmh),
    max_hotspots=int(max_hotspots),
    seed=int(seed),
    plan_date=plan_date,
)
plan = common.stop_on_input_error(run_plan, selection, method, unit_spec, settings)

st.subheader(f"Plan for {plan.capacity.shift[0]:%a %d %b %Y}")
kpi = st.columns(4)
kpi[0].metric("Hotspots in plan", f"{len(plan.plan)}")
kpi[1].metric("Visits per day", f"{plan.visits_per_day}")
kpi[2].metric(
    "Hours on site per day",
    f"{plan.hours_on_site:.2f}",
    help=f"of {hours_per_day:.2f} h available",
)
kpi[3].metric("Forecast month", predicted.target)
for note in plan.notes:
    st.warning(escape_markdown(note))
table = exports.plan_frame(plan)
common.show_table(table, width="stretch")
streets = common.street_labels(selection)
mapview.show_map(
    lambda: build_plan_map(plan.plan, streets=streets),
    view=None,  # the plan follows this user's many settings
    key="planner_map",
    height=460,
)
st.caption(
    "Visits are 10-16 minutes in random order (Koper 1995; Sacramento 2014), each hotspot "
    "at least every 2 hours in the peak where the hours allow, shared in proportion to "
    "forecast risk. Each unit patrols one compact group of hotspots; travel time between "
    "them comes from the distance and is not counted as hotspot time."
)
with st.expander("Visit schedule by unit"):
    schedule = plan.schedule.assign(
        start=plan.schedule["start"].dt.strftime("%H:%M"),
        end=plan.schedule["end"].dt.strftime("%H:%M"),
    )
    common.show_table(schedule, width="stretch")

st.subheader("Exports")
stem = f"patrol-plan-{selection.dataset}-{plan.capacity.shift[0]:%Y-%m-%d}"
downloads = st.columns(6)
downloads[0].download_button(
    "Plan (CSV)", exports.plan_csv(plan), f"{stem}.csv", "text/csv", on_click="ignore"
)
downloads[1].download_button(
    "Schedule (CSV)",
    exports.schedule_csv(plan),
    f"{stem}-schedule.csv",
    "text/csv",
    on_click="ignore",
)
downloads[2].download_button(
    "Plan (GeoJSON)",
    exports.plan_geojson(plan),
    f"{stem}.geojson",
    "application/geo+json",
    on_click="ignore",
)
downloads[3].download_button(
    "Waypoints (GPX)",
    exports.plan_gpx(plan),
    f"{stem}.gpx",
    "application/gpx+xml",
    on_click="ignore",
)
title = f"Patrol briefing: {selection.label}"
printed_base = common.static_base(selection)
downloads[4].download_button(
    "Briefing (HTML)",
    lambda: briefing.briefing_html(plan, title, base=printed_base),
    f"{stem}.html",
    "text/html",
    on_click="ignore",
)
downloads[5].download_button(
    "Briefing (PDF)",
    lambda: briefing.briefing_pdf(plan, title, base=printed_base),
    f"{stem}.pdf",
    "application/pdf",
    on_click="ignore",
)

st.subheader("When incidents happen")
peaks = run_peak_times(selection, method, unit_spec)
if peaks is None:
    st.info("Times of day are not available for these data. " + caveats.MONTH_ONLY)
else:
    ids = plan.plan["hotspot_id"].tolist()
    names = dict(zip(plan.plan["hotspot_id"], plan.plan["name"], strict=True))
    chosen = st.selectbox("Hotspot", ids, format_func=names.get, key="planner_peak_hotspot")
    grid = peaks[peaks["hotspot_id"] == chosen].assign(
        weekday=lambda f: f["weekday"].map(dict(enumerate(peaktimes.WEEKDAYS)))
    )
    st.vega_lite_chart(
        spec=common.weekday_hour_chart(grid, "incidents", "Incidents"), width="stretch"
    )
    busiest = peaktimes.busiest_hours(peaks[peaks["hotspot_id"].isin(ids)])
    if busiest:
        st.caption(
            f"Busiest 6 hours in the planned hotspots: {busiest[0]:02d}:00-{busiest[1]:02d}:00."
        )

st.subheader("How good is the forecast?")
tested = common.stop_on_input_error(run_backtest, selection, method, unit_spec, int(top_k))
summary = tested.summary()
if tested.months.empty:
    st.info("No month pair with data on both sides could be scored.")
else:
    cols = st.columns(3)
    cols[0].metric("Months scored", f"{len(tested.months)}")
    cols[1].metric(
        f"Hit rate, top {tested.top_k}",
        f"{summary['hit_rate_mean']:.0%}",
        help=f"range {summary['hit_rate_min']:.0%} to {summary['hit_rate_max']:.0%}",
    )
    cols[2].metric(
        "PAI",
        f"{summary['pai_mean']:.1f}",
        help=f"range {summary['pai_min']:.1f} to {summary['pai_max']:.1f}",
    )
    st.dataframe(
        tested.benchmark_comparison(),
        hide_index=True,
        column_config={
            column: st.column_config.NumberColumn(format="%.0f" if "%" in column else "%.1f")
            for column in (
                "Hit rate, forecast (%)",
                "Hit rate, benchmark (%)",
                "PAI, forecast",
                "PAI, benchmark",
            )
        },
    )
    st.caption(
        f"{tested.benchmark_sentence()} Benchmarks pick the top {tested.top_k} hotspots by "
        "last month's incidents, or by the same month a year earlier, on the same months."
    )
    st.caption(
        f"Each month's forecast scored on the month that followed. Hit rate ranged "
        f"{summary['hit_rate_min']:.0%}-{summary['hit_rate_max']:.0%}, PAI "
        f"{summary['pai_min']:.1f}-{summary['pai_max']:.1f}. Hit rate = share of next "
        "month's incidents inside the top hotspots; PAI = hit rate / share of the area "
        "(1 = no better than chance). Hotspots are found on the 12 months before each "
        "forecast only."
    )
    common.show_table(tested.months, width="stretch")
if not tested.skipped.empty:
    with st.expander(f"{len(tested.skipped)} month pair(s) not scored"):
        common.show_table(tested.skipped, width="stretch")
        st.caption(caveats.MISSING_MONTHS)

st.subheader("Plan against delivered patrols")
if selection.dataset != DEMO_DATASET:
    st.info(
        "Delivered patrols can be compared with the plan for the Torbay demo, whose patrol "
        "tracks are synthetic; no real GPS data is public."
    )
else:
    st.warning(caveats.SYNTHETIC_PATROLS)
    compared = common.stop_on_input_error(run_compliance, selection, method, unit_spec, settings)
    if compared.table is None:
        st.info(compared.message)
    else:
        st.caption(compared.message)
        common.show_table(compared.table, width="stretch")
    st.caption(
        "Planned = the plan's daily dosage x shifts; delivered = patrol-minutes with at least "
        "one unit inside the hotspot and visits (re-entries within 2 minutes merged), "
        "measured from the SYNTHETIC pings by the patrol coverage module."
    )
