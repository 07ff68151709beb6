"""Numbers and months as people read them: true minus signs, no "-0", "Jan 2024"."""

from __future__ import annotations

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
