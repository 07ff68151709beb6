"""National scale: streamed ingest, the partitioned store, pruning, append, halo, Dask."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.cli import main
from geo.io.id_hashes import IdHashes
from geo.io.incidents import POLICE_UK_STREET_COLUMNS, ingest
from geo.io.partitioned import MANIFEST, PartitionedStore
from geo.io.query import Selection, category_counts, monthly_counts, snap_weights
from geo.io.store import read_incidents
from geo.io.stream import ingest_to_store
from geo.projection import bng_to_lonlat

ROOT = Path(__file__).resolve().parents[1]
TORBAY_ZIP = ROOT / "data" / "police-uk" / "torbay-street.zip"
HEADER = ",".join(POLICE_UK_STREET_COLUMNS) + "\n"
KEY = ["source", "incident_id", "easting", "northing", "category", "month", "location"]


def write_month(folder: Path, force: str, month: str, xy_m, *, ids=None, category=schema.ASB):
    """One police.uk street CSV of ``force`` for ``month``, rows at BNG ``xy_m`` (metres)."""
    xy = np.asarray(xy_m, dtype=float).reshape(-1, 2)
    lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
    slug = force.lower().replace(" ", "-")
    lines = [
        f"{'' if ids is None else ids[i]},{month},{force},{force},{lon[i]:.6f},{lat[i]:.6f},"
        f"On or near Street {i % 3},E0100000{i % 2},Area {i % 2},{category},,\n"
        for i in range(len(xy))
    ]
    path = folder / f"{month}-{slug}-street.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path):
    """Two forces x three months around Torquay, with ids (one repeated across months)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for force, x0 in (("Force A", 290_000), ("Force B", 300_000)):
        for k, month in enumerate(("2025-01", "2025-02", "2025-03")):
            xy = np.column_stack(
                [x0 + rng.integers(0, 20, 40) * 50, 63_000 + rng.integers(0, 5, 40) * 50]
            )
            ids = [f"{force[-1]}{month}{i}" for i in range(40)]
            if k == 2:
                ids[0] = f"{force[-1]}2025-01{0}"  # the same crime published again
            write_month(folder, force, month, xy, ids=ids, category=["Burglary", schema.ASB][k % 2])
    return folder


def _sorted(frame):
    return frame.sort_values(KEY).reset_index(drop=True)


def test_partitioned_store_round_trip(archive, tmp_path):
    summary = ingest_to_store([archive], tmp_path / "store").summary
    one = ingest_to_store([archive], tmp_path / "one.parquet").summary
    memory = ingest([archive])
    assert summary.to_dict() == one.to_dict() == memory.summary.to_dict()
    assert summary.rows_read == 240 and summary.rejected_by_reason == {"duplicate id": 2}
    store = read_incidents(tmp_path / "store")
    pd.testing.assert_frame_equal(_sorted(store), _sorted(read_incidents(tmp_path / "one.parquet")))
    pd.testing.assert_frame_equal(_sorted(store), _sorted(memory.incidents), check_dtype=False)
    manifest = json.loads((tmp_path / "store" / MANIFEST).read_text())
    assert [(p["force"], p["month"], p["rows"]) for p in manifest["partitions"]] == [
        (force, month, 40 - (month == "2025-03"))
        for force in ("Force A", "Force B")
        for month in ("2025-01", "2025-02", "2025-03")
    ]
    assert (tmp_path / "store" / "force=Force%20A" / "month=2025-02").is_dir()
    counts = monthly_counts(tmp_path / "store", Selection.of(categories=[schema.ASB]))
    assert counts["incidents"].tolist() == [80]
    assert counts["month"].tolist() == [pd.Timestamp("2025-02-01").date()]
    by_category = category_counts(tmp_path / "store", Selection.of(forces=["Force B"]))
    assert dict(zip(by_category["category"], by_category["incidents"], strict=True)) == {
        "Burglary": 79,
        schema.ASB: 40,
    }


def test_reading_one_force_never_opens_the_other_forces_files(archive, tmp_path):
    ingest_to_store([archive], tmp_path / "store")
    for part in (tmp_path / "store").glob("force=Force%20B/*/*.parquet"):
        part.write_bytes(b"not parquet at all")  # any read of these files would fail
    only_a = read_incidents(tmp_path / "store", forces=["Force A"], months=("2025-02", None))
    assert set(only_a["force"]) == {"Force A"} and len(only_a) == 79
    weights = snap_weights(tmp_path / "store", Selection.of(forces=["Force A"]))
    assert weights.incidents == 119
    with pytest.raises(Exception, match="(?i)parquet"):
        read_incidents(tmp_path / "store")


