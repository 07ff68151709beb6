"""Before and after windows that compare like with like: the same calendar months a
year apart, so that seasonality does not pass for an effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.checks import (
    check_min_int,
    check_not_empty,
    fail,
)


@dataclass(frozen=True)
class SeasonWindows:
    """Before and after windows holding the same calendar months.

    Attributes
    ----------
    before, after : tuple of str
        ``'YYYY-MM'`` months, sorted; each calendar month appears once in each.
    unused : tuple of str
        Available months left out (unmatched season, outside the 12-month span, or the
        month that contains a mid-month funding date).
    transition : str or None
        The month containing the funding date when funding started after its first day;
        it is neither before nor after.
    """

    before: tuple[str, ...]
    after: tuple[str, ...]
    unused: tuple[str, ...]
    transition: str | None


def season_matched_windows(
    available_months: Iterable[Any], funding_date: Any, *, max_months: int = 12
) -> SeasonWindows:
    """Pick before and after windows with the same calendar months, skipping missing months.

    The before span is the ``max_months`` months ending at the last available month before
    funding; the after span is the ``max_months`` months starting at the first available
    month from funding on. Each window keeps the available months whose calendar month is
    available in both spans, so seasonality cancels. Missing months are never filled in.

    Example: months 2024-01..04 and 2025-01..12 with funding on 2024-06-01 give before
    2024-01..04 and after 2025-01..04.

    Parameters
    ----------
    available_months : iterable of str, date or timestamp
        Months with data (``'YYYY-MM'``, ``'YYYY-MM-DD'``, dates or timestamps).
    funding_date : str, date or timestamp
        Day the funded activity started. A month starting on or after it is "after"; a month
        containing it on a later day is a transition month, used in neither window.
    max_months : int, default 12
        Span of each window in months (1-12).

    Returns
    -------
    SeasonWindows
    """
    check_min_int("max_months", max_months, 1)
    if max_months > 12:
        fail(
            f"`max_months` must be at most 12 so each calendar month appears once, got {max_months}"
        )
    months = pd.PeriodIndex(sorted(set(month_keys("available_months", available_months))), freq="M")
    check_not_empty("available_months", len(months))
    start = as_timestamp("funding_date", funding_date)
    funding_month = pd.Period(start, freq="M")
    mid_month = start.normalize() != funding_month.start_time or start != start.normalize()
    first_after = funding_month + 1 if mid_month else funding_month
    before_all = months[months < funding_month]
    after_all = months[months >= first_after]
    if len(before_all) == 0 or len(after_all) == 0:
        side = "before" if len(before_all) == 0 else "after"
        fail(
            f"no available month falls {side} the funding date {start.date()}",
            fix="Load months on both sides of the funding date",
        )
    before_span = before_all[before_all > before_all[-1] - max_months]
    after_span = after_all[after_all < after_all[0] + max_months]
    shared = set(before_span.month) & set(after_span.month)
    if not shared:
        fail(
            "the before and after windows share no calendar month, so they cannot be "
            "matched by season",
            fix="Load the same calendar months on both sides of the funding date",
        )
    before = tuple(str(m) for m in before_span if m.month in shared)
    after = tuple(str(m) for m in after_span if m.month in shared)
    used = set(before) | set(after)
    return SeasonWindows(
        before=before,
        after=after,
        unused=tuple(str(m) for m in months if str(m) not in used),
        transition=str(funding_month) if mid_month and funding_month in months else None,
    )


def month_keys(name: str, values: Iterable[Any]) -> list[str]:
    """Return ``'YYYY-MM'`` keys for month-like values, or fail naming the first bad one."""
    text = pd.Series(list(values), dtype=object).astype(str).str.slice(0, 10)
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        fail(
            f"`{name}` holds {text[stamps.isna()].iloc[0]!r}, which is not a month",
            fix="Use 'YYYY-MM' strings or dates",
        )
    return stamps.dt.strftime("%Y-%m").tolist()


def as_timestamp(name: str, value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        fail(f"`{name}` must be a date such as '2024-06-01', got {value!r}")
    return stamp.tz_localize(None) if stamp.tzinfo else stamp
