"""Streaming ingest: one file at a time into Parquet, in memory bounded by the largest file.

:func:`geo.io.incidents.ingest` holds a whole archive in memory, which stops at about
23 million rows on a 24 GB machine; police.uk's 2010-2026 archive is about 100 million.
:func:`ingest_to_store` reads, checks and writes one file at a time with the same row
checks and rejected-row table, and applies the in-memory ingest's Crime ID rule (a
repeat is a further offence only in the id's first month with a new crime type) across
the whole archive with 64-bit hashes (:class:`OffenceIds`). Two different ids share a 64-bit hash
with probability about n² / 2⁶⁵: for the 65 million non-blank ids of the whole archive,
about one in ten thousand.

Output is either one GeoParquet file (:class:`geo.io.geoparquet.GeoParquetWriter`) or a
partitioned store folder (:class:`geo.io.partitioned.PartitionedStore`), which a re-run
extends with only the files it has not ingested before.
"""

from __future__ import annotations

import json
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo import schema
from geo.checks import fail
from geo.io.csv import rejected_frame
from geo.io.geoparquet import GeoParquetWriter
from geo.io.id_hashes import FIRST, IN_STORE, IdHashes, combine, hash_ids
from geo.io.incidents import (
    POLICE_UK_STREET,
    ColumnMapping,
    FileRead,
    IngestSummary,
    SourceFile,
    arrow_strings_for_pandas,
    discover_sources,
    read_source,
    summarise,
)
from geo.io.partitioned import split_by_partition
from geo.safety import csv_text


class RowSink(Protocol):
    """Where accepted rows go: one file or a partitioned store."""

    def skip(self, names: list[str]) -> list[str]:
        """The source names already ingested, which this run leaves out."""

    def existing_ids(self, force: str | None) -> list[str]:
        """Ids already stored for one force."""

    def write(self, rows: pa.Table, source: str) -> None:
        """Store accepted rows read from ``source``."""

    def close(self, names: list[str]) -> None:
        """Finish, recording that ``names`` were ingested."""

    def abort(self) -> None:
        """Drop what was written."""


@dataclass
class StreamSummary:
    """What one streamed ingest did: the usual summary plus the files skipped."""

    summary: IngestSummary
    files_skipped: list[str] = field(default_factory=list)
    rows_written: int = 0


