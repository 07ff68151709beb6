"""Time and repetition on timestamped reports: aoristic profile, repeat locations, Knox test.

These need a date *and time* for each incident, which partner reports carry and police.uk
data (month only) does not; :func:`timing_unavailable` says why when they cannot run.

- :func:`aoristic_hour_of_week`: each incident's weight of 1 is spread over the hours of
  the week its time window covers, in proportion to the minutes in each (Ratcliffe 2002,
  "Aoristic signatures and the spatio-temporal analysis of high volume crime patterns").
- :func:`repeat_locations`: premises with 3 or more incidents in the last 90 days.
- :func:`knox_test`: pairs of incidents close in space *and* time, against what shuffling
  the times over the same places gives (Knox 1964; Monte Carlo significance as in
  Ratcliffe's Near Repeat Calculator, after Johnson et al. 2007).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.checks import check_positive, fail
from geo.hotspots.peaktimes import WEEKDAYS
from geo.partners.models import LONDON

HOURS_IN_WEEK = 168
REPEAT_DAYS = 90
REPEAT_MIN_INCIDENTS = 3
#: Bands after the Near Repeat Calculator's defaults for shop-front crime (metres, days).
DISTANCE_BANDS_M: tuple[float, ...] = (0, 50, 100, 200, 400)
TIME_BANDS_DAYS: tuple[float, ...] = (0, 7, 14, 28, 56)
POLICE_UK_REASON = (
    "police.uk gives only the month of each crime, so hours of the week, repeats within "
    "90 days and near repeats in days cannot be computed from it; they run on partner "
    "reports, which carry a date and time"
)


def timing_unavailable(frame: pd.DataFrame) -> str | None:
    """Why the timed analyses cannot run on ``frame``, or None when they can."""
    if "occurred_at" not in frame.columns or frame["occurred_at"].isna().all():
        return POLICE_UK_REASON
    if frame["occurred_at"].isna().any():
        return "some incidents have no time; choose data where every incident has one"
    return None


# ---------------------------------------------------------------- aoristic profile


def aoristic_hour_of_week(starts: Sequence, ends: Sequence | None = None) -> pd.DataFrame:
    """Incident weight per hour of the week (local time), all 168 hours.

    ``starts`` and ``ends`` are tz-aware times; an incident with no window (``ends`` None,
    or equal to its start) puts its whole weight in the hour it started. Each incident
    adds 1 in total, so the weights sum to the number of incidents.
    """
    start = pd.to_datetime(pd.Series(starts), utc=True).dt.tz_convert(LONDON)
    end = start if ends is None else pd.to_datetime(pd.Series(ends), utc=True)
    end = end.dt.tz_convert(LONDON)
    if len(start) != len(end):
        fail("`starts` and `ends` have different lengths", fix="Give one end per start")
    if (end < start).any():
        fail("an incident ends before it starts", fix="Swap or correct its times")
    weights = np.zeros(HOURS_IN_WEEK)
    for first, last in zip(start, end, strict=True):
        _spread(weights, first.to_pydatetime(), last.to_pydatetime())
    return pd.DataFrame(
        {
            "weekday": [WEEKDAYS[h // 24] for h in range(HOURS_IN_WEEK)],
            "hour": [h % 24 for h in range(HOURS_IN_WEEK)],
            "weight": weights,
        }
    )


def _spread(weights: np.ndarray, start: dt.datetime, end: dt.datetime) -> None:
    """Add one incident's weight over the local clock hours from ``start`` to ``end``."""
    hour_of_week = start.weekday() * 24 + start.hour
    span = (end - start).total_seconds()
    if span == 0:
        weights[hour_of_week] += 1.0
        return
    cursor = start
    while cursor < end:
        boundary = min(cursor.replace(minute=0, second=0, microsecond=0) + _HOUR, end)
        weights[(cursor.weekday() * 24 + cursor.hour) % HOURS_IN_WEEK] += (
            boundary - cursor
        ).total_seconds() / span
        cursor = boundary


_HOUR = dt.timedelta(hours=1)


# ---------------------------------------------------------------- repeat locations


