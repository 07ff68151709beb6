"""Numbers, months and table headers as people read them: true minus signs, no "-0",
"Jan 2024", plain headers with units (:data:`COLUMNS`, :func:`present_table`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

MINUS = "\N{MINUS SIGN}"


def signed(value: float, digits: int = 0, *, plus: bool = True) -> str:
    """Format with a true minus sign; small non-zero values keep one decimal, not "-0"."""
    if digits == 0 and round(value) == 0 and value != 0:
        digits = 1
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return MINUS + text
    return ("+" if plus else "") + text


def unsigned(value: float) -> str:
    """:func:`signed` of the magnitude, without a sign."""
    return signed(abs(value), plus=False)


def number_text(value: float) -> str:
    """A number in its shortest plain form (12, 0.5, 1e+06)."""
    return f"{value:g}"


def month_text(month: str) -> str:
    """A ``YYYY-MM`` month as people read it: "Jan 2024"."""
    year, number = month[:7].split("-")
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[int(number) - 1]} {year}"


def month_label(value: Any) -> str:
    """A month as people write it, "Jan 2024", from a date, timestamp, period or text
    ("2024-01", "2024-01-01"); missing or unreadable values give ""."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    try:
        return month_text(str(pd.Period(str(value)[:7], freq="M")))
    except ValueError:
        return ""


@dataclass(frozen=True)
class ColumnSpec:
    """How one table column is shown: header with unit, kind and decimals.

    ``kind`` is "number", "percent" (a fraction 0-1 shown as %), "month" or "text";
    ``scale`` converts the stored unit to the shown one (m² -> ha is 1e-4); ``signed``
    shows a "+" on increases.
    """

    label: str
    kind: Literal["number", "percent", "month", "text"] = "number"
    digits: int = 0
    scale: float = 1.0
    signed: bool = False

    @property
    def printf(self) -> str | None:
        """The printf-style format of the shown value (as ``st.column_config`` takes it)."""
        if self.kind in ("month", "text"):
            return None
        sign = "+" if self.signed else ""
        suffix = "%%" if self.kind == "percent" else ""
        return f"%{sign}.{self.digits}f{suffix}"


