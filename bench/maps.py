"""Benchmark the folium map builders on 1M police.uk-like incidents (synthetic, not real).

Data: the generator of ``bench/hotspots.py`` (1,000,000 incidents on 100,000 snap points
over 20 x 20 km near Torbay), its hotspots from :func:`geo.hotspots.find_hotspots`,
400 synthetic 1 km "areas" as boundaries, 200 m cells with a synthetic Gi*-like class
(z-score of the cell count; a size test, not a real Gi*), and the embedded gazetteer.

Measures, for the explorer map with heat, clusters or the KDE surface and for the change map: build
time (folium objects + rendered HTML, best of ``--repeat``) and HTML size; the target is
< 1.5 MB (:data:`geo.maps.MAX_MAP_BYTES`) whatever the data size.

Run: ``python bench/maps.py`` (about a minute; ``--quick`` for a 10x smaller run);
``--record`` also rewrites the "## Maps" section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hotspots import EPS_M, MIN_SAMPLES, make_frame, make_incidents  # noqa: E402
from geo.hotspots.dbscan import find_hotspots  # noqa: E402
from geo.hotspots.kde import kde_grid  # noqa: E402
from geo.maps.base import MAX_MAP_BYTES, map_html_bytes  # noqa: E402
from geo.maps.hotspot import build_change_map, build_hotspot_map  # noqa: E402
from geo.schema import BNG  # noqa: E402

README = ROOT / "bench" / "README.md"
SECTION = "## Maps"


def synthetic_areas(x: np.ndarray, y: np.ndarray, side_m: float) -> gpd.GeoDataFrame:
    """Square "areas" of ``side_m`` metres covering the points (synthetic boundaries)."""
    x0, y0 = np.floor(x.min() / side_m) * side_m, np.floor(y.min() / side_m) * side_m
    i, j = np.meshgrid(
        np.arange(x0, x.max(), side_m), np.arange(y0, y.max(), side_m), indexing="ij"
    )
    boxes = shapely.box(i.ravel(), j.ravel(), i.ravel() + side_m, j.ravel() + side_m)
    names = [f"Synthetic area {k:03d}" for k in range(len(boxes))]
    return gpd.GeoDataFrame({"lsoa_name": names}, geometry=boxes, crs=BNG).to_crs(4326)


def synthetic_gi_cells(x: np.ndarray, y: np.ndarray, cell_m: float) -> gpd.GeoDataFrame:
    """Occupied ``cell_m`` cells with a Gi*-like class from the z-score of their counts."""
    key, counts = np.unique(np.column_stack([x // cell_m, y // cell_m]), axis=0, return_counts=True)
    z = (counts - counts.mean()) / counts.std()
    classes = np.select(
        [z > 2.58, z > 1.96, z > 1.65, z < -2.58, z < -1.96, z < -1.65],
        ["hot 99%", "hot 95%", "hot 90%", "cold 99%", "cold 95%", "cold 90%"],
        "not significant",
    )
    boxes = shapely.box(*(key * cell_m).T, *((key + 1) * cell_m).T)
    return gpd.GeoDataFrame({"gi_class": classes, "gi_z": z}, geometry=boxes, crs=BNG).to_crs(4326)


def best_of(repeat: int, build) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = map_html_bytes(build())
        times.append(time.perf_counter() - start)
    return min(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k incidents on 10k points")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="write bench/README.md section")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_incidents, n_snaps = 1_000_000 // scale, 100_000 // scale

    x, y = make_incidents(n_incidents, n_snaps)
    incidents = make_frame(x, y)
    hotspots = find_hotspots(
        incidents, EPS_M, MIN_SAMPLES // scale, gazetteer=pd.DataFrame()
    ).hotspots
    areas = synthetic_areas(x, y, 1_000.0)
    cells = synthetic_gi_cells(x, y, 200.0)
    gazetteer = pd.read_csv(ROOT / "data" / "gazetteer.csv")
    change = hotspots.assign(
        classification=np.resize(
            ["persistent", "emerging", "former", "intermittent"], len(hotspots)
        ),
        change=np.arange(len(hotspots)) % 41 - 20,
    )

    density = kde_grid(x, y, BNG)

    def explorer(style: str):
        return lambda: build_hotspot_map(
            hotspots,
            incidents,
            boundaries=areas,
            gi_cells=cells,
            kde_cells=density,
            gazetteer=gazetteer,
            incident_style=style,
            synthetic=True,
        )

    runs = {
        "explorer map, heat": explorer("heat"),
        "explorer map, clusters": explorer("clusters"),
        "explorer map, KDE surface": explorer("kde"),
        "change map": lambda: build_change_map(
            change, boundaries=areas, gazetteer=gazetteer, synthetic=True
        ),
    }
    lines = [
        f"date: {date.today().isoformat()}; machine: {platform.machine()}, Python "
        f"{platform.python_version()}",
        f"data: {n_incidents:,} synthetic incidents on {n_snaps:,} snap points, "
        f"{len(hotspots):,} hotspots (eps {EPS_M:g} m, min_samples {MIN_SAMPLES // scale}), "
        f"{len(areas):,} areas, {len(cells):,} cells "
        f"({int((cells['gi_class'] != 'not significant').sum()):,} significant), "
        f"{len(gazetteer):,} labels",
    ]
    for label, build in runs.items():
        seconds, size = best_of(args.repeat, build)
        verdict = "ok" if size < MAX_MAP_BYTES else "OVER LIMIT"
        lines.append(
            f"{label}: build + render {seconds:.2f} s (best of {args.repeat}), "
            f"HTML {size / 1e6:.2f} MB  [limit {MAX_MAP_BYTES / 1e6:.1f} MB: {verdict}]"
        )
    print("\n".join(lines))
    if args.record and not args.quick:
        record(lines)


def record(lines: list[str]) -> None:
    """Replace (or append) the "## Maps" section of bench/README.md."""
    body = (
        f"{SECTION}\n\n`python bench/maps.py` — folium map builders (`geo/maps/`) on the "
        "1M-incident synthetic benchmark data.\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: body + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + body
    README.write_text(text)


if __name__ == "__main__":
    main()
