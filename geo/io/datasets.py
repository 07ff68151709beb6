"""The datasets the dashboard offers: embedded areas in ``data/`` and national stores.

Each embedded dataset is real police.uk data (Open Government Licence v3.0) already
ingested into a GeoParquet store by :mod:`geo.build_data`; see ``data/README.md`` for
provenance.

A national store is a partitioned store folder (``python -m geo ingest ARCHIVE --out
FOLDER``, :mod:`geo.io.partitioned`) placed, or linked, at
``ASB_DATA_DIR/stores/<name>/``: every such folder holding a manifest is offered as the
dataset ``<name>``. The app reads such a store by queries (:mod:`geo.io.query`), never
whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema, timeseries
from geo.checks import check_choice, fail
from geo.io.partitioned import PartitionedStore, is_partitioned

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

#: Folder of deployment data (databases, national stores) when ``ASB_DATA_DIR`` is unset.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "var"

#: Sub-folder of the data folder whose store folders are offered as national datasets.
STORES_FOLDER = "stores"

#: Folder names usable as dataset keys (they travel in the URL as ``?dataset=``).
_STORE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class AreaDefaults:
    """The settings a dataset opens with; every page lets the user change them.

    ``eps_m`` (metres) and ``min_samples`` (incidents) are DBSCAN's, chosen for the area's
    density so that no default hotspot covers more than 10% of the study area (checked by
    the tests). ``funding_date`` is the first day of the intervention evaluated by default
    (None: half-way through the data's months, for data whose span moves, such as a
    database; :func:`with_funding_date` fills it in) and ``funding_note`` says what it
    is; ``treated`` is (part of) the name of the hotspot
    treated by default, None for the top-ranked one. ``category`` is the category the
    sidebar starts with.
    """

    eps_m: float
    min_samples: int
    funding_date: dt.date | None
    funding_note: str
    treated: str | None = None
    category: str | None = schema.ASB


@dataclass(frozen=True)
class Dataset:
    """One embedded dataset: its store, boundaries, defaults and a short description."""

    key: str
    label: str
    description: str
    boundary_file: str | None
    study_area_file: str | None
    defaults: AreaDefaults

    @property
    def incidents_path(self) -> Path:
        """GeoParquet store of accepted incidents."""
        return DATA_DIR / "incidents" / f"{self.key}.parquet"

    @property
    def rejected_path(self) -> Path:
        """Gzipped CSV of the rows rejected when the store was built, with reasons."""
        return DATA_DIR / "incidents" / f"{self.key}.rejected.csv.gz"

    @property
    def summary_path(self) -> Path:
        """JSON ingest summary (rows read, accepted, rejected by reason, months missing)."""
        return DATA_DIR / "incidents" / f"{self.key}.summary.json"


DATASETS: dict[str, Dataset] = {
    "torbay": Dataset(
        key="torbay",
        label="Torbay",
        description=(
            "police.uk street-level crime and ASB for Torbay's LSOAs, 2024-01..04 and "
            "2025-01..12 (2024-05..12 are not in the embedded extract)."
        ),
        boundary_file="boundaries/torbay-lsoa.geojson",
        study_area_file="boundaries/torbay.geojson",
        defaults=AreaDefaults(
            eps_m=100.0,
            min_samples=30,
            funding_date=dt.date(2024, 6, 1),
            funding_note="Street Focus Torquay started on 1 June 2024.",
            treated="Castle Circus",
        ),
    ),
    "west-end": Dataset(
        key="west-end",
        label="West End",
        description=(
            "Metropolitan Police street-level crime and ASB in Westminster's LSOAs, "
            "2016-01..2017-12 (2016-03 is missing), from saved police.uk API responses."
        ),
        boundary_file="boundaries/westminster-lsoa.geojson",
        study_area_file="boundaries/westminster.geojson",
        defaults=AreaDefaults(
            eps_m=75.0,
            min_samples=100,
            funding_date=dt.date(2017, 1, 1),
            funding_note="An example date half-way through the data, not a real funding start.",
            treated="Oxford Street",
        ),
    ),
    "west-end-shoplifting": Dataset(
        key="west-end-shoplifting",
        label="West End shoplifting, 2018-2021",
        description=(
            "police.uk API points for Westminster, 2018-02..2021-01 (12 crime categories; "
            "no ASB, no location text, no id)."
        ),
        boundary_file="boundaries/westminster-lsoa.geojson",
        study_area_file="boundaries/westminster.geojson",
        defaults=AreaDefaults(
            eps_m=75.0,
            min_samples=100,
            funding_date=dt.date(2019, 8, 1),
            funding_note="An example date half-way through the data, not a real funding start.",
            treated="Oxford Street",
            category="Shoplifting",
        ),
    ),
    "city-of-london": Dataset(
        key="city-of-london",
        label="City of London",
        description=(
            "police.uk street-level crime and ASB, whole City of London Police files, "
            "2024-01..04 and 2025-01..12."
        ),
        boundary_file=None,
        study_area_file=None,
        defaults=AreaDefaults(
            eps_m=100.0,
            min_samples=10,
            funding_date=dt.date(2025, 1, 1),
            funding_note=(
                "An example date, not a real funding start: January 2025, so that "
                "January-April 2024 and 2025 can be compared."
            ),
        ),
    ),
}


def halfway_date(first_month: str, last_month: str) -> dt.date:
    """First day of the month half-way from ``first_month`` to ``last_month`` (``YYYY-MM``),
    so that both sides of it have data."""
    months = timeseries.month_range(first_month, last_month)
    return pd.Period(months[len(months) // 2], "M").to_timestamp().date()


def with_funding_date(defaults: AreaDefaults, first_month: str, last_month: str) -> AreaDefaults:
    """``defaults`` with a missing funding date set half-way through the data's months."""
    if defaults.funding_date is not None:
        return defaults
    return replace(defaults, funding_date=halfway_date(first_month, last_month))


