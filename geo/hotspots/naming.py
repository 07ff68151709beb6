"""Names people recognise for hotspots: gazetteer places first, then street names.

A hotspot is named after the gazetteer places its incidents are at: each member
incident votes for the nearest place whose ``radius_m`` reaches it, and the places with
the most votes (up to :data:`MAX_PLACES`) make the name, e.g. "Castle Circus / Union
Street". Hotspots no place reaches are named after the 1-3 most frequent *specific*
street names of their incidents ("On or near " stripped), skipping police.uk's generic
snap-point names such as "Shopping Area" or "Supermarket" (:data:`GENERIC_LOCATIONS`).
A hotspot whose incidents are all at generic snap points is named after the kind of
place and the nearest specific street of any incident, "Car park off Lucius Street"; one
with no location text at all (police.uk API points) after the nearest gazetteer place
at any distance, "400 m north-west of Oxford Circus". A name never carries coordinates or a
number: hotspots that would share a name are told apart by a street of their own or by
their compass direction from the others ("Charing Cross – Villiers Street",
"Charing Cross – north side").
"""

from __future__ import annotations

from collections import Counter
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


#: How each generic snap name reads inside a hotspot name ("car park off Lucius Street").
GENERIC_PHRASES: dict[str, str] = {
    "Airport/Airfield": "airfield",
    "Bus/Coach Station": "bus station",
    "Conference/Exhibition Centre": "conference centre",
    "Ferry Terminal": "ferry terminal",
    "Further/Higher Educational Building": "college",
    "Hospital": "hospital",
    "Hotel/Motel": "hotel",
    "Motorway Service Area": "motorway services",
    "Nature Reserve": "nature reserve",
    "Nightclub": "nightclub",
    "No Location": "unlocated incidents",
    "Park/Open Space": "park",
    "Parking Area": "car park",
    "Pedestrian Subway": "subway",
    "Petrol Station": "petrol station",
    "Police Station": "police station",
    "Prison": "prison",
    "Shopping Area": "shopping area",
    "Sports/Recreation Area": "sports ground",
    "Supermarket": "supermarket",
    "Theatre/Concert Hall": "theatre",
    "Theme/Adventure Park": "theme park",
}


#: A hotspot without location text is named after a street of other incidents this
#: close to its centre, metres (about two police.uk snap points apart).
NEAR_M = 300.0


#: Eight compass points, clockwise from north, for "north-west of Oxford Circus".
COMPASS = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)


_PREFIX = "On or near "


#: British Transport Police snap names as people say them: "St  James's Park (Gt London)
#: (Lu Station)" -> "St James's Park station".
_STATION_TEXT = (
    (r"\s+", " "),
    (r" \(Gt London\)", ""),
    (r" \((?:Lu |Dlr |Rail )?Station\)", " station"),
)


#: A place or street joins the name when it has at least this share of the top one's votes.
MIN_SHARE_OF_TOP = 0.25


MAX_PLACES = 2


MAX_STREETS = 3


def street_names(location: pd.Series, keep_generic: bool = False) -> pd.Series:
    """Location text without "On or near "; missing, "No Location" and (unless
    ``keep_generic``) generic snap names become ``<NA>``. Same index as ``location``.

    police.uk title-cases its snap names letter by letter after apostrophes
    ("St Edmund'S Road"); the possessive "'S" is lower-cased back ("St Edmund's Road").
    """
    names = location.astype("string").str.removeprefix(_PREFIX).str.strip()
    names = names.str.replace(r"(?<=\w)'S\b", "'s", regex=True)
    for pattern, plain in _STATION_TEXT:
        names = names.str.replace(pattern, plain, regex=True)
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


