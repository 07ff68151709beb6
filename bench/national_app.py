"""Benchmark: the dashboard on a national store (Overview, rerun, one force, explorer).

Uses the store that ``bench/national.py`` builds (``bench/generated/national-<N>k-store``,
made by ``geo ingest``; built here when missing) and offers it to the app as a national
dataset by linking it at ``ASB_DATA_DIR/stores/<name>/`` in a temporary folder.

In one fresh process, server side with Streamlit's AppTest (no browser), after a
warm-up run on the embedded Torbay dataset so that the pages' imports are not counted:

1. the Overview's first load on the national store (all forces, ASB by default), with
   no overview kept in the store (``_overviews/`` removed first), so it is computed;
2. a rerun of it (nothing changed);
3. one force chosen in the sidebar: that force's Overview (its rows read, its hotspots);
4. the Hotspot explorer for that force, and a rerun of it.

Each step's wall time and CPU time (user + system, all threads: less disturbed by other
work on a shared machine), and the process's peak resident memory after steps 2 and 4. Then
the same in a second fresh process, as after a server restart: its Overview's first
load reads the overview the first process kept in the store.
Then, each in its own fresh process: one force read (``geo.io.store.read_incidents``),
one area within that force read (``within=`` a polygon) and
``geo.hotspots.national.national_overview`` called directly.

Run from the repo root: ``python bench/national_app.py --rows 3000000``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from national import PYTHON, ROOT, generate, measure  # noqa: E402

from geo.hotspots.national import KEPT_FOLDER  # noqa: E402

FORCE = "Force 22 Police"
ASB = "Anti-social behaviour"

APP_STEPS = """
import json, os, resource, sys, tempfile, time
from pathlib import Path
from streamlit.testing.v1 import AppTest

store = Path(sys.argv[1])
var = Path(tempfile.mkdtemp())
(var / "stores").mkdir()
(var / "stores" / "bench").symlink_to(store.resolve())
os.environ["ASB_DATA_DIR"] = str(var)
entry = str(Path.cwd() / "dashboard.py")

def peak_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

warm = AppTest.from_file(entry, default_timeout=600).run()  # Torbay: imports, not timed
assert not warm.exception, warm.exception
steps = {"warm-up (Torbay, untimed) peak GB": round(peak_gb(), 2)}
at = AppTest.from_file(entry, default_timeout=600)
at.query_params["dataset"] = "bench"

def cpu():
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime

def timed(name, action):
    t0, c0 = time.perf_counter(), cpu()
    action()
    steps[name] = round(time.perf_counter() - t0, 3)
    steps[name.replace("(s)", "CPU (s)")] = round(cpu() - c0, 3)
    assert not at.exception, at.exception

timed("overview, first load (s)", at.run)
timed("overview, rerun (s)", at.run)
steps["peak GB after the Overview"] = round(peak_gb(), 2)
steps["hotspots (national)"] = next(m.value for m in at.metric if m.label == "Hotspots")
force = sys.argv[2]
choose = at.sidebar.selectbox(key="force").set_value
timed("one force's overview, first load (s)", lambda: choose(force).run())
steps["incidents (force)"] = next(m.value for m in at.metric if m.label == "Incidents")
timed("hotspot explorer, one force (s)", lambda: at.switch_page("pages/hotspots.py").run())
timed("hotspot explorer, rerun (s)", at.run)
steps["peak GB at the end"] = round(peak_gb(), 2)
print(json.dumps(steps))
"""


#: An area for the area read: a circle of 0.03 degrees (about 4 by 7 km) around the
#: force's busiest snap point, standing in for a partnership (the generated archive has
#: no real boundaries). Worked out untimed.
AREA_SETUP = """
import numpy as np, shapely
from geo.io.query import Selection, snap_weights
from geo.io.store import read_incidents
from geo.projection import bng_to_lonlat
weights = snap_weights({store!r}, Selection.of(forces=[{force!r}]))
x, y = weights.xy[np.argmax(weights.weights)]
lon, lat = bng_to_lonlat(np.array([x]), np.array([y]))
area = shapely.Point(lon[0], lat[0]).buffer(0.03)
"""


def store_for(rows: int) -> Path:
    """The partitioned store of the generated archive for ``rows`` (ingested if missing)."""
    archive = generate(rows)
    store = archive.parent / f"{archive.name}-store"
    if not (store / "_manifest.json").is_file():
        subprocess.run(
            [PYTHON, "-m", "geo", "ingest", str(archive), "--out", str(store)], check=True
        )
    return store


def app_steps(store: Path) -> dict:
    """The app's steps in a fresh process (see the module docstring)."""
    done = subprocess.run(
        [PYTHON, "-c", APP_STEPS, str(store), FORCE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(rows: int) -> dict:
    store = store_for(rows)
    shutil.rmtree(store / KEPT_FOLDER, ignore_errors=True)  # the first load ever: computed
    results = {"app": app_steps(store)}
    kept = app_steps(store)  # a new server process: the Overview kept in the store
    results["app"]["overview, first load, kept in the store (s)"] = kept["overview, first load (s)"]
    results["app"]["overview, first load, kept in the store CPU (s)"] = kept[
        "overview, first load CPU (s)"
    ]
    results["app"]["peak GB after the kept Overview"] = kept["peak GB after the Overview"]
    results["read one force (pruned)"] = measure(
        "from geo.io.store import read_incidents",
        f"out = len(read_incidents({str(store)!r}, forces=[{FORCE!r}]))",
    )
    results["read one area within the force (pruned)"] = measure(
        AREA_SETUP.format(store=str(store), force=FORCE),
        f"out = len(read_incidents({str(store)!r}, forces=[{FORCE!r}], within=area))",
    )
    results["national_overview (direct, ASB)"] = measure(
        "from geo.hotspots.national import national_overview",
        f"out = national_overview({str(store)!r}, categories=({ASB!r},)).hotspot_count",
    )
    results["snap weights with location, national ASB"] = measure(
        "from geo.io.query import Selection, snap_weights",
        f"out = len(snap_weights({str(store)!r}, Selection.of(categories=[{ASB!r}]), "
        "with_location=True))",
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    args = parser.parse_args()
    for rows in args.rows or [3_000_000]:
        results = run(rows)
        print(f"rows: {rows:,}")
        for name, value in results.pop("app").items():
            print(f"  {name:44s} {value}")
        for name, value in results.items():
            print(
                f"  {name:44s} {value['s']:7.2f} s  {value['cpu']:7.2f} s CPU  "
                f"{value['gb']:5.2f} GB   {value['out'][:60]}"
            )


if __name__ == "__main__":
    main()
