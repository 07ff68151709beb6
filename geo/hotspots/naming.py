"""Names people recognise for hotspots: gazetteer places first, then street names.

A hotspot is named after the gazetteer places its incidents are at: each member
incident votes for the nearest place whose ``radius_m`` reaches it, and the places with
the most votes (up to :data:`MAX_PLACES`) make the name, e.g. "Castle Circus / Union
Street". Hotspots no place reaches are named after the 1-3 most frequent *specific*
street names of their incidents ("On or near " stripped), skipping police.uk's generic
snap-point names such as "Shopping Area" or "Supermarket" (:data:`GENERIC_LOCATIONS`).
Without any of those the name is the hotspot's busiest point, "Parking Area near lat, lon"
(or "Near lat, lon" for police.uk API points, which have no location text). Repeated
names get " #2", " #3".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.checks import check_columns, fail
from geo.projection import transform_xy
from geo.schema import WGS84

GAZETTEER_PATH = Path(__file__).resolve().parents[2] / "data" / "gazetteer.csv"


GAZETTEER_COLUMNS: tuple[str, ...] = ("name", "area", "lat", "lon", "radius_m", "source")


#: police.uk snap-point names that describe a kind of place, not where it is. Seen in the
#: raw street CSVs (Devon & Cornwall, City of London, BTP) plus the rest of police.uk's
#: published list of point types.
GENERIC_LOCATIONS: frozenset[str] = frozenset(
    {
        "Airport/Airfield",
        "Bus/Coach Station",
        "Conference/Exhibition Centre",
        "Ferry Terminal",
        "Further/Higher Educational Building",
        "Hospital",
        "Hotel/Motel",
        "Motorway Service Area",
        "Nature Reserve",
        "Nightclub",
        "No Location",
        "Park/Open Space",
        "Parking Area",
        "Pedestrian Subway",
        "Petrol Station",
        "Police Station",
        "Prison",
        "Shopping Area",
        "Sports/Recreation Area",
        "Supermarket",
        "Theatre/Concert Hall",
        "Theme/Adventure Park",
    }
)


_PREFIX = "On or near "


#: A place or street joins the name when it has at least this share of the top one's votes.
MIN_SHARE_OF_TOP = 0.25


MAX_PLACES = 2


MAX_STREETS = 3


def street_names(location: pd.Series, keep_generic: bool = False) -> pd.Series:
    """Location text without "On or near "; missing, "No Location" and (unless
    ``keep_generic``) generic snap names become ``<NA>``. Same index as ``location``."""
    names = location.astype("string").str.removeprefix(_PREFIX).str.strip()
    names = names.mask(names.isin(["", "No Location"]))
    if not keep_generic:
        names = names.mask(names.isin(GENERIC_LOCATIONS))
    return names


def street_codes(location: pd.Series, keep_generic: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`street_names` as integer codes: ``(codes per row (-1 = none), names)``.

    Cleans each distinct location once, so it is fast on millions of rows.
    """
    codes, uniques = pd.factorize(location)
    cleaned = street_names(pd.Series(uniques, dtype="string"), keep_generic)
    merged, names = pd.factorize(cleaned)  # "On or near X" and "X" become one street
    merged = np.append(merged, -1)  # factorize's -1 (missing) maps to -1
    return merged[codes], np.asarray(names, dtype=object)


