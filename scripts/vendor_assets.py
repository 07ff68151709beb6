"""Install the map's browser assets into ``static/vendor/`` so maps work with no internet.

folium points every map at CDNs (jsdelivr, cdnjs, code.jquery.com, ...), which locked-down
police networks block. This script fetches the same libraries from the npm registry with
``npm pack`` and unpacks the files the maps load; Streamlit's static serving
(``server.enableStaticServing``) then serves them at ``/app/static/vendor/...`` and
:func:`geo.maps.use_local_assets` points the maps there. Third-party code is never
committed: ``static/vendor/`` is git-ignored and rebuilt by this script.

Usage::

    python scripts/vendor_assets.py          # install (skips when already complete)
    python scripts/vendor_assets.py --force  # reinstall
    python scripts/vendor_assets.py --check  # exit 1 if a file the maps need is missing

Needs ``npm`` (Debian package ``npm``) and network access to the npm registry for an install.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.maps.base import VENDOR_FILES, missing_vendor_files  # noqa: E402

VENDOR_DIR = ROOT / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"

#: npm package spec -> (folder under static/vendor, paths inside the package to keep).
#: A path ending in "/" keeps the whole folder (images and fonts the CSS refers to).
NPM_PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "leaflet@1.9.4": ("leaflet", ("dist/leaflet.js", "dist/leaflet.css", "dist/images/")),
    "leaflet.markercluster@1.5.3": (
        "leaflet.markercluster",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
    ),
    "leaflet.awesome-markers@2.0.5": (
        "leaflet.awesome-markers",
        ("dist/leaflet.awesome-markers.js", "dist/leaflet.awesome-markers.css", "dist/images/"),
    ),
    "jquery@3.7.1": ("jquery", ("dist/jquery.min.js",)),
    "bootstrap@5.2.2": (
        "bootstrap",
        ("dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css"),
    ),
    "@fortawesome/fontawesome-free@6.2.0": (
        "fontawesome-free",
        ("css/all.min.css", "webfonts/"),
    ),
    # Glyphicons (Bootstrap 3) on their own, as folium's CDN file is.
    "@neos21/bootstrap3-glyphicons@1.0.7": (
        "bootstrap3-glyphicons",
        ("dist/css/bootstrap3-glyphicons.min.css", "dist/fonts/"),
    ),
}


def install(force: bool = False) -> None:
    """Download the npm packages and unpack the needed files into ``static/vendor/``."""
    wanted = _manifest_content()
    if not force and _read_manifest() == wanted and not missing_vendor_files(VENDOR_DIR):
        print(f"static/vendor is complete ({len(VENDOR_FILES)} map assets); nothing to do")
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: install it first (apt-get install -y npm)")
    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    VENDOR_DIR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (folder, keep) in NPM_PACKAGES.items():
            tarball = _npm_pack(npm, spec, Path(tmp))
            _unpack(tarball, VENDOR_DIR / folder, keep)
            print(f"installed {spec} -> static/vendor/{folder}")
    _install_folium_files(VENDOR_DIR / "folium")
    MANIFEST.write_text(json.dumps(wanted, indent=2) + "\n")
    missing = missing_vendor_files(VENDOR_DIR)
    if missing:
        sys.exit(f"static/vendor is incomplete after install; missing: {', '.join(missing)}")
    print(f"static/vendor complete: {len(VENDOR_FILES)} map assets")


def _npm_pack(npm: str, spec: str, destination: Path) -> Path:
    result = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(destination)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return destination / json.loads(result.stdout)[0]["filename"]


def _unpack(tarball: Path, target: Path, keep: tuple[str, ...]) -> None:
    """Extract the ``keep`` paths of an npm tarball (members live under ``package/``)."""
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            relative = member.name.removeprefix("package/")
            if (
                not member.isfile()
                or ".." in Path(relative).parts
                or not any(
                    relative == path or (path.endswith("/") and relative.startswith(path))
                    for path in keep
                )
            ):
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)


def _install_folium_files(target: Path) -> None:
    """Copy what folium ships itself and write its icon-rotation stylesheet.

    folium's ``leaflet_heat.min.js`` carries the weights fix (Leaflet.heat PR 78) that the
    npm ``leaflet.heat@0.2.0`` lacks, so it comes from the installed folium wheel. The
    rotation CSS (``.fa-rotate-N``, used by ``folium.Icon(angle=N)``) is generated.
    """
    import folium

    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(
        Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js",
        target / "leaflet_heat.min.js",
    )
    rules = (f".fa-rotate-{angle}{{transform:rotate({angle}deg)}}" for angle in range(1, 360))
    (target / "leaflet.awesome.rotate.min.css").write_text("\n".join(rules) + "\n")


def _manifest_content() -> dict[str, object]:
    import folium

    return {"npm": sorted(NPM_PACKAGES), "folium": folium.__version__}


def _read_manifest() -> object:
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="reinstall even when complete")
    parser.add_argument("--check", action="store_true", help="only check, exit 1 if incomplete")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_vendor_files(VENDOR_DIR)
        if missing:
            print(f"missing in static/vendor: {', '.join(missing)}", file=sys.stderr)
            return 1
        print(f"static/vendor complete: {len(VENDOR_FILES)} map assets")
        return 0
    install(force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
