"""The one CSV reader: bytes or a file into Arrow text columns, with malformed rows
kept aside as rejected rows (:data:`geo.schema.REJECTED_COLUMNS`). Incident files and
patrol ping files both read through it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geo import schema
from geo.checks import fail

#: Bytes per CSV block: blocks are parsed in parallel and become the Arrow chunks.
BLOCK_BYTES = 1 << 24

#: Longest header line read, bytes. police.uk street files have 12 columns (about 150
#: bytes of header) and mapped exports a few dozen; a wider header is refused before
#: parsing, because Arrow's memory grows with the number of columns times the rows.
MAX_HEADER_BYTES = 64 * 1024

#: Most columns read (police.uk has 12; a mapped export a few dozen).
MAX_COLUMNS = 200

#: Most lines one quoted field may span. A real multi-line field (an address) spans a
#: few; a quote that runs on for more was opened and never closed.
MAX_FIELD_LINES = 100


def rejected_frame(
    source: str,
    rows: np.ndarray,
    reason: str | list[str],
    detail: str | list[str],
    raw: list[str],
) -> pd.DataFrame:
    """Rejected rows (:data:`geo.schema.REJECTED_COLUMNS`) of one file.

    ``rows`` are 1-based data rows; ``reason`` and ``detail`` are one text for every row
    or one per row; ``raw`` is each row's JSON. Built through Arrow, which is several
    times faster than pandas' own constructor for a file's handful of rows.
    """
    n = len(rows)
    if n == 0:
        return _NO_REJECTED_ROWS.copy()
    columns = {
        "source": pa.array([source] * n, pa.string()),
        "row": pa.array(np.asarray(rows, dtype="int64")),
        "reason": pa.array([reason] * n if isinstance(reason, str) else reason, pa.string()),
        "detail": pa.array([detail] * n if isinstance(detail, str) else detail, pa.string()),
        "raw": pa.array(raw, pa.string()),
    }
    return pa.table(columns).to_pandas()


_NO_REJECTED_ROWS = pa.table(
    {
        name: pa.array([], pa.int64() if name == "row" else pa.string())
        for name in schema.REJECTED_COLUMNS
    }
).to_pandas()


@dataclass
class CsvRows:
    """One CSV parsed: its well-formed rows, their row numbers, and the malformed rows."""

    table: pa.Table
    #: 1-based data row (the row after the header is 1) of each row of ``table``.
    row_numbers: np.ndarray
    #: Rows with the wrong number of fields, as rejected rows (:data:`REJECTED_COLUMNS`).
    malformed: pd.DataFrame


def read_csv_table(
    data: bytes | Path,
    name: str,
    numeric: Sequence[str] = (),
    unique: Sequence[str] | None = None,
) -> CsvRows:
    """Parse CSV bytes (or a CSV file) into text columns (blank cells null), malformed rows.

    Columns named in ``numeric`` are parsed as float64 (blank cells null) when every
    cell is a number, which is much faster; if any is not, the whole file is read as
    text so that the row checks can say which cells are wrong. When ``unique`` is given,
    the other text columns (months, crime types, places: few distinct values) are
    dictionary-encoded, so each distinct value is parsed and checked once, and the
    columns named in ``unique`` (ids, date-times) stay plain text. A row whose number of
    fields differs from the header's is kept aside with the reason "wrong number of
    fields". Handles a UTF-8 byte-order mark, CRLF line ends and quoted commas. Fails
    naming ``name`` when the bytes are empty or not a CSV.
    """
    head = data[: MAX_HEADER_BYTES + 1] if isinstance(data, bytes) else _first_bytes(data)
    if not head[:4096].strip() and not _whole(data).strip():
        fail("the file is empty", file=name)
    header = _header(head, name)
    text_types: dict[str, pa.DataType] = {
        column: pa.string()
        if unique is None or column in unique
        else pa.dictionary(pa.int32(), pa.string())
        for column in header
    }
    typed = text_types | {column: pa.float64() for column in numeric if column in text_types}
    try:
        table, bad = _read_typed(data, typed)
    except pa.ArrowInvalid:
        try:
            table, bad = _read_typed(data, text_types)
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            fail(f"is not a readable CSV file ({str(error).splitlines()[0]})", file=name)
    if bad and any(row.number is None for row in bad):
        # Parallel parsing does not know row numbers; the rare file with bad rows is
        # read again in one thread to learn them.
        table, bad = _read_typed(data, table.schema, threads=False)
    if table.num_rows == 0 and not bad:
        fail("has a header but no data rows", file=name)
    if table.num_rows == 0:
        fail(
            f"no row has the header's {len(header)} fields "
            f"(e.g. row {bad[0].number - 1}: {bad[0].text[:60]!r})",
            fix="Check the delimiter and quoting",
            file=name,
        )
    bad_rows = np.array([row.number - 1 for row in bad], dtype="int64")
    good = np.ones(table.num_rows + len(bad), dtype=bool)
    good[bad_rows - 1] = False
    row_numbers = np.flatnonzero(good) + 1
    lines, has_nul = _scan(data)
    _check_unclosed_quote(data, table.num_rows + len(bad), lines, name)
    rejected = []
    if bad:
        rejected.append(
            rejected_frame(
                name,
                bad_rows,
                schema.REASON_MALFORMED_ROW,
                [
                    f"{row.actual_columns} fields where the header has {row.expected_columns}"
                    for row in bad
                ],
                [json.dumps({"text": _printable(row.text)}, ensure_ascii=False) for row in bad],
            )
        )
    if has_nul:
        table, row_numbers, with_nul = _set_aside_nul_rows(table, row_numbers, name)
        rejected.append(with_nul)
    if not rejected:
        return CsvRows(table, row_numbers, rejected_frame(name, bad_rows, [], [], []))
    return CsvRows(table, row_numbers, pd.concat(rejected, ignore_index=True))


def _header(head: bytes, name: str) -> list[str]:
    """The header row's column names, refusing binary data and over-wide headers."""
    # CR alone ends a line in old Mac exports; Arrow reads those line ends too.
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=len(head))
    if end > MAX_HEADER_BYTES:
        fail(
            f"the header line is longer than {MAX_HEADER_BYTES // 1024} KB",
            fix=f"Export at most {MAX_COLUMNS} columns",
            file=name,
        )
    line = head[:end]
    # NUL further down only rejects its rows; in or right after the header it is a
    # binary file (an image, a spreadsheet) given a .csv name.
    binary = b"\x00" in head[:4096]
    if b"\x00" in line:
        fail("is not a CSV file (it contains binary data)", file=name)
    try:
        header_text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        what = "it contains binary data" if binary else "its header is not UTF-8 text"
        fail(f"is not a CSV file ({what})", file=name)
    header = next(csv.reader([header_text]), [])
    if len(header) > MAX_COLUMNS:
        fail(
            f"the header has {len(header):,} columns, more than the {MAX_COLUMNS} allowed",
            fix="Export only the columns the dashboard reads",
            file=name,
        )
    if len(header) < 2 or len(set(header)) != len(header):
        fail(f"is not a CSV file with a header row (first line: {header_text[:80]!r})", file=name)
    return header


