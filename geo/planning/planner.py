"""Koper-style patrol plan: how often, how long and when to visit each hotspot.

Rules (Koper 1995; Telep et al. 2014, Sacramento):

* every visit lasts ``minutes_per_visit``, between 10 and 16 minutes;
* the on-site minutes of all visits never exceed ``hours_per_day * 60``, and the visits
  must fit the units' shifts: a unit can do at most one visit per *slot* of
  ``minutes_per_visit + travel_minutes`` (the least time between two visits), so a unit
  has ``floor((shift_minutes + travel_minutes) / slot)`` slots;
* travel between two hotspots takes the straight-line distance between their centres
  (EPSG:27700) times a road circuity factor of :data:`CIRCUITY` (Ballou, Rahardja and
  Sakai 2002, "Selected country circuity factors for road and rail network analysis",
  J. Transport Geography 10(2)), at walking pace (:data:`WALKING_KMH`) for a foot patrol
  or ``vehicle_kmh`` for a vehicle, and never less than ``travel_minutes``;
* inside the peak window (default: the whole shift) each hotspot should be visited at
  least every 2 hours; that needs ``r = ceil(peak_minutes / (120 - slot))`` visits (one
  slot of slack for fitting visits to slots);
* visits go to the highest-risk hotspots in proportion to risk.

Allocation: with ``V`` visits available (hours and slots both allow them), the top
``n = min(hotspots, max_hotspots, V // r)`` hotspots by risk get ``r`` visits each; the
remaining ``V - n * r`` are shared in proportion to risk by largest remainders (ties to
the higher rank), no hotspot getting more visits than one unit has slots. When even
one hotspot cannot get ``r`` visits, the top ``V`` hotspots get one visit each and the
plan says the 2-hour rule cannot be met.

Units: each unit patrols one geographically compact group of the planned hotspots
(:func:`unit_groups`: k-means on the hotspot centres in metres, then each hotspot, most
visits first, to the nearest group centre with room, so that the groups' visits stay
within :data:`BALANCE` of an equal share), so no unit crosses the area between visits.

Schedule: hotspot ``h`` with ``v`` visits gets target times evenly spread over the peak
window, ``(i + phase_h) * peak_minutes / v`` for ``i = 0..v-1``, with a random phase per
hotspot (seeded, so plans are reproducible); this randomises the order in which
hotspots are visited. Each unit takes its group's visits in order of target time; a
visit starts at its target, or when the unit arrives from the previous visit if that is
later. Visits that would end after the shift are left out, and the plan says so. The
plan reports each hotspot's longest gap in the peak window, measured from the schedule
(peak start to first visit, between visit starts, last visit to peak end).

Times are tz-aware ``Europe/London``; a shift that ends at or before its start time
ends on the next day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.checks import (
    check_choice,
    check_columns,
    check_min_int,
    check_non_negative,
    check_not_empty,
    check_positive,
    fail,
)
from geo.hotspots import peaktimes
from geo.patrols.dosage import KOPER_MINUTES
from geo.schema import BNG, TIMEZONE

#: Longest wanted time between visits to a hotspot in the peak window, minutes.
MAX_GAP_MIN = 120.0


#: Columns of :attr:`PatrolPlan.plan` (before ``geometry``).
PLAN_COLUMNS: tuple[str, ...] = (
    "hotspot_id",
    "plan_rank",
    "name",
    "risk",
    "risk_share",
    "visits_per_day",
    "minutes_per_visit",
    "minutes_per_day",
    "first_visit",
    "last_visit",
    "max_gap_min",
    "every_2h",
)


SCHEDULE_COLUMNS: tuple[str, ...] = (
    "unit",
    "visit",
    "start",
    "end",
    "hotspot_id",
    "name",
    "travel_km",
    "travel_min",
)


#: Walking pace of a foot patrol, km/h (a comfortable adult walking speed of about
#: 1.4 m/s: Bohannon 1997, "Comfortable and maximum walking speed of adults aged 20-79
#: years", Age and Ageing 26(1)).
WALKING_KMH = 5.0


#: Route length over straight-line distance on a road network (Ballou et al. 2002).
CIRCUITY = 1.3


#: A unit's group of hotspots may hold at most this multiple of an equal share of visits.
BALANCE = 1.25


#: Balance yields to distance: a hotspot never joins a group whose centre is more than
#: this much farther than the nearest group's, metres (about 10 minutes on foot).
MAX_DETOUR_M = 800.0


PATROL_MODES = ("foot", "vehicle")


@dataclass(frozen=True)
class PlanSettings:
    """Patrol resources and dosage.

    ``hours_per_day``: on-site patrol hours for hotspots per day, all units together.
    ``units``: patrol units working the shift. ``shift_start``/``shift_end`` and
    ``peak_start``/``peak_end``: local clock times ``"HH:MM"`` (peak defaults to the
    shift when both are None). ``minutes_per_visit`` in [10, 16]; ``travel_minutes`` between visits;
    ``max_hotspots`` in the plan; ``seed`` for the random order; ``plan_date`` the day
    the shift starts (default tomorrow). The defaults are the planner page's and the
    ``plan`` command's, so both give the same plan for the same data.
    """

    hours_per_day: float = 6.0
    units: int = 2
    shift_start: str = "16:00"
    shift_end: str = "00:00"
    peak_start: str | None = None
    peak_end: str | None = None
    minutes_per_visit: float = 15.0
    travel_minutes: float = 2.0
    patrol_mode: str = "foot"
    vehicle_kmh: float = 20.0
    max_hotspots: int = 10
    seed: int = 1
    plan_date: dt.date | None = None

    def __post_init__(self) -> None:
        check_positive("hours_per_day", self.hours_per_day, fix="Give patrol hours, e.g. 6")
        check_min_int("units", self.units, 1, fix="Give the number of patrol units, e.g. 2")
        low, high = KOPER_MINUTES
        minutes = check_positive("minutes_per_visit", self.minutes_per_visit)
        if not low <= minutes <= high:
            fail(
                f"`minutes_per_visit` must be between {low:g} and {high:g} (Koper), "
                f"got {self.minutes_per_visit!r}",
                fix="Use e.g. 15",
            )
        check_non_negative("travel_minutes", self.travel_minutes)
        check_choice("patrol_mode", self.patrol_mode, PATROL_MODES)
        check_positive("vehicle_kmh", self.vehicle_kmh, fix="Give a speed, e.g. 20")
        check_min_int("max_hotspots", self.max_hotspots, 1)
        check_min_int("seed", self.seed, 0)
        for name in ("shift_start", "shift_end", "peak_start", "peak_end"):
            if getattr(self, name) is not None:
                parse_clock(name, getattr(self, name))
        if (self.peak_start is None) != (self.peak_end is None):
            fail("give both `peak_start` and `peak_end`, or neither")

    @property
    def speed_kmh(self) -> float:
        """Travel speed between hotspots, km/h: walking, or ``vehicle_kmh``."""
        return WALKING_KMH if self.patrol_mode == "foot" else float(self.vehicle_kmh)


@dataclass(frozen=True)
class PatrolPlan:
    """A plan: ``plan`` (GeoDataFrame, EPSG:4326, :data:`PLAN_COLUMNS` + geometry),
    ``schedule`` (:data:`SCHEDULE_COLUMNS`), the ``settings``, their ``capacity``,
    on-site minutes used and ``notes`` (plain-language warnings)."""

    plan: gpd.GeoDataFrame
    schedule: pd.DataFrame
    settings: PlanSettings
    capacity: Capacity
    minutes_used: float
    notes: list[str] = field(default_factory=list)

    @property
    def visits_per_day(self) -> int:
        """Visits a day across every hotspot in the plan (the schedule's rows)."""
        return int(self.plan["visits_per_day"].sum())

    @property
    def hours_on_site(self) -> float:
        """On-site patrol hours a day the plan uses (travel not included)."""
        return self.minutes_used / 60


def parse_clock(name: str, value: str | dt.time) -> dt.time:
    """``"HH:MM"`` (or a ``datetime.time``) to a time; fails naming ``name``."""
    if isinstance(value, dt.time):
        return value
    try:
        return dt.datetime.strptime(str(value).strip(), "%H:%M").time()
    except ValueError:
        fail(f"`{name}` must be a clock time like 18:30, got {value!r}")
        raise


def hours_per_day_from_week(hours_per_week: float, days_per_week: int = 7) -> float:
    """Daily hours from weekly hours spread over ``days_per_week`` days."""
    hours = check_positive("hours_per_week", hours_per_week)
    return hours / check_min_int("days_per_week", days_per_week, 1)


def shift_window(settings: PlanSettings) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Shift start and end (tz Europe/London) on ``settings.plan_date``."""
    day = settings.plan_date or (pd.Timestamp.now(TIMEZONE).date() + dt.timedelta(days=1))
    start = _local(day, parse_clock("shift_start", settings.shift_start))
    end_clock = parse_clock("shift_end", settings.shift_end)
    end = _local(day, end_clock)
    if end <= start:
        end = _local(day + dt.timedelta(days=1), end_clock)
    return start, end


def peak_window(
    settings: PlanSettings, shift: tuple[pd.Timestamp, pd.Timestamp]
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Peak start and end inside the shift (the whole shift when none is given)."""
    if settings.peak_start is None:
        return shift
    start = _next_at(shift[0], parse_clock("peak_start", settings.peak_start))
    end = _next_at(start + pd.Timedelta(minutes=1), parse_clock("peak_end", settings.peak_end))
    if end > shift[1] or start >= shift[1]:
        fail(
            f"the peak {settings.peak_start}-{settings.peak_end} is not inside the shift "
            f"{settings.shift_start}-{settings.shift_end}",
            fix="Choose peak hours within the shift",
        )
    return start, end


#: Length of a peak window found from incident times, hours.
PEAK_HOURS = 4


def busiest_peak(
    incidents: pd.DataFrame,
    shift_start: str = PlanSettings.shift_start,
    shift_end: str = PlanSettings.shift_end,
    length_h: int = PEAK_HOURS,
) -> tuple[str, str] | None:
    """The peak window the incidents' own times suggest: ``(peak_start, peak_end)``.

    It is the ``length_h`` consecutive whole clock hours inside the shift (local
    ``"HH:MM"`` times; a shift ending at or before its start ends the next day) holding
    the most incidents, counted by their ``occurred_at`` hour in ``Europe/London``, ties to
    the earliest. A shift shorter than ``length_h`` gives all its whole hours. The result
    is ready for :class:`PlanSettings`' ``peak_start``/``peak_end``. None when the
    incidents have no times (police.uk), or none falls in the shift's whole hours.
    """
    length_h = check_min_int("length_h", length_h, 1)
    if not peaktimes.has_times(incidents):
        return None
    start = parse_clock("shift_start", shift_start)
    end = parse_clock("shift_end", shift_end)
    start_min = start.hour * 60 + start.minute
    shift_min = (end.hour * 60 + end.minute - start_min) % (24 * 60) or 24 * 60
    first_hour = math.ceil(start_min / 60)
    span_h = (start_min + shift_min) // 60 - first_hour
    by_hour = peaktimes.hour_counts(incidents)
    hours = (first_hour + np.arange(max(span_h, 0))) % 24
    if span_h < 1 or by_hour[hours].sum() == 0:
        return None
    length_h = min(length_h, span_h)
    peak = peaktimes.busiest_run(by_hour, length_h, first_hour % 24, span_h)
    return f"{peak:02d}:00", f"{(peak + length_h) % 24:02d}:00"


def _local(day: dt.date, clock: dt.time) -> pd.Timestamp:
    naive = pd.Timestamp(dt.datetime.combine(day, clock))
    return naive.tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True)