def get_dataset(key: str) -> Dataset:
    """Return the embedded dataset called ``key`` (see :data:`DATASETS`)."""
    return DATASETS[check_choice("dataset", key, DATASETS)]


def load_summary(key: str) -> dict:
    """The ingest summary recorded when the dataset's store was built."""
    return json.loads(get_dataset(key).summary_path.read_text(encoding="utf-8"))


def load_rejected(key: str) -> pd.DataFrame:
    """Rows rejected when the dataset's store was built, with reasons."""
    return pd.read_csv(get_dataset(key).rejected_path, dtype=str, keep_default_na=False)


def load_boundaries(key: str | Dataset) -> gpd.GeoDataFrame | None:
    """LSOA boundaries (``lsoa_code``, ``lsoa_name``; EPSG:4326), or None when not shipped.

    ``key`` names an embedded dataset, or is a :class:`Dataset` (e.g. partner reports).
    """
    dataset = key if isinstance(key, Dataset) else get_dataset(key)
    if dataset.boundary_file is None:
        return None
    return gpd.read_file(DATA_DIR / dataset.boundary_file).to_crs(schema.WGS84)


def load_study_area(key: str | Dataset) -> gpd.GeoDataFrame | None:
    """The study-area outline (one polygon, EPSG:4326), or None when not shipped.

    ``key`` names an embedded dataset, or is a :class:`Dataset`. Without an outline,
    area-based measures such as PAI fall back to the incidents' convex hull.
    """
    dataset = key if isinstance(key, Dataset) else get_dataset(key)
    if dataset.study_area_file is None:
        return None
    return gpd.read_file(DATA_DIR / dataset.study_area_file).to_crs(schema.WGS84)


def dataset_of_store(path: str | Path) -> str | None:
    """The key of the embedded dataset whose store is at ``path``, or None for other files."""
    resolved = Path(path).resolve()
    return next(
        (key for key, dataset in DATASETS.items() if dataset.incidents_path == resolved), None
    )