def count_by_id(ids: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
    """Rows per (id, code) pair, ignoring code -1: frame with ``id``, ``code``, ``n``."""
    keep = codes >= 0
    ids, codes = ids[keep].astype(np.int64), codes[keep].astype(np.int64)
    if len(ids) == 0:
        return pd.DataFrame({"hotspot_id": [], "code": [], "n": []}, dtype=np.int64)
    width = int(codes.max()) + 1
    key, n = np.unique(ids * width + codes, return_counts=True)
    return pd.DataFrame({"hotspot_id": key // width, "code": key % width, "n": n})


def load_gazetteer(path: str | Path | None = None) -> pd.DataFrame:
    """Read a gazetteer CSV (:data:`GAZETTEER_COLUMNS`; lat/lon EPSG:4326, radius in metres).

    ``None`` reads the embedded ``data/gazetteer.csv``. A place may have several rows
    (points along a long street) sharing one name.
    """
    path = GAZETTEER_PATH if path is None else Path(path)
    if not path.is_file():
        fail("gazetteer file not found", fix="Check the path of the gazetteer CSV", file=path)
    gazetteer = pd.read_csv(path)
    check_columns("gazetteer", gazetteer.columns, GAZETTEER_COLUMNS, file=path)
    numbers = gazetteer[["lat", "lon", "radius_m"]].apply(pd.to_numeric, errors="coerce")
    if numbers.isna().any().any() or (numbers["radius_m"] <= 0).any():
        fail(
            "gazetteer lat, lon and radius_m must be numbers, radius_m > 0",
            fix="Correct the rows with missing or non-numeric values",
            file=path,
        )
    return gazetteer


def nearest_place(xy: np.ndarray, crs: str, gazetteer: pd.DataFrame) -> np.ndarray:
    """Row of the nearest gazetteer place within its ``radius_m`` of each point, or -1.

    ``xy`` are distinct points (m, 2) in metres in the metric CRS ``crs``. A distance
    equal to the radius counts; ties go to the first row. Only point-place pairs within
    the largest radius are formed, so memory stays small for big gazetteers.
    """
    nearest = np.full(len(xy), -1)
    if len(gazetteer) == 0 or len(xy) == 0:
        return nearest
    gx, gy = transform_xy(gazetteer["lon"], gazetteer["lat"], WGS84, crs)
    radius = gazetteer["radius_m"].to_numpy(dtype="float64")
    pairs = cKDTree(xy).sparse_distance_matrix(
        cKDTree(np.column_stack([gx, gy])), radius.max(), output_type="ndarray"
    )  # records i (point), j (place), v (metres)
    point, place, distance = pairs["i"], pairs["j"], pairs["v"]
    inside = distance <= radius[place]
    point, place, distance = point[inside], place[inside], distance[inside]
    order = np.lexsort((place, distance, point))
    point, place = point[order], place[order]
    _, first = np.unique(point, return_index=True)  # the nearest place of each point
    nearest[point[first]] = place[first]
    return nearest


def ranked_counts(counts: pd.DataFrame, names: np.ndarray) -> pd.DataFrame:
    """:func:`count_by_id` rows summed per (``id``, ``name``), most frequent first per id.

    ``names[code]`` is the name of each code; codes sharing a name (a gazetteer place
    with several points) are added up. Ties are broken by name, so the order is stable.
    """
    counts = counts.assign(name=names[counts["code"].to_numpy()])
    counts = counts.groupby(["hotspot_id", "name"], as_index=False)["n"].sum()
    return counts.sort_values(["hotspot_id", "n", "name"], ascending=[True, False, True])


def _top_names(counts: pd.DataFrame, names: np.ndarray, limit: int) -> pd.Series:
    """Per ``id``: up to ``limit`` names with >= MIN_SHARE_OF_TOP of the top's count."""
    counts = ranked_counts(counts, names)
    top = counts.groupby("hotspot_id")["n"].transform("max")
    keep = counts[counts["n"] >= MIN_SHARE_OF_TOP * top].groupby("hotspot_id").head(limit)
    return keep.groupby("hotspot_id")["name"].agg(" / ".join)


def name_clusters(
    ids: np.ndarray,
    point: np.ndarray,
    xy: np.ndarray,
    crs: str,
    *,
    gazetteer: pd.DataFrame,
    streets: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """Name every cluster id of incidents.

    Parameters
    ----------
    ids : cluster id per incident (``-1`` = noise, not named).
    point : index into ``xy`` of each incident's (snap) point.
    xy : distinct points (m, 2), metres in the metric CRS ``crs``.
    gazetteer : places (:func:`load_gazetteer`); may be empty.
    streets : ``(codes, names)`` of streets per incident, generic snap names kept
        (``street_codes(location, keep_generic=True)``).

    Returns
    -------
    pandas.Series
        Distinct names indexed by cluster id.
    """
    if len(gazetteer):
        check_columns("gazetteer", gazetteer.columns, GAZETTEER_COLUMNS)
    member = ids >= 0
    ids, point = ids[member], point[member]
    place = nearest_place(xy, crs, gazetteer)[point]
    place_names = np.asarray(gazetteer.get("name", []), dtype=object)
    names = _top_names(count_by_id(ids, place), place_names, MAX_PLACES)
    generic = pd.Series(dtype=object)
    if streets is not None:
        codes, street = streets[0][member], np.asarray(streets[1], dtype=object)
        is_generic = np.append(np.isin(street, list(GENERIC_LOCATIONS)), False)  # [-1] = none
        codes = np.where(np.isin(ids, names.index.to_numpy()), -1, codes)
        specific = np.where(is_generic[codes] | (codes < 0), -1, codes)
        names = pd.concat([names, _top_names(count_by_id(ids, specific), street, MAX_STREETS)])
        generic = _top_names(count_by_id(ids, np.where(specific < 0, codes, -1)), street, 1)
    missing = np.setdiff1d(np.unique(ids), names.index.to_numpy())
    near = _busiest_point_names(ids, point, xy, crs, missing)
    kinds = generic.reindex(near.index).to_numpy(dtype=object)
    text = [
        f"{k} near {c}" if isinstance(k, str) else f"Near {c}"
        for k, c in zip(kinds, near, strict=True)
    ]
    near = pd.Series(text, index=near.index, dtype=object)
    return _deduplicate(pd.concat([names, near]).sort_index())


def _busiest_point_names(
    ids: np.ndarray, point: np.ndarray, xy: np.ndarray, crs: str, wanted: np.ndarray
) -> pd.Series:
    if len(wanted) == 0:
        return pd.Series(dtype=object)
    keep = np.isin(ids, wanted)
    busiest = count_by_id(ids[keep], point[keep])
    busiest = busiest.sort_values(["hotspot_id", "n"], ascending=[True, False]).drop_duplicates(
        "hotspot_id"
    )
    chosen = xy[busiest["code"].to_numpy()]
    lon, lat = transform_xy(chosen[:, 0], chosen[:, 1], crs, WGS84)
    text = [f"{b:.4f}, {a:.4f}" for a, b in zip(lon, lat, strict=True)]
    return pd.Series(text, index=busiest["hotspot_id"].to_numpy())


def _deduplicate(names: pd.Series) -> pd.Series:
    """Add " #2", " #3" ... to repeats, in id (= rank) order."""
    occurrence = names.groupby(names).cumcount() + 1
    suffix = np.where(occurrence > 1, " #" + occurrence.astype(str), "")
    return names.astype(str) + suffix
