"""Impact: did incidents fall where patrols were funded, against comparison areas, and move?"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, replace

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import caveats
from geo.checks import GeoInputError
from geo.hotspots.dbscan import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES
from geo.impact import design, report
from geo.impact.evaluate import (
    ImpactResult,
    dosage_vs_change,
    evaluate,
    impact_json,
    zones_for_coverage,
)
from geo.io import datasets
from geo.patrols.measure import measure_coverage
from geo.patrols.synthetic import read_synthetic_pings
from geo.safety import escape_markdown
from geo.schema import ASB
from pages import common

DEFAULT_FUNDING = dt.date(2024, 6, 1)
DEFAULT_TREATED = "Castle Circus"
SYNTHETIC_PINGS = datasets.DATA_DIR / "synthetic" / "torbay-patrols-synthetic.parquet"
MODES = {"auto": "Suggest automatically", "hotspots": "Choose hotspots", "lsoas": "Choose LSOAs"}
# The report's colours, so page and report show each group alike.
GROUP_COLOURS = alt.Scale(domain=list(report.COLOURS), range=list(report.COLOURS.values()))


def _lsoa_counts_path(dataset: str):
    return datasets.DATA_DIR / "lsoa-counts" / f"{dataset}-lsoa-monthly-all-crime.csv"


def _outcome(selection: common.Selection) -> tuple[str, ...]:
    """The sidebar's categories, else ASB when the data have it, else everything."""
    if selection.categories:
        return selection.categories
    return (ASB,) if ASB in selection.all_categories else selection.all_categories


def hotspot_table(selection: common.Selection, outcome: tuple[str, ...]) -> gpd.GeoDataFrame:
    """DBSCAN hotspots (defaults) of the outcome in the selected months, from the shared cache."""
    return common.find_hotspots(
        replace(selection, categories=outcome), DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES
    ).hotspots


@dataclass(frozen=True)
class Choices:
    """The page's design inputs as plain values (a cache key)."""

    outcome: tuple[str, ...]
    treated_ids: tuple[str, ...]
    mode: str
    comparison_ids: tuple[str, ...]
    n_comparison: int
    buffer_m: float
    funding: str


@st.cache_data(show_spinner="Evaluating…", max_entries=16)
def run_evaluation(selection: common.Selection, choices: Choices) -> ImpactResult:
    """:func:`geo.evaluation.evaluate` on plain keys (Streamlit cannot hash GeoDataFrames)."""
    frame = common.incidents(selection, all_months=True)
    frame = frame[frame["category"].isin(choices.outcome)]
    hotspots = hotspot_table(selection, choices.outcome)
    treated = design.select_hotspots(hotspots, choices.treated_ids)
    boundaries = common.boundaries(selection.dataset)
    if choices.mode == "hotspots":
        comparison = design.select_hotspots(hotspots, choices.comparison_ids)
    elif choices.mode == "lsoas":
        comparison = design.select_lsoas(boundaries, choices.comparison_ids)
    else:
        comparison = "auto"
    lsoa = None
    if boundaries is not None and _lsoa_counts_path(selection.dataset).is_file():
        lsoa = (design.read_lsoa_monthly(_lsoa_counts_path(selection.dataset)), boundaries)
    summary, _ = common.coverage(selection)
    return evaluate(
        frame,
        treated,
        choices.funding,
        comparison=comparison,
        candidates=hotspots,
        buffer_m=choices.buffer_m,
        months=(summary["first_month"], summary["last_month"]),
        missing_months=common.missing_months(selection),
        n_comparison=choices.n_comparison,
        lsoa=lsoa,
        category="ASB" if choices.outcome == (ASB,) else " and ".join(choices.outcome),
    )


@st.cache_data(max_entries=8)
def map_image(selection: common.Selection, choices: Choices) -> bytes:
    """The study-area map as PNG."""
    return report.map_png(run_evaluation(selection, choices))


@st.cache_data(show_spinner="Measuring synthetic patrol coverage…", max_entries=8)
def patrol_dosage(selection: common.Selection, choices: Choices) -> pd.DataFrame:
    """Dosage vs change per treated/comparison hotspot from the SYNTHETIC Torbay patrols."""
    result = run_evaluation(selection, choices)
    pings = read_synthetic_pings(SYNTHETIC_PINGS)
    coverage = measure_coverage(pings, zones_for_coverage(result), result.funding_date)
    return dosage_vs_change(result, coverage.change)


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(date=pd.PeriodIndex(frame["month"], freq="M").to_timestamp())


