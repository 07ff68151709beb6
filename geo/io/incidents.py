"""Read and validate incident files into the canonical schema (:mod:`geo.schema`).

Inputs are police.uk street-level CSVs (one monthly file, a folder laid out like the
police.uk download, or the downloaded ``.zip``) and generic incident CSVs described by a
:class:`ColumnMapping`. Every input row ends either in the accepted incidents or in the
rejected table with a reason, so ``accepted + rejected == read`` always holds. A file that
cannot be used at all raises :class:`~geo.checks.GeoInputError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo import schema
from geo.checks import check_columns, fail
from geo.io.csv import read_csv_table, rejected_frame
from geo.projection import bng_to_lonlat, lonlat_to_bng, points_from_lonlat
from geo.timeseries import missing_months, month_ranges

#: Key of ``IngestSummary.months_missing`` for months that no force has data for.
ALL_FORCES = "all forces"


#: police.uk street files are named ``YYYY-MM-<force>-street.csv``.
STREET_SUFFIX = "-street.csv"


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column feeds which canonical column.

    Give either ``month`` (``YYYY-MM``) or ``date`` (a date or date-time), and either
    ``longitude``/``latitude`` (WGS84 degrees, EPSG:4326) or ``easting``/``northing``
    (British National Grid metres, EPSG:27700). ``constants`` fills canonical columns
    that the source lacks, e.g. ``{"force": "Metropolitan Police Service"}``.
    Naive date-times are taken as Europe/London local time; aware ones are converted.
    ``dayfirst`` (UK order) reads ``05/06/2024`` as 5 June; year-first dates such as
    ``2024-06-05`` are always read in ISO order.
    """

    category: str
    month: str | None = None
    date: str | None = None
    date_format: str | None = None
    dayfirst: bool = True
    longitude: str | None = None
    latitude: str | None = None
    easting: str | None = None
    northing: str | None = None
    incident_id: str | None = None
    location: str | None = None
    lsoa_code: str | None = None
    lsoa_name: str | None = None
    force: str | None = None
    outcome: str | None = None
    constants: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.month is None) == (self.date is None):
            fail("column mapping needs exactly one of 'month' or 'date'")
        has_lonlat = self.longitude is not None and self.latitude is not None
        has_bng = self.easting is not None and self.northing is not None
        if has_lonlat == has_bng:
            fail(
                "column mapping needs either 'longitude' and 'latitude' or 'easting' and 'northing'"
            )

    @classmethod
    def from_json(cls, path: str | Path) -> ColumnMapping:
        """Read a mapping from a JSON object whose keys are this class's field names."""
        try:
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            fail(f"cannot read the column mapping ({error})", file=path)
        if not isinstance(spec, dict):
            fail("the column mapping must be a JSON object", file=path)
        unknown = sorted(set(spec) - {f.name for f in fields(cls)})
        if unknown:
            fail(
                f"unknown mapping key(s) {', '.join(unknown)}",
                fix=f"Allowed keys: {', '.join(f.name for f in fields(cls))}",
                file=path,
            )
        if "category" not in spec:
            fail("the column mapping has no 'category' entry", file=path)
        return cls(**spec)

    def source_columns(self) -> list[str]:
        """Source column names this mapping reads."""
        skip = {"date_format", "dayfirst", "constants"}
        return [v for k, v in asdict(self).items() if k not in skip and isinstance(v, str)]


#: The columns of a police.uk street-level CSV, in the order police.uk writes them
#: (https://data.police.uk/about/#columns).
POLICE_UK_STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)


POLICE_UK_STREET = ColumnMapping(
    incident_id="Crime ID",
    month="Month",
    longitude="Longitude",
    latitude="Latitude",
    location="Location",
    lsoa_code="LSOA code",
    lsoa_name="LSOA name",
    category="Crime type",
    force="Falls within",
    outcome="Last outcome category",
)


@dataclass(frozen=True)
class SourceFile:
    """One CSV to read: ``name`` is what messages show (``file`` or ``archive.zip!member``).

    ``path`` is set for a plain file, which pyarrow then reads itself, in parallel with
    parsing (faster than reading the bytes first).
    """

    name: str
    read_bytes: Callable[[], bytes]
    path: Path | None = None


