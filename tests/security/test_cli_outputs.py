"""The CLI never destroys its inputs and writes all of its outputs or none."""

from __future__ import annotations

import pytest

from geo import cli
from tests.security.helpers import (
    ROOT,
    attack,
    ingest_rejecting,
    run_geo,
    street_csv,
    street_rows,
)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(street_csv(street_rows(30)))
    return path


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "a.csv"], ["a.csv", "would overwrite the input a.csv"]),
        (["--out", "o.parquet", "--rejected", "a.csv"], ["a.csv", "would overwrite the input"]),
        (["--out", "x", "--rejected", "x"], ["x: this output is also given as x"]),
        (["--out", "./sub/../o.parquet", "--rejected", "o.parquet"], ["o.parquet", "also given"]),
        (["--out", "missing/o.parquet"], ["missing/o.parquet", "the folder for this output"]),
    ],
)
def test_outputs_that_would_overwrite_an_input_or_each_other_are_refused(
    source, tmp_path, args, words
):
    (source.parent / "sub").mkdir()
    attack(tmp_path, "ingest", source.name, *args, error=words)


def test_an_output_inside_an_input_folder_may_not_replace_a_file_there(tmp_path):
    folder = tmp_path / "police"
    folder.mkdir()
    (folder / "2024-01-devon-street.csv").write_bytes(street_csv(street_rows(3)))
    attack(
        tmp_path,
        "ingest",
        "police",
        "--out",
        "police/2024-01-devon-street.csv",
        error=["police/2024-01-devon-street.csv", "would overwrite the input police"],
    )


def test_when_the_rejected_rows_cannot_be_written_no_parquet_is_left(tmp_path):
    # Many long rejected rows and a few accepted ones: the rejected CSV outgrows a
    # 100 kB file-size cap (a full disk) while the Parquet would fit under it.
    rows = street_rows(3) + [
        row.replace("-3.53", "") for row in street_rows(3_000, location="On or near " + "x" * 60)
    ]
    (tmp_path / "a.csv").write_bytes(street_csv(rows))
    run = attack(
        tmp_path,
        "ingest",
        "a.csv",
        "--out",
        "o.parquet",
        "--rejected",
        "r.csv",
        error=["o.parquet, r.csv: File too large", "Free some disk space"],
        max_file_bytes=100_000,
    )
    assert "wrote" not in run.out


def test_when_one_output_fails_no_output_is_left(tmp_path, monkeypatch, capsys):
    def broken(frame, path, **_):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("geo.safety.write_csv", broken)
    monkeypatch.chdir(tmp_path)
    store = ROOT / "data" / "incidents" / "torbay.parquet"
    code = cli.main(["hotspots", str(store), "--out", "h.geojson", "--labels", "labels.csv"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "No space left on device" in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []  # no GeoJSON, no temporary files


def test_success_writes_every_output_and_no_temporary_files(source, tmp_path):
    rows = street_rows(3)
    rows[1] = rows[1].replace("-3.531", "")
    source.write_bytes(street_csv(rows))
    run, rejected = ingest_rejecting(tmp_path, "a.csv")
    assert "wrote 2 incidents to o.parquet" in run.out and len(rejected) == 1


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(source, monkeypatch, capsys):
    def explode(*_, **__):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("geo.io.stream.ingest_to_store", explode)
    monkeypatch.chdir(source.parent)
    assert cli.main(["ingest", "a.csv", "--out", "o.parquet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected RuntimeError: boom second line" in err
    assert "--debug" in err
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "ingest", "a.csv", "--out", "o.parquet"])


def test_the_runs_see_a_write_outside_their_folder(tmp_path):
    # The check every case relies on, shown to fail when it should: an output asked for
    # one folder up is reported as written outside the run's folder.
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.csv").write_bytes(street_csv(street_rows(3)))
    run = run_geo(work, "ingest", "a.csv", "--out", "../o.parquet")
    assert run.rc == 0, run.err
    assert (tmp_path / "o.parquet").is_file()
    assert any(line.endswith("o.parquet") for line in run.written_outside), run.written_outside
