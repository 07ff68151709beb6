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
import pyarrow.csv as pacsv

from geo import schema
from geo.checks import fail

#: Bytes per CSV block: blocks are parsed in parallel and become the Arrow chunks.
BLOCK_BYTES = 1 << 24


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
    head = data[:65536] if isinstance(data, bytes) else _first_bytes(data, 65536)
    if not head[:4096].strip() and not _whole(data).strip():
        fail("the file is empty", file=name)
    if b"\x00" in head[:4096]:
        fail("is not a CSV file (it contains binary data)", file=name)
    try:
        end = head.find(b"\n")
        header_text = head[: end if end >= 0 else None].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        fail("is not a CSV file (its header is not UTF-8 text)", file=name)
    header = next(csv.reader([header_text]))
    if len(header) < 2 or len(set(header)) != len(header):
        fail(f"is not a CSV file with a header row (first line: {header_text[:80]!r})", file=name)
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
    malformed = pd.DataFrame(
        {
            "source": name,
            "row": bad_rows,
            "reason": schema.REASON_MALFORMED_ROW,
            "detail": [
                f"{row.actual_columns} fields where the header has {row.expected_columns}"
                for row in bad
            ],
            "raw": [json.dumps({"text": row.text}, ensure_ascii=False) for row in bad],
        },
        columns=list(schema.REJECTED_COLUMNS),
    )
    return CsvRows(table, np.flatnonzero(good) + 1, malformed)


def _first_bytes(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


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
