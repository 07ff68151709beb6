"""The single shared input checker.

Every public function validates its arguments through these helpers, so that a user
always gets the same kind of message: what is wrong, the value received, and what to
change. Errors are :class:`GeoInputError` (a ``ValueError``); the CLI and the pages show
its message as one line, never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class GeoInputError(ValueError):
    """Unusable input: the message names the argument or file and what to change."""


def fail(problem: str, *, fix: str | None = None, file: str | Path | None = None) -> None:
    """Raise :class:`GeoInputError` with one line: ``[file: ]problem[. fix]``."""
    prefix = f"{Path(file).name if isinstance(file, Path) else file}: " if file else ""
    suffix = f". {fix}" if fix else ""
    raise GeoInputError(f"{prefix}{problem}{suffix}")


def check_positive(name: str, value: Any, *, fix: str | None = None) -> float:
    """Return ``value`` as a float, or fail unless it is a finite number > 0."""
    number = _as_number(name, value)
    if not number > 0:
        fail(f"`{name}` must be greater than 0, got {value!r}", fix=fix)
    return number


def check_non_negative(name: str, value: Any, *, fix: str | None = None) -> float:
    """Return ``value`` as a float, or fail unless it is a finite number >= 0."""
    number = _as_number(name, value)
    if not number >= 0:
        fail(f"`{name}` must be 0 or more, got {value!r}", fix=fix)
    return number


def check_min_int(name: str, value: Any, minimum: int, *, fix: str | None = None) -> int:
    """Return ``value`` as an int, or fail unless it is a whole number >= ``minimum``."""
    number = _as_number(name, value)
    if isinstance(value, bool) or not number.is_integer():
        fail(f"`{name}` must be a whole number, got {value!r}", fix=fix)
    if number < minimum:
        fail(f"`{name}` must be at least {minimum}, got {value!r}", fix=fix)
    return int(number)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` or fail, listing the allowed ``choices``."""
    allowed = list(choices)
    if value not in allowed:
        fail(f"`{name}` must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def check_columns(
    name: str, columns: Iterable[str], required: Iterable[str], *, file: str | Path | None = None
) -> None:
    """Fail if any of ``required`` is missing from ``columns``, naming all that are missing."""
    present = set(columns)
    missing = [column for column in required if column not in present]
    if missing:
        fail(
            f"{name} is missing required column(s) {', '.join(map(repr, missing))}",
            fix=f"Columns found: {', '.join(sorted(present)) or 'none'}",
            file=file,
        )


def check_not_empty(name: str, count: int, *, fix: str | None = None) -> None:
    """Fail if ``count`` (rows of ``name``) is zero."""
    if count == 0:
        fail(f"`{name}` is empty: no rows to work on", fix=fix)


def _as_number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(f"`{name}` must be a number, got {value!r}")
    if not math.isfinite(number):
        fail(f"`{name}` must be a finite number, got {value!r}")
    return number