def _check_unclosed_quote(data: bytes | Path, rows_seen: int, lines: int, name: str) -> None:
    """Fail when a quote opens and never closes, swallowing the lines after it.

    Arrow's parser then either keeps the swallowed text as one huge field or, when it
    parses blocks in parallel, silently drops the rest of the block; either way fewer
    rows come out than the file has lines. Only then are the lines scanned for the
    quote that opened and ran on for more than :data:`MAX_FIELD_LINES` lines (a real
    field with line breaks, such as an address, spans a few).
    """
    if rows_seen + 1 >= lines:
        return
    lines = _whole(data).splitlines()
    opened = None
    for number, line in enumerate(lines, start=1):
        if line.count(b'"') % 2:
            opened = number if opened is None else None
        if opened is not None and number - opened > MAX_FIELD_LINES:
            break
    if opened is not None:
        fail(
            f"the file is damaged from line {opened:,} on: a quoted field opens there and "
            f"never closes, so the {len(lines) - opened:,} lines after it were not read",
            fix="Close the quote (or remove it) and load the file again",
            file=name,
        )


def _scan(data: bytes | Path) -> tuple[int, bool]:
    """``(lines, has a NUL byte)`` in one pass over the bytes.

    Lines end with LF, CRLF or CR alone; a last line without an end counts.
    """
    newlines = 0
    has_nul = False
    last = b""
    for chunk in [data] if isinstance(data, bytes) else _chunks(data):
        newlines += chunk.count(b"\n")
        has_nul = has_nul or b"\x00" in chunk
        last = chunk[-1:] or last
    # Only a file without any LF ends its lines with CR alone: count those then.
    ends = newlines or sum(
        chunk.count(b"\r") for chunk in ([data] if isinstance(data, bytes) else _chunks(data))
    )
    return ends + (last not in (b"\n", b"\r", b"")), has_nul


def _chunks(path: Path):
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK_BYTES):
            yield chunk


def _set_aside_nul_rows(
    table: pa.Table, row_numbers: np.ndarray, name: str
) -> tuple[pa.Table, np.ndarray, pd.DataFrame]:
    """Move rows with a NUL byte in any cell out of ``table`` into rejected rows.

    NUL never belongs in text: it comes from binary junk or a damaged copy, and would be
    stored and shown as invisible characters.
    """
    has_nul = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_dictionary(column.type):
            hit = pc.match_substring(column.cast(pa.string()), "\x00")
            has_nul |= pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(has_nul)
    raw = table.take(pa.array(rows)).to_pylist() if len(rows) else []
    rejected = rejected_frame(
        name,
        row_numbers[rows],
        schema.REASON_NUL_BYTES,
        "a NUL byte inside a cell",
        [json.dumps({k: _printable(v) for k, v in r.items()}, ensure_ascii=False) for r in raw],
    )
    if not len(rows):
        return table, row_numbers, rejected
    keep = ~has_nul
    return table.filter(pa.array(keep)), row_numbers[keep], rejected


def _printable(value):
    """Text with NUL bytes shown as U+FFFD, so a rejected row never stores them."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _first_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_HEADER_BYTES + 1)


def _whole(data: bytes | Path) -> bytes:
    return data if isinstance(data, bytes) else data.read_bytes()


def _read_typed(
    data: bytes | Path, column_types: dict[str, pa.DataType] | pa.Schema, threads: bool = True
) -> tuple[pa.Table, list]:
    bad: list = []

    def keep_aside(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "skip"

    if isinstance(column_types, pa.Schema):
        column_types = dict(zip(column_types.names, column_types.types, strict=True))
    table = pacsv.read_csv(
        io.BytesIO(data) if isinstance(data, bytes) else str(data),
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=threads),
        parse_options=pacsv.ParseOptions(invalid_row_handler=keep_aside),
        convert_options=pacsv.ConvertOptions(
            column_types=column_types,
            # Only an empty cell is missing: "NA" or "N/A" may be a real value.
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return table, bad
