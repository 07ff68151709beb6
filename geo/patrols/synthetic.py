"""Synthetic demo patrols for Torbay, 2024-01 to 2025-12 (no real GPS data is public).

Everything here is **synthetic**: unit ids start with ``SYN-``, ``source`` is
``"synthetic-demo"`` and file names contain ``synthetic``. The generator is
deterministic (fixed seed) and writes:

* ``torbay-patrols-synthetic.parquet``: canonical pings (:data:`geo.patrols.PING_COLUMNS`).
* ``torbay-hotspots-synthetic.geojson``: the target zones, circles of
  :data:`ZONE_RADIUS_M` around real police.uk snap points (EPSG:4326; ``id``, ``rank``,
  ``name``).
* ``torbay-patrols-synthetic-truth.json``: the ground truth per zone, period and role.

Story: before the funding date (1 June 2024) two police units and a PCSO walk beats
between town-centre streets of Torquay and Paignton, with short stops. From then on the
police units patrol the hotspot zones with planned 11-15 min dwells (Koper dose) and
some short ones, the PCSO keeps the beat, and two street marshals work Thursday to
Saturday evenings with long dwells. Walking speed 1.1-1.5 m/s on straight lines between
snap points, a ping every 30-60 s, 5-15 m GPS error, and a lost-signal gap of 6-20 min in
a quarter of shifts.

Ground truth is measured on the noise-free path at 1 s resolution while the device is
reporting (gaps excluded): minutes inside each zone, visits (inside runs, re-entries
within 2 min merged), and Koper visits (10-16 min). Ping-based metrics lose up to one ping
interval per visit edge, so they recover the truth within a few per cent (see tests).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from shapely.geometry import Point

from geo.io.pings import ping_dtypes, sort_pings
from geo.projection import lonlat_to_bng
from geo.schema import BNG, TIMEZONE, WGS84

SEED = 20240601


SOURCE = "synthetic-demo"


FUNDING_DATE = dt.date(2024, 6, 1)


FIRST_DAY, END_DAY = dt.date(2024, 1, 1), dt.date(2026, 1, 1)


ZONE_RADIUS_M = 60.0


NOISE_M = (5.0, 15.0)


PING_S = (30, 60)


WALK_MPS = (1.1, 1.5)


MERGE_GAP_S = 120


KOPER_S = (600, 960)


PINGS_FILE = "torbay-patrols-synthetic.parquet"


HOTSPOTS_FILE = "torbay-hotspots-synthetic.geojson"


TRUTH_FILE = "torbay-patrols-synthetic-truth.json"


#: police.uk snap points (lat, lon) of Torquay and Paignton town-centre streets.
PLACES: dict[str, tuple[float, float]] = {
    "Castle Circus": (50.468426, -3.531704),
    "Union Street": (50.468276, -3.532855),
    "East Street": (50.470786, -3.540278),
    "Abbey Road": (50.466280, -3.531466),
    "Lower Union Lane": (50.466145, -3.529418),
    "Melville Street": (50.464643, -3.528045),
    "Fleet Street": (50.463305, -3.526495),
    "Cary Parade": (50.461856, -3.525912),
    "Torwood Street": (50.461370, -3.521797),
    "Princes Road": (50.470106, -3.525008),
    "Victoria Street": (50.435618, -3.566088),
    "Torbay Road": (50.435283, -3.562923),
    "Winner Street": (50.435678, -3.571624),
    "Hyde Road": (50.436908, -3.565765),
    "Palace Avenue": (50.435536, -3.569465),
}


#: Target zones (id, place); rank is the order here.
ZONES: tuple[tuple[str, str], ...] = (
    ("castle-circus", "Castle Circus"),
    ("fleet-street", "Fleet Street"),
    ("torwood-street", "Torwood Street"),
    ("victoria-street", "Victoria Street"),
    ("torbay-road", "Torbay Road"),
)


TOWNS: dict[str, dict[str, tuple[str, ...]]] = {
    "torquay": {
        "beat": (
            "Castle Circus", "Union Street", "East Street", "Abbey Road", "Lower Union Lane",
            "Melville Street", "Fleet Street", "Cary Parade", "Torwood Street", "Princes Road",
        ),
        "zones": ("Castle Circus", "Fleet Street", "Torwood Street"),
    },
    "paignton": {
        "beat": ("Victoria Street", "Torbay Road", "Winner Street", "Hyde Road", "Palace Avenue"),
        "zones": ("Victoria Street", "Torbay Road"),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """A synthetic unit: who, where, which weekdays (0 = Monday) and shift hours (local)."""

    unit_id: str
    role: str
    town: str
    weekdays: tuple[int, ...]
    start_hour: int
    hours: int
    mode_before: str | None
    mode_after: str


UNITS: tuple[Unit, ...] = (
    Unit("SYN-PC-TQ1", "police", "torquay", (0, 1, 2, 3, 4), 12, 6, "beat", "hotspot"),
    Unit("SYN-PC-PG1", "police", "paignton", (2, 3, 4, 5, 6), 12, 6, "beat", "hotspot"),
    Unit("SYN-PCSO-TQ1", "pcso", "torquay", (0, 1, 3, 4), 9, 6, "beat", "beat"),
    Unit("SYN-SM-TQ1", "marshal", "torquay", (3, 4, 5), 19, 6, None, "marshal"),
    Unit("SYN-SM-PG1", "marshal", "paignton", (3, 4, 5), 19, 6, None, "marshal"),
)


@dataclass(frozen=True)
class SyntheticPatrols:
    """Generated pings (canonical table), target zones (EPSG:4326) and ground truth."""

    pings: pd.DataFrame
    hotspots: gpd.GeoDataFrame
    truth: dict


def generate(
    seed: int = SEED, first_day: dt.date = FIRST_DAY, end_day: dt.date = END_DAY
) -> SyntheticPatrols:
    """Generate the synthetic Torbay patrols for local dates [first_day, end_day).

    Same arguments, same output. The pings are sorted by unit and time.
    """
    rng = np.random.default_rng(seed)
    places = _places_bng()
    centres = np.array([places[place] for _, place in ZONES])
    pings, runs, dwells = [], [], []
    for day in pd.date_range(first_day, end_day - dt.timedelta(days=1), freq="D").date:
        period = "before" if day < FUNDING_DATE else "after"
        for unit in UNITS:
            mode = unit.mode_before if period == "before" else unit.mode_after
            if mode is None or day.weekday() not in unit.weekdays:
                continue
            start = pd.Timestamp(dt.datetime.combine(day, dt.time(unit.start_hour)), tz=TIMEZONE)
            shift = _shift(
                rng, unit, mode, start, places=places, centres=centres, duration_s=unit.hours * 3600
            )
            pings.append(shift["pings"].assign(shift_id=f"{unit.unit_id}-{day.isoformat()}"))
            runs.append(shift["runs"].assign(period=period, role=unit.role))
            dwells.append(shift["dwells"].assign(period=period, role=unit.role))
    table = sort_pings(ping_dtypes(pd.concat(pings, ignore_index=True).assign(source=SOURCE)))
    truth = _truth(pd.concat(runs, ignore_index=True), pd.concat(dwells, ignore_index=True))
    return SyntheticPatrols(table, hotspot_zones_synthetic(), truth)


def hotspot_zones_synthetic() -> gpd.GeoDataFrame:
    """The synthetic target zones: ``id``, ``rank``, ``name``, ``synthetic``, geometry
    (circles of :data:`ZONE_RADIUS_M` m drawn in EPSG:27700, returned in EPSG:4326)."""
    places = _places_bng()
    circles = [Point(places[place]).buffer(ZONE_RADIUS_M, quad_segs=32) for _, place in ZONES]
    zones = gpd.GeoDataFrame(
        {
            "hotspot_id": [zone_id for zone_id, _ in ZONES],
            "rank": np.arange(1, len(ZONES) + 1),
            "name": [f"{place} (synthetic zone)" for _, place in ZONES],
            "synthetic": True,
        },
        geometry=circles,
        crs=BNG,
    )
    return zones.to_crs(WGS84)


def write_synthetic(out_dir: str | Path, seed: int = SEED) -> list[Path]:
    """(Re)write the three synthetic files into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(seed)
    pings = data.pings.copy()
    # Whole metres are far below the 5-15 m GPS error; with delta-coded times and
    # byte-split coordinates the two years fit in about 3 MB.
    pings[["easting", "northing"]] = pings[["easting", "northing"]].round(0)
    paths = [out_dir / PINGS_FILE, out_dir / HOTSPOTS_FILE, out_dir / TRUTH_FILE]
    pq.write_table(
        pa.Table.from_pandas(pings, preserve_index=False),
        paths[0],
        compression="zstd",
        compression_level=19,
        use_dictionary=["unit_id", "role", "shift_id", "source"],
        column_encoding={
            "timestamp": "DELTA_BINARY_PACKED",
            "easting": "BYTE_STREAM_SPLIT",
            "northing": "BYTE_STREAM_SPLIT",
        },
    )
    data.hotspots.to_file(paths[1], driver="GeoJSON")
    paths[2].write_text(json.dumps(data.truth, indent=1) + "\n")
    return paths


