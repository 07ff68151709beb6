"""Command line: ``python -m geo COMMAND ...``.

Each command is a pair of small functions, ``_add_<command>`` (arguments) and
``_run_<command>`` (work), registered in :data:`COMMANDS`. Unusable input ends with one
line on stderr naming the file or argument and the problem, and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from geo.checks import GeoInputError


def _add_ingest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SRC", help="CSV files, folders or zips")
    parser.add_argument("--out", required=True, help="GeoParquet file to write")
    parser.add_argument("--rejected", help="CSV file for rejected rows, with reasons")
    parser.add_argument("--mapping", help="JSON column mapping for generic incident CSVs")


def _run_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from geo.ingest import ColumnMapping, ingest
    from geo.store import write_incidents

    mapping = ColumnMapping.from_json(args.mapping) if args.mapping else None

    def progress(files: list) -> list:
        # A bar only when there are many files; the summary is the output that matters.
        return tqdm(files, desc="files", unit="file", file=sys.stderr) if len(files) > 5 else files

    result = ingest(args.sources, mapping, progress=progress)
    write_incidents(result.incidents, args.out)
    if args.rejected:
        result.rejected.to_csv(args.rejected, index=False)
    print(result.summary.to_text())
    print(f"wrote {len(result.incidents):,} incidents to {args.out}")
    if args.rejected:
        print(f"wrote {len(result.rejected):,} rejected rows to {args.rejected}")
    return 0


def _add_build_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "raw_dir",
        nargs="?",
        help="raw extracts folder (with SOURCES.md); omit to rebuild only the GeoParquet stores",
    )


def _run_build_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from geo.build_data import build_stores, copy_raw

    if args.raw_dir:
        for path in copy_raw(Path(args.raw_dir)):
            print(f"wrote {path.name}")
    for key, result in build_stores().items():
        print(f"{key}: {result.summary.rows_accepted:,} of {result.summary.rows_read:,} rows")
    return 0


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "ingest": ("police.uk or generic incident CSVs to GeoParquet", _add_ingest, _run_ingest),
    "build-data": ("rebuild the embedded data/ folder", _add_build_data, _run_build_data),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one sub-command per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (summary, add_arguments, run) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary)
        add_arguments(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code (0 ok, 2 unusable input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except GeoInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