def _next_at(after: pd.Timestamp, clock: dt.time) -> pd.Timestamp:
    """The first local time ``clock`` at or after ``after``."""
    candidate = _local(after.date(), clock)
    return candidate if candidate >= after else _local(after.date() + dt.timedelta(days=1), clock)


def visits_for_every_2h(peak_minutes: float, slot_minutes: float) -> int:
    """Visits a hotspot needs so that gaps stay under 2 h: ``ceil(peak / (120 - slot))``."""
    return max(1, math.ceil(peak_minutes / max(MAX_GAP_MIN - slot_minutes, 1.0)))


def allocate_visits(risk: np.ndarray, total: int, floor: int, cap: int) -> np.ndarray:
    """Visits per hotspot (``risk`` sorted high to low, all > 0); see the module docstring.

    Returns integers that sum to at most ``total``, each 0 or in ``[min(floor, 1), cap]``,
    non-increasing with ``risk``.
    """
    risk = np.asarray(risk, dtype="float64")
    visits = np.zeros(len(risk), dtype="int64")
    if total <= 0 or len(risk) == 0:
        return visits
    if total >= floor:
        n, base = min(len(risk), total // floor), min(floor, cap)
    else:
        n, base = min(len(risk), total), 1
    visits[:n] = base
    extra = total - int(visits.sum())
    open_ = np.arange(n)
    while extra > 0 and len(open_):
        quota = extra * risk[open_] / risk[open_].sum()
        add = np.minimum(np.floor(quota).astype("int64"), cap - visits[open_])
        left = extra - int(add.sum())
        # Largest remainders (ties to the higher rank) among those still under their cap.
        room = visits[open_] + add < cap
        order = np.lexsort((open_, -(quota - np.floor(quota))))
        order = order[room[order]][:left]
        add[order] += 1
        visits[open_] += add
        extra -= int(add.sum())
        open_ = open_[visits[open_] < cap]
        if add.sum() == 0:
            break
    return visits


@dataclass(frozen=True)
class Capacity:
    """What the settings allow: ``shift`` and ``peak`` windows (tz Europe/London),
    ``slot_minutes`` (visit + travel), ``slots_per_unit``, ``budget_minutes`` (hours a
    day x 60), ``visits`` (visits the hours and slots both allow) and ``floor`` (visits
    a hotspot needs to be visited every 2 hours in the peak)."""

    shift: tuple[pd.Timestamp, pd.Timestamp]
    peak: tuple[pd.Timestamp, pd.Timestamp]
    slot_minutes: float
    slots_per_unit: int
    budget_minutes: float
    visits: int
    floor: int

    @property
    def peak_minutes(self) -> float:
        """Length of the peak window, minutes."""
        return (self.peak[1] - self.peak[0]).total_seconds() / 60


def capacity(settings: PlanSettings) -> Capacity:
    """Work out the shift, peak, slots and visits available for ``settings``."""
    shift = shift_window(settings)
    peak = peak_window(settings, shift)
    slot = settings.minutes_per_visit + settings.travel_minutes
    shift_min = (shift[1] - shift[0]).total_seconds() / 60
    slots_per_unit = int((shift_min + settings.travel_minutes) // slot)
    budget = settings.hours_per_day * 60
    visits = min(int(budget // settings.minutes_per_visit), settings.units * slots_per_unit)
    floor = visits_for_every_2h((peak[1] - peak[0]).total_seconds() / 60, slot)
    return Capacity(shift, peak, slot, slots_per_unit, budget, visits, floor)


def plan_patrols(hotspots: gpd.GeoDataFrame, settings: PlanSettings) -> PatrolPlan:
    """Allocate Koper-style visits to the highest-risk hotspots and schedule them.

    Parameters
    ----------
    hotspots : GeoDataFrame with ``id``, ``name``, ``risk`` (expected incidents, e.g.
        :attr:`geo.forecast.Forecast.table`) and polygon geometry; any CRS.
    settings : resources, shift and dosage (:class:`PlanSettings`).

    Returns
    -------
    PatrolPlan
        The plan per hotspot (EPSG:4326), the visit schedule per unit and notes.
    """
    check_columns("hotspots", hotspots.columns, ("hotspot_id", "name", "risk", "geometry"))
    check_not_empty("hotspots", len(hotspots), fix="Find hotspots first")
    room = capacity(settings)
    risk = pd.to_numeric(hotspots["risk"], errors="coerce").fillna(0).to_numpy()
    order = np.lexsort((np.arange(len(risk)), -risk))
    order = order[risk[order] > 0][: settings.max_hotspots]
    visits = allocate_visits(risk[order], room.visits, room.floor, max(room.slots_per_unit, 1))
    chosen = hotspots.iloc[order[visits > 0]].to_crs("EPSG:4326")
    schedule = schedule_visits(chosen, visits[visits > 0], settings, room)
    plan = _plan_table(chosen, settings, schedule, room.peak)
    return PatrolPlan(
        plan=plan,
        schedule=schedule,
        settings=settings,
        capacity=room,
        minutes_used=float(plan["minutes_per_day"].sum()),
        notes=_notes(settings, room, len(chosen), len(order))
        + _travel_notes(int(visits.sum()), len(schedule)),
    )


def schedule_visits(
    hotspots: gpd.GeoDataFrame, visits: np.ndarray, settings: PlanSettings, room: Capacity
) -> pd.DataFrame:
    """Visit times per unit (:data:`SCHEDULE_COLUMNS`), see the module docstring."""
    rng = np.random.default_rng(settings.seed)
    peak_offset = (room.peak[0] - room.shift[0]).total_seconds() / 60
    shift_min = (room.shift[1] - room.shift[0]).total_seconds() / 60
    phase = rng.uniform(0.0, 1.0, len(visits))
    owner = np.repeat(np.arange(len(visits)), visits)
    index = np.concatenate([np.arange(v) for v in visits]) if len(visits) else owner
    target = peak_offset + (index + phase[owner]) * room.peak_minutes / np.maximum(visits[owner], 1)
    xy = hotspot_centres(hotspots)
    group = unit_groups(xy, visits, settings.units, seed=settings.seed)
    tiebreak = rng.permutation(len(target))
    rows = []
    order = np.lexsort((tiebreak, target))
    for unit in range(settings.units):
        mine = order[group[owner[order]] == unit]
        rows += _unit_visits(
            unit, mine, owner=owner, target=target, xy=xy, settings=settings, shift_min=shift_min
        )
    return _schedule_frame(rows, hotspots, settings, room.shift[0])


def _unit_visits(
    unit: int,
    mine: np.ndarray,
    *,
    owner: np.ndarray,
    target: np.ndarray,
    xy: np.ndarray,
    settings: PlanSettings,
    shift_min: float,
) -> list[tuple]:
    """One unit's visits ``mine`` (in target order) as ``(unit, start, h, km, minutes)``.

    Forward: each visit starts at its target, or on arrival from the previous one.
    Backward: visits that would run past the shift end are pulled earlier, keeping each
    one's travel; visits that would then start before the shift are left out.
    """
    hotspot = owner[mine]
    step = np.hypot(*(xy[hotspot[1:]] - xy[hotspot[:-1]]).T) * CIRCUITY / 1e3
    km = np.r_[0.0, step]
    travel = np.r_[0.0, np.maximum(settings.travel_minutes, step / settings.speed_kmh * 60)]
    start = np.asarray(target[mine], dtype="float64").copy()
    for i in range(1, len(start)):
        start[i] = max(start[i], start[i - 1] + settings.minutes_per_visit + travel[i])
    latest = shift_min - settings.minutes_per_visit - 1e-7  # clear of float rounding
    for i in range(len(start) - 1, -1, -1):
        start[i] = min(start[i], latest)
        latest = start[i] - travel[i] - settings.minutes_per_visit
    keep = start >= -1e-9
    if keep.any() and not keep[0]:
        first = int(np.argmax(keep))  # the first kept visit arrives from nowhere
        km[first], travel[first] = 0.0, 0.0
    return [
        (unit, float(start[i]), int(hotspot[i]), float(km[i]), float(travel[i]))
        for i in np.flatnonzero(keep)
    ]


def hotspot_centres(hotspots: gpd.GeoDataFrame) -> np.ndarray:
    """Centres (n, 2) of the hotspot polygons, metres, British National Grid."""
    centres = hotspots.to_crs(BNG).geometry.representative_point()
    return np.column_stack([centres.x.to_numpy(), centres.y.to_numpy()])


def unit_groups(xy: np.ndarray, visits: np.ndarray, units: int, *, seed: int = 0) -> np.ndarray:
    """Unit index (0-based) per hotspot: compact groups with balanced visits.

    ``xy`` hotspot centres in metres; ``visits`` per hotspot (the workload, which follows
    risk). Group centres come from k-means on the centres weighted by visits; then each
    hotspot, most visits first, joins the nearest centre whose group stays within
    :data:`BALANCE` of an equal share of visits, unless that centre is more than
    :data:`MAX_DETOUR_M` farther than the nearest one: then it joins the nearest, and a
    busy group may leave visits out rather than send a unit across the area.
    """
    xy = np.asarray(xy, dtype="float64")
    weight = np.maximum(np.asarray(visits, dtype="float64"), 1e-9)
    k = min(check_min_int("units", units, 1), len(xy))
    if k <= 1:
        return np.zeros(len(xy), dtype="int64")
    from sklearn.cluster import KMeans

    centres = (
        KMeans(n_clusters=k, n_init=10, random_state=seed)
        .fit(xy, sample_weight=weight)
        .cluster_centers_
    )
    share = BALANCE * weight.sum() / k
    load = np.zeros(k)
    group = np.zeros(len(xy), dtype="int64")
    for i in np.lexsort((np.arange(len(xy)), -weight)):
        distance = np.hypot(*(centres - xy[i]).T)
        nearest = np.argsort(distance, kind="stable")
        room = nearest[load[nearest] + weight[i] <= share + 1e-9]
        near_enough = len(room) and distance[room[0]] - distance[nearest[0]] <= MAX_DETOUR_M
        group[i] = room[0] if near_enough else nearest[0]
        load[group[i]] += weight[i]
    return group


def _schedule_frame(
    rows: list[tuple], hotspots: gpd.GeoDataFrame, settings: PlanSettings, start: pd.Timestamp
) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["unit_index", "offset", "h", "travel_km", "travel_min"]
    ).sort_values(["unit_index", "offset"], kind="stable")
    begin = start + pd.to_timedelta(frame["offset"].to_numpy(), unit="min")
    schedule = pd.DataFrame(
        {
            "unit": [f"Unit {u + 1}" for u in frame["unit_index"]],
            "visit": frame.groupby("unit_index").cumcount().to_numpy() + 1,
            "start": begin,
            "end": begin + pd.Timedelta(minutes=settings.minutes_per_visit),
            "hotspot_id": hotspots["hotspot_id"].to_numpy()[frame["h"].to_numpy(dtype="int64")],
            "name": hotspots["name"].to_numpy()[frame["h"].to_numpy(dtype="int64")],
            "travel_km": frame["travel_km"].to_numpy(dtype="float64"),
            "travel_min": frame["travel_min"].to_numpy(dtype="float64"),
        }
    )
    return schedule.reset_index(drop=True)


def peak_gap(starts: pd.Series, peak: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    """Longest time (minutes) in the peak window between visit starts to one hotspot.

    Measured from peak start to the first visit start, between consecutive visit
    starts, and from the last visit start to peak end; visits starting outside the
    peak are ignored. The whole peak when no visit starts in it.
    """
    times = np.sort((starts - peak[0]).dt.total_seconds().to_numpy() / 60)
    peak_min = (peak[1] - peak[0]).total_seconds() / 60
    inside = times[(times >= 0) & (times < peak_min)]
    return float(np.diff(np.r_[0.0, inside, peak_min]).max())


def _plan_table(
    chosen: gpd.GeoDataFrame,
    settings: PlanSettings,
    schedule: pd.DataFrame,
    peak: tuple[pd.Timestamp, pd.Timestamp],
) -> gpd.GeoDataFrame:
    """One row per hotspot with a visit; counts come from the schedule (what was placed).

    A hotspot whose visits all fell out (travel left no room) is not in the plan, so the
    table, the schedule and "hotspots in plan" agree.
    """
    placed = schedule.groupby("hotspot_id").size().reindex(chosen["hotspot_id"], fill_value=0)
    chosen = chosen[placed.to_numpy() > 0]
    ids = chosen["hotspot_id"].to_numpy()
    by_hotspot = schedule.groupby("hotspot_id")["start"]
    scheduled = by_hotspot.size().reindex(ids, fill_value=0).to_numpy()
    gaps = np.array(
        [peak_gap(schedule.loc[schedule["hotspot_id"] == i, "start"], peak) for i in ids]
    )
    risk = chosen["risk"].to_numpy(dtype="float64")
    first = by_hotspot.min().reindex(ids)
    last = by_hotspot.max().reindex(ids)
    table = pd.DataFrame(
        {
            "hotspot_id": ids,
            "plan_rank": np.arange(1, len(ids) + 1),
            "name": chosen["name"].astype("str").to_numpy(),
            "risk": risk,
            "risk_share": risk / risk.sum() if len(risk) else risk,
            "visits_per_day": scheduled.astype("int64"),
            "minutes_per_visit": float(settings.minutes_per_visit),
            "minutes_per_day": scheduled * float(settings.minutes_per_visit),
            "first_visit": first.dt.strftime("%H:%M").to_numpy(),
            "last_visit": last.dt.strftime("%H:%M").to_numpy(),
            "max_gap_min": gaps,
            "every_2h": gaps <= MAX_GAP_MIN,
        }
    )
    return gpd.GeoDataFrame(table, geometry=chosen.geometry.to_numpy(), crs=chosen.crs)


def _travel_notes(wanted: int, placed: int) -> list[str]:
    """Say when travel between hotspots left visits out of the shift."""
    if placed >= wanted:
        return []
    return [
        f"Travel between hotspots leaves room for {placed} of the {wanted} visits the hours "
        "allow; the rest are left out. Add a unit, or plan fewer hotspots."
    ]


def _notes(settings: PlanSettings, room: Capacity, planned: int, candidates: int) -> list[str]:
    """Plain-language warnings about what the hours could not cover."""
    notes = []
    slots = settings.units * room.slots_per_unit
    if room.budget_minutes // settings.minutes_per_visit > slots:
        notes.append(
            f"{settings.hours_per_day:g} h a day is more than {settings.units} unit(s) can "
            f"deliver in this shift ({slots} visits of {settings.minutes_per_visit:g} min "
            f"with {settings.travel_minutes:g} min travel); the plan uses "
            f"{room.visits * settings.minutes_per_visit / 60:g} h."
        )
    if room.visits < room.floor:
        notes.append(
            f"Visiting even one hotspot every 2 hours in the peak needs {room.floor} visits; "
            f"the hours allow {room.visits}. Add hours or shorten the peak window."
        )
    elif planned < candidates:
        notes.append(
            f"The hours allow {planned} of {candidates} hotspots to be visited every 2 hours "
            f"({room.floor} visits each in the peak); the rest are left out."
        )
    return notes
