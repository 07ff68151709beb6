"""Every embedded area, and a user's own police.uk file, give usable hotspots by default.

"Usable": at least one hotspot; none covers more than 10% of the study area (a hotspot
chained across a whole district points patrols nowhere); none has PAI <= 1 (it would hold
no more than its share of incidents, so it is no hotspot at all).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.hotspots import dbscan
from geo.io import datasets, query, store
from geo.io.incidents import ingest
from geo.projection import metric_xy
from geo.schema import ASB

ROOT = Path(__file__).resolve().parents[1]
POLICE_UK = ROOT / "data" / "police-uk"
MAX_AREA_SHARE = 0.10


def _category_counts(key: str) -> dict[str, int]:
    counts = query.category_counts(datasets.get_dataset(key).incidents_path, query.Selection())
    return dict(zip(counts["category"], counts["incidents"], strict=True))


def _study_area_m2(incidents, study_area) -> float:
    x, y, crs = metric_xy(incidents)
    if study_area is None:
        return shapely.convex_hull(shapely.multipoints(np.c_[x, y])).area
    return study_area.to_crs(crs).union_all().area


def _assert_usable(result: dbscan.HotspotResult, area_m2: float) -> None:
    table = result.hotspots
    assert len(table) > 0
    largest = table["area_m2"].max() / area_m2
    assert largest <= MAX_AREA_SHARE, f"a hotspot covers {largest:.1%} of the study area"
    assert (table["pai"] > 1).all(), table.loc[table["pai"] <= 1, ["name", "pai"]]
    assert list(table["hotspot_id"]) == list(range(1, len(table) + 1))
    assert set(np.unique(result.labels)) <= {-1, *table["hotspot_id"]}


@pytest.mark.parametrize("key", list(datasets.DATASETS))
def test_every_area_has_usable_hotspots_with_its_defaults(key):
    dataset = datasets.get_dataset(key)
    defaults = dataset.defaults
    assert defaults.category in _category_counts(key)
    incidents = store.read_incidents(dataset.incidents_path, categories=[defaults.category])
    study_area = datasets.load_study_area(key)
    result = dbscan.find_hotspots(
        incidents, defaults.eps_m, defaults.min_samples, study_area=study_area
    )
    _assert_usable(result, _study_area_m2(incidents, study_area))
    summary = datasets.load_summary(key)
    assert summary["first_month"] < defaults.funding_date.strftime("%Y-%m") <= summary["last_month"]
    if defaults.treated:
        assert result.hotspots["name"].str.contains(defaults.treated, case=False).any()


def test_the_west_end_has_asb_and_oxford_street_among_its_hotspots():
    dataset = datasets.get_dataset("west-end")
    counts = _category_counts("west-end")
    assert counts[ASB] == 26_940  # every ASB row in SOURCES.md's count: none rejected
    incidents = store.read_incidents(dataset.incidents_path, categories=[ASB])
    result = dbscan.find_hotspots(
        incidents,
        dataset.defaults.eps_m,
        dataset.defaults.min_samples,
        study_area=datasets.load_study_area("west-end"),
    )
    names = " ".join(result.hotspots["name"].head(20))
    for place in ("Leicester Square", "Soho", "Oxford Street"):
        assert place in names


@pytest.mark.parametrize("archive", ["torbay-street.zip", "city-of-london-street.zip"])
def test_an_uploaded_police_uk_download_gets_usable_defaults(archive):
    """A real police.uk download, as a user would upload it: no study area, no defaults."""
    result = ingest([POLICE_UK / archive])
    summary = result.summary
    defaults = dbscan.suggest_defaults(result.incidents, summary.first_month, summary.last_month)
    assert defaults.category == ASB
    assert defaults.treated is None
    assert dt.date(2024, 1, 1) < defaults.funding_date < dt.date(2025, 12, 1)
    asb = result.incidents[result.incidents["category"] == ASB]
    found = dbscan.find_hotspots(asb, defaults.eps_m, defaults.min_samples)
    _assert_usable(found, _study_area_m2(asb, None))


def test_suggested_eps_always_shrinks_to_an_end_on_points_in_a_line(make_incidents, monkeypatch):
    # Ten snap points 150 m apart along a street (zigzagging by 0.5 m), 40 incidents each:
    # their convex hull is a sliver of about 340 m², so every hotspot covers more than 10%
    # of it down to the smallest eps. Rounding to 5 m once kept eps at 10 m for ever,
    # hanging the upload of such a file.
    street = np.column_stack([np.arange(10) * 150.0, np.arange(10) % 2 * 0.5])
    points = np.repeat(street, 40, axis=0)
    tried = []
    measure = dbscan.largest_hotspot_share

    def share(x, y, eps_m, min_samples):
        tried.append(eps_m)
        assert len(tried) < 50, f"eps stuck: {tried[-5:]}"  # fail, never hang
        return measure(x, y, eps_m, min_samples)

    monkeypatch.setattr(dbscan, "largest_hotspot_share", share)
    defaults = dbscan.suggest_defaults(make_incidents(points), "2018-01", "2018-12")
    assert defaults.eps_m == 5.0
    assert tried == sorted(set(tried), reverse=True)  # each try smaller than the last


def test_suggested_funding_date_splits_the_months_in_half(make_incidents):
    incidents = make_incidents(np.zeros((10, 2)))
    defaults = dbscan.suggest_defaults(incidents, "2018-01", "2018-12")
    assert defaults.funding_date == dt.date(2018, 7, 1)  # 6 months before, 6 after


def test_clusters_with_pai_at_most_one_are_not_hotspots():
    # Study area 1,000 x 1,000 m, 100 incidents: a cluster with 10 incidents (10%) must
    # cover less than 10% of the area (100,000 m²) to concentrate anything.
    polygons = shapely.buffer(shapely.points([[100, 100], [500, 500], [900, 900]]), 1.0)
    polygons[1] = shapely.box(0, 0, 400, 300)  # 120,000 m²: 12% of the area
    ids = np.array([1] * 50 + [2] * 10 + [3] * 10 + [-1] * 30)
    kept_ids, kept = dbscan.drop_unconcentrated(ids, polygons, 1_000_000.0)
    assert len(kept) == 2 and kept[1].equals(polygons[2])
    np.testing.assert_array_equal(kept_ids, [1] * 50 + [-1] * 10 + [2] * 10 + [-1] * 30)
    # one cluster, all noise around it: nothing to renumber
    one_ids, one = dbscan.drop_unconcentrated(np.array([1, 1, -1]), polygons[:1], 1e6)
    np.testing.assert_array_equal(one_ids, [1, 1, -1])
    assert len(one) == 1


def test_find_hotspots_never_lists_a_cluster_spread_thinner_than_the_area(make_incidents):
    # One tight knot of 40 incidents and one loose ring of 60 spread over most of the area.
    rng = np.random.default_rng(7)
    knot = rng.normal(0, 5, size=(40, 2))
    angle = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    ring = np.c_[400 * np.cos(angle), 400 * np.sin(angle)] + 500
    incidents = make_incidents(np.r_[knot + 500, ring])
    everything = dbscan.find_hotspots(incidents, eps_m=45, min_samples=3, gazetteer=None)
    assert len(everything.hotspots) == 1  # the ring (PAI < 1) is not listed
    assert everything.hotspots["incidents"].iloc[0] == 40
    assert (everything.labels[40:] == -1).all()