#: Display spec of every column a user meets in a table or CSV, by the code's name.
COLUMNS: dict[str, ColumnSpec] = {
    "hotspot_id": ColumnSpec("Hotspot id"),
    "area": ColumnSpec("Force or area", "text"),
    "hotspots": ColumnSpec("Hotspots"),
    "share_in_hotspots": ColumnSpec("Incidents in hotspots (%)", "percent", 0),
    "gini": ColumnSpec("Gini (0 even, 1 all at one point)", digits=2),
    "top_hotspot": ColumnSpec("Top hotspot", "text"),
    "rank": ColumnSpec("Rank"),
    "plan_rank": ColumnSpec("Plan rank"),
    "name": ColumnSpec("Hotspot", "text"),
    "incidents": ColumnSpec("Incidents"),
    "share": ColumnSpec("Share of incidents (%)", "percent", 1),
    "area_m2": ColumnSpec("Area (ha)", digits=2, scale=1e-4),
    "density_per_ha": ColumnSpec("Incidents per ha", digits=1),
    "pai": ColumnSpec("PAI (×)", digits=1),
    "first_month": ColumnSpec("First month", "month"),
    "last_month": ColumnSpec("Last month", "month"),
    "month": ColumnSpec("Month", "month"),
    "months_active": ColumnSpec("Months with incidents"),
    "top_categories": ColumnSpec("Top categories (incidents)", "text"),
    "top_streets": ColumnSpec("Top streets (incidents)", "text"),
    "trend": ColumnSpec("Trend", "text"),
    "trend_ratio": ColumnSpec("Trend (recent ÷ earlier months)", digits=2),
    "classification": ColumnSpec("Change", "text"),
    "n_before": ColumnSpec("Incidents before"),
    "n_after": ColumnSpec("Incidents after"),
    "change": ColumnSpec("Change in incidents", signed=True),
    "per_month_before": ColumnSpec("Incidents per month before", digits=1),
    "per_month_after": ColumnSpec("Incidents per month after", digits=1),
    "rate_change": ColumnSpec("Change in incidents per month", digits=1, signed=True),
    "target": ColumnSpec("Month scored", "month"),
    "units": ColumnSpec("Areas ranked"),
    "top_k": ColumnSpec("Top areas counted"),
    "hits": ColumnSpec("Incidents in top areas"),
    "hit_rate": ColumnSpec("Hit rate (%)", "percent", 0),
    "area_share": ColumnSpec("Share of study area (%)", "percent", 1),
    "seasonal_used": ColumnSpec("Same month last year used", "text"),
    "category": ColumnSpec("Category", "text"),
    "reason": ColumnSpec("Reason", "text"),
    "rows": ColumnSpec("Rows"),
    "risk": ColumnSpec("Forecast incidents (next month)", digits=1),
    "risk_share": ColumnSpec("Share of forecast risk (%)", "percent", 1),
    "visits_per_day": ColumnSpec("Visits per day"),
    "minutes_per_visit": ColumnSpec("Minutes per visit"),
    "minutes_per_day": ColumnSpec("Minutes per day"),
    "first_visit": ColumnSpec("First visit", "text"),
    "last_visit": ColumnSpec("Last visit", "text"),
    "max_gap_min": ColumnSpec("Longest gap in peak (minutes)"),
    "every_2h": ColumnSpec("Visited every 2 h", "text"),
    "visit_times": ColumnSpec("Visit times", "text"),
    "days": ColumnSpec("Shifts compared"),
    "planned_visits": ColumnSpec("Visits planned"),
    "delivered_visits": ColumnSpec("Visits delivered"),
    "visits_pct": ColumnSpec("Visits delivered (% of plan)"),
    "planned_minutes": ColumnSpec("Minutes planned"),
    "delivered_minutes": ColumnSpec("Minutes delivered"),
    "minutes_pct": ColumnSpec("Minutes delivered (% of plan)"),
    "koper_visits": ColumnSpec("Koper visits (10-16 min)"),
    "delivered_visits_per_day": ColumnSpec("Visits delivered per shift", digits=1),
    "delivered_minutes_per_day": ColumnSpec("Minutes delivered per shift"),
    "unit": ColumnSpec("Unit", "text"),
    "visit": ColumnSpec("Visit"),
    "start": ColumnSpec("Start", "text"),
    "end": ColumnSpec("End", "text"),
    "travel_min": ColumnSpec("Travel before visit (minutes)"),
    "travel_km": ColumnSpec("Travel before visit (km)", digits=1),
}


def present_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, ColumnSpec]]:
    """``frame`` as users see it: known columns (:data:`COLUMNS`) renamed to their
    headers, scaled, rounded and months written "Jan 2024"; other columns and any
    geometry are left out. Returns the table and the spec of each shown header, for
    ``st.column_config`` on pages and the same headers in CSV downloads and reports.
    """
    known = [c for c in frame.columns if c in COLUMNS]
    shown: dict[str, pd.Series] = {}
    specs: dict[str, ColumnSpec] = {}
    for column in known:
        spec = COLUMNS[column]
        shown[spec.label] = _present(frame[column], spec)
        specs[spec.label] = spec
    return pd.DataFrame(shown, index=frame.index), specs


def _present(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    if spec.kind == "month":
        return values.map(month_label)
    if spec.kind == "text":
        return values.map(lambda v: "" if v is None or v is pd.NA else _text(v))
    numbers = pd.to_numeric(values, errors="coerce") * spec.scale
    if spec.kind == "percent":
        numbers = numbers * 100
    return numbers.round(spec.digits)


def _text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float) and np.isnan(value):
        return ""
    return str(value)