def _store_of_first_two_months(archive: Path, tmp_path: Path) -> Path:
    """A store ingested from the archive's Jan and Feb 2025 files only (``tmp_path/store``)."""
    early = tmp_path / "early"
    early.mkdir()
    for path in archive.glob("2025-0[12]-*.csv"):
        (early / path.name).write_bytes(path.read_bytes())
    store = tmp_path / "store"
    ingest_to_store([early], store)
    return store


def test_append_adds_only_new_months(archive, tmp_path):
    store = _store_of_first_two_months(archive, tmp_path)
    before = {p: p.read_bytes() for p in store.rglob("*.parquet")}
    again = ingest_to_store([archive], store)
    assert len(again.files_skipped) == 4 and again.summary.rows_read == 80
    assert {p: p.read_bytes() for p in before} == before  # old partitions untouched
    assert len(list(store.rglob("*.parquet"))) == 6
    full = tmp_path / "full"
    ingest_to_store([archive], full)
    # The month-3 copy of a month-1 id is found across runs as well.
    assert again.summary.rejected_by_reason == {"duplicate id": 2}
    appended, whole = (
        read_incidents(s).drop(columns="source").sort_values(KEY[1:]).reset_index(drop=True)
        for s in (store, full)
    )
    pd.testing.assert_frame_equal(appended, whole)
    assert PartitionedStore(store).partitions.keys() == PartitionedStore(full).partitions.keys()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=20), min_size=1, max_size=6))
def test_id_hashes_find_the_first_row_of_every_id(batches):
    hashes, first, expected = IdHashes(), {}, []
    got = []
    for file_index, batch in enumerate(batches):
        values = np.array(batch, dtype=np.uint64)
        where = (np.int64(file_index) << 32) | np.arange(1, len(batch) + 1)
        got += hashes.check(values, where.astype(np.int64)).tolist()
        for value, code in zip(batch, where.tolist(), strict=True):
            expected.append(first.get(value, -2))
            first.setdefault(value, code)
    assert got == expected


def test_id_hashes_spilled_and_capped_runs_find_the_first_row_of_every_id(tmp_path, monkeypatch):
    """Long runs keep their values in files and stop merging at the limit: with tiny limits,
    40 files of random 64-bit hashes (a fifth repeating earlier ones) give the same answers
    as a dict."""
    from geo.io import id_hashes

    monkeypatch.setattr(id_hashes, "SPILL_AT", 64)
    monkeypatch.setattr(id_hashes, "MERGE_LIMIT", 1000)
    monkeypatch.setattr(id_hashes, "_BLOCK", 50)
    rng = np.random.default_rng(7)
    hashes, first, seen = IdHashes(columns=2, spill=tmp_path), {}, []
    for file_index in range(40):
        batch = rng.integers(0, 2**64, 120, dtype=np.uint64)
        if seen:
            again = rng.random(120) < 0.2
            batch[again] = rng.choice(np.array(seen, dtype=np.uint64), again.sum())
        where = np.column_stack([(file_index << 32) + np.arange(1, 121), np.full(120, file_index)])
        got = hashes.check(batch, where)
        expected = [first.get(h, (id_hashes.FIRST, id_hashes.FIRST)) for h in batch.tolist()]
        assert [tuple(row) for row in got.tolist()] == expected
        for h, row in zip(batch.tolist(), where.tolist(), strict=True):
            first.setdefault(h, tuple(row))
        seen += batch.tolist()
    assert list(tmp_path.glob("run-*.bin"))  # values were spilled
    assert len(hashes._runs) >= 4  # 4,000 ids in runs of at most 1,000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.integers(0, 2), st.integers(0, 2)), max_size=15),
        min_size=1,
        max_size=5,
    )
)
def test_offence_ids_follow_the_crime_id_rule(batches):
    """A repeated id is a new offence only in its first month with a crime type not seen
    for it yet; every other repeat is reported with its id's first row."""
    import datetime as dt

    import pyarrow as pa

    from geo.io.stream import OffenceIds

    ids, first, offences = OffenceIds(), {}, set()
    for file_index, batch in enumerate(batches):
        months = [dt.date(2025, 1 + m, 1) for _, m, _ in batch]
        table = pa.table(
            {"month": pa.array(months, pa.date32()), "category": [f"type {t}" for *_, t in batch]}
        )
        where = (np.int64(file_index) << 32) | np.arange(1, len(batch) + 1, dtype=np.int64)
        hashes = np.array([1000 + i for i, _, _ in batch], dtype=np.uint64)
        repeat, first_where = ids.repeats(table, np.arange(len(batch)), hashes, where)
        for k, (i, m, t) in enumerate(batch):
            if i not in first:
                first[i] = (int(where[k]), m)
                offences.add((i, t))
                expected = False
            elif first[i][1] == m and (i, t) not in offences:
                offences.add((i, t))
                expected = False
            else:
                expected = True
            assert repeat[k] == expected
            if expected:
                assert first_where[k] == first[i][0]


