"""Command line: ``python -m geo COMMAND ...``.

Each command is a pair of small functions, ``_add_<command>`` (arguments) and
``_run_<command>`` (work), registered in :data:`COMMANDS`. Every error ends with one
line on stderr naming the file or argument, the problem and what to change, and exit
code 2; ``--debug`` shows the traceback instead.

Inputs are never overwritten: an output that resolves to an input (or to another
output) is refused before any work, and a command's outputs are first written to
temporary files beside their targets and renamed into place only once all of them
were written.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from geo.checks import GeoInputError, fail
from geo.partners.cli import add_parser as add_partners_parser
from geo.schema import MAX_GAP_MIN


def _add_ingest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SRC", help="CSV files, folders or zips")
    parser.add_argument(
        "--out",
        required=True,
        help="GeoParquet file (x.parquet) or folder: a store partitioned by force and month, "
        "to which a re-run adds only files not ingested before",
    )
    parser.add_argument("--rejected", help="CSV file for rejected rows, with reasons")
    parser.add_argument("--mapping", help="JSON column mapping for generic incident CSVs")
    _add_scheduler(parser, "read and check files on this Dask scheduler (default: here)")


def _add_scheduler(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--scheduler",
        help=f"{what}; tcp://HOST:8786, 'local' for a local Dask cluster, 'none' for no Dask "
        "(default: $DASK_SCHEDULER_ADDRESS when set)",
    )


def _run_ingest(args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from geo.distributed import ordered_map, resolve_scheduler
    from geo.io.incidents import ColumnMapping, ZipLimits, discover_sources
    from geo.io.stream import ingest_to_store, list_jobs

    mapping = ColumnMapping.from_json(args.mapping) if args.mapping else None
    check_outputs([*args.sources, args.mapping], [args.out, args.rejected], folders=True)
    # Files are read and written one at a time, so an archive's total size does not
    # bound memory here; the per-file, ratio and count limits still hold.
    limits = ZipLimits(total_bytes=STREAMED_ZIP_TOTAL_BYTES)
    generic = mapping is not None
    sources = discover_sources(args.sources, generic=generic, zip_limits=limits)
    files = len(list_jobs([(sources, mapping)]))
    started = time.perf_counter()
    bar = None

    def progress(_name: str, rows_read: int) -> None:
        nonlocal bar
        if bar is None:  # only once a file is read: an unusable output fails bar-free
            # A bar only when there are many files; the summary is the output that matters.
            bar = tqdm(total=files, desc="files", unit="file", file=sys.stderr, disable=files <= 5)
        rate = rows_read / max(time.perf_counter() - started, 1e-9)
        bar.set_postfix_str(f"{rows_read:,} rows, {rate:,.0f} rows/s", refresh=False)
        bar.update()

    scheduler = resolve_scheduler(args.scheduler, default="none")
    # A .parquet output and the rejected rows appear only if the whole ingest succeeds;
    # a folder store keeps its own per-file commits.
    single_file = Path(args.out).suffix.lower() == ".parquet"
    staged = staged_outputs([], args.out if single_file else None, args.rejected)
    try:
        with staged as (out, rejected):
            result = ingest_to_store(
                sources,
                out or args.out,
                mapping,
                rejected_path=rejected,
                progress=progress,
                reader=None if scheduler == "none" else ordered_map(scheduler),
            )
    finally:
        if bar is not None:
            bar.close()
    print(result.summary.to_text())
    if result.files_skipped:
        print(f"files already in the store (skipped): {len(result.files_skipped)}")
    print(f"wrote {result.rows_written:,} incidents to {args.out}")
    if args.rejected:
        print(f"wrote {result.summary.rows_rejected:,} rejected rows to {args.rejected}")
    return 0


def _add_store_areas(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", metavar="STORE", help="store folder made by geo ingest --out")
    parser.add_argument(
        "file",
        metavar="FILE",
        help="boundary file of named polygons (GeoJSON, GeoPackage, shapefile; "
        "EPSG:4326, EPSG:27700 or another declared CRS)",
    )
    parser.add_argument(
        "--name-field", required=True, help="the field holding each area's name, e.g. CSP23NM"
    )


def _run_store_areas(args: argparse.Namespace) -> int:
    from geo.io.areas import add_areas

    areas = add_areas(args.store, args.file, args.name_field)
    linked = sum(1 for area in areas if area.forces)
    print(
        f"stored {len(areas):,} areas in {args.store} "
        f"({linked:,} hold incidents of the store's forces)"
    )
    return 0


@contextlib.contextmanager
def staged_outputs(
    inputs: Sequence[str | Path | None], *outputs: str | Path | None
) -> Iterator[list[Path | None]]:
    """Temporary paths for ``outputs``, renamed onto them only if the block succeeds.

    Fails before any work when an output resolves to one of ``inputs`` (or a file inside
    an input folder) or to another output, or when its folder does not exist. Each
    temporary file sits in its target's folder, so the final rename is atomic; if the
    block raises, every temporary file is removed and no target is touched. ``None``
    outputs (optional ones not asked for) stay ``None``.
    """
    check_outputs(inputs, outputs)
    staged: list[Path | None] = []
    try:
        for output in outputs:
            staged.append(None if output is None else _temporary_beside(Path(output)))
        yield staged
        for output, temporary in zip(outputs, staged, strict=True):
            if temporary is not None:
                os.replace(temporary, output)
    except OSError as error:
        if error.filename is not None:
            raise
        # A failed write to an open file (a full disk) names no file: name the outputs.
        names = ", ".join(str(output) for output in outputs if output is not None)
        raise OSError(error.errno, error.strerror, names) from error
    finally:
        for temporary in staged:
            if temporary is not None:
                temporary.unlink(missing_ok=True)


def check_outputs(
    inputs: Sequence[str | Path | None],
    outputs: Sequence[str | Path | None],
    *,
    folders: bool = False,
) -> None:
    """Fail naming the output that would overwrite an input or another output.

    ``folders`` allows an output to be an existing folder (a partitioned store).
    """
    sources = [Path(p).resolve() for p in inputs if p is not None]
    seen: dict[Path, str] = {}
    for output in filter(None, outputs):
        target = Path(output).resolve()
        if not target.parent.is_dir():
            fail("the folder for this output does not exist", fix="Create it first", file=output)
        if target.is_dir() and not folders:
            fail("this output is a folder", fix="Name a file to write", file=output)
        for source in sources:
            if target == source or (
                source.is_dir() and target.exists() and target.is_relative_to(source)
            ):
                fail(
                    f"this output would overwrite the input {source.name}",
                    fix="Write the output to a new file",
                    file=output,
                )
        if target in seen:
            fail(
                f"this output is also given as {seen[target]}",
                fix="Give each output its own file",
                file=output,
            )
        seen[target] = str(output)


#: Most bytes read from one zip by the streaming ``ingest``: it holds one file at a time,
#: so this only stops an archive that would take hours, not one that would fill memory.
STREAMED_ZIP_TOTAL_BYTES = 64 * 2**30


def _temporary_beside(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    return Path(name)


def _add_build_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "raw_dir",
        nargs="?",
        help="raw extracts folder (with SOURCES.md); omit to rebuild only the GeoParquet stores",
    )


def _run_build_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from geo.io.build_data import build_stores, copy_raw

    if args.raw_dir:
        for path in copy_raw(Path(args.raw_dir)):
            print(f"wrote {path.name}")
    raw_dir = Path(args.raw_dir) if args.raw_dir else None
    for key, result in build_stores(raw_dir).items():
        print(f"{key}: {result.summary.rows_accepted:,} of {result.summary.rows_read:,} rows")
    return 0


def _add_coverage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patrols", nargs="+", metavar="PATROLS", help="ping CSV or GPX files")
    parser.add_argument("--hotspots", required=True, help="hotspot polygons (GeoJSON)")
    parser.add_argument("--funding-date", required=True, help="first day of funding, YYYY-MM-DD")
    parser.add_argument("--buffer-m", type=float, default=0.0, help="hotspot buffer, metres")
    parser.add_argument(
        "--max-gap-min",
        type=float,
        default=MAX_GAP_MIN,
        help=f"longest gap bridged inside a hotspot, minutes (default {MAX_GAP_MIN:g})",
    )
    parser.add_argument("--out", required=True, help="COVERAGE.csv to write")
    parser.add_argument("--rejected", help="CSV file for rejected pings, with reasons")
    parser.add_argument(
        "--scheduler",
        help="measure per (day, unit) partition: 'none' (here), 'local' (a Dask cluster, "
        "one worker per core) or tcp://HOST:8786; default: in one piece, or "
        "DASK_SCHEDULER_ADDRESS when set",
    )


def _run_coverage(args: argparse.Namespace) -> int:
    from geo.io.pings import read_patrols
    from geo.patrols.dosage import ALL_ROLES, read_hotspots
    from geo.patrols.measure import measure_coverage
    from geo.safety import write_csv

    inputs = [*args.patrols, args.hotspots]
    with staged_outputs(inputs, args.out, args.rejected) as (out, rejected):
        read = read_patrols(args.patrols, max_gap_min=args.max_gap_min)
        zones = read_hotspots(args.hotspots)
        result = measure_coverage(
            read.rows,
            zones,
            args.funding_date,
            buffer_m=args.buffer_m,
            max_gap_min=args.max_gap_min,
            scheduler=_partition_scheduler(args.scheduler),
        )
        write_csv(result.table[result.table["role"] == ALL_ROLES], out)
        if rejected:
            write_csv(read.rejected, rejected)
    for name in zones.attrs.get("repaired", []):
        print(f"repaired: {name} crossed itself; measured on its make_valid repair")
    print(f"read {read.read:,} pings: {len(read.rows):,} accepted, {len(read.rejected):,} rejected")
    for flag, count in read.flags["flag"].value_counts().items():
        print(f"flagged {count:,} pings: {flag}")
    print(f"wrote {len(result.zones)} hotspots x 2 periods to {args.out}")
    return 0


def _partition_scheduler(scheduler: str | None) -> str | None:
    """None (in one piece) unless ``--scheduler`` or DASK_SCHEDULER_ADDRESS names one."""
    from geo.distributed import SCHEDULER_ENV, resolve_scheduler

    if scheduler is None and not os.environ.get(SCHEDULER_ENV):
        return None
    return resolve_scheduler(scheduler, default="none")


def _add_synth_patrols(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out-dir", default="data/synthetic", help="folder to (re)write")


def _run_synth_patrols(args: argparse.Namespace) -> int:
    from geo.patrols.synthetic import write_synthetic

    for path in write_synthetic(args.out_dir):
        print(f"wrote {path} (synthetic)")
    return 0


#: Defaults of geo.hotspots.dbscan, repeated here so that parsing arguments does not
#: import scipy; tests/test_national.py checks that they agree.
DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES = 100.0, 30


def _add_hotspots(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("incidents", metavar="INCIDENTS", help="GeoParquet file or store folder")
    parser.add_argument("--category", action="append", help="keep this category (repeatable)")
    parser.add_argument("--months", help="month range, e.g. 2025-01:2025-12")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS_M, help="radius, metres")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--min-samples", type=float, default=DEFAULT_MIN_SAMPLES)
    size.add_argument("--auto", action="store_true", help="sfhotspot rule for eps/min-samples")
    parser.add_argument(
        "--study-area",
        help="area for PAI: an embedded area's key (torbay, west-end, ...) or a polygon file; "
        "default: the embedded store's own outline, else the incidents' convex hull",
    )
    parser.add_argument(
        "--out", required=True, help="HOTSPOTS.geojson to write (with --by: HOTSPOTS.parquet)"
    )
    parser.add_argument("--labels", help="LABELS.csv: x, y (metres) and cluster per incident")
    parser.add_argument(
        "--by",
        metavar="force|AREAS",
        help="each force's hotspots ('force'), or each area's of a polygon file (GeoJSON with "
        "a 'name' per area), in parallel, with a halo",
    )
    parser.add_argument("--summary", help="with --by: national SUMMARY.csv, one row per force")
    parser.add_argument(
        "--halo-m", type=float, default=1000.0, help="with --by: first halo width, metres"
    )
    parser.add_argument(
        "--tile-m",
        type=float,
        help="without --by: cluster in square tiles of this side, metres, with a halo (same "
        "result; for partner reports or GPS fixes, whose points are not police.uk's snap "
        "points); the tiles run on --scheduler (default: 'none', this process)",
    )
    _add_scheduler(
        parser,
        "with --by: run forces on this Dask scheduler (default: 'local'); with --tile-m: the tiles",
    )


def _run_national_hotspots(args: argparse.Namespace) -> int:
    from geo.checks import fail
    from geo.distributed import resolve_scheduler
    from geo.hotspots.national import national_hotspots
    from geo.io.polygons import read_polygons
    from geo.safety import write_csv
    from geo.timeseries import parse_month_range

    if args.auto or args.labels or args.tile_m:
        fail("`--by` works with --eps and --min-samples, not --auto, --labels or --tile-m")
    by_file = None if args.by == "force" else args.by
    check_outputs([args.incidents, by_file], [args.out, args.summary])
    areas = None if by_file is None else read_polygons(by_file, "area")
    hotspots, summary = national_hotspots(
        args.incidents,
        areas=areas,
        months=parse_month_range(args.months) if args.months else None,
        categories=tuple(args.category) if args.category else None,
        eps_m=args.eps,
        min_samples=args.min_samples,
        halo_m=args.halo_m,
        scheduler=resolve_scheduler(args.scheduler, default="local"),
    )
    with staged_outputs([args.incidents, by_file], args.out, args.summary) as (out, table):
        hotspots.to_parquet(out, compression="zstd", schema_version="1.1.0")
        if table:
            write_csv(summary, table)
    print(summary.to_string(index=False))
    print(f"wrote {len(hotspots):,} hotspots to {args.out}")
    return 0


def _run_hotspots(args: argparse.Namespace) -> int:
    if args.by:
        return _run_national_hotspots(args)
    import functools

    import pandas as pd

    from geo.distributed import resolve_scheduler
    from geo.hotspots.dbscan import find_hotspots, write_hotspots
    from geo.hotspots.tiles import tiled_dbscan
    from geo.io.datasets import resolve_study_area
    from geo.io.store import read_incidents
    from geo.projection import metric_xy
    from geo.safety import write_csv
    from geo.timeseries import parse_month_range

    months = parse_month_range(args.months) if args.months else None
    inputs = [args.incidents, args.study_area]
    with staged_outputs(inputs, args.out, args.labels) as (out, labels):
        incidents = read_incidents(args.incidents, months=months, categories=args.category)
        study_area, study_area_text = resolve_study_area(args.study_area, args.incidents)
        result = find_hotspots(
            incidents,
            args.eps,
            args.min_samples,
            auto=args.auto,
            study_area=study_area,
            clusterer=None
            if args.tile_m is None
            else functools.partial(
                tiled_dbscan,
                tile_m=args.tile_m,
                scheduler=resolve_scheduler(args.scheduler, default="none"),
            ),
        )
        write_hotspots(result.hotspots, out)
        if labels:
            x, y, _ = metric_xy(incidents)
            write_csv(pd.DataFrame({"x": x, "y": y, "cluster": result.labels}), labels)
    how = "auto (sfhotspot rule)" if result.auto else "given"
    print(
        f"eps = {result.eps_m:.1f} m, min_samples = {result.min_samples} ({how}); "
        f"metric CRS {result.metric_crs}"
    )
    print(f"PAI against {study_area_text}")
    print(
        f"{len(incidents):,} incidents -> {len(result.hotspots)} hotspots, "
        f"{result.noise_share:.1%} noise"
    )
    for row in result.hotspots.head(5).itertuples():
        print(f"  {row.rank}. {row.name}: {row.incidents} incidents, PAI {row.pai:.1f}")
    print(f"wrote {args.out}" + (f" and {args.labels}" if args.labels else ""))
    return 0


def _add_impact(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("incidents", metavar="INCIDENTS", help="GeoParquet incident store")
    parser.add_argument(
        "--treated",
        required=True,
        help="treated areas: a drawn or uploaded polygon file (GeoJSON etc.), or a CSV of "
        "hotspot ids or names",
    )
    parser.add_argument("--funding-date", required=True, help="first day of funding, YYYY-MM-DD")
    parser.add_argument(
        "--category",
        action="append",
        help="category to count (repeatable; default Anti-social behaviour)",
    )
    parser.add_argument("--buffer-m", type=float, default=100.0, help="displacement ring, metres")
    parser.add_argument(
        "--comparison", default="auto", help="'auto' or a file of comparison areas (GeoJSON/CSV)"
    )
    parser.add_argument("--n-comparison", type=int, default=3, help="areas chosen by 'auto'")
    parser.add_argument("--lsoa-counts", help="LSOA monthly all-crime CSV for longer pre-trends")
    parser.add_argument("--boundaries", help="LSOA boundaries (GeoJSON) for --lsoa-counts")
    parser.add_argument(
        "--design-months",
        help="months the hotspots are found on, YYYY-MM,YYYY-MM,... or YYYY-MM..YYYY-MM "
        "(default: the months with data before funding)",
    )
    parser.add_argument("--out", required=True, help="IMPACT.json to write")


def _design_months(text: str | None) -> list[str] | None:
    """``--design-months``: a comma list of YYYY-MM, or a range ``YYYY-MM..YYYY-MM``."""
    from geo.timeseries import month_range

    if not text:
        return None
    if ".." in text:
        first, last = (part.strip() for part in text.split("..", 1))
        return list(month_range(first, last))
    return [part.strip() for part in text.split(",") if part.strip()]


def _run_impact(args: argparse.Namespace) -> int:
    import json

    from geo.impact.evaluate import evaluate_store, impact_json
    from geo.safety import write_bytes_atomic

    inputs = [args.incidents, args.treated, args.comparison, args.lsoa_counts, args.boundaries]
    check_outputs(inputs, [args.out])
    result = evaluate_store(
        args.incidents,
        args.treated,
        args.funding_date,
        categories=args.category,
        buffer_m=args.buffer_m,
        comparison=args.comparison,
        n_comparison=args.n_comparison,
        lsoa_counts=args.lsoa_counts,
        boundaries=args.boundaries,
        design_months=_design_months(args.design_months),
    )
    text = json.dumps(impact_json(result), indent=2, ensure_ascii=False)
    write_bytes_atomic(args.out, text.encode("utf-8"))
    print(result.headline)
    print(
        f"before {result.windows.before[0]}..{result.windows.before[-1]}, "
        f"after {result.windows.after[0]}..{result.windows.after[-1]}"
    )
    print(f"wrote {args.out}")
    return 0


def _add_plan(parser: argparse.ArgumentParser) -> None:
    # Options left out take PlanSettings' defaults (the planner page's) when the command
    # runs, so building the parser imports nothing heavy.
    same = "default: as the planner page"
    parser.add_argument("incidents", metavar="INCIDENTS", help="GeoParquet incident store")
    parser.add_argument("--hours-per-day", type=float, help=f"hotspot patrol hours ({same})")
    parser.add_argument("--units", type=int, help=f"patrol units on shift ({same})")
    parser.add_argument("--category", action="append", help="keep this category (repeatable)")
    parser.add_argument("--eps", type=float, default=DEFAULT_EPS_M, help="radius, metres")
    parser.add_argument("--min-samples", type=int, default=DEFAULT_MIN_SAMPLES)
    parser.add_argument("--method", default="both", help="forecast: recent, seasonal or both")
    parser.add_argument("--missing", action="append", help="month with no data, YYYY-MM")
    parser.add_argument("--shift", help=f"shift hours, HH:MM-HH:MM ({same})")
    parser.add_argument("--peak", help="peak hours inside the shift, HH:MM-HH:MM (default: all)")
    parser.add_argument("--minutes-per-visit", type=float, help=f"10 to 16 ({same})")
    parser.add_argument(
        "--patrol-mode",
        choices=("foot", "vehicle"),
        help=f"travel between hotspots on foot (5 km/h) or by vehicle ({same})",
    )
    parser.add_argument("--vehicle-kmh", type=float, help=f"vehicle speed, km/h ({same})")
    parser.add_argument("--max-hotspots", type=int, help=same)
    parser.add_argument("--date", help="day of the shift, YYYY-MM-DD (default tomorrow)")
    parser.add_argument("--seed", type=int, help=f"seed of the random visit order ({same})")
    parser.add_argument("--out", required=True, help="PLAN.csv to write")
    parser.add_argument("--schedule", help="SCHEDULE.csv of visit times per unit")
    parser.add_argument("--gpx", help="waypoints GPX to write")


def _run_plan(args: argparse.Namespace) -> int:
    import datetime as dt

    from geo.io.datasets import dataset_of_store, load_summary, resolve_study_area
    from geo.io.store import read_incidents
    from geo.planning import exports
    from geo.planning.forecast import ForecastMethod, UnitSpec, forecast_next
    from geo.planning.planner import PlanSettings, plan_patrols
    from geo.timeseries import months_without_data

    def hours(name: str, text: str | None) -> tuple[str | None, str | None]:
        if text is None:
            return None, None
        start, sep, end = text.partition("-")
        if not sep:
            fail(f"`--{name}` must look like 18:00-02:00, got {text!r}")
        return start, end

    with staged_outputs([args.incidents], args.out, args.schedule, args.gpx) as staged:
        incidents = read_incidents(args.incidents, categories=args.category)
        # An embedded store brings its own gaps and outline, as on the planner page.
        dataset = dataset_of_store(args.incidents)
        missing = args.missing
        if missing is None and dataset is not None:
            missing = months_without_data(load_summary(dataset))
        study_area, _ = resolve_study_area(None, args.incidents)
        predicted = forecast_next(
            incidents,
            method=ForecastMethod(args.method),
            units=UnitSpec("hotspots", args.eps, args.min_samples),
            missing=missing,
            study_area=study_area,
        )
        shift_start, shift_end = hours("shift", args.shift)
        peak_start, peak_end = hours("peak", args.peak)
        given = {
            "hours_per_day": args.hours_per_day,
            "units": args.units,
            "shift_start": shift_start,
            "shift_end": shift_end,
            "peak_start": peak_start,
            "peak_end": peak_end,
            "minutes_per_visit": args.minutes_per_visit,
            "patrol_mode": args.patrol_mode,
            "vehicle_kmh": args.vehicle_kmh,
            "max_hotspots": args.max_hotspots,
            "seed": args.seed,
            "plan_date": dt.date.fromisoformat(args.date) if args.date else None,
        }
        chosen = {name: value for name, value in given.items() if value is not None}
        settings = PlanSettings(**chosen)
        plan = plan_patrols(predicted.table, settings)
        for path, text in zip(
            staged, (exports.plan_csv, exports.schedule_csv, exports.plan_gpx), strict=True
        ):
            if path is not None:
                path.write_text(text(plan), encoding="utf-8")
    print(f"forecast for {predicted.target} from data up to {predicted.based_on}")
    print(
        f"{len(plan.plan)} hotspots, {int(plan.plan['visits_per_day'].sum())} visits of "
        f"{settings.minutes_per_visit:g} min = {plan.minutes_used / 60:g} h of "
        f"{settings.hours_per_day:g} h a day"
    )
    for note in plan.notes:
        print(f"note: {note}")
    print(f"wrote {', '.join(p for p in (args.out, args.schedule, args.gpx) if p)}")
    return 0


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "ingest": ("police.uk or generic incident CSVs to GeoParquet", _add_ingest, _run_ingest),
    "store-areas": (
        "keep a boundary file's named areas in a national store",
        _add_store_areas,
        _run_store_areas,
    ),
    "build-data": ("rebuild the embedded data/ folder", _add_build_data, _run_build_data),
    "coverage": ("patrol coverage per hotspot before/after", _add_coverage, _run_coverage),
    "hotspots": ("DBSCAN hotspots to GeoJSON (+ labels CSV)", _add_hotspots, _run_hotspots),
    "impact": ("before/after impact against comparison areas", _add_impact, _run_impact),
    "plan": ("Koper-style patrol plan for next month's hotspots", _add_plan, _run_plan),
    "synth-patrols": (
        "(re)write the synthetic Torbay demo patrols",
        _add_synth_patrols,
        _run_synth_patrols,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one sub-command per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (summary, add_arguments, run) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary)
        add_arguments(command)
        command.set_defaults(run=run)
    add_partners_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code (0 ok, 2 any error, told in one line)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:  # noqa: BLE001 - the one place every error becomes one line
        if args.debug:
            raise
        print(f"error: {error_line(error)}", file=sys.stderr)
        return 2


#: Errors of a write that ran out of room: no space, over a quota, or past the file size
#: limit.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def error_line(error: BaseException) -> str:
    """One line for ``error``: file, problem and what to change, without a traceback."""
    if isinstance(error, GeoInputError):
        return str(error)
    if isinstance(error, MemoryError):
        return (
            "ran out of memory reading the input. Split it into smaller files, "
            "or run with --debug to see where"
        )
    if isinstance(error, OSError):  # a file that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        if error.errno in _DISK_FULL:
            return f"{where}{error.strerror}. Free some disk space or write the output elsewhere"
        return f"{where}{error.strerror or error}. Check the path and its permissions"
    text = " ".join(str(error).split())[:200] or "no message"
    return (
        f"unexpected {type(error).__name__}: {text}. "
        "Check the input files; run with --debug for the traceback"
    )