class OffenceIds:
    """What the streaming ingest remembers to apply the in-memory ingest's id rule.

    A repeated Crime ID is a separate offence only in the id's first month and with a
    crime type not seen for the id yet (see :func:`geo.io.incidents._duplicate_ids`). So
    each id keeps its first row's where-code and, packed in one integer, its month (days
    since 1970, upper 32 bits) and crime type (a number per distinct type, lower 32
    bits): one hash set (:class:`geo.io.id_hashes.IdHashes`: about 9 bytes of memory per
    id, the values of long runs in the ``spill`` folder). A second, small set holds the
    further (id, crime type) pairs of ids that came back in their first month with
    another type.
    """

    def __init__(
        self,
        existing: Callable[[str | None], Sequence[str]] | None = None,
        spill: Path | None = None,
    ) -> None:
        self.first = IdHashes(existing, columns=2, spill=spill)
        self.more_offences = IdHashes()
        self._type_codes: dict[str, int] = {}

    def load_store(self, force: str | None) -> None:
        """Ids the store already holds for ``force`` count as seen in no month of this run."""
        self.first.load_store(force)

    def repeats(
        self, table: pa.Table, rows: np.ndarray, id_hashes: np.ndarray, where: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mask over ``rows`` (accepted rows of ``table`` with an id, ``id_hashes`` their
        :func:`hash_ids`) of rows that repeat an offence, and the where-code of each row's
        id's first row (:data:`FIRST` for a first row)."""
        month = table.column("month").take(rows).cast(pa.date32()).to_numpy().astype("int64")
        crime_type = self._codes(table.column("category").take(rows))
        first = self.first.check(id_hashes, np.column_stack([where, (month << 32) | crime_type]))
        is_first = first[:, 0] == FIRST
        # Ids already in the store carry IN_STORE (-1): month -1, never a row's month.
        same_month = ~is_first & ((first[:, 1] >> 32) == month)
        other_type = same_month & ((first[:, 1] & 0xFFFFFFFF) != crime_type)
        new_offence = np.zeros(len(rows), dtype=bool)
        pairs = combine(id_hashes[other_type], crime_type[other_type].astype(np.uint64))
        new_offence[other_type] = self.more_offences.check(pairs, where[other_type]) == FIRST
        return ~(is_first | new_offence), first[:, 0]

    def _codes(self, values: pa.ChunkedArray) -> np.ndarray:
        """A number (0, 1, ...) per crime type, the same for a type in every file."""
        encoded = pc.dictionary_encode(pc.fill_null(values.cast(pa.string()), "")).combine_chunks()
        codes = [
            self._type_codes.setdefault(name, len(self._type_codes))
            for name in encoded.dictionary.to_pylist()
        ]
        return np.asarray(codes, dtype=np.int64)[encoded.indices.to_numpy()]


def drop_duplicate_ids(
    read: FileRead, file_index: int, names: list[str], ids: OffenceIds
) -> tuple[pa.Table, pd.DataFrame]:
    """Accepted rows of ``read`` without repeated offences, and the repeats as rejected rows.

    Only the id, month, crime type, force and row columns of accepted rows with an id are
    looked at; the whole table is filtered once, at the end.
    """
    keep = read.keep.copy()
    rows, hashes = hash_ids(read.canonical.column("incident_id"))
    accepted = keep[rows]
    rows, hashes = rows[accepted], hashes[accepted]
    row_numbers = read.canonical.column("_row").to_numpy()
    where = (np.int64(file_index) << 32) | row_numbers[rows]
    if len(rows):
        for force in pc.unique(read.canonical.column("force").take(rows)).to_pylist():
            ids.load_store(force)
    repeat, first = ids.repeats(read.canonical, rows, hashes, where)
    repeated, first = rows[repeat], first[repeat]
    if len(repeated) == 0:
        return read.canonical.filter(pa.array(keep)), rejected_frame(
            read.name, repeated, [], [], []
        )
    keep[repeated] = False
    raw = arrow_strings_for_pandas(
        read.canonical.take(pa.array(repeated)).drop_columns(["_row"])
    ).to_pylist()
    rejected = rejected_frame(
        read.name,
        row_numbers[repeated],
        schema.REASON_DUPLICATE_ID,
        [_first_seen(code, names) for code in first],
        [json.dumps(r, default=str, ensure_ascii=False) for r in raw],
    )
    return read.canonical.filter(pa.array(keep)), rejected


def _first_seen(code: int, names: list[str]) -> str:
    if code == IN_STORE:
        return "same id as a row already in the store"
    return f"same id as {names[code >> 32]} row {code & 0xFFFFFFFF}"


def output_rows(accepted: pa.Table, source: str) -> pa.Table:
    """Accepted canonical rows with their ``source`` file name.

    Text columns stay dictionary-encoded: the writer orders rows first and decodes after,
    so reordering moves small integers rather than strings.
    """
    rows = accepted.drop_columns(["_row"])
    return rows.append_column(
        "source", pa.repeat(pa.scalar(source, pa.large_string()), rows.num_rows)
    )


class SingleFileSink:
    """Rows into one GeoParquet file (``--out x.parquet``)."""

    def __init__(self, path: str | Path) -> None:
        self.writer = GeoParquetWriter(path)

    # A single file is always written whole: nothing to skip, no earlier ids.

    def write(self, rows: pa.Table, source: str) -> None:  # noqa: ARG002
        self.writer.write(rows)

    def existing_ids(self, force: str | None) -> list[str]:  # noqa: ARG002
        return []

    def skip(self, names: list[str]) -> list[str]:  # noqa: ARG002
        return []

    def close(self, names: list[str]) -> None:  # noqa: ARG002
        self.writer.close()

    def abort(self) -> None:
        self.writer.abort()


def list_jobs(
    groups: Sequence[tuple[Sequence[str | Path | SourceFile], ColumnMapping | None]],
) -> list[tuple[SourceFile, ColumnMapping]]:
    """Every ``(file, mapping)`` to read, in order; fails when there is none."""
    jobs = []
    for sources, mapping in groups:
        mapping = mapping or POLICE_UK_STREET
        files = [s for s in sources if isinstance(s, SourceFile)]
        paths = [s for s in sources if not isinstance(s, SourceFile)]
        files += discover_sources(paths, generic=mapping is not POLICE_UK_STREET) if paths else []
        jobs += [(file, mapping) for file in files]
    if not jobs:
        fail("no input files were given", fix="Name at least one CSV file, folder or zip")
    return jobs


def ingest_to_store(
    sources: Sequence[str | Path | SourceFile],
    out: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    rejected_path: str | Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    reader: Callable[[Callable, list], Iterator] | None = None,
) -> StreamSummary:
    """Read, check and write incident files one at a time.

    Parameters
    ----------
    sources
        Files, folders or zips (:func:`geo.io.incidents.discover_sources`) or
        :class:`SourceFile` objects.
    out
        A ``.parquet`` path (one GeoParquet file) or a folder (a store partitioned by
        force and month, :class:`geo.io.partitioned.PartitionedStore`; files already
        ingested into it are skipped).
    rejected_path
        CSV of rejected rows, with reasons (formula-safe), written as files are read.
    progress
        Called after each file with its name and the rows read so far.
    reader
        ``reader(read_source, jobs)`` yields :class:`FileRead` in job order; default
        reads in this process. :func:`geo.distributed.ordered_map` reads on Dask.

    Returns
    -------
    StreamSummary
        The ingest summary (rows read == accepted + rejected) and the files skipped.
    """
    from geo.io.partitioned import PartitionedStore

    jobs = list_jobs([(sources, mapping)])
    out = Path(out)
    sink: RowSink = (
        SingleFileSink(out) if out.suffix.lower() == ".parquet" else PartitionedStore(out)
    )
    skipped = sink.skip([source.name for source, _ in jobs])
    jobs = [(source, m) for source, m in jobs if source.name not in skipped]
    names = [source.name for source, _ in jobs]
    # Values of long id-hash runs go to a folder beside the output, removed at the end.
    spill_parent = out.parent if out.parent.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".ingest-ids-", dir=spill_parent) as spill:
        ids = OffenceIds(sink.existing_ids, spill=Path(spill))
        coverage: dict[tuple, int] = {}
        reasons: dict[str, int] = {}
        rows_read = written = 0
        rejected_out = _RejectedCsv(rejected_path)
        reads = (reader or _in_process)(_read_job, jobs)
        try:
            for index, read in enumerate(reads):
                accepted, duplicates = drop_duplicate_ids(read, index, names, ids)
                rows = output_rows(accepted, read.name)
                sink.write(rows, read.name)
                written += rows.num_rows
                rows_read += read.rows_read
                for frame in (read.rejected, duplicates):
                    rejected_out.write(frame)
                    values, counts = np.unique(
                        frame["reason"].to_numpy(dtype=object), return_counts=True
                    )
                    for reason, n in zip(values.tolist(), counts.tolist(), strict=True):
                        reasons[reason] = reasons.get(reason, 0) + n
                _count(coverage, rows)
                if progress:
                    progress(read.name, rows_read)
        except BaseException:
            sink.abort()
            rejected_out.close()
            raise
    sink.close(names)
    rejected_out.close()
    if written and isinstance(sink, PartitionedStore):
        from geo.io.areas import relink_forces

        relink_forces(out)  # new forces may have incidents in the store's named areas
    frame = pd.DataFrame(
        [(f, pd.Timestamp(m), n) for (f, m), n in sorted(coverage.items(), key=str)],
        columns=["force", "month", "rows"],
    )
    rejected_reasons = pd.DataFrame({"reason": [r for r, n in reasons.items() for _ in range(n)]})
    summary = summarise(frame, rejected_reasons, rows_read, names)
    return StreamSummary(summary, sorted(skipped), written)


