"""Impact: did incidents fall where patrols were funded, against comparison areas, and move?"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from geo import caveats
from geo.checks import GeoInputError
from geo.formatting import month_text
from geo.impact import design, report
from geo.impact.evaluate import (
    Design,
    ImpactResult,
    contamination_warning,
    dosage_vs_change,
    evaluate_dataset,
    evaluate_incidents,
    find_design,
    impact_json,
    zones_for_coverage,
)
from geo.impact.synth import overfit_caveat
from geo.io import datasets
from geo.patrols.measure import measure_coverage
from geo.patrols.synthetic import read_synthetic_pings
from geo.safety import escape_markdown
from geo.schema import ASB
from pages import common

SYNTHETIC_PINGS = datasets.DATA_DIR / "synthetic" / "torbay-patrols-synthetic.parquet"
MODES = {"auto": "Suggest automatically", "hotspots": "Choose hotspots", "lsoas": "Choose LSOAs"}
# The report's colours, so page and report show each group alike.
GROUP_COLOURS = alt.Scale(domain=list(report.COLOURS), range=list(report.COLOURS.values()))


def _outcome(selection: common.Selection) -> tuple[str, ...]:
    """The sidebar's categories, else ASB when the data have it, else everything."""
    if selection.categories:
        return selection.categories
    return (ASB,) if ASB in selection.all_categories else selection.all_categories


@st.cache_data(show_spinner="Finding hotspots on the months before funding…", max_entries=16)
def design_table(
    selection: common.Selection,
    outcome: tuple[str, ...],
    funding: str,
    eps_m: float,
    min_samples: int,
) -> Design:
    """:func:`geo.impact.evaluate.find_design`: the design months and their hotspots, both
    offered for picking and passed to the evaluation, so the two are one computation."""
    return find_design(
        common.every_incident(selection),
        funding,
        missing_months=common.missing_months(selection),
        categories=list(outcome),
        eps_m=eps_m,
        min_samples=min_samples,
    )


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
    eps_m: float
    min_samples: int
    treated_file: bytes | None = None