@dataclass
class IngestSummary:
    """Counts and coverage of one ingest. ``rows_read == rows_accepted + rows_rejected``."""

    files: list[str]
    rows_read: int
    rows_accepted: int
    rejected_by_reason: dict[str, int]
    first_month: str | None
    last_month: str | None
    months_missing: dict[str, list[str]]

    @property
    def rows_rejected(self) -> int:
        """Rows rejected for any reason."""
        return sum(self.rejected_by_reason.values())

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return asdict(self) | {"rows_rejected": self.rows_rejected}

    def to_text(self) -> str:
        """Human-readable report, as printed by ``python -m geo ingest``."""
        lines = [
            f"files read:     {len(self.files)}",
            f"rows read:      {self.rows_read:,}",
            f"rows accepted:  {self.rows_accepted:,}",
            f"rows rejected:  {self.rows_rejected:,}",
        ]
        lines += [f"  - {reason}: {n:,}" for reason, n in self.rejected_by_reason.items()]
        span = f"{self.first_month} to {self.last_month}" if self.first_month else "none"
        lines.append(f"months covered: {span}")
        if not any(self.months_missing.values()):
            lines.append("months missing: none")
        for force, months in self.months_missing.items():
            if months:
                lines.append(
                    f"months MISSING for {force} ({len(months)}): {month_ranges(months)} "
                    "(no data; not zero)"
                )
        return "\n".join(lines)


