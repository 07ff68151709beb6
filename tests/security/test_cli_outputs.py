"""The CLI never destroys its inputs and writes all of its outputs or none."""

from __future__ import annotations

import pytest

from geo import cli
from tests.security.helpers import ROOT, street_csv, street_rows


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(street_csv(street_rows(30)))
    return path


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "a.csv"], ["a.csv", "would overwrite the input a.csv"]),
        (["--out", "o.parquet", "--rejected", "a.csv"], ["would overwrite the input a.csv"]),
        (["--out", "x", "--rejected", "x"], ["x: this output is also given as x"]),
        (["--out", "./sub/../o.parquet", "--rejected", "o.parquet"], ["also given as"]),
        (["--out", "missing/o.parquet"], ["the folder for this output does not exist"]),
    ],
)
def test_outputs_that_would_overwrite_an_input_or_each_other_are_refused(
    source, geo_cli, snapshot, args, words
):
    (source.parent / "sub").mkdir()
    before = snapshot()
    geo_cli("ingest", source.name, *args).assert_one_line_error(*words)
    assert snapshot() == before


def test_an_output_inside_an_input_folder_may_not_replace_a_file_there(tmp_path, geo_cli):
    folder = tmp_path / "police"
    folder.mkdir()
    (folder / "2024-01-devon-street.csv").write_bytes(street_csv(street_rows(3)))
    run = geo_cli("ingest", "police", "--out", "police/2024-01-devon-street.csv")
    run.assert_one_line_error("would overwrite the input police")


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


def test_success_writes_every_output_and_no_temporary_files(source, tmp_path, geo_cli):
    rows = street_rows(3)
    rows[1] = rows[1].replace("-3.531", "")
    source.write_bytes(street_csv(rows))
    run = geo_cli("ingest", "a.csv", "--out", "o.parquet", "--rejected", "r.csv")
    assert run.rc == 0, run.err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "a.csv",
        "o.parquet",
        "r.csv",
    ]


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