def _chain(force_a: str, force_b: str, folder: Path) -> None:
    """A 1 km street of ASB 50 m apart: the west half in force A, the east half in B."""
    xs = np.arange(0, 1000, 50) + 295_000.0
    for force, half in ((force_a, xs[xs < 295_500]), (force_b, xs[xs >= 295_500])):
        xy = np.repeat(np.column_stack([half, np.full(len(half), 63_000.0)]), 5, axis=0)
        write_month(folder, force, "2025-01", xy)


def test_hotspot_across_a_force_boundary_is_found_whole_once(tmp_path):
    from geo.hotspots.dbscan import weighted_dbscan
    from geo.hotspots.national import national_hotspots

    folder = tmp_path / "archive"
    folder.mkdir()
    _chain("Force A", "Force B", folder)
    write_month(folder, "Force A", "2025-02", [[280_000, 60_000]] * 40)  # one more, far west
    store = tmp_path / "store"
    ingest_to_store([folder], store)
    # A halo of 1 m must grow until the street is whole.
    hotspots, summary = national_hotspots(store, eps_m=60, min_samples=12, halo_m=1)
    assert sorted(hotspots["incidents"].tolist()) == [40, 100]
    street = hotspots[hotspots["incidents"] == 100]
    assert len(street) == 1 and street["area"].iloc[0] == "Force A"  # tie: A sorts first
    whole = snap_weights(store, Selection.of())
    labels = weighted_dbscan(whole.xy, whole.weights, 60, 12).labels
    assert sorted(np.bincount(labels[labels >= 0], weights=whole.weights[labels >= 0])) == [40, 100]
    by_force = summary.set_index("area")
    assert by_force.loc["Force B", "share_in_hotspots"] == 1.0
    assert by_force.loc["Force B", "hotspots"] == 0
    assert by_force.loc["Force B", "gini"] == 0.0  # ten snap points of 5 incidents each
    # Force A: ten points of 5 and one of 40; Gini = 2 sum(i x_(i)) / (n sum x) - (n + 1) / n
    assert by_force.loc["Force A", "gini"] == pytest.approx(2 * 715 / (11 * 90) - 12 / 11)
    assert by_force.loc["Force A", "share_in_hotspots"] == 1.0


def test_areas_from_a_boundary_file_split_a_street_and_find_it_whole(tmp_path):
    import geopandas as gpd
    import shapely

    from geo.hotspots.national import national_hotspots

    folder = tmp_path / "archive"
    folder.mkdir()
    _chain("Force A", "Force B", folder)  # the areas cut the street elsewhere
    ingest_to_store([folder], tmp_path / "store")
    areas = gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[
            shapely.box(290_000, 60_000, 295_275, 66_000),
            shapely.box(295_275, 60_000, 300_000, 66_000),
        ],
        crs=schema.BNG,
    )
    hotspots, summary = national_hotspots(
        tmp_path / "store", areas=areas, eps_m=60, min_samples=12, halo_m=1
    )
    assert hotspots[["area", "incidents"]].values.tolist() == [["West", 100]]
    assert summary[["area", "incidents", "hotspots"]].values.tolist() == [
        ["West", 30, 1],
        ["East", 70, 0],
    ]


def test_one_force_store_matches_find_hotspots_on_torbay(tmp_path):
    from geo.hotspots.dbscan import find_hotspots
    from geo.hotspots.national import national_hotspots

    ingest_to_store([TORBAY_ZIP], tmp_path / "store")
    incidents = read_incidents(tmp_path / "store", categories=[schema.ASB])
    expected = find_hotspots(incidents).hotspots
    hotspots, summary = national_hotspots(tmp_path / "store", categories=(schema.ASB,))
    assert hotspots["incidents"].tolist() == expected["incidents"].tolist()
    assert hotspots["name"].tolist() == expected["name"].tolist()
    assert summary["incidents"].tolist() == [len(incidents)]
    assert summary["top_hotspot"].tolist() == [expected["name"].iloc[0]]