@dataclass
class IngestResult:
    """Accepted incidents (canonical schema), rejected rows with reasons, and the summary."""

    incidents: gpd.GeoDataFrame
    rejected: pd.DataFrame
    summary: IngestSummary


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on reading a ``.zip``, so that a hostile archive cannot exhaust memory.

    Sizes are uncompressed bytes, counted while each member is streamed (a zip's own
    size fields can lie). The Metropolitan Police's monthly street file, the largest
    police.uk force file, is about 30 MB, and police.uk CSVs compress about 5-10 times;
    the per-file default leaves eight times that room. The total default keeps an ingest
    under 1.5 GB of memory (about 5 bytes held per CSV byte: bench/README.md, "Hostile
    inputs"); raise it for bigger archives on a machine with more memory.
    """

    #: Largest single member, bytes.
    member_bytes: int = 256 * 1024 * 1024
    #: All members read from one archive together, bytes.
    total_bytes: int = 300 * 1024 * 1024
    #: Highest uncompressed/compressed ratio of a member (text rarely exceeds 20).
    ratio: float = 100.0
    #: Most members in one archive (a 3-year national download holds about 5,000).
    members: int = 10_000


DEFAULT_ZIP_LIMITS = ZipLimits()

#: Bytes read from a zip member at a time.
_ZIP_CHUNK = 1 << 20


def discover_sources(
    paths: Iterable[str | Path],
    *,
    generic: bool = False,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
) -> list[SourceFile]:
    """List the CSVs inside ``paths`` (files, folders or ``.zip`` archives), sorted by name.

    Folders are searched recursively, including the zips inside them; links that lead
    outside the folder are skipped, so that a folder can never make the reader open (or
    quote) a file elsewhere. Zips are read within ``zip_limits``.

    In a folder or zip only police.uk ``*-street.csv`` files are taken (the download also
    holds outcomes and stop-and-search files), unless ``generic`` is true, when every
    ``.csv`` is. Fails naming the path when it does not exist or holds no usable CSV.
    """
    sources: list[SourceFile] = []
    for path in map(Path, paths):
        if not path.exists():
            fail("no such file or folder", file=str(path))
        if path.is_dir():
            found = _pick_csvs(_inside(path, "*.csv"), generic, key=lambda p: p.name)
            archives = _inside(path, "*.zip")
            if not found and not archives:
                fail(_no_csv_message(generic), file=str(path))
            sources += [SourceFile(str(p.relative_to(path.parent)), p.read_bytes, p) for p in found]
            sources += [s for a in archives for s in zip_sources(a, generic, zip_limits)]
        elif path.suffix.lower() == ".zip":
            sources += zip_sources(path, generic, zip_limits)
        else:
            sources.append(SourceFile(path.name, path.read_bytes, path))
    return sources


def _inside(folder: Path, pattern: str) -> list[Path]:
    """Files under ``folder`` matching ``pattern`` that really are inside it, sorted.

    ``rglob`` does not descend into linked folders, but it does list linked files; a link
    whose target resolves outside ``folder`` is left out.
    """
    root = folder.resolve()
    return sorted(
        p for p in folder.rglob(pattern) if p.is_file() and p.resolve().is_relative_to(root)
    )


def _pick_csvs(candidates: list, generic: bool, key: Callable) -> list:
    csvs = [c for c in candidates if key(c).lower().endswith(".csv")]
    return csvs if generic else [c for c in csvs if key(c).lower().endswith(STREET_SUFFIX)]


def _no_csv_message(generic: bool) -> str:
    if generic:
        return "contains no .csv files"
    return "contains no police.uk street CSVs (files named YYYY-MM-<force>-street.csv)"


def zip_sources(
    archive: str | Path | bytes,
    generic: bool = False,
    limits: ZipLimits = DEFAULT_ZIP_LIMITS,
    *,
    name: str | None = None,
) -> list[SourceFile]:
    """The CSVs of a zip (a file, or the bytes of an upload) as sources read within ``limits``.

    ``name`` is what messages call the archive (default: the file's name). Fails naming
    the archive when it is not a zip, holds too many members or no usable CSV; each
    source fails naming its member when reading it would pass a size limit.
    """
    if isinstance(archive, bytes):
        name = name or "upload.zip"

        def opener() -> zipfile.ZipFile:
            return zipfile.ZipFile(io.BytesIO(archive))
    else:
        path = Path(archive)
        name = name or path.name

        def opener() -> zipfile.ZipFile:
            return zipfile.ZipFile(path)

    try:
        with opener() as opened:
            infos = [i for i in opened.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        fail("is not a valid zip archive", file=name)
    if len(infos) > limits.members:
        fail(
            f"the zip holds {len(infos):,} files, more than the {limits.members:,} allowed",
            fix="Split it into smaller archives",
            file=name,
        )
    found = _pick_csvs(sorted(infos, key=lambda i: i.filename), generic, key=_member_name)
    if not found:
        fail(_no_csv_message(generic), file=name)
    declared = sum(info.file_size for info in found)
    if declared > limits.total_bytes:
        fail(
            f"its CSVs would unpack to {declared / 2**20:,.0f} MB, more than the "
            f"{limits.total_bytes / 2**20:,.0f} MB allowed",
            fix="Split it into smaller archives",
            file=name,
        )
    budget = [limits.total_bytes]  # shared by this archive's members, as they are read

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            with opener() as opened:
                data = _read_member(opened, info, limits, budget[0], f"{name}!{info.filename}")
            budget[0] -= len(data)
            return data

        return read

    return [SourceFile(f"{name}!{info.filename}", reader(info)) for info in found]


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename.rsplit("/", 1)[-1]


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, budget: int, name: str
) -> bytes:
    """One member's bytes, streamed, stopping as soon as a limit would be passed."""
    cap = min(limits.member_bytes, budget)
    if info.file_size > cap:
        fail(_too_big(info.file_size, cap, limits), fix="Unzip and check it", file=name)
    parts, size = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_ZIP_CHUNK):
                size += len(chunk)
                if size > cap:
                    fail(_too_big(size, cap, limits), fix="Unzip and check it", file=name)
                if size > _ZIP_CHUNK and size > limits.ratio * max(info.compress_size, 1):
                    fail(
                        f"unpacks more than {limits.ratio:g} times its compressed size "
                        "(a zip bomb, not a CSV)",
                        fix="Unzip and check it",
                        file=name,
                    )
                parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        fail(f"cannot be unpacked ({error})", fix="Download the zip again", file=name)
    return b"".join(parts)


def _too_big(size: int, cap: int, limits: ZipLimits) -> str:
    which = "per file" if cap == limits.member_bytes else "for the whole zip"
    return (
        f"unpacks to more than {cap / 2**20:,.0f} MB ({which} limit; {size / 2**20:,.0f} MB read)"
    )


#: pandas dtype of text columns: Arrow-backed, missing values are pd.NA.
_TEXT = pd.StringDtype("pyarrow")


#: Canonical columns while rows are checked: repeated text stays dictionary-encoded, so
#: that filtering and combining files moves small integers rather than strings.
_WORKING_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
        if f.name in {"category", "location", "lsoa_code", "lsoa_name", "force", "outcome"}
        else f
        for f in schema.ARROW_SCHEMA
        if f.name != "source"
    ]
    + [("lon", pa.float64()), ("lat", pa.float64()), ("_row", pa.int64())]
)