def repeat_locations(
    frame: pd.DataFrame,
    now: dt.datetime,
    days: int = REPEAT_DAYS,
    min_incidents: int = REPEAT_MIN_INCIDENTS,
) -> pd.DataFrame:
    """Premises with at least ``min_incidents`` incidents in the ``days`` days up to ``now``.

    ``frame`` has ``occurred_at`` and ``location`` (the premises; rows without one, i.e.
    street locations, are left out). Most incidents first.
    """
    reason = timing_unavailable(frame)
    if reason:
        fail(reason)
    occurred = pd.to_datetime(frame["occurred_at"], utc=True)
    since = pd.Timestamp(now - dt.timedelta(days=days))
    recent = frame.loc[(occurred > since) & (occurred <= pd.Timestamp(now)), ["location"]]
    recent = recent.assign(occurred_at=occurred).dropna(subset=["location"])
    table = (
        recent.groupby("location")
        .agg(
            incidents=("occurred_at", "size"),
            first=("occurred_at", "min"),
            last=("occurred_at", "max"),
        )
        .reset_index()
    )
    table = table[table["incidents"] >= min_incidents]
    return table.sort_values(["incidents", "location"], ascending=[False, True], ignore_index=True)


# ---------------------------------------------------------------- Knox test


@dataclass(frozen=True)
class KnoxResult:
    """Pair counts by distance band (rows) and time band (columns), against chance.

    ``expected`` is the mean over the Monte Carlo permutations; ``p_value`` per cell is
    (1 + permutations with at least the observed count) / (1 + permutations).
    """

    observed: pd.DataFrame
    expected: pd.DataFrame
    ratio: pd.DataFrame
    p_value: pd.DataFrame
    permutations: int


def knox_test(
    x: Sequence[float],
    y: Sequence[float],
    days: Sequence[float],
    distance_bands_m: Sequence[float] = DISTANCE_BANDS_M,
    time_bands_days: Sequence[float] = TIME_BANDS_DAYS,
    *,
    permutations: int = 99,
    seed: int = 0,
) -> KnoxResult:
    """Knox test of space-time clustering with Monte Carlo significance.

    ``x``, ``y`` are metres (e.g. EPSG:27700), ``days`` each incident's time in days.
    A pair falls in distance band ``i`` when ``edges[i] <= distance < edges[i + 1]``, and
    likewise in time; pairs beyond the last edges are not counted.
    """
    x, y, t = (np.asarray(v, dtype="float64") for v in (x, y, days))
    if not len(x) == len(y) == len(t):
        fail("`x`, `y` and `days` have different lengths", fix="Give one of each per incident")
    if len(x) < 3:
        fail(f"the Knox test needs at least 3 incidents, got {len(x)}")
    permutations = int(check_positive("permutations", permutations))
    d_edges, t_edges = (
        _edges("distance_bands_m", distance_bands_m),
        _edges("time_bands_days", time_bands_days),
    )
    first, second = np.triu_indices(len(x), k=1)
    d_band = _band(np.hypot(x[first] - x[second], y[first] - y[second]), d_edges)
    shape = (len(d_edges) - 1, len(t_edges) - 1)

    def counts(times: np.ndarray) -> np.ndarray:
        t_band = _band(np.abs(times[first] - times[second]), t_edges)
        keep = (d_band >= 0) & (t_band >= 0)
        cells = d_band[keep] * shape[1] + t_band[keep]
        return np.bincount(cells, minlength=shape[0] * shape[1]).reshape(shape)

    observed = counts(t)
    rng = np.random.default_rng(seed)
    simulated = np.stack([counts(rng.permutation(t)) for _ in range(permutations)])
    expected = simulated.mean(axis=0)
    p_value = (1 + (simulated >= observed).sum(axis=0)) / (1 + permutations)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
    labels = _labels(d_edges, "m"), _labels(t_edges, "days")

    def table(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=labels[0], columns=labels[1])

    return KnoxResult(table(observed), table(expected), table(ratio), table(p_value), permutations)


def knox_test_frame(frame: pd.DataFrame, **options) -> KnoxResult:
    """:func:`knox_test` on incidents with ``easting``, ``northing`` and ``occurred_at``."""
    reason = timing_unavailable(frame)
    if reason:
        fail(reason)
    occurred = pd.to_datetime(frame["occurred_at"], utc=True)
    days = (occurred - occurred.min()).dt.total_seconds() / 86_400
    return knox_test(frame["easting"], frame["northing"], days, **options)


def _edges(name: str, values: Sequence[float]) -> np.ndarray:
    edges = np.asarray(values, dtype="float64")
    if len(edges) < 2 or edges[0] < 0 or not (np.diff(edges) > 0).all():
        fail(f"`{name}` must be at least two increasing edges from 0 up, got {list(values)}")
    return edges


def _band(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band index of each value (``-1`` beyond the last edge)."""
    band = np.searchsorted(edges, values, side="right") - 1
    return np.where(values < edges[-1], band, -1)


def _labels(edges: np.ndarray, unit: str) -> list[str]:
    return [f"{lo:g}–{hi:g} {unit}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
