"""Rebuild the embedded ``data/`` folder from the raw police.uk and ONS extracts.

Two steps, both deterministic:

1. :func:`copy_raw` packs the raw CSVs into zips laid out like the police.uk download
   (``YYYY-MM/YYYY-MM-<force>-street.csv``, member text byte for byte), trims boundary
   files to the columns we use, and keeps the Torbay rows of the LSOA count tables.
2. :func:`build_stores` ingests those zips into one GeoParquet store per dataset, with
   its rejected rows and ingest summary beside it. It needs only ``data/``, except for the
   West End, whose 122,174 Metropolitan Police rows (a 4.8 MB zip) are read from the raw
   folder and kept in ``data/`` only as the derived store.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema
from geo.checks import fail
from geo.io.datasets import DATA_DIR, DATASETS
from geo.io.incidents import ColumnMapping, IngestResult, ingest_groups
from geo.io.store import write_incidents

#: Fixed zip timestamp, so rebuilt archives are byte-identical.
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


_RAW_MONTH = re.compile(r"^(\d{4}-\d{2})-(.+)-street(?:\.[a-z]+)?\.csv$")


#: Raw police.uk-layout zip of Metropolitan Police street records in Westminster LSOAs.
MET_STREET_RAW = "westminster-met-street-2016-01_2017-12.zip"

API_POINTS_ZIP = DATA_DIR / "police-uk" / "westminster-api-points-2018-02_2021-01.zip"


API_POINTS_MAPPING = DATA_DIR / "mappings" / "police-uk-api-points.json"


def copy_raw(raw_dir: Path) -> list[Path]:
    """Write the embedded copies of the raw extracts into ``data/``; return files written."""
    raw_dir = Path(raw_dir)
    if not (raw_dir / "SOURCES.md").exists():
        fail("is not the raw data folder (no SOURCES.md)", file=str(raw_dir))
    written = [
        _zip_street_files(raw_dir, "*-devon-and-cornwall-street.torbay.csv", "torbay-street.zip"),
        _zip_street_files(raw_dir, "*-city-of-london-street.csv", "city-of-london-street.zip"),
        _zip_members(
            API_POINTS_ZIP,
            {p.name: p.read_bytes() for p in raw_dir.glob("*/london-api-points-*.csv")},
        ),
    ]
    written += _write_boundaries(raw_dir)
    written += _write_lsoa_counts(raw_dir)
    return written


def _raw_file(raw_dir: Path, name: str) -> Path:
    """The raw file called ``name`` in a sub-folder of ``raw_dir``; fails naming it."""
    found = sorted(raw_dir.glob(f"*/{name}"))
    if not found:
        fail(
            f"has no */{name}",
            fix="Point at the raw extracts folder described in SOURCES.md",
            file=str(raw_dir),
        )
    return found[0]


def _zip_street_files(raw_dir: Path, pattern: str, archive_name: str) -> Path:
    members = {}
    for path in sorted(raw_dir.glob(f"*/{pattern}")):
        month, force = _RAW_MONTH.match(path.name).groups()
        members[f"{month}/{month}-{force}-street.csv"] = path.read_bytes()
    return _zip_members(DATA_DIR / "police-uk" / archive_name, members)


def _zip_members(path: Path, members: dict[str, bytes]) -> Path:
    if not members:
        fail(f"no raw files found for {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])
    return path


def _write_boundaries(raw_dir: Path) -> list[Path]:
    lsoa11 = gpd.read_file(_raw_file(raw_dir, "torbay-lsoa11-bsc.geojson"))
    lsoa21 = gpd.read_file(_raw_file(raw_dir, "torbay-lsoa21-new-2021-codes.geojsonl"))
    torbay = pd.concat(
        [
            _lsoa_frame(lsoa11, "LSOA11CD", "LSOA11NM", "2011"),
            _lsoa_frame(lsoa21, "LSOA21CD", "LSOA21NM", "2021"),
        ],
        ignore_index=True,
    )
    westminster = _lsoa_frame(
        gpd.read_file(_raw_file(raw_dir, "westminster-2021-lsoa-gen20.geojson")),
        "LSOA21CD",
        "LSOA21NM",
        "2021",
    )
    lad = gpd.read_file(_raw_file(raw_dir, "westminster-2021-lad22-gen20.geojson"))
    outline = shapely.union_all(lsoa11.to_crs(schema.WGS84).geometry.to_numpy())
    return [
        _write_geojson(torbay, "boundaries/torbay-lsoa.geojson"),
        _write_geojson(
            gpd.GeoDataFrame({"name": ["Torbay"]}, geometry=[outline], crs=schema.WGS84),
            "boundaries/torbay.geojson",
        ),
        _write_geojson(westminster, "boundaries/westminster-lsoa.geojson"),
        _write_geojson(
            gpd.GeoDataFrame({"name": ["Westminster"]}, geometry=lad.geometry.to_crs(schema.WGS84)),
            "boundaries/westminster.geojson",
        ),
    ]


def _lsoa_frame(frame: gpd.GeoDataFrame, code: str, name: str, vintage: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"lsoa_code": frame[code], "lsoa_name": frame[name], "vintage": vintage},
        geometry=frame.geometry.to_crs(schema.WGS84),
    )


def _write_geojson(frame: gpd.GeoDataFrame, relative: str) -> Path:
    path = DATA_DIR / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME=False)
    return path


def _write_lsoa_counts(raw_dir: Path) -> list[Path]:
    folder = DATA_DIR / "lsoa-counts"
    folder.mkdir(parents=True, exist_ok=True)
    monthly = pd.read_parquet(_raw_file(raw_dir, "crime_counts.parquet"))
    monthly = monthly[monthly["LSOA name"].str.startswith("Torbay")]
    monthly = pd.DataFrame(
        {
            "lsoa_code": monthly["LSOA code"],
            "lsoa_name": monthly["LSOA name"],
            "month": monthly["Month"].astype(str),
            "all_crime": monthly["Crime Count"],
        }
    ).sort_values(["month", "lsoa_code"])
    yearly = pd.read_parquet(_raw_file(raw_dir, "crime_type_counts.parquet"))
    yearly = yearly[yearly["LSOA name"].str.startswith("Torbay")]
    yearly = pd.DataFrame(
        {
            "lsoa_code": yearly["LSOA code"],
            "lsoa_name": yearly["LSOA name"],
            "year": yearly["Year"],
            "category": yearly["Crime type"],
            "count": yearly["Crime Count"],
        }
    ).sort_values(["year", "lsoa_code", "category"])
    paths = [
        folder / "torbay-lsoa-monthly-all-crime.csv",
        folder / "torbay-lsoa-yearly-by-type.csv",
    ]
    monthly.to_csv(paths[0], index=False)
    yearly.to_csv(paths[1], index=False)
    return paths


def needs_raw(key: str) -> bool:
    """True when dataset ``key`` is built from the raw folder, not from a zip in ``data/``."""
    return key == "west-end"


def _sources(key: str, raw_dir: Path | None) -> list[tuple[list[Path], ColumnMapping | None]]:
    police_uk = DATA_DIR / "police-uk"
    if key == "west-end":
        if raw_dir is None:
            fail(
                "the West End store is built from the raw Metropolitan Police zip",
                fix=f"Pass the raw extracts folder that holds */{MET_STREET_RAW}",
            )
        return [([_raw_file(Path(raw_dir), MET_STREET_RAW)], None)]
    if key == "west-end-shoplifting":
        return [([API_POINTS_ZIP], ColumnMapping.from_json(API_POINTS_MAPPING))]
    zips = {"torbay": "torbay-street.zip", "city-of-london": "city-of-london-street.zip"}
    return [([police_uk / zips[key]], None)]


def ingest_dataset(key: str, raw_dir: Path | None = None) -> IngestResult:
    """Ingest the source files of dataset ``key`` (no writing).

    ``raw_dir`` (the raw extracts folder) is needed only where :func:`needs_raw` says so.
    """
    return ingest_groups(_sources(key, raw_dir))


def build_stores(raw_dir: Path | None = None) -> dict[str, IngestResult]:
    """Ingest the embedded datasets into ``data/incidents/``; return the results by key.

    Without ``raw_dir``, the datasets that need it (:func:`needs_raw`) keep their store.
    """
    results = {}
    for key, dataset in DATASETS.items():
        if raw_dir is None and needs_raw(key):
            continue
        result = ingest_dataset(key, raw_dir)
        write_incidents(result.incidents, dataset.incidents_path)
        # mtime 0: a rebuild from the same sources gives the same bytes
        result.rejected.to_csv(
            dataset.rejected_path, index=False, compression={"method": "gzip", "mtime": 0}
        )
        dataset.summary_path.write_text(
            json.dumps(result.summary.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        results[key] = result
    return results
