"""Benchmark: the streaming ingest's duplicate-id hashes at the full archive's scale.

police.uk 2010-2026 is about 100 million rows in about 8,000 force-month files with about
65 million distinct Crime IDs. This feeds :class:`geo.io.id_hashes.IdHashes` (two value
columns, as the ingest keeps) ``--files`` batches of 8,000 random 64-bit hashes, the first
eight of each repeating the previous batch, with a spill folder, and prints the time and
the process's peak resident memory every 1,000 batches.

Run from the repo root: ``python bench/id_hashes.py --files 8000``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.io.id_hashes import FIRST, IdHashes  # noqa: E402

IDS_PER_FILE = 8_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as spill:
        hashes = IdHashes(columns=2, spill=Path(spill))
        started, previous = time.perf_counter(), None
        for index in range(args.files):
            batch = rng.integers(0, 2**64, IDS_PER_FILE, dtype=np.uint64)
            if previous is not None:
                batch[:8] = previous[:8]
            previous = batch
            where = np.column_stack([np.arange(IDS_PER_FILE) + (index << 32), np.full(8000, 7)])
            first = hashes.check(batch, where.astype(np.int64))
            assert index == 0 or (first[:8, 0] != FIRST).all()
            if (index + 1) % 1_000 == 0 or index + 1 == args.files:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
                print(
                    f"{index + 1:6,} files, {(index + 1) * IDS_PER_FILE / 1e6:5.1f}M ids: "
                    f"{time.perf_counter() - started:6.1f} s, peak {peak:.2f} GB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
