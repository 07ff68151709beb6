"""Read and validate patrol positions: GPS ping CSVs, GPX tracks and patrol logs.

Every reader returns a :class:`PatrolRead`: the accepted rows in a canonical table, the
rejected rows with a reason (``accepted + rejected = read``) and a flags table for rows
that are kept but look wrong (flag, don't hide).

Canonical ping table (:data:`PING_COLUMNS`), sorted by ``unit_id`` then ``timestamp``:

| column    | type                              | meaning |
|-----------|-----------------------------------|---------|
| unit_id   | string                            | radio, vehicle or marshal id |
| role      | string                            | ``police``, ``pcso``, ``marshal`` or ``unknown`` |
| shift_id  | string, nullable                  | shift of the ping, when the source has one |
| timestamp | timestamp, tz ``Europe/London``   | time of the fix (millisecond resolution) |
| easting   | float64, metres, EPSG:27700       | British National Grid x |
| northing  | float64, metres, EPSG:27700       | British National Grid y |
| source    | string                            | file the row came from (basename) |

Time rules (Europe/London, :data:`geo.schema.TIMEZONE`):

* Times with an offset or ``Z`` are converted. Naive times are local wall-clock times.
* A naive time that does not exist (the skipped hour, 01:00-01:59 on the last Sunday
  of March) is rejected with reason ``"nonexistent local time"``: we cannot know which
  clock the device meant, and shifting it would invent a position.
* A naive time that occurs twice (01:00-01:59 on the last Sunday of October) is read
  as BST (+01:00, the first occurrence) until that unit's clock goes back in file order;
  from then on as GMT (+00:00, the second occurrence). Such rows are kept and flagged
  ``"ambiguous local time"`` with the offset chosen.

Flags (:data:`FLAGS`), one row per flagged ping:

* ``unsorted``: the ping is earlier than the previous ping of the same unit in file order.
* ``duplicate ping``: same unit and timestamp as another ping (first one not flagged).
* ``impossible speed``: straight-line speed from the previous ping above the role's
  :data:`MAX_SPEED_MPS`.
* ``long gap``: more than ``max_gap_min`` minutes since the previous ping of the same
  unit and shift (gaps between shifts are not flagged when ``shift_id`` is given). The
  default is :data:`geo.schema.MAX_GAP_MIN`, the longest gap patrol dosage bridges, on
  purpose: a flagged gap is exactly one that breaks a stay in a hotspot, so the flag tells
  the user where patrol minutes stop counting rather than an unrelated "slow logger" level.
* ``ambiguous local time``: see above.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.checks import check_columns, check_not_empty, check_positive, fail
from geo.io.csv import read_csv_table
from geo.projection import lonlat_to_bng
from geo.schema import (
    BNG,
    GB_EXTENT_BNG,
    MAX_GAP_MIN,
    REASON_NO_COORDINATES,
    REASON_OUTSIDE_GB,
    REASON_ZERO_COORDINATES,
    REJECTED_COLUMNS,
    TIMEZONE,
)

PING_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "role",
    "shift_id",
    "timestamp",
    "easting",
    "northing",
    "source",
)


LOG_COLUMNS: tuple[str, ...] = ("unit_id", "role", "start", "end", "hotspot_id", "place", "source")


FLAG_COLUMNS: tuple[str, ...] = ("source", "row", "unit_id", "timestamp", "flag", "detail")


ROLES: tuple[str, ...] = ("police", "pcso", "marshal")


UNKNOWN_ROLE = "unknown"


#: Highest believable straight-line speed between two pings, metres per second. Police
#: may drive (about 110 mph); PCSOs walk or cycle; marshals walk or run.
MAX_SPEED_MPS: dict[str, float] = {"police": 50.0, "pcso": 10.0, "marshal": 6.0, UNKNOWN_ROLE: 50.0}


REASON_NO_UNIT = "no unit id"


REASON_BAD_TIMESTAMP = "unparsable timestamp"


REASON_NONEXISTENT_TIME = "nonexistent local time"


REASON_IMPLAUSIBLE_TIME = "time outside the plausible range"

#: Earliest plausible patrol time. Force GPS/AVL logging of foot patrols dates from the
#: 2000s; a time before this (year 0, 0001-01-01) is a placeholder or an export error.
FIRST_PLAUSIBLE_TIME = pd.Timestamp("2000-01-01", tz=TIMEZONE)

#: Slack after "now" for a device clock that runs fast, so a live feed is not rejected.
CLOCK_SLACK = pd.Timedelta(days=1)


REASON_UNKNOWN_ROLE = "unknown role"


REASON_END_BEFORE_START = "end before start"


REASON_NO_PLACE = "no place or hotspot"


FLAG_UNSORTED = "unsorted"


FLAG_DUPLICATE = "duplicate ping"


FLAG_SPEED = "impossible speed"


FLAG_GAP = "long gap"


FLAG_AMBIGUOUS = "ambiguous local time"


FLAGS: tuple[str, ...] = (FLAG_UNSORTED, FLAG_DUPLICATE, FLAG_SPEED, FLAG_GAP, FLAG_AMBIGUOUS)


_ALIASES = {
    "unit": "unit_id",
    "latitude": "lat",
    "longitude": "lon",
    "lng": "lon",
    "hotspot": "hotspot_id",
    "start_time": "start",
    "end_time": "end",
}


_AWARE_PATTERN = r"(?:Z|[+-]\d{2}:?\d{2})$"


_TIME_UNIT = "ms"


@dataclass(frozen=True)
class PatrolRead:
    """What a reader accepted, rejected (with reasons) and flagged.

    ``rows`` is the canonical table (:data:`PING_COLUMNS` or :data:`LOG_COLUMNS`),
    ``rejected`` has :data:`geo.schema.REJECTED_COLUMNS`, ``flags`` has :data:`FLAG_COLUMNS`,
    and ``read`` counts the data rows in the source(s): ``len(rows) + len(rejected)``.
    """

    rows: pd.DataFrame
    rejected: pd.DataFrame
    flags: pd.DataFrame
    read: int

    def days(self) -> tuple[dt.date, dt.date] | None:
        """First and last local (Europe/London) day with an accepted ping; None without."""
        if self.rows.empty or "timestamp" not in self.rows.columns:
            return None
        local = self.rows["timestamp"].dt.tz_convert(TIMEZONE)
        return local.min().date(), local.max().date()

    def flag_counts(self) -> pd.DataFrame:
        """Flagged pings per flag, most first: columns ``flag`` and ``pings``."""
        counts = self.flags["flag"].value_counts()
        return counts.rename_axis("flag").reset_index(name="pings")


def read_pings(path: str | Path, *, max_gap_min: float = MAX_GAP_MIN) -> PatrolRead:
    """Read a GPS ping CSV into the canonical ping table.

    Parameters
    ----------
    path
        CSV with columns ``unit_id``, ``timestamp`` and either ``lat``/``lon`` (degrees,
        EPSG:4326) or ``easting``/``northing`` (metres, EPSG:27700); optional ``role``
        and ``shift_id``. Column names are case-insensitive.
    max_gap_min
        Gaps between pings longer than this (minutes) are flagged ``long gap``.
    """
    path = Path(path)
    csv = _read_csv(path, "ping CSV")
    check_columns("ping CSV", csv.frame.columns, ("unit_id", "timestamp"), file=path)
    _check_coordinate_columns(csv.frame, path)
    read = validate_pings(
        csv.frame, source=path.name, max_gap_min=max_gap_min, row_numbers=csv.lines
    )
    return _with_malformed(read, csv.malformed)


def read_gpx(
    path: str | Path, *, role: str | None = None, max_gap_min: float = MAX_GAP_MIN
) -> PatrolRead:
    """Read a GPX file into the canonical ping table.

    Each named track is one unit (``unit_id`` = track name); unnamed tracks take the file
    name without extension, so "one file per unit" and "one named track per unit" both
    work. The role is the track's ``<type>`` when it is a known role, else ``role``.
    ``row`` in the rejected and flags tables is the 1-based track point number.
    """
    path = Path(path)
    records = _gpx_points(path)
    frame = pd.DataFrame(
        records, columns=["unit_id", "role", "timestamp", "lat", "lon"], dtype="str"
    )
    if role is not None:
        frame["role"] = frame["role"].fillna(role)
    lines = np.arange(1, len(frame) + 1)
    return validate_pings(frame, source=path.name, max_gap_min=max_gap_min, row_numbers=lines)


def read_patrol_log(path: str | Path) -> PatrolRead:
    """Read a patrol log CSV: one row per stay of a unit at a place or hotspot.

    Columns ``unit_id`` (or ``unit``), ``start``, ``end`` and ``place`` and/or
    ``hotspot_id``; optional ``role``. Times follow the module's time rules. Returns
    :data:`LOG_COLUMNS`; :func:`geo.coverage.log_intervals` turns it into presence
    intervals.
    """
    path = Path(path)
    csv = _read_csv(path, "patrol log")
    frame = csv.frame
    check_columns("patrol log", frame.columns, ("unit_id", "start", "end"), file=path)
    if "place" not in frame.columns and "hotspot_id" not in frame.columns:
        fail(
            "patrol log has no 'place' or 'hotspot_id' column",
            fix="Add one of them naming where each stay happened",
            file=path,
        )
    for column in ("role", "place", "hotspot_id"):
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    unit = _clean_text(frame["unit_id"])
    role, role_ok = _clean_roles(frame["role"])
    start, start_bad, start_gap, start_amb = _localise(frame["start"], unit)
    end, end_bad, end_gap, end_amb = _localise(frame["end"], unit)
    place, hotspot = _clean_text(frame["place"]), _clean_text(frame["hotspot_id"])
    reasons = _first_reason(
        [
            (unit.isna().to_numpy(), REASON_NO_UNIT),
            (start_bad | end_bad, REASON_BAD_TIMESTAMP),
            (start_gap | end_gap, REASON_NONEXISTENT_TIME),
            (_implausible(start) | _implausible(end), REASON_IMPLAUSIBLE_TIME),
            (~role_ok, REASON_UNKNOWN_ROLE),
            ((end < start).fillna(False).to_numpy(), REASON_END_BEFORE_START),
            ((place.isna() & hotspot.isna()).to_numpy(), REASON_NO_PLACE),
        ]
    )
    keep = reasons == ""
    lines = csv.lines
    rows = pd.DataFrame(
        {
            "unit_id": unit,
            "role": role,
            "start": start,
            "end": end,
            "hotspot_id": hotspot,
            "place": place,
            "source": path.name,
        }
    )[keep].reset_index(drop=True)
    ambiguous = (start_amb | end_amb) & keep
    flags = _flag_rows(
        path.name,
        lines,
        unit,
        start,
        ambiguous,
        flag=FLAG_AMBIGUOUS,
        detail="start or end is an ambiguous local time, read by the DST rule",
    )
    rejected = _rejected_rows(frame, path.name, lines, reasons)
    return _with_malformed(PatrolRead(rows, rejected, flags, len(frame)), csv.malformed)


def read_patrols(paths: list[str | Path], *, max_gap_min: float = MAX_GAP_MIN) -> PatrolRead:
    """Read ping CSVs, GPX files and ping parquet files (by extension) into one table.

    A ``.parquet`` file must hold canonical pings (e.g. the synthetic demo); it is
    validated like a CSV.
    """
    check_not_empty("paths", len(paths), fix="Pass at least one ping CSV, GPX or parquet file")
    reads = []
    for path in map(Path, paths):
        suffix = path.suffix.lower()
        if suffix == ".gpx":
            reads.append(read_gpx(path, max_gap_min=max_gap_min))
        elif suffix == ".parquet":
            reads.append(_read_ping_parquet(path, max_gap_min=max_gap_min))
        else:
            reads.append(read_pings(path, max_gap_min=max_gap_min))
    rows = pd.concat([read.rows for read in reads], ignore_index=True)
    return PatrolRead(
        sort_pings(rows),
        pd.concat([read.rejected for read in reads], ignore_index=True),
        pd.concat([read.flags for read in reads], ignore_index=True),
        sum(read.read for read in reads),
    )


def validate_pings(
    frame: pd.DataFrame,
    *,
    source: str,
    max_gap_min: float = MAX_GAP_MIN,
    row_numbers: np.ndarray | None = None,
) -> PatrolRead:
    """Validate raw ping fields (strings or numbers) into the canonical ping table.

    ``frame`` has ``unit_id``, ``timestamp`` and ``lat``/``lon`` or ``easting``/``northing``
    (EPSG:27700 metres); optional ``role`` and ``shift_id``. ``row_numbers`` gives each row's
    1-based data row in the source (default: row after the CSV header = 1).
    """
    max_gap_min = check_positive("max_gap_min", max_gap_min)
    lines = np.arange(1, len(frame) + 1) if row_numbers is None else np.asarray(row_numbers)
    unit = _clean_text(frame["unit_id"])
    roles = frame["role"] if "role" in frame.columns else pd.Series(pd.NA, index=frame.index)
    role, role_ok = _clean_roles(roles)
    shift = (
        _clean_text(frame["shift_id"])
        if "shift_id" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="str")
    )
    timestamp, bad_time, nonexistent, ambiguous = _localise(frame["timestamp"], unit)
    implausible = _implausible(timestamp)
    easting, northing = _bng_coordinates(frame)
    no_xy = np.isnan(easting) | np.isnan(northing)
    zero = _zero_coordinates(frame)
    west, south, east, north = GB_EXTENT_BNG
    outside = ~no_xy & (
        (easting < west) | (easting > east) | (northing < south) | (northing > north)
    )
    reasons = _first_reason(
        [
            (unit.isna().to_numpy(), REASON_NO_UNIT),
            (bad_time, REASON_BAD_TIMESTAMP),
            (nonexistent, REASON_NONEXISTENT_TIME),
            (implausible, REASON_IMPLAUSIBLE_TIME),
            (zero, REASON_ZERO_COORDINATES),
            (no_xy, REASON_NO_COORDINATES),
            (outside, REASON_OUTSIDE_GB),
            (~role_ok, REASON_UNKNOWN_ROLE),
        ]
    )
    keep = reasons == ""
    pings = pd.DataFrame(
        {
            "unit_id": unit,
            "role": role,
            "shift_id": shift,
            "timestamp": timestamp,
            "easting": easting,
            "northing": northing,
            "source": source,
        }
    )[keep]
    kept_lines = lines[keep]
    flags = pd.concat(
        [
            _flag_rows(
                source,
                lines,
                unit,
                timestamp,
                ambiguous & keep,
                flag=FLAG_AMBIGUOUS,
                detail=_ambiguous_detail(timestamp, ambiguous & keep),
            ),
            _unsorted_flags(pings, kept_lines, source),
            _track_flags(pings, kept_lines, source, max_gap_min * 60.0),
        ],
        ignore_index=True,
    )
    rejected = _rejected_rows(frame, source, lines, reasons)
    return PatrolRead(sort_pings(pings), rejected, flags, len(frame))


def sort_pings(pings: pd.DataFrame) -> pd.DataFrame:
    """Return ``pings`` stably sorted by ``unit_id`` then ``timestamp``, index reset."""
    order = np.lexsort((epoch_ms(pings["timestamp"]), pd.factorize(pings["unit_id"], sort=True)[0]))
    return pings.iloc[order].reset_index(drop=True)


def ping_dtypes(pings: pd.DataFrame) -> pd.DataFrame:
    """Return ``pings`` with the canonical column order and dtypes (see module docstring)."""
    out = pings.loc[:, list(PING_COLUMNS)].copy()
    for column in ("unit_id", "role", "shift_id", "source"):
        out[column] = out[column].astype("str")
    out["timestamp"] = out["timestamp"].dt.tz_convert(TIMEZONE).dt.as_unit(_TIME_UNIT)
    out[["easting", "northing"]] = out[["easting", "northing"]].astype("float64")
    return out


@dataclass(frozen=True)
class _CsvFrame:
    """A ping or log CSV as text columns, its data-row numbers, and its malformed rows."""

    frame: pd.DataFrame
    lines: np.ndarray
    malformed: pd.DataFrame


def _read_csv(path: Path, what: str) -> _CsvFrame:
    """Read through the project's one CSV reader (:func:`geo.io.csv.read_csv_table`)."""
    if not path.is_file():
        fail(f"{what} not found", fix="Check the path", file=path)
    parsed = read_csv_table(path, path.name)
    frame = parsed.table.to_pandas(types_mapper=lambda _: pd.StringDtype())
    frame.columns = [_ALIASES.get(name, name) for name in frame.columns.str.strip().str.lower()]
    return _CsvFrame(frame.astype("str").where(frame.notna()), parsed.row_numbers, parsed.malformed)


