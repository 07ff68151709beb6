"""Uploads: the client's file name never chooses a path; size and type come first.
Folder inputs do not follow links out of the folder."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from geo.checks import GeoInputError
from geo.io.incidents import discover_sources, ingest
from pages import common
from tests.security.helpers import ROOT, attack, street_csv, street_rows, tree, upload_to_app


def _zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["../../x.zip", "/tmp/evil/x.zip", "..\\..\\x.zip"])
def test_an_uploaded_zip_is_read_in_memory_whatever_its_name(tmp_path, monkeypatch, name):
    # Run two folders down, so a name climbing out of the working folder ("../../x.zip")
    # still lands in this test's own folder, whose whole tree is compared (other tests'
    # folders may change meanwhile).
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(work))
    before = tree(tmp_path)
    data = _zip(("2024-01-devon-street.csv", street_csv(street_rows(10))))
    result = common.ingest_upload.__wrapped__(name, data)
    assert result.summary.rows_accepted == 10
    assert result.summary.files == ["x.zip!2024-01-devon-street.csv"]
    assert tree(tmp_path) == before
    assert not Path("/tmp/evil").exists()


def test_the_app_reads_an_upload_named_to_escape_its_folder_in_memory(tmp_path):
    data = _zip(("2024-01-devon-street.csv", street_csv(street_rows(10))))
    shown = upload_to_app(tmp_path, "../../x.zip", data)
    assert shown.exceptions == [] and shown.errors == []
    assert shown.titles[0].replace("\\", "") == "Overview: x.zip"
    # No upload saved, even in its temp dir (where var/ holds the partnership hub's
    # database and .cache/ the font caches).
    saved = [name for name in tree(tmp_path) if name.split("/")[0] not in {"var", ".cache"}]
    assert saved == ["upload.bin"]


def test_type_and_size_are_checked_before_reading():
    with pytest.raises(GeoInputError, match=r"x\.exe: only \.csv and \.zip"):
        common.check_upload("../x.exe", 10)
    too_big = (common.UPLOAD_MAX_MB + 1) * 2**20
    with pytest.raises(GeoInputError, match=r"big\.zip: the file is 51 MB, more than the 50 MB"):
        common.check_upload("big.zip", too_big)
    with pytest.raises(GeoInputError, match=r"fake\.zip: is not a zip archive"):
        common.ingest_upload.__wrapped__("fake.zip", b"not a zip at all")


def test_upload_limit_matches_the_server_setting():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {common.UPLOAD_MAX_MB}\n" in config


def test_safe_file_name_has_no_folder_part():
    assert common.safe_file_name("../../etc/passwd", "p.csv") == "passwd"
    assert common.safe_file_name("..", "p.csv") == "p.csv"
    assert common.safe_file_name("a/.hidden.csv", "p.csv") == "hidden.csv"


def test_folder_links_out_of_the_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "2024-01-secret-street.csv").write_text("TOP SECRET,first line\n1,2\n")
    folder = tmp_path / "police"
    folder.mkdir()
    (folder / "2024-01-devon-street.csv").write_bytes(street_csv(street_rows(2)))
    os.symlink(secret / "2024-01-secret-street.csv", folder / "2024-02-devon-street.csv")
    os.symlink(secret, folder / "more")
    sources = discover_sources([folder])
    assert [s.name for s in sources] == ["police/2024-01-devon-street.csv"]
    assert ingest([folder]).summary.rows_accepted == 2


def test_a_folder_with_only_an_outside_link_never_quotes_the_target(tmp_path):
    folder = tmp_path / "police"
    folder.mkdir()
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    os.symlink(passwd, folder / "2024-01-x-street.csv")
    with pytest.raises(GeoInputError) as caught:
        ingest([folder])
    assert "root:x" not in str(caught.value)
    assert "contains no police.uk street CSVs" in str(caught.value)


def test_cli_follows_no_link_out_of_a_folder_and_never_quotes_its_target(tmp_path):
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    folder = tmp_path / "police"
    folder.mkdir()
    os.symlink(tmp_path / "passwd", folder / "2024-01-x-street.csv")
    run = attack(
        tmp_path, "ingest", "police", "--out", "o.parquet",
        error=["police", "contains no police.uk street CSVs"],
    )  # fmt: skip
    assert "root" not in run.err + run.out


def test_cli_reads_a_folder_but_not_its_link_out(tmp_path):
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    folder = tmp_path / "police"
    folder.mkdir()
    (folder / "2024-01-devon-street.csv").write_bytes(street_csv(street_rows(2)))
    os.symlink(tmp_path / "passwd", folder / "2024-02-devon-street.csv")
    run = attack(tmp_path, "ingest", "police", "--out", "o.parquet", writes=["o.parquet"])
    assert "rows read:      2" in run.out and "root" not in run.out + run.err