def _read_job(job: tuple[SourceFile, ColumnMapping]) -> FileRead:
    return read_source(*job)


def _in_process(function: Callable, jobs: list, ahead: int = 2) -> Iterator:
    """``map(function, jobs)`` with up to ``ahead`` jobs read on a second thread.

    pyarrow parses CSV and writes Parquet without holding the GIL, so reading the next
    files overlaps with checking ids and writing this one; memory holds at most
    ``ahead + 1`` files.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(function, job))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _count(coverage: dict[tuple, int], rows: pa.Table) -> None:
    if rows.num_rows == 0:
        return
    for key, part in split_by_partition(rows):
        pair = (key["force"], key["month"].isoformat())
        coverage[pair] = coverage.get(pair, 0) + part.num_rows


class _RejectedCsv:
    """Rejected rows appended to a formula-safe CSV as files are read."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._handle = self.path.open("w", encoding="utf-8", newline="") if self.path else None
        self._header = True

    def write(self, frame: pd.DataFrame) -> None:
        if self._handle is None or (len(frame) == 0 and not self._header):
            return
        self._handle.write(csv_text(frame, header=self._header))
        self._header = False

    def close(self) -> None:
        if self._handle is not None:
            if self._header:
                self.write(pd.DataFrame(columns=list(schema.REJECTED_COLUMNS)))
            self._handle.close()