class _Verdicts:
    """The first reason each row fails for, and a detail worked out only for failing rows."""

    def __init__(self, n: int) -> None:
        # 0 = accepted, else 1 + index into schema.REJECTION_REASONS; details stay sparse.
        self.code = np.zeros(n, dtype=np.int8)
        self.details: dict[int, str] = {}

    def reject(self, mask: np.ndarray, why: str, detail: Callable | None = None) -> None:
        fresh = np.flatnonzero(mask & (self.code == 0))
        self.code[fresh] = schema.REJECTION_REASONS.index(why) + 1
        if detail is not None and len(fresh):
            self.details.update(zip(fresh.tolist(), detail(fresh), strict=True))

    @property
    def accepted(self) -> np.ndarray:
        return self.code == 0

    def reasons(self, rows: np.ndarray) -> list[str]:
        return [schema.REJECTION_REASONS[c - 1] for c in self.code[rows]]

    def detail(self, rows: np.ndarray) -> list[str]:
        return [self.details.get(r, "") for r in rows.tolist()]


def validate_rows(
    table: pa.Table, mapping: ColumnMapping, source: str, row_numbers: np.ndarray | None = None
) -> tuple[pa.Table, np.ndarray, pd.DataFrame]:
    """Check one file's rows and convert them to canonical columns.

    Returns ``(canonical, accepted, rejected)``: ``canonical`` is an Arrow table of every
    row in the canonical columns without ``geometry`` and ``source``, plus ``lon``/``lat``
    (EPSG:4326 degrees) and ``_row`` (1-based data row); ``accepted`` is the boolean mask
    of rows that passed; ``rejected`` has :data:`geo.schema.REJECTED_COLUMNS`. The first
    failing rule gives a row's reason. Duplicate ids are checked later, across all files
    (:func:`ingest_groups`), and rows are filtered once, after that.
    """
    check_columns("the file", table.column_names, mapping.source_columns(), file=source)
    if row_numbers is None:
        row_numbers = np.arange(1, table.num_rows + 1, dtype="int64")
    verdicts = _Verdicts(table.num_rows)
    month, occurred_at = _parse_time(table, mapping, verdicts)
    category = _text(table, mapping.category)
    verdicts.reject(_is_blank(category), schema.REASON_NO_CATEGORY)
    easting, northing, lon, lat = _parse_coordinates(table, mapping, verdicts)
    columns = {
        "incident_id": _optional(table, mapping, "incident_id"),
        "month": month,
        "occurred_at": occurred_at,
        "category": category,
        **{
            name: _optional(table, mapping, name)
            for name in ("location", "lsoa_code", "lsoa_name", "force", "outcome")
        },
        "easting": easting,
        "northing": northing,
        "lon": lon,
        "lat": lat,
        "_row": row_numbers,
    }
    keep = verdicts.accepted
    canonical = pa.table(columns).cast(_WORKING_SCHEMA)
    return canonical, keep, _rejected_rows(table, ~keep, verdicts, source, row_numbers)


def _parse_time(table: pa.Table, mapping: ColumnMapping, verdicts: _Verdicts) -> tuple:
    if mapping.month is not None:
        raw = _text(table, mapping.month)
        parsed = _per_value(
            raw, lambda values: pc.strptime(values, format="%Y-%m", unit="s", error_is_null=True)
        )
        bad = parsed.is_null().to_numpy(zero_copy_only=False)
        verdicts.reject(bad, schema.REASON_BAD_MONTH, lambda rows: _quoted(raw, rows))
        month = _plausible(parsed.cast(pa.date32()), verdicts, raw)
        occurred = pa.nulls(table.num_rows, pa.timestamp("us", tz=schema.TIMEZONE))
        return month, occurred
    raw = _text(table, mapping.date).cast(pa.string())
    occurred = _to_local_time(pd.Series(raw.to_pandas(), dtype="string"), mapping)
    bad = occurred.isna().to_numpy()
    verdicts.reject(bad, schema.REASON_BAD_DATE, lambda rows: _quoted(raw, rows))
    months = occurred.dt.tz_localize(None).dt.to_period("M").dt.start_time
    month = pa.array(months.to_numpy(dtype="datetime64[D]"), pa.date32())
    return (
        _plausible(month, verdicts, raw),
        pa.array(occurred, pa.timestamp("us", tz=schema.TIMEZONE)),
    )


#: police.uk street-level data starts in December 2010 (https://data.police.uk/about/).
FIRST_PLAUSIBLE_MONTH = dt.date(2010, 12, 1)


