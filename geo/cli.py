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
    raise NotImplementedError


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "ingest": ("police.uk or generic incident CSVs to GeoParquet", _add_ingest, _run_ingest),
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
