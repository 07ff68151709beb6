"""The embedded datasets shipped in ``data/`` and where their files live.

Each dataset is real police.uk data (Open Government Licence v3.0) already ingested into
a GeoParquet store by :mod:`geo.build_data`; see ``data/README.md`` for provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.checks import check_choice

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Dataset:
    """One embedded dataset: its store, boundaries and a short description."""

    key: str
    label: str
    description: str
    boundary_file: str | None
    study_area_file: str | None

    @property
    def incidents_path(self) -> Path:
        """GeoParquet store of accepted incidents."""
        return DATA_DIR / "incidents" / f"{self.key}.parquet"

    @property
    def rejected_path(self) -> Path:
        """CSV of the rows rejected when the store was built, with reasons."""
        return DATA_DIR / "incidents" / f"{self.key}.rejected.csv"

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
    ),
    "west-end": Dataset(
        key="west-end",
        label="West End",
        description=(
            "police.uk API points for Westminster, 2018-02..2021-01 (12 crime categories; "
            "no ASB, no location text), plus British Transport Police station rows for "
            "2024-01..04 and 2025-01."
        ),
        boundary_file="boundaries/westminster-lsoa.geojson",
        study_area_file="boundaries/westminster.geojson",
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
    ),
}


def get_dataset(key: str) -> Dataset:
    """Return the embedded dataset called ``key`` (see :data:`DATASETS`)."""
    return DATASETS[check_choice("dataset", key, DATASETS)]


def load_summary(key: str) -> dict:
    """The ingest summary recorded when the dataset's store was built."""
    return json.loads(get_dataset(key).summary_path.read_text(encoding="utf-8"))


def load_rejected(key: str) -> pd.DataFrame:
    """Rows rejected when the dataset's store was built, with reasons."""
    return pd.read_csv(get_dataset(key).rejected_path, dtype=str, keep_default_na=False)


def load_boundaries(key: str) -> gpd.GeoDataFrame | None:
    """LSOA boundaries (``lsoa_code``, ``lsoa_name``; EPSG:4326), or None when not shipped."""
    dataset = get_dataset(key)
    if dataset.boundary_file is None:
        return None
    return gpd.read_file(DATA_DIR / dataset.boundary_file).to_crs(schema.WGS84)


def load_study_area(key: str) -> gpd.GeoDataFrame | None:
    """The study-area outline (one polygon, EPSG:4326), or None when not shipped.

    Without one, area-based measures such as PAI fall back to the incidents' convex hull.
    """
    dataset = get_dataset(key)
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