def plausible_month_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``(first, last)`` first days of the months an incident can plausibly fall in.

    From :data:`FIRST_PLAUSIBLE_MONTH` to the month after ``today`` (default: today in
    Europe/London), one month of slack for clocks and time zones. A month outside is a
    typing or export error (``0000-01``, ``9999-12``) that would stretch every chart.
    """
    today = today or pd.Timestamp.now(tz=schema.TIMEZONE).date()
    following = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return FIRST_PLAUSIBLE_MONTH, following


def _plausible(month: pa.ChunkedArray | pa.Array, verdicts: _Verdicts, raw) -> pa.Array:
    """``month`` with implausible months rejected (and nulled, so nothing downstream sees them)."""
    first, last = plausible_month_range()
    inside = pc.and_(pc.greater_equal(month, first), pc.less_equal(month, last))
    outside = pc.invert(pc.fill_null(inside, True)).to_numpy(zero_copy_only=False)
    verdicts.reject(
        outside,
        schema.REASON_MONTH_OUT_OF_RANGE,
        lambda rows: [f"{v} (allowed {first:%b %Y} to {last:%b %Y})" for v in _quoted(raw, rows)],
    )
    return pc.if_else(pa.array(outside), pa.scalar(None, pa.date32()), month)


def _to_local_time(raw: pd.Series, mapping: ColumnMapping) -> pd.Series:
    """Parse date-times; naive ones are Europe/London wall-clock time.

    On the autumn DST change an ambiguous wall time is read as the first (BST) instant,
    and a spring-forward time that never existed is moved forward; both are documented
    choices rather than rejections, because the incident did happen.
    """
    text = raw.mask(raw.eq(""))  # cells arrive trimmed
    with_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    result = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[us, {schema.TIMEZONE}]")
    if with_offset.any():
        aware = _parse_datetimes(text[with_offset], mapping, utc=True)
        result[with_offset] = aware.dt.tz_convert(schema.TIMEZONE)
    naive_rows = ~with_offset
    if naive_rows.any():
        naive = _parse_datetimes(text[naive_rows], mapping, utc=False)
        result[naive_rows] = naive.dt.tz_localize(
            schema.TIMEZONE,
            ambiguous=np.ones(len(naive), dtype=bool),
            nonexistent="shift_forward",
        )
    return result


def _parse_datetimes(text: pd.Series, mapping: ColumnMapping, *, utc: bool) -> pd.Series:
    """Date-time text to timestamps (NaT when unparsable), UTC when ``utc``.

    ``mapping.dayfirst`` applies to day/month dates only: a year-first date such as
    ``2024-06-05`` is ISO order, 5 June, never 6 May.
    """
    if mapping.date_format:
        return pd.to_datetime(text, format=mapping.date_format, errors="coerce", utc=utc)
    year_first = text.str.match(r"\d{4}[-/.]", na=False)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]" if utc else "M8[us]")
    for rows, dayfirst in ((year_first, False), (~year_first, mapping.dayfirst)):
        if rows.any():
            parsed[rows] = pd.to_datetime(
                text[rows], format="mixed", dayfirst=dayfirst, errors="coerce", utc=utc
            )
    return parsed


def _parse_coordinates(table: pa.Table, mapping: ColumnMapping, verdicts: _Verdicts) -> tuple:
    metric = mapping.longitude is None
    x_name, y_name = (
        (mapping.easting, mapping.northing) if metric else (mapping.longitude, mapping.latitude)
    )
    (x, x_blank, x_raw), (y, y_blank, y_raw) = _number(table, x_name), _number(table, y_name)

    def pair(prefix: str) -> Callable:
        def detail(rows: np.ndarray) -> list[str]:
            xs, ys = x_raw.take(rows).to_pylist(), y_raw.take(rows).to_pylist()
            return [f"{prefix}{a!r}, {b!r}" for a, b in zip(xs, ys, strict=True)]

        return detail

    verdicts.reject(x_blank | y_blank, schema.REASON_NO_COORDINATES)
    verdicts.reject(np.isnan(x) | np.isnan(y), schema.REASON_NO_COORDINATES, pair("not a number: "))
    verdicts.reject((x == 0) & (y == 0), schema.REASON_ZERO_COORDINATES)
    if metric:
        verdicts.reject(
            ~_inside_gb(x, y), schema.REASON_BAD_EASTING_NORTHING, pair("easting, northing = ")
        )
        lon, lat = bng_to_lonlat(x, y)
        return x, y, lon, lat
    with np.errstate(invalid="ignore"):
        valid = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    easting, northing = lonlat_to_bng(np.where(valid, x, np.nan), np.where(valid, y, np.nan))
    verdicts.reject(~_inside_gb(easting, northing), schema.REASON_OUTSIDE_GB, pair("lon, lat = "))
    return easting, northing, x, y


def _number(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``(values with NaN, blank mask, raw cells)`` of a numeric column read as float or text."""
    raw = table.column(column)
    if pa.types.is_floating(raw.type):
        return raw.to_numpy(zero_copy_only=False), raw.is_null().to_numpy(zero_copy_only=False), raw
    text = pc.utf8_trim_whitespace(raw)
    blank = _is_blank(text)
    values = pd.to_numeric(pd.Series(text.to_pandas()), errors="coerce")
    return values.to_numpy(dtype="float64", na_value=np.nan), blank, raw


