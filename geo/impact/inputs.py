"""Input checks shared by the impact statistics: counts, weights and significance levels.

Each check names the argument and says what to change, as :mod:`geo.checks` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from geo.checks import (
    check_positive,
    fail,
)


def count_array(name: str, value: Any, *, positive: bool = False) -> np.ndarray:
    """Return ``value`` as a float array of counts, or fail naming the first bad value."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"`{name}` must be a count or an array of counts, got {value!r}")
    if array.size == 0:
        fail(f"`{name}` is empty: pass at least one count")
    bad = ~np.isfinite(array) | (array <= 0 if positive else array < 0)
    if np.any(bad):
        rule = "greater than 0" if positive else "0 or more"
        fail(
            f"`{name}` must be finite incident counts {rule}, got {array[bad].flat[0]!r}",
            fix="Leave missing periods out rather than passing NaN or negative values",
        )
    return array


def check_weights(name: str, values: Sequence[float], size: int) -> tuple[float, ...]:
    if len(values) != size:
        fail(f"`{name}` must hold {size} numbers, got {values!r}")
    return tuple(check_positive(f"{name}[{i}]", value) for i, value in enumerate(values))


def check_alpha(alpha: float) -> float:
    value = check_positive("alpha", alpha)
    if value >= 1:
        fail(f"`alpha` must be between 0 and 1, got {alpha!r}", fix="Use 0.05 for a 95% CI")
    return value
