"""ASB hotspot analysis library: police.uk ingestion, DBSCAN hotspots, patrol coverage, impact.

Importable without Streamlit. Distances are metres, times are tz-aware ``Europe/London``,
and every CRS is named by its EPSG code (see :mod:`geo.schema`).

The public API is five verbs, one per job; each is the same function the dashboard, the
command line (``python -m geo``), the reports and the tests call:

- :func:`read_incidents` (:mod:`geo.io.store`): a GeoParquet incident store, filtered;
- :func:`find_hotspots` (:mod:`geo.hotspots.dbscan`): DBSCAN hotspots in metres, named;
- :func:`measure_coverage` (:mod:`geo.patrols.measure`): patrol dosage per hotspot;
- :func:`evaluate` (:mod:`geo.impact.evaluate`): the impact of funded patrols;
- :func:`plan_patrols` (:mod:`geo.planning.planner`): a Koper-style patrol plan.

They are imported on first use (PEP 562), so ``import geo`` and the command line's
argument parsing stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "read_incidents": "geo.io.store",
    "find_hotspots": "geo.hotspots.dbscan",
    "measure_coverage": "geo.patrols.measure",
    "evaluate": "geo.impact.evaluate",
    "plan_patrols": "geo.planning.planner",
}

__all__ = ["evaluate", "find_hotspots", "measure_coverage", "plan_patrols", "read_incidents"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