def read_synthetic_pings(path: str | Path) -> pd.DataFrame:
    """Read the synthetic ping parquet back as the canonical ping table."""
    return ping_dtypes(pd.read_parquet(path))


def _places_bng() -> dict[str, tuple[float, float]]:
    lat, lon = np.array(list(PLACES.values())).T
    x, y = lonlat_to_bng(lon, lat)
    return {name: (float(e), float(n)) for name, e, n in zip(PLACES, x, y, strict=True)}


def _shift(
    rng: np.random.Generator,
    unit: Unit,
    mode: str,
    start: pd.Timestamp,
    *,
    places: dict[str, tuple[float, float]],
    centres: np.ndarray,
    duration_s: int,
) -> dict[str, pd.DataFrame]:
    """One shift: pings, true inside runs and planned dwells."""
    knots_t, knots_xy, dwells = _route(rng, unit, mode, places, duration_s)
    ping_s = np.cumsum(rng.integers(*PING_S, endpoint=True, size=duration_s // PING_S[0]))
    ping_s = np.r_[0, ping_s[ping_s < duration_s]]
    reporting = np.ones(duration_s, dtype=bool)
    if rng.random() < 0.25:
        gap_start = int(rng.integers(0, duration_s - 1200))
        reporting[gap_start : gap_start + int(rng.integers(360, 1200))] = False
    ping_s = ping_s[reporting[ping_s]]
    angle = rng.uniform(0, 2 * np.pi, len(ping_s))
    error = rng.uniform(*NOISE_M, len(ping_s))
    x = np.interp(ping_s, knots_t, knots_xy[:, 0]) + error * np.cos(angle)
    y = np.interp(ping_s, knots_t, knots_xy[:, 1]) + error * np.sin(angle)
    pings = pd.DataFrame(
        {
            "unit_id": unit.unit_id,
            "role": unit.role,
            "timestamp": start + pd.to_timedelta(ping_s, unit="s"),
            "easting": x,
            "northing": y,
        }
    )
    seconds = np.arange(duration_s)
    true_x = np.interp(seconds, knots_t, knots_xy[:, 0])
    true_y = np.interp(seconds, knots_t, knots_xy[:, 1])
    inside = np.hypot(true_x - centres[:, :1], true_y - centres[:, 1:]) <= ZONE_RADIUS_M
    runs = _inside_runs(inside & reporting, start)
    return {"pings": pings, "runs": runs, "dwells": dwells.assign(unit_id=unit.unit_id)}


def _route(
    rng: np.random.Generator,
    unit: Unit,
    mode: str,
    places: dict[str, tuple[float, float]],
    duration_s: int,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Knots (seconds from shift start, BNG x/y) of the noise-free path, and planned dwells."""
    town = TOWNS[unit.town]
    here = np.array(places[town["beat"][rng.integers(len(town["beat"]))]])
    times, points, dwells = [0.0], [here], []
    while times[-1] < duration_s:
        to_zone = mode != "beat" and rng.random() < 0.75
        options = [
            p for p in (town["zones"] if to_zone else town["beat"]) if places[p] != tuple(here)
        ]
        target = options[rng.integers(len(options))]
        speed = rng.uniform(*WALK_MPS)
        goal = np.array(places[target])
        times.append(times[-1] + float(np.hypot(*(goal - here))) / speed)
        points.append(goal)
        here = goal
        inside_s = _planned_inside_s(rng, mode if to_zone else "beat")
        # The walk from the edge to the centre and back out is inside too.
        dwell_s = max(inside_s - 2 * ZONE_RADIUS_M / speed, 0.0)
        if to_zone:
            dwells.append((target, times[-1] - ZONE_RADIUS_M / speed, inside_s))
        for t, point in _wander(rng, here, times[-1], dwell_s):
            times.append(t)
            points.append(point)
    planned = pd.DataFrame(dwells, columns=["place", "start_s", "inside_s"])
    planned = planned[planned["start_s"] + planned["inside_s"] <= duration_s]
    return np.array(times), np.array(points), planned


def _planned_inside_s(rng: np.random.Generator, mode: str) -> float:
    """Planned minutes inside a zone per stop, as seconds (beat: a short stop or none)."""
    if mode == "hotspot":
        low, high = (11, 15) if rng.random() < 0.8 else (4, 8)
    elif mode == "marshal":
        low, high = (18, 30) if rng.random() < 0.75 else (11, 15)
    else:
        low, high = (0, 0) if rng.random() < 0.5 else (1, 5)
    return float(rng.uniform(low, high) * 60)


def _wander(
    rng: np.random.Generator, centre: np.ndarray, start_s: float, dwell_s: float
) -> list[tuple[float, np.ndarray]]:
    """Slow wander inside the zone, ending at the centre; stays 20 m inside the edge so
    that the 5-15 m GPS error never puts a dwelling unit outside."""
    if dwell_s <= 0:
        return []
    legs = max(int(dwell_s // 90), 1)
    radius = (ZONE_RADIUS_M - 20.0) * np.sqrt(rng.uniform(0, 1, legs))
    angle = rng.uniform(0, 2 * np.pi, legs)
    offsets = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    offsets[-1] = 0.0
    times = start_s + dwell_s * np.arange(1, legs + 1) / legs
    return list(zip(times, centre + offsets, strict=True))


def _inside_runs(inside: np.ndarray, start: pd.Timestamp) -> pd.DataFrame:
    """True visits per zone from a (zone, second) inside mask: runs merged within 2 min."""
    rows = []
    for zone_index, mask in enumerate(inside):
        edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
        run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        if len(run_start) == 0:
            continue
        new = np.r_[True, run_start[1:] - run_end[:-1] > MERGE_GAP_S]
        first, last = np.flatnonzero(new), np.r_[np.flatnonzero(new)[1:] - 1, len(new) - 1]
        seconds = np.add.reduceat(run_end - run_start, first)
        for a, b, s in zip(run_start[first], run_end[last], seconds, strict=True):
            rows.append((ZONES[zone_index][0], start + pd.Timedelta(seconds=int(a)), b - a, s))
    return pd.DataFrame(rows, columns=["zone", "start", "span_s", "inside_s"])


def _truth(runs: pd.DataFrame, dwells: pd.DataFrame) -> dict:
    """Ground truth per zone, period and role (and all roles)."""
    zone_of_place = {place: zone_id for zone_id, place in ZONES}
    dwells = dwells.assign(zone=dwells["place"].map(zone_of_place))
    runs = runs.assign(koper=runs["span_s"].between(*KOPER_S))
    records = []
    for role in ["all", *sorted(runs["role"].unique())]:
        r = runs if role == "all" else runs[runs["role"] == role]
        d = dwells if role == "all" else dwells[dwells["role"] == role]
        by_run = r.groupby(["zone", "period"]).agg(
            inside_minutes=("inside_s", lambda s: s.sum() / 60),
            visits=("span_s", "size"),
            koper_visits=("koper", "sum"),
        )
        by_dwell = d.groupby(["zone", "period"]).agg(
            planned_dwells=("inside_s", "size"),
            planned_koper_dwells=("inside_s", lambda s: s.between(660, 900).sum()),
        )
        table = by_run.join(by_dwell, how="outer").fillna(0).reset_index().assign(role=role)
        records.extend(table.to_dict(orient="records"))
    for record in records:
        for key in ("visits", "koper_visits", "planned_dwells", "planned_koper_dwells"):
            record[key] = int(record[key])
        record["inside_minutes"] = round(float(record["inside_minutes"]), 3)
    return {
        "synthetic": True,
        "source": SOURCE,
        "seed": SEED,
        "funding_date": FUNDING_DATE.isoformat(),
        "window": [FIRST_DAY.isoformat(), END_DAY.isoformat()],
        "zone_radius_m": ZONE_RADIUS_M,
        "definitions": {
            "inside_minutes": "minutes the noise-free path is inside the zone while the "
            "device reports (1 s resolution); for role 'all' summed over units",
            "visits": "inside runs of one unit, re-entries within 2 min merged",
            "koper_visits": "visits lasting 10-16 min",
            "planned_dwells": "stops the generator planned in the zone",
            "planned_koper_dwells": "planned stops of 11-15 min inside",
        },
        "units": [unit.__dict__ for unit in UNITS],
        "zones": records,
    }
