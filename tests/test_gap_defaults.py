"""One default for the longest gap bridged between patrol pings, wherever it is used."""

from __future__ import annotations

import inspect

from geo.cli import build_parser
from geo.io import pings
from geo.patrols import dosage, measure, summaries
from geo.planning import compliance
from geo.schema import MAX_GAP_MIN


def test_max_gap_is_ten_minutes_and_dosage_exports_it():
    assert MAX_GAP_MIN == 10.0
    assert dosage.MAX_GAP_MIN == MAX_GAP_MIN


def test_coverage_cli_default_is_the_dosage_constant():
    args = build_parser().parse_args(
        [
            "coverage",
            "p.csv",
            "--hotspots",
            "h.geojson",
            "--funding-date",
            "2025-01-01",
            "--out",
            "o.csv",
        ]
    )
    assert args.max_gap_min == MAX_GAP_MIN


def test_every_library_default_is_the_dosage_constant():
    functions = [
        pings.read_pings,
        pings.read_gpx,
        pings.read_patrols,
        pings.validate_pings,
        dosage.presence_intervals,
        measure.measure_coverage,
        summaries.hotspot_share,
        summaries.patrol_density,
        compliance.compare_with_plan,
    ]
    defaults = {
        fn.__qualname__: inspect.signature(fn).parameters["max_gap_min"].default for fn in functions
    }
    assert defaults == dict.fromkeys(defaults, MAX_GAP_MIN)