def test_local_and_local_cluster_give_identical_bytes(archive, tmp_path):
    from dask.distributed import LocalCluster

    from geo.distributed import ordered_map

    _chain("Force C", "Force D", archive)
    outputs = {}
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        for where in ("none", cluster.scheduler_address):
            out = tmp_path / where.replace("/", "_").replace(":", "_")
            out.mkdir()
            ingest_to_store(
                [archive], out / "store", reader=None if where == "none" else ordered_map(where)
            )
            code = main(
                [
                    "hotspots",
                    str(out / "store"),
                    "--by",
                    "force",
                    "--scheduler",
                    where,
                    "--eps",
                    "60",
                    "--min-samples",
                    "12",
                    "--out",
                    str(out / "h.parquet"),
                    "--summary",
                    str(out / "s.csv"),
                ]
            )
            assert code == 0
            outputs[where] = {
                p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            }
    local, dask = outputs.values()
    assert local.keys() == dask.keys() and len(local) == 11  # 8 parts, manifest, 2 outputs
    assert local == dask


def test_cli_ingest_into_a_folder_twice_skips_what_it_has(archive, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(archive), "--out", str(store)]) == 0
    assert "wrote 238 incidents" in capsys.readouterr().out
    assert main(["ingest", str(archive), "--out", str(store)]) == 0
    printed = capsys.readouterr().out
    assert "files already in the store (skipped): 6" in printed
    assert "wrote 0 incidents" in printed
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("not a store")
    assert main(["ingest", str(archive), "--out", str(stray)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no store manifest" in err and len(err.splitlines()) == 1


def test_cli_defaults_agree_with_the_library():
    from geo import cli
    from geo.hotspots import dbscan

    assert (cli.DEFAULT_EPS_M, cli.DEFAULT_MIN_SAMPLES) == (
        dbscan.DEFAULT_EPS_M,
        dbscan.DEFAULT_MIN_SAMPLES,
    )


def _torbay_as_forces(folder: Path, forces) -> Path:
    """Torbay's police.uk CSVs rewritten as other forces: ``forces`` maps a force name
    to ``(keep(lon, lat) -> mask, lon shift, lat shift)`` in degrees."""
    import zipfile

    folder.mkdir()
    with zipfile.ZipFile(TORBAY_ZIP) as archive:
        for member in archive.namelist():
            if not member.endswith(".csv"):
                continue
            rows = pd.read_csv(archive.open(member), dtype=str, keep_default_na=False)
            lon, lat = (pd.to_numeric(rows[c], errors="coerce") for c in ("Longitude", "Latitude"))
            for force, (keep, dlon, dlat) in forces.items():
                part = rows[keep(lon, lat).to_numpy()].copy()
                part["Longitude"] = (lon[part.index] + dlon).map("{:.6f}".format)
                part["Latitude"] = (lat[part.index] + dlat).map("{:.6f}".format)
                part["Reported by"] = part["Falls within"] = force
                slug = force.lower().replace(" ", "-")
                month = Path(member).name[:7]
                part.to_csv(folder / f"{month}-{slug}-street.csv", index=False)
    return folder


def test_national_hotspots_of_far_apart_forces_equal_find_hotspots_on_their_rows(tmp_path):
    """Reference: find_hotspots on each force's rows names, counts and ranks from one
    entry per incident; national hotspots do it from weighted snap points."""
    from geo.hotspots.dbscan import find_hotspots
    from geo.hotspots.national import national_hotspots

    every = (lambda lon, lat: lon.notna(), 0.0, 0.0)
    archive = _torbay_as_forces(
        tmp_path / "archive",
        {"Torbay Police": every, "Far Police": (every[0], 1.0, 0.8)},  # ~90 km north-east
    )
    ingest_to_store([archive], tmp_path / "store")
    hotspots, summary = national_hotspots(tmp_path / "store", categories=(schema.ASB,))
    assert summary["area"].tolist() == ["Far Police", "Torbay Police"]
    columns = ["rank", "name", "incidents", "share", "area_m2", "density_per_ha"]
    for force in summary["area"]:
        rows = read_incidents(tmp_path / "store", forces=[force], categories=[schema.ASB])
        expected = find_hotspots(rows).hotspots.reset_index(drop=True)
        got = hotspots[hotspots["area"] == force].reset_index(drop=True)
        assert len(got) > 10
        pd.testing.assert_frame_equal(
            got[columns], expected[columns], check_dtype=False, check_exact=True
        )
        assert got.geometry.geom_equals_exact(expected.geometry, tolerance=1e-9).all()
    far = hotspots.loc[hotspots["area"] == "Far Police", "name"]
    torbay = hotspots.loc[hotspots["area"] == "Torbay Police", "name"]
    assert (far != torbay.to_numpy()).any()  # no gazetteer place reaches the copy


def test_naming_from_weights_equals_naming_one_entry_per_incident_across_a_force_edge(
    tmp_path, monkeypatch
):
    """Torbay cut into two forces: each force's points with its halo are named from
    their weights, and the reference expands them to one entry per incident."""
    import geo.hotspots.national as national
    from geo.hotspots.naming import name_clusters

    archive = _torbay_as_forces(
        tmp_path / "archive",
        {
            "West Police": (lambda lon, lat: lon < -3.54, 0.0, 0.0),
            "East Police": (lambda lon, lat: lon >= -3.54, 0.0, 0.0),
        },
    )
    ingest_to_store([archive], tmp_path / "store")
    compared = []

    def both_ways(ids, point, xy, crs, *, gazetteer, streets, weights):
        named = name_clusters(
            ids, point, xy, crs, gazetteer=gazetteer, streets=streets, weights=weights
        )
        per_incident = np.repeat(point, weights)
        expected = name_clusters(
            ids[per_incident],
            per_incident,
            xy,
            crs,
            gazetteer=gazetteer,
            streets=(streets[0][per_incident], streets[1]),
        )
        pd.testing.assert_series_equal(named, expected, check_names=False)
        compared.append(named)
        return named

    monkeypatch.setattr(national, "name_clusters", both_ways)
    overview = national.national_overview(tmp_path / "store", categories=(schema.ASB,))
    assert overview.summary["area"].tolist() == ["East Police", "West Police"]
    assert [len(names) for names in compared] == overview.summary["hotspots"].tolist()
    assert len(overview.hotspots) > 10
    assert overview.hotspots["name"].tolist() == [n for names in compared for n in names]
    # The halo is in play: a hotspot straddles the edge, named from both forces' points.
    bounds = overview.hotspots.bounds
    assert ((bounds["minx"] < -3.54) & (bounds["maxx"] > -3.54)).any()


def test_hull_candidates_keep_every_convex_hull_vertex_of_each_force():
    import shapely

    from geo.hotspots.national import _hull_candidates

    rng = np.random.default_rng(3)
    xy = np.vstack(
        [
            rng.normal(300_000, 5_000, (5_000, 2)).round(),  # rounded: ties and collinear runs
            rng.uniform(0, 1_000, (3_000, 2)) + 400_000,
            [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]],  # on a line
            [[7.0, 7.0]],  # one point
        ]
    )
    group = np.repeat([0, 1, 2, 3], [5_000, 3_000, 3, 1])
    keep = _hull_candidates(xy, group)
    assert keep.sum() < len(xy) / 20  # most interior points are dropped
    every = shapely.convex_hull(shapely.multipoints(xy, indices=group))
    candidates = shapely.convex_hull(shapely.multipoints(xy[keep], indices=group[keep]))
    assert shapely.to_wkb(every).tolist() == shapely.to_wkb(candidates).tolist()


def test_a_kept_overview_is_read_back_equal_until_the_store_changes(archive, tmp_path, monkeypatch):
    from geo.hotspots import national

    store = _store_of_first_two_months(archive, tmp_path)
    arguments = {"eps_m": 60, "min_samples": 5}
    computed = national.national_overview(store, **arguments)
    kept = national.national_overview(store, keep=True, **arguments)
    assert len(list((store / national.KEPT_FOLDER).glob("*.parquet"))) == 3
    monkeypatch.setattr(national, "_overview", None)  # any clustering now fails
    again = national.national_overview(store, keep=True, **arguments)
    for found in (kept, again):
        pd.testing.assert_frame_equal(found.hotspots, computed.hotspots)
        pd.testing.assert_frame_equal(found.summary, computed.summary)
        pd.testing.assert_frame_equal(found.forces, computed.forces)
    assert len(computed.hotspots) > 0
    # A damaged kept file is computed and kept again.
    monkeypatch.undo()
    damaged = next((store / national.KEPT_FOLDER).glob("*-hotspots.parquet"))
    damaged.write_bytes(b"not parquet at all")
    redone = national.national_overview(store, keep=True, **arguments)
    pd.testing.assert_frame_equal(redone.hotspots, computed.hotspots)
    assert damaged.read_bytes().startswith(b"PAR1")
    monkeypatch.setattr(national, "_overview", None)
    # Other arguments, or a store with more files, are not answered from the kept files.
    with pytest.raises(TypeError):
        national.national_overview(store, keep=True, eps_m=61, min_samples=5)
    ingest_to_store([archive], store)
    with pytest.raises(TypeError):
        national.national_overview(store, keep=True, **arguments)