def _inside_gb(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    west, south, east, north = schema.GB_EXTENT_BNG
    with np.errstate(invalid="ignore"):
        return (easting >= west) & (easting <= east) & (northing >= south) & (northing <= north)


def _per_value(column: pa.ChunkedArray, compute: Callable) -> pa.ChunkedArray:
    """``compute`` on every cell; on a dictionary column, once per distinct value."""
    return pa.chunked_array(
        [
            compute(chunk.dictionary).take(chunk.indices)
            if pa.types.is_dictionary(chunk.type)
            else compute(chunk)
            for chunk in column.chunks
        ]
    )


def _is_blank(column: pa.ChunkedArray) -> np.ndarray:
    blank = _per_value(column, lambda values: pc.fill_null(pc.equal(values, ""), True))
    return pc.fill_null(blank, True).to_numpy()


def _text(table: pa.Table, column: str) -> pa.ChunkedArray:
    """A text column with surrounding spaces removed (values that are parsed or grouped)."""
    return pa.chunked_array(
        [
            pa.DictionaryArray.from_arrays(chunk.indices, pc.utf8_trim_whitespace(chunk.dictionary))
            if pa.types.is_dictionary(chunk.type)
            else pc.utf8_trim_whitespace(chunk)
            for chunk in table.column(column).chunks
        ],
        type=table.column(column).type,
    )


def _optional(table: pa.Table, mapping: ColumnMapping, column: str) -> pa.Array:
    source_column = getattr(mapping, column)
    if source_column is None:
        constant = pa.array([mapping.constants.get(column)], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(table.num_rows, "int32")), constant)
    return table.column(source_column)


def _quoted(raw: pa.ChunkedArray, rows: np.ndarray) -> list[str]:
    return [repr(value) for value in raw.cast(pa.string()).take(rows).to_pylist()]


def _rejected_rows(
    table: pa.Table, mask: np.ndarray, verdicts: _Verdicts, source: str, row_numbers: np.ndarray
) -> pd.DataFrame:
    rows = np.flatnonzero(mask)
    raw_rows = (
        arrow_strings_for_pandas(table.filter(pa.array(mask))).to_pylist() if len(rows) else []
    )
    return rejected_frame(
        source,
        row_numbers[rows],
        verdicts.reasons(rows),
        verdicts.detail(rows),
        [json.dumps(r, ensure_ascii=False) for r in raw_rows],
    )


def ingest(
    sources: Sequence[str | Path | SourceFile],
    mapping: ColumnMapping | None = None,
    *,
    progress: Callable[[Iterable], Iterator] | None = None,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
) -> IngestResult:
    """Read, validate and combine incident files into the canonical schema.

    Parameters
    ----------
    sources
        Files, folders or zips (see :func:`discover_sources`), or ready :class:`SourceFile`
        objects.
    mapping
        Column mapping for generic CSVs; police.uk street CSVs when omitted.
    progress
        Optional wrapper around the file iterator (e.g. ``tqdm.tqdm``) for a progress bar.
    zip_limits
        Bounds on reading zips found among ``sources`` (:class:`ZipLimits`).

    Returns
    -------
    IngestResult
        ``incidents`` (GeoDataFrame, geometry in EPSG:4326, easting/northing in
        EPSG:27700 metres), ``rejected`` (one row per rejected input row, with reason) and
        ``summary``. Duplicate non-blank ids keep their first occurrence.
    """
    return ingest_groups([(sources, mapping)], progress=progress, zip_limits=zip_limits)


@dataclass
class FileRead:
    """One source file read and checked: canonical rows, accepted mask, rejected rows."""

    name: str
    canonical: pa.Table
    keep: np.ndarray
    rejected: pd.DataFrame
    rows_read: int


