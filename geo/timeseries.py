"""Monthly counts that keep missing months missing.

police.uk sometimes publishes no file for a force-month (Devon & Cornwall has none for
Nov-Dec 2022), and embedded extracts can have gaps. A month without data is NaN here,
never zero, so charts show a gap and sums skip it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.checks import fail


def month_range(first: str | dt.date, last: str | dt.date) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM`` strings."""
    start, end = parse_month(first, "first"), parse_month(last, "last")
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def missing_months(months: pd.Series) -> list[str]:
    """Months (``YYYY-MM``) with no rows between the first and last month present.

    ``months`` holds monthly periods (``pd.Period``), one per row or per distinct month.
    """
    present = set(months.dropna())
    if not present:
        return []
    span = pd.period_range(min(present), max(present), freq="M")
    return [str(m) for m in span if m not in present]


def month_ranges(months: list[str]) -> str:
    """Sorted ``YYYY-MM`` months as text with runs collapsed: ``"2024-05..2024-12, 2025-03"``."""
    runs: list[list[pd.Period]] = []
    for period in (pd.Period(m, "M") for m in months):
        if runs and period == runs[-1][-1] + 1:
            runs[-1].append(period)
        else:
            runs.append([period])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def months_without_data(summary: dict) -> list[str]:
    """Months without data in an ingest summary (``YYYY-MM``, sorted).

    Each force's gaps and the months no force has (``months_missing`` of
    :meth:`geo.io.incidents.IngestSummary.to_dict`), so that neither is ever counted as
    zero by a chart, a forecast or an evaluation.
    """
    return sorted({month for months in summary["months_missing"].values() for month in months})


def category_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per category, most first: columns ``category`` and ``incidents``."""
    counts = incidents["category"].value_counts()
    return counts.rename_axis("category").reset_index(name="incidents")


def monthly_counts(
    incidents: pd.DataFrame,
    first: str | dt.date,
    last: str | dt.date,
    missing: Iterable[str] = (),
    by: str | None = None,
) -> pd.DataFrame:
    """Incidents per month (and per ``by`` column), NaN in months without data.

    Parameters
    ----------
    incidents
        Canonical incidents (``month`` column of dates).
    first, last
        Month range, inclusive (``YYYY-MM`` or dates).
    missing
        Months (``YYYY-MM``) with no published data; they get NaN, not 0.
    by
        Optional column to split counts by (e.g. ``"category"``).

    Returns
    -------
    DataFrame
        Columns ``month`` (``YYYY-MM``), ``by`` when given, and ``count`` (float, NaN when
        the month has no data).
    """
    months = month_range(first, last)
    labels = pd.to_datetime(pd.Series(incidents["month"], dtype="object")).dt.strftime("%Y-%m")
    if by is None:
        counts = labels.value_counts()
        return monthly_from_counts(
            pd.DataFrame({"month": counts.index, "incidents": counts.to_numpy()}),
            first,
            last,
            missing,
        )
    keys = [labels, incidents[by].astype("string")]
    counts = pd.Series(1, index=incidents.index).groupby(keys).sum()
    groups = sorted(incidents[by].dropna().astype(str).unique())
    index = pd.MultiIndex.from_product([months, groups], names=["month", by])
    counts.index.names = index.names
    table = counts.reindex(index, fill_value=0).astype("float64").rename("count").reset_index()
    table.loc[table["month"].isin(set(missing)), "count"] = np.nan
    return table


def monthly_from_counts(
    counts: pd.DataFrame, first: str | dt.date, last: str | dt.date, missing: Iterable[str] = ()
) -> pd.DataFrame:
    """:func:`monthly_counts`'s table from counts already made, e.g. by a store query.

    ``counts`` has columns ``month`` (dates or ``YYYY-MM``) and ``incidents``; months of
    ``first..last`` (inclusive) absent from it count 0, and ``missing`` months are NaN.
    Returns columns ``month`` (``YYYY-MM``) and ``count`` (float).
    """
    months = month_range(first, last)
    labels = pd.to_datetime(pd.Series(counts["month"], dtype="object")).dt.strftime("%Y-%m")
    per_month = pd.Series(counts["incidents"].to_numpy(), index=labels.to_numpy()).groupby(level=0)
    table = (
        per_month.sum()
        .reindex(pd.Index(months, name="month"), fill_value=0)
        .astype("float64")
        .rename("count")
        .reset_index()
    )
    table.loc[table["month"].isin(set(missing)), "count"] = np.nan
    return table


@dataclass(frozen=True)
class YearOnYear:
    """Incidents in the selected months against the same calendar months a year earlier."""

    current: float
    previous: float
    months_compared: list[str]

    @property
    def percent_change(self) -> float:
        """Change in %, NaN when there is nothing to compare."""
        if not self.months_compared or self.previous == 0:
            return float("nan")
        return 100 * (self.current - self.previous) / self.previous


def between_months(counts: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """The rows of monthly ``counts`` (a ``month`` column of ``YYYY-MM`` labels, as
    :func:`monthly_counts` gives) from ``first`` to ``last`` inclusive."""
    return counts[counts["month"].between(first, last)]


def year_on_year(counts: pd.DataFrame, first: str, last: str) -> YearOnYear:
    """Compare months ``first..last`` with the same months a year earlier.

    ``counts`` is :func:`monthly_counts` output over the whole dataset. Only months where
    both years have data count, so a gap never reads as a fall.
    """
    series = counts.groupby("month")["count"].sum(min_count=1)
    compared = []
    for month in month_range(first, last):
        previous = str(pd.Period(month, "M") - 12)
        if pd.notna(series.get(month, np.nan)) and pd.notna(series.get(previous, np.nan)):
            compared.append(month)
    previous_months = [str(pd.Period(m, "M") - 12) for m in compared]
    return YearOnYear(
        current=float(series.reindex(compared).sum()),
        previous=float(series.reindex(previous_months).sum()),
        months_compared=compared,
    )


def parse_month(value: str | dt.date, name: str = "month") -> dt.date:
    """``"YYYY-MM"`` (or a date) to the first day of that month; fails naming ``name``."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    try:
        return dt.datetime.strptime(str(value).strip(), "%Y-%m").date()
    except ValueError:
        fail(f"`{name}` must look like YYYY-MM, got {value!r}")


def parse_month_range(text: str) -> tuple[dt.date, dt.date]:
    """``"2025-01:2025-12"`` to ``(date(2025, 1, 1), date(2025, 12, 1))``."""
    first, sep, last = text.partition(":")
    if not sep:
        fail(f"`months` must look like 2025-01:2025-12, got {text!r}")
    start, end = parse_month(first, "months"), parse_month(last, "months")
    if start > end:
        fail(f"`months` starts after it ends: {text!r}", fix="Put the earlier month first")
    return start, end
