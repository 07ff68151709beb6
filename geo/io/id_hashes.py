"""64-bit hashes of the ids seen so far, in about 9 bytes of memory per distinct id.

The streaming ingest (:mod:`geo.io.stream`) asks, for every row with an id, whether an
earlier row of the archive had the same id, and what was recorded with that first row.
police.uk's 2010-2026 archive holds about 65 million distinct Crime IDs, so the answer
has to come from a compact structure:

- the hashes live in memory as sorted runs (a log-structured merge: each file's new ids
  are one run, and runs of similar length are merged in linear time), each with a
  directory of where every range of leading hash bits starts, so a lookup costs a few
  steps in a small bucket instead of a binary search over millions of hashes;
- the values recorded with each id (``where`` codes: 8 or 16 bytes an id) of runs longer
  than :data:`SPILL_AT` are written to a file in a spill folder, read back only for the
  ids that repeat, and by streaming blocks when runs merge;
- runs are not merged beyond :data:`MERGE_LIMIT` ids, so a merge never copies the whole
  set at once.

Memory: 8 bytes per distinct id for the hash plus about 1 for the directory (about
0.6 GB for 65 million ids), plus at most two runs of :data:`MERGE_LIMIT` ids while they
merge (about 0.3 GB).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Runs with at least this many ids keep their values in the spill folder.
SPILL_AT = 1 << 20

#: Runs are merged only while the result holds at most this many ids (128 MB of hashes).
MERGE_LIMIT = 1 << 24

#: Ids per block when values stream from one run's file into a merged run's file.
_BLOCK = 1 << 20

#: Value recorded with a row whose id was not seen before.
FIRST = -2

#: Where-code of an id that was already in the store before this run.
IN_STORE = -1


def hash_ids(ids: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(rows with an id, 64-bit hash of each such id)``; spaces around an id are ignored."""
    trimmed = pc.utf8_trim_whitespace(ids.cast(pa.string()))
    present = pc.fill_null(pc.not_equal(trimmed, ""), False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(present)
    values = np.asarray(trimmed.take(rows).to_numpy(zero_copy_only=False), dtype=object)
    return rows, pd.util.hash_array(values, categorize=False)


def combine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One 64-bit hash of each (64-bit hash, unsigned number) pair: multiply the hash by
    an odd constant and add the number. Pairs with the same hash never collide; others
    with probability about 2**-64, as distinct texts do."""
    with np.errstate(over="ignore"):
        return first * np.uint64(0x9E3779B97F4A7C15) + second


class _Run:
    """One sorted run of distinct hashes, with their values in memory or in a file."""

    _names = itertools.count()

    def __init__(
        self, hashes: np.ndarray, blocks: Iterable[np.ndarray], columns: int, spill: Path | None
    ) -> None:
        self.hashes = hashes
        self.columns = columns
        self.path = None
        if spill is not None and len(hashes) >= SPILL_AT:
            self.path = spill / f"run-{next(self._names)}.bin"
            with self.path.open("wb") as out:
                for block in blocks:
                    np.ascontiguousarray(block, dtype=np.int64).tofile(out)
            self._values = None
        else:
            self._values = np.concatenate(list(blocks)).reshape(len(hashes), columns)
        # Directory over the leading bits, about eight hashes a bucket: hashes of ids are
        # uniform, so buckets stay small; any input is still found, only more slowly.
        self._bits = max(0, int(np.log2(max(len(hashes), 1))) - 3)
        starts = np.arange(1 << self._bits, dtype=np.uint64)
        if self._bits:
            starts <<= np.uint64(64 - self._bits)
        self._directory = np.append(np.searchsorted(hashes, starts), len(hashes))

    def __len__(self) -> int:
        return len(self.hashes)

    def find(self, queries: np.ndarray) -> np.ndarray:
        """Position of each query hash in this run, or -1 when absent."""
        bucket = (queries >> np.uint64(64 - self._bits)) if self._bits else 0 * queries
        bucket = bucket.astype(np.intp)
        low, high = self._directory[bucket], self._directory[bucket + 1]
        while (open_ := low < high).any():  # binary search inside each query's bucket
            middle = (low + high) >> 1
            below = open_ & (self.hashes[np.minimum(middle, len(self) - 1)] < queries)
            low = np.where(below, middle + 1, low)
            high = np.where(open_ & ~below, middle, high)
        found = low < len(self)
        found[found] = self.hashes[low[found]] == queries[found]
        return np.where(found, low, -1)

    def values_at(self, positions: np.ndarray) -> np.ndarray:
        """Values at ``positions`` (a file is mapped for this read only)."""
        if self.path is None:
            return self._values[positions]
        mapped = np.memmap(self.path, np.int64, "r", shape=(len(self), self.columns))
        return np.array(mapped[positions])

    def values_between(self, start: int, stop: int) -> np.ndarray:
        """Values of positions ``start`` to ``stop`` (read from the file, not mapped)."""
        if self.path is None:
            return self._values[start:stop]
        count, offset = (stop - start) * self.columns, start * self.columns * 8
        values = np.fromfile(self.path, np.int64, count=count, offset=offset)
        return values.reshape(-1, self.columns)

    def drop(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _as_items(values: np.ndarray) -> np.ndarray:
    """A C-contiguous 2-D int64 array viewed as one opaque item per row."""
    return np.ascontiguousarray(values).view(f"V{8 * values.shape[1]}").ravel()


def _merge(older: _Run, newer: _Run, spill: Path | None) -> _Run:
    """One run with the hashes of both (no hash is in both), in linear time."""
    total = len(older) + len(newer)
    from_newer = np.zeros(total, dtype=bool)
    from_newer[np.searchsorted(older.hashes, newer.hashes) + np.arange(len(newer))] = True
    hashes = np.empty(total, dtype=np.uint64)
    hashes[from_newer], hashes[~from_newer] = newer.hashes, older.hashes

    def blocks() -> Iterator[np.ndarray]:
        taken_new = 0
        for start in range(0, total, _BLOCK):
            part = from_newer[start : start + _BLOCK]
            count = int(part.sum())
            taken_old = start - taken_new
            block = np.empty((len(part), older.columns), dtype=np.int64)
            # Rows as single 8- or 16-byte items: a 1-D masked copy is several times faster.
            rows = _as_items(block)
            rows[part] = _as_items(newer.values_between(taken_new, taken_new + count))
            rows[~part] = _as_items(older.values_between(taken_old, taken_old + len(part) - count))
            taken_new += count
            yield block

    merged = _Run(hashes, blocks(), older.columns, spill)
    older.drop()
    newer.drop()
    return merged


class _Filter:
    """One bit per value of a hash's leading bits, at least eight bits per hash added: a
    clear bit proves that no hash with those leading bits was added, which settles about
    nine in ten lookups of new ids without searching the runs (1 byte per id)."""

    def __init__(self) -> None:
        self._bits = 16
        self._bitmap = np.zeros(1 << (self._bits - 3), dtype=np.uint8)
        self._count = 0

    def may_hold(self, hashes: np.ndarray) -> np.ndarray:
        slot = hashes >> np.uint64(64 - self._bits)
        return (
            self._bitmap[slot >> np.uint64(3)] >> (slot & np.uint64(7)).astype(np.uint8)
        ) & 1 > 0

    def add(self, hashes: np.ndarray, everything: Callable[[], Iterable[np.ndarray]]) -> None:
        """Add ``hashes``; when the bitmap grows, ``everything()`` gives every hash added."""
        self._count += len(hashes)
        if self._count * 8 <= 1 << self._bits:
            self._set(hashes)
            return
        while self._count * 8 > 1 << self._bits:
            self._bits += 1
        self._bitmap = np.zeros(1 << (self._bits - 3), dtype=np.uint8)
        for part in everything():
            self._set(part)

    def _set(self, hashes: np.ndarray) -> None:
        for start in range(0, len(hashes), _BLOCK):  # in blocks: no run-sized temporaries
            slot = hashes[start : start + _BLOCK] >> np.uint64(64 - self._bits)
            bit = np.left_shift(np.uint8(1), (slot & np.uint64(7)).astype(np.uint8))
            np.bitwise_or.at(self._bitmap, slot >> np.uint64(3), bit)


class IdHashes:
    """Hashes of the ids seen so far, with what was recorded of each id's first row.

    Each id keeps the values given with its first row: ``where`` codes
    (``file_index << 32 | row``, 1-based data row, or :data:`IN_STORE` for ids already in
    the store), optionally with more columns (a 2-D ``where``). ``spill`` is a folder for
    the values of long runs (the caller removes it); without one they stay in memory.

    Ids already in a store are loaded per force, when rows of that force first arrive
    (``existing(force)``): a police.uk Crime ID belongs to one force, and an archive
    downloaded again repeats it in that force, though perhaps in a later month. Their
    values are all :data:`IN_STORE`.
    """

    def __init__(
        self,
        existing: Callable[[str | None], list[str]] | None = None,
        columns: int = 1,
        spill: Path | None = None,
    ) -> None:
        self._runs: list[_Run] = []
        self._filter = _Filter()
        self._existing = existing
        self._columns = columns
        self._spill = spill
        self._loaded: set[str | None] = set()

    def load_store(self, force: str | None) -> None:
        """Add the ids the store already holds for ``force``, once."""
        if force in self._loaded or self._existing is None:
            return
        self._loaded.add(force)
        _, hashes = hash_ids(pa.array(self._existing(force), pa.string()))
        if len(hashes):
            self.check(hashes, np.full((len(hashes), self._columns), IN_STORE, dtype=np.int64))

    def check(self, hashes: np.ndarray, where: np.ndarray) -> np.ndarray:
        """The values recorded with the first row of each row's id, or :data:`FIRST` when
        the row is the first (``where`` 1-D: one value per row; 2-D: a row of values per row).

        Rows are in file order; the first of several equal ids in one call is kept.
        """
        values = where.reshape(len(where), 1) if where.ndim == 1 else where
        order = np.argsort(hashes, kind="stable")
        sorted_hashes, sorted_values = hashes[order], values[order]
        first = np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]]
        run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        earlier = np.where(first[:, None], FIRST, sorted_values[run_start])
        seen = np.zeros(len(order), dtype=bool)
        # Only hashes the filter may have seen are searched for in the runs.
        candidates = np.flatnonzero(self._filter.may_hold(sorted_hashes))
        for run in self._runs:
            position = run.find(sorted_hashes[candidates])
            hit = position >= 0
            if hit.any():
                earlier[candidates[hit]] = run.values_at(position[hit])
                seen[candidates[hit]] = True
        new = first & ~seen
        self._add(_Run(sorted_hashes[new], [sorted_values[new]], self._columns, self._spill))
        result = np.empty_like(earlier)
        result[order] = earlier
        return result.reshape(where.shape)

    def _add(self, run: _Run) -> None:
        if len(run):
            self._runs.append(run)
            self._filter.add(run.hashes, lambda: (r.hashes for r in self._runs))
        while len(self._runs) > 1:
            older, newer = self._runs[-2], self._runs[-1]
            if len(older) > 2 * len(newer) or len(older) + len(newer) > MERGE_LIMIT:
                break
            self._runs[-2:] = [_merge(older, newer, self._spill)]