def _line_chart(frame: pd.DataFrame, funding: str, y_title: str) -> alt.LayerChart:
    lines = (
        alt.Chart(_dates(frame))
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Month"),
            y=alt.Y("per_area:Q", title=y_title),
            color=alt.Color("group:N", scale=GROUP_COLOURS, title=None),
            detail="segment:N",
            tooltip=["month", "group", "count", "areas", alt.Tooltip("per_area:Q", format=".1f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"date": [pd.Timestamp(funding)], "label": ["funding"]}))
        .mark_rule(strokeDash=[6, 4], color="black")
        .encode(x="date:T", tooltip=["label"])
    )
    return lines + rule


# --------------------------------------------------------------------------- page

selection = common.require_selection()
outcome = _outcome(selection)
st.title(f"Impact: {escape_markdown(selection.label)}")
st.caption(
    f"Counting {', '.join(outcome)} · hotspots from {selection.first_month} to "
    f"{selection.last_month} (DBSCAN 100 m, 30 incidents)"
)

try:
    hotspots = hotspot_table(selection, outcome)
except GeoInputError as error:
    st.error(f"No hotspots to evaluate. {escape_markdown(error)}")
    st.stop()
labels = {str(row.id): f"#{row.rank} {row.name} ({row.incidents})" for row in hotspots.itertuples()}
named = [
    str(i)
    for i, n in zip(hotspots["id"], hotspots["name"], strict=True)
    if DEFAULT_TREATED.lower() in n.lower()
]

left, right = st.columns(2)
funding = left.date_input("Funding date", value=DEFAULT_FUNDING, key="impact_funding")
treated_ids = left.multiselect(
    "Treated (funded) hotspots",
    list(labels),
    default=named or list(labels)[:1],
    format_func=labels.get,
    key="impact_treated",
)
buffer_m = left.number_input(
    "Displacement buffer (m)",
    min_value=10,
    max_value=1000,
    value=100,
    step=10,
    key="impact_buffer",
)
boundaries = common.boundaries(selection.dataset)
modes = [m for m in MODES if m != "lsoas" or boundaries is not None]
mode = right.radio("Comparison areas", modes, format_func=MODES.get, key="impact_mode")
comparison_ids: list[str] = []
n_comparison = 3
if mode == "auto":
    n_comparison = right.number_input(
        "How many comparison areas", min_value=1, max_value=10, value=3, key="impact_n"
    )
elif mode == "hotspots":
    comparison_ids = right.multiselect(
        "Comparison hotspots",
        [i for i in labels if i not in treated_ids],
        format_func=labels.get,
        key="impact_comparison_hotspots",
    )
else:
    lsoa_names = dict(zip(boundaries["lsoa_code"], boundaries["lsoa_name"], strict=True))
    comparison_ids = right.multiselect(
        "Comparison LSOAs",
        sorted(lsoa_names),
        format_func=lambda code: f"{lsoa_names[code]} ({code})",
        key="impact_comparison_lsoas",
    )

if not treated_ids:
    st.info("Choose at least one treated hotspot.")
    st.stop()
if mode != "auto" and not comparison_ids:
    st.info("Choose at least one comparison area, or let the page suggest them.")
    st.stop()

choices = Choices(
    outcome=outcome,
    treated_ids=tuple(treated_ids),
    mode=mode,
    comparison_ids=tuple(comparison_ids),
    n_comparison=int(n_comparison),
    buffer_m=float(buffer_m),
    funding=funding.isoformat(),
)
try:
    result = run_evaluation(selection, choices)
except GeoInputError as error:
    st.error(f"This design cannot be evaluated. {escape_markdown(error)}")
    st.stop()

windows = result.windows
right.caption(
    f"Season-matched windows: before {', '.join(windows.before)}; "
    f"after {', '.join(windows.after)}"
    + (f"; transition month {windows.transition} left out" if windows.transition else "")
)

# Headline ----------------------------------------------------------------------
st.subheader("Headline")
did = result.did
weak = not did.excludes_no_change
(st.warning if weak or not result.key_trends.passes else st.success)(result.headline)
kpi = st.columns(4)
kpi[0].metric(
    "Change vs comparison",
    f"{did.percent_change:+.0f}%",
    help=f"Rate ratio {did.rate_ratio:.2f} from a Poisson DiD with area and month effects",
)
kpi[1].metric(
    "95% CI",
    f"{(did.ci_low - 1) * 100:+.0f}…{(did.ci_high - 1) * 100:+.0f}%",
    help="Includes 0%: the data cannot tell an effect from chance" if weak else None,
)
kpi[2].metric(
    "WDD",
    f"{result.wdd.estimate:+.0f}",
    help="A raw-count difference, not the effect estimate: see the note just below.",
)
kpi[3].metric(
    "WDQ",
    f"{result.wdq.wdq:.2f}" if result.wdq.meaningful else "n/a",
    help=result.wdq.interpretation,
)
# WDD can be "significant" while the rate ratio is not; say what it adds up, next to it.
st.info(result.wdd_reading)

# Design --------------------------------------------------------------------------
st.subheader("Study design")
st.write(result.comparison_reason)
st.dataframe(
    pd.DataFrame(
        [
            {"group": group, "area": row.name, "id": row.area_id}
            for group, areas in (("treated", result.treated), ("comparison", result.comparison))
            for row in areas.itertuples()
        ]
    ),
    hide_index=True,
)
if result.candidates is not None:
    with st.expander("All candidate comparison areas, with the reason each was chosen or not"):
        st.dataframe(result.candidates, hide_index=True)
st.image(map_image(selection, choices), caption="Treated (red), comparison (blue), buffer (orange)")

# Charts --------------------------------------------------------------------------
st.subheader("Treated vs comparison by month")
st.altair_chart(
    _line_chart(result.series, result.funding_date, f"{result.category} per area per month"),
    width="stretch",
)
if result.months_missing:
    st.caption(
        f"Gaps are months with no published data ({', '.join(result.months_missing)}), not zeros."
    )

st.subheader("Parallel trends before funding")
for label, trends in (("street-level", result.trends), ("LSOA", result.lsoa_trends)):
    if trends is None:
        continue
    if trends.passes:
        st.success(f"Parallel-trends check ({label}) passes. {trends.reason}")
    elif math.isnan(trends.p_value):
        st.warning(f"Parallel-trends check ({label}) cannot be made. {trends.reason}")
    else:
        st.error(f"Parallel-trends check ({label}) FAILS. {trends.reason}")
if result.lsoa_series is not None:
    pre = result.lsoa_series[result.lsoa_series["month"] < result.funding_date[:7]]
    st.altair_chart(
        _line_chart(pre, result.funding_date, "crimes incl. ASB per LSOA per month"),
        width="stretch",
    )
    st.caption(f"Series: {design.LSOA_SERIES_LABEL}.")

dosage = None
if selection.dataset == "torbay" and SYNTHETIC_PINGS.is_file():
    st.subheader("Patrol dosage vs change per hotspot (SYNTHETIC patrols)")
    dosage = patrol_dosage(selection, choices)
    st.warning(caveats.SYNTHETIC_PATROLS)
    points = (
        alt.Chart(dosage)
        .mark_circle(size=120)
        .encode(
            x=alt.X("minutes_per_week_change:Q", title="Change in patrol minutes/week (SYNTHETIC)"),
            y=alt.Y("incidents_pct_change:Q", title=f"Change in {result.category} (%)"),
            color=alt.Color("group:N", scale=GROUP_COLOURS, title=None),
            tooltip=list(dosage.columns),
        )
    )
    st.altair_chart(points + points.mark_text(dy=-12).encode(text="name:N"), width="stretch")
    st.dataframe(dosage, hide_index=True)
    st.caption(
        "Patrol minutes per week compare all synthetic pings before and after the funding "
        "date; incident change compares the season-matched windows above."
    )

# Caveats and downloads --------------------------------------------------------------
st.subheader("Caveats")
for text in report.report_caveats(result, dosage):
    st.markdown(f"- {text}")

st.subheader("Downloads")
title = f"Impact report: {selection.label}, funding {result.funding_date}"
cols = st.columns(4)
cols[0].download_button(
    "Funder report (HTML)",
    lambda: report.report_html(result, dosage, title=title),
    "impact-report.html",
    mime="text/html",
    on_click="ignore",
)
cols[1].download_button(
    "Funder report (PDF)",
    lambda: report.report_pdf(result, dosage, title=title),
    "impact-report.pdf",
    mime="application/pdf",
    on_click="ignore",
)
cols[2].download_button(
    "Figures (CSV)",
    report.report_csv(result),
    "impact-figures.csv",
    mime="text/csv",
    on_click="ignore",
)
cols[3].download_button(
    "IMPACT.json",
    json.dumps(impact_json(result), indent=2, ensure_ascii=False),
    "impact.json",
    mime="application/json",
    on_click="ignore",
)