def read_source(source: SourceFile, mapping: ColumnMapping) -> FileRead:
    """Parse and check one file (the part of ingest that can run anywhere, e.g. on Dask)."""
    coordinates = (mapping.longitude, mapping.latitude, mapping.easting, mapping.northing)
    parsed = read_csv_table(
        source.path or source.read_bytes(),
        source.name,
        numeric=[c for c in coordinates if c],
        unique=[c for c in (mapping.incident_id, mapping.date, *coordinates) if c],
    )
    canonical, keep, rejected = validate_rows(
        parsed.table, mapping, source.name, parsed.row_numbers
    )
    if len(parsed.malformed):
        rejected = pd.concat([parsed.malformed, rejected], ignore_index=True)
    return FileRead(
        source.name,
        canonical,
        keep,
        rejected,
        parsed.table.num_rows + len(parsed.malformed),
    )


def ingest_groups(
    groups: Sequence[tuple[Sequence[str | Path | SourceFile], ColumnMapping | None]],
    *,
    progress: Callable[[Iterable], Iterator] | None = None,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
) -> IngestResult:
    """Like :func:`ingest` for several ``(sources, mapping)`` groups read into one result.

    Use it when one dataset mixes formats, e.g. police.uk street CSVs and API points.
    Duplicate ids are checked across all groups.
    """
    jobs = []
    for sources, mapping in groups:
        mapping = mapping or POLICE_UK_STREET
        files = [s for s in sources if isinstance(s, SourceFile)]
        paths = [s for s in sources if not isinstance(s, SourceFile)]
        generic = mapping is not POLICE_UK_STREET
        files += discover_sources(paths, generic=generic, zip_limits=zip_limits) if paths else []
        jobs += [(file, mapping) for file in files]
    if not jobs:
        fail("no input files were given", fix="Name at least one CSV file, folder or zip")
    canonical_parts, keep_parts, rejected_parts, names = [], [], [], []
    rows_read = 0
    for source, mapping in progress(jobs) if progress else jobs:
        read = read_source(source, mapping)
        rows_read += read.rows_read
        canonical_parts.append(read.canonical)
        keep_parts.append(read.keep)
        rejected_parts.append(read.rejected)
        names.append(read.name)
    canonical = pa.concat_tables(canonical_parts)
    keep = np.concatenate(keep_parts)
    file_index = np.repeat(np.arange(len(names)), [t.num_rows for t in canonical_parts])
    # Hashing ids for the duplicate check, then building points, run on the second core
    # while this one builds the accepted table; duplicates are rare, so dropping them
    # afterwards is cheap.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(_duplicate_ids, canonical, keep, np.asarray(names), file_index)
        lon, lat = (canonical.column(c).to_numpy()[keep] for c in ("lon", "lat"))
        placed = pool.submit(points_from_lonlat, lon, lat)
        accepted = arrow_strings_for_pandas(canonical.filter(pa.array(keep)))
        accepted = accepted.append_column(
            "source", pa.DictionaryArray.from_arrays(file_index[keep].astype("int32"), names)
        )
        duplicated, duplicates = checked.result()
        points = placed.result()
    if duplicated.any():
        unique = ~duplicated[keep]
        accepted, points = accepted.filter(pa.array(unique)), points[unique]
    rejected = pd.concat([*rejected_parts, duplicates], ignore_index=True)
    coverage = accepted.group_by(["force", "month"]).aggregate([([], "count_all")])
    coverage = coverage.to_pandas().rename(columns={"count_all": "rows"})
    summary = summarise(coverage, rejected, rows_read, names)
    return IngestResult(_to_geodataframe(accepted, points), rejected, summary)


def arrow_strings_for_pandas(table: pa.Table) -> pa.Table:
    """``table`` with text as ``large_string``, the layout pandas' Arrow strings use as is."""
    for i, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type) or column.type == pa.string():
            table = table.set_column(i, column.name, table.column(i).cast(pa.large_string()))
    return table