def count_by_id(
    ids: np.ndarray, codes: np.ndarray, weights: np.ndarray | None = None
) -> pd.DataFrame:
    """Incidents per (id, code) pair, ignoring code -1: frame with ``hotspot_id``,
    ``code``, ``n``, sorted by id then code.

    Each row is one incident, or ``weights`` (integers) incidents when given.
    """
    keep = codes >= 0
    ids, codes = ids[keep].astype(np.int64), codes[keep].astype(np.int64)
    if len(ids) == 0:
        return pd.DataFrame({"hotspot_id": [], "code": [], "n": []}, dtype=np.int64)
    width = int(codes.max()) + 1
    key, inverse, n = np.unique(ids * width + codes, return_inverse=True, return_counts=True)
    if weights is not None:
        n = np.bincount(inverse.ravel(), weights=weights[keep], minlength=len(key))
        n = np.rint(n).astype(np.int64)
    return pd.DataFrame({"hotspot_id": key // width, "code": key % width, "n": n})


def join_by_id(ids: np.ndarray, texts: np.ndarray, separator: str) -> pd.Series:
    """``texts`` joined with ``separator`` per id, in their order; ``ids`` must come in
    runs (sorted). Indexed by id. Vectorised: a pandas ``agg(separator.join)`` calls
    Python once per id, seconds for tens of thousands of hotspots."""
    ids = np.asarray(ids)
    if len(ids) == 0:
        return pd.Series(dtype=object)
    texts = np.asarray(texts, dtype=str).astype(object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    follows = np.ones(len(ids), dtype=bool)
    follows[starts] = False
    texts[follows] = separator + texts[follows]
    return pd.Series(np.add.reduceat(texts, starts), index=ids[starts], dtype=object)


def lists_by_id(ids: np.ndarray, values: np.ndarray) -> dict:
    """``{id: [values in order]}`` for ``ids`` in runs (sorted)."""
    ids, values = np.asarray(ids), np.asarray(values, dtype=object)
    if len(ids) == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    groups = np.split(values, starts[1:])
    return {key: group.tolist() for key, group in zip(ids[starts].tolist(), groups, strict=True)}


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
    # Only points inside the places' box widened by the largest radius can be near one:
    # most areas of a national store are far from every place of a local gazetteer.
    reach = radius.max()
    near = np.flatnonzero(
        (xy[:, 0] >= gx.min() - reach)
        & (xy[:, 0] <= gx.max() + reach)
        & (xy[:, 1] >= gy.min() - reach)
        & (xy[:, 1] <= gy.max() + reach)
    )
    if len(near) == 0:
        return nearest
    pairs = cKDTree(xy[near]).sparse_distance_matrix(
        cKDTree(np.column_stack([gx, gy])), radius.max(), output_type="ndarray"
    )  # records i (point), j (place), v (metres)
    point, place, distance = near[pairs["i"]], pairs["j"], pairs["v"]
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
    distinct, name = np.unique(names[counts["code"].to_numpy()], return_inverse=True)
    ids = counts["hotspot_id"].to_numpy(dtype=np.int64)
    key, pair = np.unique(ids * len(distinct) + name.ravel(), return_inverse=True)
    n = np.rint(np.bincount(pair.ravel(), weights=counts["n"], minlength=len(key)))
    ids, name, n = key // max(len(distinct), 1), key % max(len(distinct), 1), n.astype(np.int64)
    # Names sort as their positions in ``distinct``, which np.unique sorted.
    order = np.lexsort((name, -n, ids))
    return pd.DataFrame({"hotspot_id": ids[order], "name": distinct[name[order]], "n": n[order]})


def _top_names(counts: pd.DataFrame, names: np.ndarray, limit: int) -> pd.Series:
    """Per ``id``: up to ``limit`` names with >= MIN_SHARE_OF_TOP of the top's count."""
    counts = ranked_counts(counts, names)
    ids, n = counts["hotspot_id"].to_numpy(), counts["n"].to_numpy()
    if len(ids) == 0:
        return pd.Series(dtype=object)
    # Rows come in runs per id, most frequent first: the top count opens each run.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    run = np.cumsum(np.r_[True, ids[1:] != ids[:-1]]) - 1
    keep = n >= MIN_SHARE_OF_TOP * n[starts][run]
    kept_before = np.cumsum(keep) - keep  # kept rows before this one, all ids
    keep &= kept_before - kept_before[starts][run] < limit
    return join_by_id(ids[keep], counts["name"].to_numpy()[keep], " / ")


def name_clusters(
    ids: np.ndarray,
    point: np.ndarray,
    xy: np.ndarray,
    crs: str,
    *,
    gazetteer: pd.DataFrame,
    streets: tuple[np.ndarray, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
) -> pd.Series:
    """Name every cluster id of incidents, each name distinct and free of coordinates.

    Parameters
    ----------
    ids : cluster id per incident (``-1`` = noise, not named; its streets still help to
        name a neighbouring car park).
    point : index into ``xy`` of each incident's (snap) point.
    xy : distinct points (m, 2), metres in the metric CRS ``crs``.
    gazetteer : places (:func:`load_gazetteer`); may be empty.
    streets : ``(codes, names)`` of streets per incident, generic snap names kept
        (``street_codes(location, keep_generic=True)``).
    weights : incidents (integers) each entry of ``ids``/``point``/``streets`` stands
        for; default one. Entries may then be distinct (point, street) pairs with their
        counts instead of one per incident: the same names, without expanding them.

    Returns
    -------
    pandas.Series
        Distinct names indexed by cluster id, in id order.
    """
    if len(gazetteer):
        check_columns("gazetteer", gazetteer.columns, GAZETTEER_COLUMNS)
    ids = np.asarray(ids)
    member = ids >= 0
    wanted = np.unique(ids[member])
    if len(wanted) == 0:
        return pd.Series(dtype=object)
    weight = None if weights is None else np.asarray(weights)[member]
    centre = _centroids(ids[member], xy[point[member]], wanted, weight)
    place = nearest_place(xy, crs, gazetteer)[point[member]]
    place_names = np.asarray(gazetteer.get("name", []), dtype=object)
    names = _top_names(count_by_id(ids[member], place, weight), place_names, MAX_PLACES)
    own = pd.DataFrame({"hotspot_id": [], "name": []})  # specific streets, none without text
    if streets is not None:
        codes, street = np.asarray(streets[0]), np.asarray(streets[1], dtype=object)
        is_generic = np.append(np.isin(street, list(GENERIC_LOCATIONS)), False)  # [-1] = none
        specific = np.where(is_generic[codes] | (codes < 0), -1, codes)
        own = ranked_counts(count_by_id(ids[member], specific[member], weight), street)
        unnamed = np.isin(ids[member], names.index.to_numpy())
        named_by_street = _top_names(
            count_by_id(ids[member], np.where(unnamed, -1, specific[member]), weight),
            street,
            MAX_STREETS,
        )
        names = pd.concat([names, named_by_street])
        missing = np.setdiff1d(wanted, names.index.to_numpy())
        kinds = _top_names(
            count_by_id(
                ids[member], np.where(np.isin(ids[member], missing), codes[member], -1), weight
            ),
            street,
            1,
        )
        names = pd.concat(
            [
                names,
                _generic_names(kinds, centre, xy=xy, point=point, specific=specific, street=street),
            ]
        )
        missing = np.setdiff1d(wanted, names.index.to_numpy())
        names = pd.concat(
            [
                names,
                _near_streets(
                    centre.loc[missing], xy[point[specific >= 0]], street[specific[specific >= 0]]
                ),
            ]
        )
    missing = np.setdiff1d(wanted, names.index.to_numpy())
    names = pd.concat([names, _names_by_bearing(centre.loc[missing], crs, gazetteer)])
    return _tell_apart(names.reindex(wanted), centre, own)


def _centroids(
    ids: np.ndarray, member_xy: np.ndarray, wanted: np.ndarray, weights: np.ndarray | None
) -> pd.DataFrame:
    """Mean member position (x, y metres) per cluster id, over incidents (each row
    counted ``weights`` times when given)."""
    if weights is None:
        frame = pd.DataFrame({"id": ids, "x": member_xy[:, 0], "y": member_xy[:, 1]})
        return frame.groupby("id")[["x", "y"]].mean().reindex(wanted)
    index = np.searchsorted(wanted, ids)  # wanted = the sorted distinct ids
    total = np.bincount(index, weights=weights, minlength=len(wanted))
    x = np.bincount(index, weights=weights * member_xy[:, 0], minlength=len(wanted)) / total
    y = np.bincount(index, weights=weights * member_xy[:, 1], minlength=len(wanted)) / total
    return pd.DataFrame({"x": x, "y": y}, index=pd.Index(wanted, name="id"))


def _generic_names(
    kinds: pd.Series,
    centre: pd.DataFrame,
    *,
    xy: np.ndarray,
    point: np.ndarray,
    specific: np.ndarray,
    street: np.ndarray,
) -> pd.Series:
    """ "Car park off Lucius Street": the kind of place, then the specific street of the
    incident point nearest to the hotspot's centre (any incident, hotspot or not)."""
    if kinds.empty:
        return pd.Series(dtype=object)
    phrases = [GENERIC_PHRASES.get(kind, str(kind).lower()) for kind in kinds]
    named = specific >= 0
    if not named.any():
        return pd.Series([p.capitalize() for p in phrases], index=kinds.index, dtype=object)
    tree = cKDTree(xy[point[named]])
    _, nearest = tree.query(centre.loc[kinds.index, ["x", "y"]].to_numpy())
    off = street[specific[named][nearest]]
    text = [f"{p.capitalize()} off {s}" for p, s in zip(phrases, off, strict=True)]
    return pd.Series(text, index=kinds.index, dtype=object)


def _near_streets(centre: pd.DataFrame, street_xy: np.ndarray, names: np.ndarray) -> pd.Series:
    """ "Near Baker Street station": the specific street of the nearest incident point
    within :data:`NEAR_M` of the centre, for hotspots whose own incidents have no
    location text (police.uk API points); the others are left out."""
    if centre.empty or len(street_xy) == 0:
        return pd.Series(dtype=object)
    distance, nearest = cKDTree(street_xy).query(centre[["x", "y"]].to_numpy())
    close = distance <= NEAR_M
    text = [f"Near {n}" for n in names[nearest[close]]]
    return pd.Series(text, index=centre.index[close], dtype=object)


def _names_by_bearing(centre: pd.DataFrame, crs: str, gazetteer: pd.DataFrame) -> pd.Series:
    """ "400 m north-west of Oxford Circus": distance (nearest 100 m) and direction from
    the nearest gazetteer place; the place alone within its radius; without a gazetteer,
    "Unnamed hotspot"."""
    if centre.empty:
        return pd.Series(dtype=object)
    if len(gazetteer) == 0:
        return pd.Series("Unnamed hotspot", index=centre.index, dtype=object)
    gx, gy = transform_xy(gazetteer["lon"], gazetteer["lat"], WGS84, crs)
    distance, nearest = cKDTree(np.column_stack([gx, gy])).query(centre[["x", "y"]].to_numpy())
    inside = distance <= gazetteer["radius_m"].to_numpy(dtype="float64")[nearest]
    bearing = compass(centre["x"].to_numpy() - gx[nearest], centre["y"].to_numpy() - gy[nearest])
    places = gazetteer["name"].to_numpy(dtype=object)[nearest]
    metres = np.maximum(np.round(distance, -2), 100).astype(int)
    text = [
        p if at else f"{m:,} m {b} of {p}"
        for p, at, b, m in zip(places, inside, bearing, metres, strict=True)
    ]
    return pd.Series(text, index=centre.index, dtype=object)


def compass(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Eight-point compass direction (:data:`COMPASS`) of offsets ``dx`` east, ``dy``
    north (any unit); a zero offset reads "north"."""
    angle = np.degrees(np.arctan2(np.asarray(dx, float), np.asarray(dy, float))) % 360
    return np.asarray(COMPASS, dtype=object)[np.round(angle / 45).astype(int) % 8]


def _tell_apart(names: pd.Series, centre: pd.DataFrame, own: pd.DataFrame) -> pd.Series:
    """Make equal names distinct by a street or a direction, never by a number.

    Every hotspot of a repeated name gets a qualifier, in rank (id) order: the first of
    its own specific streets not in the name and not taken, else its compass direction
    from the middle of the hotspots sharing the name. Names still equal (two hotspots in
    the same direction with no street of their own) get letters, ", area A".
    Repeated names are handled in sorted order; a name is taken while any hotspot
    carries it. ``own``: each hotspot's specific streets, :func:`ranked_counts` order.
    """
    names = names.astype(str)
    is_repeated = names.duplicated(keep=False).to_numpy()
    if not is_repeated.any():
        return _letters_for_repeats(names)
    # Plain arrays and a count of names in use: a set of all names per repeated name, or
    # setting one item of a pandas Series at a time, made this quadratic in hotspots.
    values = names.to_numpy(dtype=object).copy()
    position = np.flatnonzero(is_repeated)
    x = centre["x"].reindex(names.index).to_numpy(dtype="float64")[position]
    y = centre["y"].reindex(names.index).to_numpy(dtype="float64")[position]
    in_use = Counter(values.tolist())
    repeated_own = own[own["hotspot_id"].isin(names.index[position])]
    own_streets = lists_by_id(repeated_own["hotspot_id"].to_numpy(), repeated_own["name"])
    groups = pd.Series(values[position]).groupby(values[position], sort=True).indices
    for base in sorted(groups):
        rows = groups[base]
        sides = compass(x[rows] - x[rows].mean(), y[rows] - y[rows].mean())
        for row, side in zip(position[rows], sides, strict=True):
            streets = own_streets.get(names.index[row], [])
            options = [s for s in streets if isinstance(s, str) and s not in base and base not in s]
            options.append(f"{side} side")
            choice = next((o for o in options if in_use[f"{base} – {o}"] == 0), options[-1])
            values[row] = f"{base} – {choice}"
            in_use[base] -= 1
            in_use[values[row]] += 1
    return _letters_for_repeats(pd.Series(values, index=names.index, dtype=names.dtype))


def _letters_for_repeats(names: pd.Series) -> pd.Series:
    """Last resort for names still equal: ", area A", ", area B" ... in id order."""
    occurrence = names.groupby(names).cumcount()
    repeated = names.duplicated(keep=False)
    letters = [f", area {chr(65 + n % 26) * (n // 26 + 1)}" for n in occurrence.to_numpy()]
    return names + np.where(repeated, letters, "")