@st.cache_data(show_spinner="Evaluating…", max_entries=16)
def run_evaluation(selection: common.Selection, choices: Choices) -> ImpactResult:
    """:func:`geo.impact.evaluate.evaluate_incidents`, the call behind the CLI and report."""
    if choices.mode == "lsoas":
        comparison = design.select_lsoas(
            common.boundaries(selection.dataset), choices.comparison_ids
        )
    elif choices.mode == "hotspots":
        comparison = list(choices.comparison_ids)
    else:
        comparison = "auto"
    treated = list(choices.treated_ids)
    design_found = design_table(
        selection, choices.outcome, choices.funding, choices.eps_m, choices.min_samples
    )
    with tempfile.TemporaryDirectory() as folder:
        if choices.treated_file is not None:
            treated = Path(folder) / "treated.geojson"
            treated.write_bytes(choices.treated_file)
        settings = {
            "categories": list(choices.outcome),
            "comparison": comparison,
            "n_comparison": choices.n_comparison,
            "buffer_m": choices.buffer_m,
            "design": design_found,
        }
        if selection.dataset not in (common.UPLOAD, common.PARTNERS):
            return evaluate_dataset(selection.dataset, treated, choices.funding, **settings)
        return evaluate_incidents(
            common.every_incident(selection),
            treated,
            choices.funding,
            missing_months=common.missing_months(selection),
            **settings,
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


def placebo_chart(result: ImpactResult) -> alt.LayerChart:
    """Placebo rate ratios as a histogram, the funded area's as a red rule."""
    placebos = pd.DataFrame({"rate_ratio": report.placebo_ratios(result)})
    bars = (
        alt.Chart(placebos)
        .mark_bar(color=report.COLOURS["comparison"])
        .encode(
            x=alt.X("rate_ratio:Q", bin=alt.Bin(maxbins=20), title="Rate ratio (log scale bins)"),
            y=alt.Y("count()", title="Placebo areas"),
        )
    )
    treated = pd.DataFrame({"rate_ratio": [result.permutation.rate_ratio], "label": ["funded"]})
    rule = (
        alt.Chart(treated)
        .mark_rule(color=report.COLOURS["treated"], size=3)
        .encode(x="rate_ratio:Q", tooltip=["label", alt.Tooltip("rate_ratio:Q", format=".2f")])
    )
    return bars + rule


def event_chart(result: ImpactResult) -> alt.LayerChart:
    """Monthly treated-minus-comparison differences (%), with 95% bands and gaps."""
    table = _dates(report.event_percent(result))
    base = alt.Chart(table).encode(x=alt.X("date:T", title="Month"), detail="segment:N")
    band = base.mark_area(opacity=0.25).encode(
        y=alt.Y("ci_low:Q", title="Treated vs comparison, % from pre-funding gap"), y2="ci_high:Q"
    )
    line = base.mark_line(point=True).encode(
        y="difference:Q", tooltip=["month", alt.Tooltip("difference:Q", format=".0f")]
    )
    rule = (
        alt.Chart(pd.DataFrame({"date": [pd.Timestamp(result.funding_date)]}))
        .mark_rule(strokeDash=[6, 4], color="black")
        .encode(x="date:T")
    )
    return band + line + rule


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
left, right = st.columns(2)
defaults = common.area_defaults(selection)
funding = left.date_input(
    "Funding date", value=defaults.funding_date, key="impact_funding", help=defaults.funding_note
)
eps_m, min_samples = common.hotspot_settings(
    right,
    right,
    defaults,
    key_prefix="impact_",
    min_samples_help="Over the whole span; scaled down to the share of months the hotspots "
    "are found on.",
)
try:
    found = design_table(selection, outcome, funding.isoformat(), float(eps_m), int(min_samples))
except GeoInputError as error:
    st.error(f"No hotspots to evaluate. {escape_markdown(error)}")
    st.stop()
hotspots = found.hotspots
named = design.treated_by_place(hotspots, defaults.treated, common.gazetteer())
st.caption(
    f"Counting {', '.join(outcome)} · hotspots found on {month_text(found.months[0])} – "
    f"{month_text(found.months[-1])} only ({len(found.months)} months with data before "
    f"funding; DBSCAN {eps_m:g} m), so the outcome never shapes the study areas. Their "
    "names and ranks can differ from the Hotspot explorer's, which uses the sidebar's "
    f"months. {escape_markdown(design.place_note(hotspots, defaults.treated, named))}"
)
labels = {
    str(row.hotspot_id): f"#{row.rank} {row.name} ({row.incidents})"
    for row in hotspots.itertuples()
}
treated_ids = left.multiselect(
    "Treated (funded) hotspots",
    list(labels),
    default=[named] if named else list(labels)[:1],
    format_func=labels.get,
    key="impact_treated",
)
treated_upload = left.file_uploader(
    "Or upload the funded zone as the scheme drew it (GeoJSON)",
    type=["geojson", "json"],
    key="impact_treated_file",
    help="Then no hotspot detection touches the treated area.",
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

if not treated_ids and treated_upload is None:
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
    eps_m=float(eps_m),
    min_samples=int(min_samples),
    treated_file=None if treated_upload is None else treated_upload.getvalue(),
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
claims = result.verdict in ("fell", "rose")
(st.success if claims else st.warning)(result.headline)
perm, power = result.permutation, result.power
kpi = st.columns(5)
kpi[0].metric(
    "Treated (before → after)",
    f"{result.raw_change['treated_before']:,.0f} → {result.raw_change['treated_after']:,.0f}",
)
kpi[1].metric(
    "Comparison (before → after)",
    f"{result.raw_change['control_before']:,.0f} → {result.raw_change['control_after']:,.0f}",
)
kpi[2].metric(
    "Permutation p-value",
    f"{perm.p_value:.2f}",
    help=f"Rank {perm.rank} of {perm.n_placebos + 1} against unfunded places",
)
kpi[3].metric(
    "Smallest detectable fall (80% power)",
    f"{power.detectable_fall_pct:.0f}%",
    help=power.reason,
)
kpi[4].metric(
    "Synthetic-control gap",
    "n/a" if result.synth is None else f"{result.synth.gap * 100:+.0f}%",
    help=result.synth_reason
    or f"Pre-funding fit RMSPE {result.synth.rmspe_pre:.2f} (share of the pre-funding mean)",
)
if synth_warning := overfit_caveat(result.synth):
    st.warning(synth_warning)
did = result.did
st.caption(
    f"Design months (hotspots found on these only): {', '.join(result.design_months)}. "
    f"Model estimate, secondary: rate ratio {did.rate_ratio:.2f} "
    f"(model 95% CI {did.ci_low:.2f}–{did.ci_high:.2f}; area-bootstrap "
    f"{result.bootstrap.ci_low:.2f}–{result.bootstrap.ci_high:.2f})."
)
st.info(result.wdd_reading)
st.caption(result.wdq_interval.reading)

st.subheader("How unusual is the change? Placebo areas")
st.altair_chart(placebo_chart(result), width="stretch")
st.caption(
    "Each bar counts unfunded places (comparison areas and grid cells outside the treated "
    "area and its buffer) whose change relative to the comparison areas fell in that "
    "range; the red line is the funded area."
)

if result.event is not None:
    st.subheader("Treated minus comparison, month by month")
    st.altair_chart(event_chart(result), width="stretch")
    st.caption("0 = the pre-funding gap; bands are 95% intervals; gaps are months without data.")

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
    if (warning := contamination_warning(dosage)) is not None:
        st.warning(warning)
    st.caption(
        "Patrol minutes per week come from the same measure as the Patrol coverage page "
        "(all synthetic pings before and after the funding date); they differ from that page "
        "only when its date window differs. Incident change compares the season-matched "
        "windows above."
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
printed_base = common.static_base(selection)
cols[1].download_button(
    "Funder report (PDF)",
    lambda: report.report_pdf(result, dosage, title=title, base=printed_base),
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