def _with_malformed(read: PatrolRead, malformed: pd.DataFrame) -> PatrolRead:
    """``read`` with the file's malformed rows among its rejected rows (and its count)."""
    if malformed.empty:
        return read
    rejected = pd.concat([read.rejected, malformed], ignore_index=True).sort_values(
        ["source", "row"], kind="stable", ignore_index=True
    )
    return PatrolRead(read.rows, rejected, read.flags, read.read + len(malformed))


def _read_ping_parquet(path: Path, *, max_gap_min: float) -> PatrolRead:
    if not path.is_file():
        fail("ping parquet not found", fix="Check the path", file=path)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        fail(f"not a readable parquet file ({error})", fix="Use a ping CSV instead", file=path)
    check_columns("ping parquet", frame.columns, ("unit_id", "timestamp"), file=path)
    _check_coordinate_columns(frame, path)
    return validate_pings(frame, source=path.name, max_gap_min=max_gap_min)


def _check_coordinate_columns(frame: pd.DataFrame, path: Path) -> None:
    columns = set(frame.columns)
    if {"lat", "lon"} <= columns or {"easting", "northing"} <= columns:
        return
    fail(
        "ping CSV is missing coordinate column(s): needs 'lat' and 'lon' (EPSG:4326) or "
        f"'easting' and 'northing' ({BNG})",
        fix=f"Columns found: {', '.join(sorted(columns))}",
        file=path,
    )