def _duplicate_ids(
    canonical: pa.Table, keep: np.ndarray, names: np.ndarray, file_index: np.ndarray
) -> tuple[np.ndarray, pd.DataFrame]:
    """Mask of accepted rows that repeat an earlier accepted row's offence; and their table.

    A police.uk Crime ID is a crime reference, and one reference can hold several offences:
    in the Metropolitan Police's files 871 of the 2,931 ids repeated within a month carry two
    or more crime types (e.g. shoplifting and assault at one event). So a repeated id is a
    separate incident when it is in the same month as the id's first row with a crime type
    not seen for the id yet; with the same type (the crime listed again with another outcome)
    or in another month (the same crime again, e.g. in an overlapping download) it is a
    duplicate. ``file_index`` gives each row's file in ``names``. The rejected-row table has
    reason "duplicate id" and names the id's first row.
    """
    ids = canonical.column("incident_id")
    duplicated = np.zeros(len(keep), dtype=bool)
    # Equal ids have equal prefixes, and short prefixes hash much faster than 64-character
    # police.uk ids: only rows whose prefix repeats need the full comparison.
    prefix, _ = pd.factorize(pd.Series(pc.utf8_slice_codeunits(ids, 0, 16), dtype=_TEXT))
    repeats = (prefix >= 0) & (np.bincount(prefix + 1)[prefix + 1] > 1)
    if repeats.any():
        rows = np.flatnonzero(repeats & keep)
        codes = np.full(len(keep), -1)
        # An id of only spaces is no id, so it repeats without being a duplicate.
        trimmed = pc.utf8_trim_whitespace(ids.take(rows))
        codes[rows], _ = pd.factorize(pd.Series(trimmed, dtype=_TEXT).replace("", pd.NA))
        rows = rows[codes[rows] >= 0]
        repeated = pd.DataFrame(
            {
                "code": codes[rows],
                "month": canonical.column("month").take(rows).to_pandas(),
                "category": canonical.column("category").take(rows).to_pandas().astype(str),
            }
        )
        first_month = repeated.groupby("code")["month"].transform("first")
        offence_seen = repeated.duplicated(["code", "category"])
        duplicated[rows] = (offence_seen | (repeated["month"] != first_month)).to_numpy()
        _, first = np.unique(codes[rows], return_index=True)
        first_row = dict(zip(codes[rows[first]], rows[first], strict=True))
    dup_rows = np.flatnonzero(duplicated)
    row = canonical.column("_row").to_numpy()
    where = [first_row[c] for c in codes[dup_rows]] if len(dup_rows) else []
    raw = arrow_strings_for_pandas(
        canonical.filter(pa.array(duplicated)).drop_columns(["_row"])
    ).to_pylist()
    rejected = pd.DataFrame(
        {
            "source": names[file_index[dup_rows]],
            "row": row[dup_rows],
            "reason": schema.REASON_DUPLICATE_ID,
            "detail": [f"same id as {names[file_index[i]]} row {row[i]}" for i in where],
            "raw": [json.dumps(r, default=str, ensure_ascii=False) for r in raw],
        },
        columns=list(schema.REJECTED_COLUMNS),
    )
    return duplicated, rejected


def _to_geodataframe(accepted: pa.Table, points: np.ndarray) -> gpd.GeoDataFrame:
    frame = arrow_strings_for_pandas(accepted.drop_columns(["lon", "lat", "_row"])).to_pandas(
        types_mapper={pa.large_string(): _TEXT}.get  # no copy; dates stay datetime.date
    )
    return gpd.GeoDataFrame(frame, geometry=points, crs=schema.WGS84)[list(schema.INCIDENT_COLUMNS)]


def summarise(
    coverage: pd.DataFrame, rejected: pd.DataFrame, rows_read: int, files: list[str]
) -> IngestSummary:
    """Counts by reason, months covered, and months missing inside the covered range.

    ``coverage`` has one row per distinct accepted (``force``, ``month``) pair with the
    number of accepted rows in ``rows``. Missing months are worked out per force, and,
    under :data:`ALL_FORCES`, the months inside the whole span that no force has.
    """
    by_reason = rejected["reason"].value_counts()
    ordered = {r: int(by_reason[r]) for r in schema.REJECTION_REASONS if r in by_reason}
    months = pd.to_datetime(coverage["month"]).dt.to_period("M")
    forces = coverage["force"].fillna("unknown force").to_numpy()
    missing = {force: missing_months(group) for force, group in months.groupby(forces)}
    if len(set(forces)) > 1 and missing_months(months):
        missing[ALL_FORCES] = missing_months(months)
    return IngestSummary(
        files=files,
        rows_read=rows_read,
        rows_accepted=int(coverage["rows"].sum()),
        rejected_by_reason=ordered,
        first_month=str(months.min()) if len(months) else None,
        last_month=str(months.max()) if len(months) else None,
        months_missing=missing,
    )
