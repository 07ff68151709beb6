"""Tests for geo.naming and the naming acceptance criteria on embedded police.uk data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.checks import GeoInputError
from geo.hotspots.dbscan import find_hotspots
from geo.hotspots.naming import (
    GAZETTEER_COLUMNS,
    GENERIC_LOCATIONS,
    load_gazetteer,
    nearest_place,
    street_codes,
    street_names,
)
from geo.io.store import read_incidents
from geo.projection import bng_to_lonlat, transform_xy
from geo.schema import BNG, WGS84

ROOT = Path(__file__).resolve().parent.parent
TORBAY = ROOT / "data" / "incidents" / "torbay.parquet"
WEST_END = ROOT / "data" / "incidents" / "west-end.parquet"
CASTLE_CIRCUS = shapely.Point(-3.531704, 50.468426)
WEST_END_NAMES = (
    "Oxford Street",
    "Oxford Circus",
    "Regent Street",
    "Bond Street",
    "Carnaby",
    "Soho",
    "Leicester Square",
    "Piccadilly Circus",
    "Covent Garden",
)


# CHECK ACCEPTANCE ------------------------------------------------------------------


def test_castle_circus_hotspot_is_named_after_castle_circus(torbay_asb):
    table = find_hotspots(torbay_asb, eps_m=100, min_samples=30).hotspots
    containing = table[table.covers(CASTLE_CIRCUS)]
    assert len(containing) == 1
    assert "Castle Circus" in containing["name"].iloc[0]


def test_top_west_end_shoplifting_hotspots_carry_west_end_names():
    shoplifting = read_incidents(
        WEST_END, months=("2018-01", "2021-12"), categories=["Shoplifting"]
    )
    assert shoplifting["location"].isna().all()  # API points: the gazetteer does the naming
    table = find_hotspots(shoplifting, eps_m=100, min_samples=30).hotspots
    top = table.head(3)["name"]
    assert all(any(place in name for place in WEST_END_NAMES) for name in top), top.tolist()
    assert "Oxford Street" in top.iloc[0]


# CHECK NAMING RULES ----------------------------------------------------------------


def test_street_names_strip_prefix_and_drop_generic_names():
    location = pd.Series(
        ["On or near Union Street", "On or near Shopping Area", None, "On or near No Location"]
    )
    assert street_names(location).tolist()[0] == "Union Street"
    assert street_names(location).isna().tolist() == [False, True, True, True]
    assert street_names(location, keep_generic=True).tolist()[1] == "Shopping Area"


def test_street_codes_merge_equal_names():
    codes, names = street_codes(pd.Series(["On or near A", "A", "On or near Supermarket", None]))
    assert codes[0] == codes[1] and codes[3] == -1 and codes[2] == -1
    assert names[codes[0]] == "A"


def test_generic_names_seen_in_raw_police_uk_data_are_listed():
    for name in ["Parking Area", "Shopping Area", "Supermarket", "Petrol Station", "Nightclub"]:
        assert name in GENERIC_LOCATIONS


def test_embedded_gazetteer_is_complete():
    gazetteer = load_gazetteer()
    assert tuple(gazetteer.columns) == GAZETTEER_COLUMNS
    expected = {
        "Castle Circus",
        "Union Street",
        "Fleet Street / Harbourside",
        "The Strand",
        "Paignton town centre",
        "Brixham harbour",
        "Oxford Circus",
        "Oxford Street (west of Oxford Circus)",
        "Oxford Street (east of Oxford Circus)",
        "Bond Street",
        "Regent Street",
        "Carnaby",
        "Soho",
        "Leicester Square",
        "Piccadilly Circus",
        "Covent Garden",
    }
    assert expected <= set(gazetteer["name"])
    assert gazetteer["source"].str.len().gt(20).all()
    castle = gazetteer.set_index("name").loc["Castle Circus"]
    assert (castle["lat"], castle["lon"]) == (50.468426, -3.531704)


def test_bad_gazetteer_file_is_rejected(tmp_path):
    path = tmp_path / "gazetteer.csv"
    path.write_text("name,lat,lon\nX,1,2\n")
    with pytest.raises(GeoInputError, match="missing required column"):
        load_gazetteer(path)


def test_hotspot_without_place_is_named_after_its_top_streets(make_incidents):
    xy = np.zeros((40, 2))
    locations = ["On or near Shopping Area"] * 20 + ["On or near Mill Lane"] * 12
    locations += ["On or near Brook Road"] * 8
    table = find_hotspots(
        make_incidents(xy, locations=locations), min_samples=30, gazetteer=pd.DataFrame()
    ).hotspots
    assert table["name"].iloc[0] == "Mill Lane / Brook Road"


def test_generic_only_hotspot_is_named_off_the_nearest_specific_street(make_incidents):
    xy = np.r_[np.zeros((40, 2)), np.full((3, 2), 150.0), np.full((2, 2), 900.0)]
    locations = ["On or near Parking Area"] * 40 + ["On or near Lucius Street"] * 3
    locations += ["On or near Far Away Road"] * 2
    table = find_hotspots(
        make_incidents(xy, locations=locations), min_samples=30, gazetteer=pd.DataFrame()
    ).hotspots
    assert table["name"].tolist() == ["Car park off Lucius Street"]
    assert "Parking Area" not in table["top_streets"].iloc[0]


def test_possessive_s_is_lower_case():
    location = pd.Series(["On or near St Edmund'S Road", "On or near Mann'S Court", "SOUTH ST"])
    assert street_names(location).tolist() == ["St Edmund's Road", "Mann's Court", "SOUTH ST"]


def test_station_snap_names_read_as_stations():
    location = pd.Series(["On or near St  James's Park (Gt London) (Lu Station)"])
    assert street_names(location).tolist() == ["St James's Park station"]


def test_repeated_names_are_told_apart_by_direction_not_number(make_incidents):
    xy = np.r_[np.zeros((40, 2)), np.full((35, 2), 2_000.0)]
    table = find_hotspots(make_incidents(xy), min_samples=30, gazetteer=pd.DataFrame()).hotspots
    assert table["name"].tolist() == ["Test Road – south-west side", "Test Road – north-east side"]


def test_repeated_place_names_are_told_apart_by_their_own_streets(make_incidents):
    xy = np.r_[np.zeros((40, 2)), np.full((35, 2), 400.0)]
    locations = ["On or near Gerston Road"] * 40 + ["On or near Esplanade Road"] * 35
    table = find_hotspots(
        make_incidents(xy, locations=locations), min_samples=30, gazetteer=_gazetteer(5_000.0)
    ).hotspots
    assert table["name"].tolist() == ["Test Square – Gerston Road", "Test Square – Esplanade Road"]


def test_points_without_location_text_are_named_by_distance_and_direction(make_incidents):
    incidents = make_incidents(np.full((40, 2), [0.0, 1_000.0]))
    incidents["location"] = None
    table = find_hotspots(incidents, min_samples=30, gazetteer=_gazetteer(50.0)).hotspots
    name = table["name"].iloc[0]
    assert name.endswith(" of Test Square") and "north" in name and " m " in name


def _gazetteer(radius_m: float) -> pd.DataFrame:
    lon, lat = bng_to_lonlat(np.array([292_000.0]), np.array([63_000.0]))
    return pd.DataFrame(
        {
            "name": ["Test Square"],
            "area": ["Test"],
            "lat": lat,
            "lon": lon,
            "radius_m": [radius_m],
            "source": ["test"],
        }
    )


_COORDINATES = re.compile(r"-?\d{1,3}\.\d{3,}")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(-3, 3),
            st.integers(-3, 3),
            st.sampled_from(["Parking Area", "Mill Lane", "Shopping Area", None, "Brook Road"]),
        ),
        min_size=1,
        max_size=12,
        unique_by=lambda c: (c[0], c[1]),
    ),
    st.booleans(),
)
def test_names_are_unique_and_carry_no_coordinates_or_numbers(
    make_incidents, clusters, with_gazetteer
):
    """Clusters of 30 incidents on a 500 m lattice: every name distinct, none with
    coordinates, a "#" or a generic snap name."""
    xy = np.concatenate([np.full((30, 2), [500.0 * cx, 500.0 * cy]) for cx, cy, _ in clusters])
    locations = [
        None if s is None else f"On or near {s}" for _, _, s in clusters for _ in range(30)
    ]
    gazetteer = _gazetteer(100.0) if with_gazetteer else pd.DataFrame()
    incidents = make_incidents(xy, locations=locations)
    names = find_hotspots(incidents, eps_m=50, min_samples=20, gazetteer=gazetteer).hotspots["name"]
    assert len(names) == len(clusters)
    assert names.is_unique, names.tolist()
    for name in names:
        assert not _COORDINATES.search(name) and "#" not in name, name
        assert not any(generic in name for generic in GENERIC_LOCATIONS), name


def test_gazetteer_place_wins_over_streets(make_incidents):
    gazetteer = pd.DataFrame(
        {
            "name": ["Test Square"],
            "area": ["Test"],
            "lat": [50.4699],
            "lon": [-3.5178],
            "radius_m": [5_000.0],
            "source": ["test"],
        }
    )
    table = find_hotspots(make_incidents(np.zeros((40, 2))), min_samples=30, gazetteer=gazetteer)
    assert table.hotspots["name"].iloc[0] == "Test Square"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_place_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-2_000, 2_000, size=(300, 2)).round(-1) + [292_000.0, 63_000.0]
    gx = rng.uniform(-2_000, 2_000, 25).round(-1) + 292_000.0
    gy = rng.uniform(-2_000, 2_000, 25).round(-1) + 63_000.0
    lon, lat = bng_to_lonlat(gx, gy)
    radius = rng.choice([100.0, 300.0, 800.0], 25)
    gazetteer = pd.DataFrame({"name": [f"P{i}" for i in range(25)], "lat": lat, "lon": lon})
    gazetteer = gazetteer.assign(area="Test", radius_m=radius, source="test")
    px, py = transform_xy(lon, lat, WGS84, BNG)  # as nearest_place projects them
    distance = np.hypot(xy[:, :1] - px[None, :], xy[:, 1:] - py[None, :])
    distance[distance > radius[None, :]] = np.inf
    expected = np.where(np.isfinite(distance.min(axis=1)), distance.argmin(axis=1), -1)
    np.testing.assert_array_equal(nearest_place(xy, BNG, gazetteer), expected)
    assert (expected >= 0).any() and (expected < 0).any()


def test_missing_gazetteer_file_is_named(tmp_path):
    with pytest.raises(GeoInputError, match="nowhere.csv: gazetteer file not found"):
        load_gazetteer(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("dataset", ["torbay", "west-end", "city-of-london"])
def test_embedded_areas_get_unique_plain_names(dataset):
    """Every embedded area at the default settings, busiest category: names unique,
    none with coordinates, a "#" or a generic snap name."""
    from geo.io import datasets

    incidents = read_incidents(datasets.get_dataset(dataset).incidents_path)
    busiest = incidents["category"].value_counts().index[0]
    chosen = incidents[incidents["category"] == busiest]
    names = find_hotspots(chosen, gazetteer=load_gazetteer()).hotspots["name"]
    assert len(names) > 0
    assert names.is_unique
    for name in names:
        assert not _COORDINATES.search(name) and "#" not in name, name
        assert not any(generic in name for generic in GENERIC_LOCATIONS), name


def test_point_without_text_is_named_after_a_nearby_street_of_other_incidents(make_incidents):
    xy = np.r_[np.zeros((40, 2)), np.full((2, 2), 120.0)]
    incidents = make_incidents(xy, locations=[None] * 40 + ["On or near Baker Street"] * 2)
    table = find_hotspots(incidents, min_samples=30, gazetteer=pd.DataFrame()).hotspots
    assert table["name"].tolist() == ["Near Baker Street"]