def resolve_study_area(
    study_area: str | Path | None, incidents_path: str | Path | None = None
) -> tuple[gpd.GeoDataFrame | None, str]:
    """The study area a PAI is measured against, and a phrase saying which it is.

    ``study_area`` is an embedded dataset's key (its outline, as the dashboard uses), a
    polygon file, or None. With None, an embedded store at ``incidents_path`` brings its
    own outline, so the command line and the dashboard give the same PAI; anything else
    falls back to the incidents' convex hull (which may include sea or parkland, so PAI
    comes out higher than against a real boundary).
    """
    from geo.io.polygons import read_polygons

    if study_area is None and incidents_path is not None:
        study_area = dataset_of_store(incidents_path)
    if study_area is None:
        return None, "the incidents' convex hull (no study area given)"
    if str(study_area) in DATASETS:
        outline = load_study_area(str(study_area))
        label = get_dataset(str(study_area)).label
        if outline is None:
            return None, f"the incidents' convex hull ({label} ships no outline)"
        return outline, f"the {label} outline"
    return read_polygons(study_area, "study area"), f"the outline in {Path(study_area).name}"


def data_dir() -> Path:
    """The deployment's data folder: ``ASB_DATA_DIR``, or ``var/`` at the repository root."""
    return Path(os.environ.get("ASB_DATA_DIR") or DEFAULT_DATA_DIR)


@dataclass(frozen=True)
class NationalStore:
    """A partitioned store offered as a dataset: ``key`` is its folder's name."""

    key: str
    path: Path

    @property
    def label(self) -> str:
        """What the sidebar shows: the folder name in words, marked as national."""
        return f"{self.key.replace('-', ' ').replace('_', ' ').capitalize()} (national store)"


def national_stores() -> dict[str, NationalStore]:
    """Store folders under ``data_dir()/stores/`` (a manifest each), by key, sorted.

    Read when asked, so a store added while the server runs appears on the next page
    load. Folder names must be lower-case letters, digits, ``-`` or ``_`` (they are URL
    values), and may not repeat an embedded dataset's key; others are left out.
    """
    folder = data_dir() / STORES_FOLDER
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if _STORE_NAME.match(name) and name not in DATASETS and is_partitioned(path):
            found[name] = NationalStore(name, path)
    return found


def get_national_store(key: str) -> NationalStore:
    """The national store called ``key`` (see :func:`national_stores`)."""
    return national_stores()[check_choice("dataset", key, national_stores())]


def store_path(key: str) -> Path:
    """The incident store of a dataset: an embedded file or a national store folder."""
    if key in DATASETS:
        return DATASETS[key].incidents_path
    return get_national_store(key).path


def national_summary(key: str) -> dict:
    """The ingest summary of a national store, worked out from its manifest.

    Same keys as :meth:`geo.io.incidents.IngestSummary.to_dict`; ``rows_read`` and
    ``rows_rejected`` are None and ``rejected_by_reason`` empty, because the manifest
    records accepted rows only (``geo ingest --rejected FILE`` writes the rejected rows).
    Months missing are worked out per force, and across forces, as for an ingest.
    """
    store = PartitionedStore(get_national_store(key).path)
    partitions = list(store.partitions.values())
    if not partitions:
        fail("the store has no rows", fix="Ingest police.uk files into it", file=store.root)
    months = pd.PeriodIndex([p.month for p in partitions], freq="M")
    forces = np.array([p.force or "unknown force" for p in partitions], dtype=object)
    missing = {
        force: timeseries.missing_months(pd.Series(months[forces == force]))
        for force in sorted(set(forces))
    }
    if len(missing) > 1 and timeseries.missing_months(pd.Series(months)):
        missing["all forces"] = timeseries.missing_months(pd.Series(months))
    return {
        "files": list(store.sources),
        "rows_read": None,
        "rows_accepted": sum(p.rows for p in partitions),
        "rejected_by_reason": {},
        "first_month": str(months.min()),
        "last_month": str(months.max()),
        "months_missing": missing,
        "rows_rejected": None,
    }