def _gpx_points(path: Path) -> list[tuple]:
    if not path.is_file():
        fail("GPX file not found", fix="Check the path", file=path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        fail(f"not a readable GPX file ({error})", fix="Export the track as GPX 1.1", file=path)
    if not root.tag.endswith("gpx"):
        fail(f"not a GPX file (root element {root.tag!r})", fix="Export as GPX", file=path)
    records = []
    for track in root.iterfind("{*}trk"):
        name = _child_text(track, "name") or path.stem
        kind = (_child_text(track, "type") or "").lower()
        role = kind if kind in ROLES else None
        for point in track.iterfind("{*}trkseg/{*}trkpt"):
            records.append(
                (name, role, _child_text(point, "time"), point.get("lat"), point.get("lon"))
            )
    if not records:
        fail("GPX file has no track points", fix="Export tracks (<trk>), not routes", file=path)
    return records


def _child_text(element: ET.Element, tag: str) -> str | None:
    child = element.find(f"{{*}}{tag}")
    return child.text.strip() if child is not None and child.text else None


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    return text.mask(text == "")


def _clean_roles(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    role = _clean_text(values).str.lower().fillna(UNKNOWN_ROLE)
    ok = role.isin((*ROLES, UNKNOWN_ROLE)).to_numpy()
    return role, ok


def _localise(
    values: pd.Series, unit: pd.Series
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Parse ISO 8601 times into Europe/London by the module's rules.

    Returns ``(timestamps, unparsable, nonexistent, ambiguous)``; masks are numpy bools.
    Already tz-aware datetimes (canonical parquet pings) are only converted.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        result = values.dt.tz_convert(TIMEZONE).dt.as_unit(_TIME_UNIT)
        no_flags = np.zeros(len(values), dtype=bool)
        return result, result.isna().to_numpy(), no_flags, no_flags.copy()
    text = _clean_text(values)
    aware = text.str.contains(_AWARE_PATTERN, regex=True).fillna(False).to_numpy(dtype=bool)
    result = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[{_TIME_UNIT}, {TIMEZONE}]")
    if aware.any():
        parsed = pd.to_datetime(text[aware], utc=True, errors="coerce", format="ISO8601")
        result[aware] = parsed.dt.tz_convert(TIMEZONE).dt.as_unit(_TIME_UNIT)
    naive = pd.to_datetime(text[~aware], errors="coerce", format="ISO8601").dt.as_unit(_TIME_UNIT)
    parsed_ok = result.notna().to_numpy(dtype=bool, copy=True)
    parsed_ok[~aware] = naive.notna().to_numpy(dtype=bool)
    local = naive.dt.tz_localize(TIMEZONE, ambiguous="NaT", nonexistent="NaT")
    trouble = (local.isna() & naive.notna()).to_numpy(dtype=bool)
    nonexistent = np.zeros(len(values), dtype=bool)
    ambiguous = np.zeros(len(values), dtype=bool)
    if trouble.any():
        odd = naive[trouble]
        as_bst = odd.dt.tz_localize(TIMEZONE, ambiguous=np.ones(len(odd), bool), nonexistent="NaT")
        is_ambiguous = as_bst.notna().to_numpy(dtype=bool)
        summer = _bst_until_clock_goes_back(odd, unit[~aware][trouble], is_ambiguous)
        local[odd.index] = odd.dt.tz_localize(TIMEZONE, ambiguous=summer, nonexistent="NaT")
        positions = np.flatnonzero(~aware)[trouble]
        nonexistent[positions[~is_ambiguous]] = True
        ambiguous[positions[is_ambiguous]] = True
    result[~aware] = local
    return result, ~parsed_ok, nonexistent, ambiguous


def _implausible(timestamps: pd.Series) -> np.ndarray:
    """Times before :data:`FIRST_PLAUSIBLE_TIME` or after now plus :data:`CLOCK_SLACK`.

    One ping dated 2262 or 9999 would otherwise stretch the "after" window to thousands
    of weeks and make every per-week figure close to zero.
    """
    latest = pd.Timestamp.now(tz=TIMEZONE) + CLOCK_SLACK
    outside = (timestamps < FIRST_PLAUSIBLE_TIME) | (timestamps > latest)
    return outside.fillna(False).to_numpy(dtype=bool)


def _bst_until_clock_goes_back(
    naive: pd.Series, unit: pd.Series, is_ambiguous: np.ndarray
) -> np.ndarray:
    """True (BST) for ambiguous times until the unit's clock goes back in file order."""
    frame = pd.DataFrame({"unit": unit.to_numpy(), "t": naive.to_numpy(), "amb": is_ambiguous})
    frame = frame[frame["amb"]]
    went_back = frame.groupby("unit", dropna=False)["t"].diff() < pd.Timedelta(0)
    after_back = went_back.astype(int).groupby(frame["unit"], dropna=False).cummax().astype(bool)
    summer = np.ones(len(naive), dtype=bool)
    summer[np.flatnonzero(is_ambiguous)] = ~after_back.to_numpy()
    return summer


def _bng_coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if {"easting", "northing"} <= set(frame.columns):
        easting = pd.to_numeric(frame["easting"], errors="coerce").to_numpy(
            "float64", na_value=np.nan
        )
        northing = pd.to_numeric(frame["northing"], errors="coerce").to_numpy(
            "float64", na_value=np.nan
        )
        if not {"lat", "lon"} <= set(frame.columns):
            return easting, northing
    else:
        easting = northing = np.full(len(frame), np.nan)
    lat, lon = _numbers(frame["lat"]), _numbers(frame["lon"])
    lon[(np.abs(lat) > 90) | (np.abs(lon) > 180)] = np.nan
    from_x, from_y = lonlat_to_bng(lon, lat)
    use_lonlat = np.isnan(easting) | np.isnan(northing)
    x = np.where(use_lonlat, from_x, easting)
    y = np.where(use_lonlat, from_y, northing)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    x[bad] = y[bad] = np.nan
    return x, y


def _zero_coordinates(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose lat/lon (or easting/northing) are both 0, a common null-island default."""
    pair = ("lat", "lon") if {"lat", "lon"} <= set(frame.columns) else ("easting", "northing")
    return (_numbers(frame[pair[0]]) == 0) & (_numbers(frame[pair[1]]) == 0)


def _numbers(values: pd.Series) -> np.ndarray:
    """Values as a writable float64 array, NaN where not a number."""
    return np.array(pd.to_numeric(values, errors="coerce"), dtype="float64")


def _first_reason(checks: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """The first failing check's reason per row ("" when all pass)."""
    reasons = np.full(len(checks[0][0]), "", dtype=object)
    for failed, reason in reversed(checks):
        reasons[np.asarray(failed, dtype=bool)] = reason
    return reasons


#: The fields that explain each rejection reason, shown in the rejected row's detail.
_REASON_FIELDS: dict[str, tuple[str, ...]] = {
    REASON_NO_UNIT: ("unit_id",),
    REASON_BAD_TIMESTAMP: ("timestamp",),
    REASON_NONEXISTENT_TIME: ("timestamp",),
    REASON_IMPLAUSIBLE_TIME: ("timestamp", "start", "end"),
    REASON_UNKNOWN_ROLE: ("role",),
    REASON_END_BEFORE_START: ("start", "end"),
    REASON_NO_PLACE: ("place", "hotspot_id"),
}


_COORDINATE_FIELDS = ("lat", "lon", "latitude", "longitude", "easting", "northing")


def _rejected_rows(
    frame: pd.DataFrame, source: str, lines: np.ndarray, reasons: np.ndarray
) -> pd.DataFrame:
    bad = reasons != ""
    raw = frame[bad]
    records = raw.to_dict(orient="records")
    details = [
        ", ".join(
            f"{field} = {record[field]!r}"
            for field in _REASON_FIELDS.get(reason, _COORDINATE_FIELDS)
            if field in record
        )
        for reason, record in zip(reasons[bad], records, strict=True)
    ]
    return pd.DataFrame(
        {
            "source": pd.Series(source, index=range(int(bad.sum())), dtype="str"),
            "row": lines[bad].astype("int64"),
            "reason": pd.Series(reasons[bad], dtype="str"),
            "detail": pd.Series(details, dtype="str"),
            "raw": [json.dumps(row, default=str) for row in records],
        },
        columns=list(REJECTED_COLUMNS),
    )


def _flag_rows(
    source: str,
    lines: np.ndarray,
    unit: pd.Series,
    timestamp: pd.Series,
    mask: np.ndarray,
    *,
    flag: str,
    detail: str | np.ndarray,
) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    return pd.DataFrame(
        {
            "source": source,
            "row": np.asarray(lines)[mask].astype("int64"),
            "unit_id": unit.array[mask],
            "timestamp": timestamp.array[mask],
            "flag": flag,
            "detail": detail[mask] if isinstance(detail, np.ndarray) else detail,
        },
        columns=list(FLAG_COLUMNS),
    )


def _unsorted_flags(pings: pd.DataFrame, lines: np.ndarray, source: str) -> pd.DataFrame:
    previous = pings.groupby("unit_id", sort=False)["timestamp"].shift()
    unsorted = (pings["timestamp"] < previous).fillna(False).to_numpy()
    return _flag_rows(
        source,
        lines,
        pings["unit_id"],
        pings["timestamp"],
        unsorted,
        flag=FLAG_UNSORTED,
        detail="earlier than the previous ping of this unit in the file",
    )


def _track_flags(
    pings: pd.DataFrame, lines: np.ndarray, source: str, max_gap_s: float
) -> pd.DataFrame:
    """Duplicate, speed and gap flags on the unit's time-sorted track."""
    units = pd.factorize(pings["unit_id"])[0]
    shifts = pd.factorize(pings["shift_id"], use_na_sentinel=False)[0]
    t_ms = epoch_ms(pings["timestamp"])
    order = np.lexsort((t_ms, units))
    t_s, unit, shift = t_ms[order] / 1000.0, units[order], shifts[order]
    x, y = pings["easting"].to_numpy()[order], pings["northing"].to_numpy()[order]
    same = np.r_[False, unit[1:] == unit[:-1]]
    dt = np.r_[np.inf, np.diff(t_s)]
    step_m = np.r_[0.0, np.hypot(np.diff(x), np.diff(y))]
    limit = pings["role"].map(MAX_SPEED_MPS).fillna(MAX_SPEED_MPS[UNKNOWN_ROLE]).to_numpy()[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = step_m / dt
    duplicate = same & (dt == 0)
    fast = same & (dt > 0) & (speed > limit)
    gap = same & (shift == np.r_[-1, shift[:-1]]) & (dt > max_gap_s)
    sorted_lines, ordered = lines[order], pings.iloc[order]
    checks = (
        (duplicate, FLAG_DUPLICATE, "same unit and timestamp as the previous ping"),
        (fast, FLAG_SPEED, _detail(speed, fast, "{:.1f} m/s since the previous ping")),
        (gap, FLAG_GAP, _detail(dt / 60.0, gap, "{:.1f} min since the previous ping")),
    )
    return pd.concat(
        [
            _flag_rows(
                source,
                sorted_lines,
                ordered["unit_id"],
                ordered["timestamp"],
                mask,
                flag=flag,
                detail=detail,
            )
            for mask, flag, detail in checks
        ],
        ignore_index=True,
    )


def _detail(values: np.ndarray, mask: np.ndarray, template: str) -> np.ndarray:
    details = np.full(len(values), "", dtype=object)
    details[mask] = [template.format(value) for value in values[mask]]
    return details


def _ambiguous_detail(timestamp: pd.Series, mask: np.ndarray) -> np.ndarray:
    details = np.full(len(timestamp), "", dtype=object)
    offsets = timestamp[mask].dt.strftime("%z")
    details[mask] = [
        "read as " + ("BST (+01:00)" if z == "+0100" else "GMT (+00:00)") for z in offsets
    ]
    return details


def epoch_ms(timestamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Milliseconds since 1970-01-01 UTC as a new int64 array (tz-aware input).

    The one converter for :mod:`geo.patrols` and :mod:`geo.coverage`; NaT becomes the
    int64 minimum, so drop or reject missing times first.
    """
    return pd.DatetimeIndex(timestamps).as_unit(_TIME_UNIT).asi8.astype("int64")
