"""Zip bombs: members that unpack far beyond any police.uk file, refused while streaming.

Each bomb is built here and is small on disk (zeros compress about 1000:1).
"""

from __future__ import annotations

import io
import zipfile

import pytest

from geo.checks import GeoInputError
from geo.io.incidents import ZipLimits, ingest, zip_sources
from tests.security.helpers import PEAK_LIMIT_MB, street_csv, street_rows

MB = 2**20


def _bomb(path, *, members: int = 1, member_mb: int = 400) -> None:
    """A zip of ``members`` street CSVs, each a header then ``member_mb`` MB of zeros."""
    zeros = b"0" * MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for index in range(members):
            with archive.open(f"2024-{index + 1:02d}/2024-01-bomb-street.csv", "w") as out:
                out.write(street_csv(street_rows(1)))
                for _ in range(member_mb):
                    out.write(zeros)


def test_one_huge_member_is_refused_in_one_line(tmp_path, geo_cli, snapshot):
    bomb = tmp_path / "bomb.zip"
    _bomb(bomb)
    assert bomb.stat().st_size < 2 * MB  # small on disk
    before = snapshot()
    run = geo_cli("ingest", bomb, "--out", "out.parquet", "--rejected", "rejected.csv")
    run.assert_one_line_error("bomb.zip!2024-01/2024-01-bomb-street.csv", "more than 256 MB")
    assert snapshot() == before
    assert run.peak_mb < 400, run.peak_mb  # refused before reading, not after


def test_in_memory_reads_refuse_an_archive_over_the_total(tmp_path):
    bomb = tmp_path / "bomb.zip"
    _bomb(bomb)
    with pytest.raises(GeoInputError, match=r"bomb\.zip: its CSVs would unpack to 400 MB"):
        zip_sources(bomb)


def test_many_members_within_size_add_up_to_the_total_limit(tmp_path):
    bomb = tmp_path / "many.zip"
    _bomb(bomb, members=3, member_mb=3)
    limits = ZipLimits(member_bytes=4 * MB, total_bytes=8 * MB, ratio=10_000)
    with pytest.raises(GeoInputError, match=r"many\.zip: its CSVs would unpack to 9 MB"):
        zip_sources(bomb, limits=limits)


def test_a_member_that_compresses_too_well_is_refused_while_streaming(tmp_path):
    bomb = tmp_path / "ratio.zip"
    _bomb(bomb, member_mb=20)
    limits = ZipLimits(member_bytes=64 * MB)
    with pytest.raises(GeoInputError, match=r"ratio\.zip!.*unpacks more than 100 times"):
        ingest([*zip_sources(bomb, limits=limits)])


def test_too_many_members_is_refused_before_reading(tmp_path):
    archive = tmp_path / "crowd.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for index in range(30):
            out.writestr(f"2024-01-f{index}-street.csv", b"x")
    with pytest.raises(GeoInputError, match=r"crowd\.zip: the zip holds 30 files, more than"):
        zip_sources(archive, limits=ZipLimits(members=20))


def test_upload_bytes_are_bounded_the_same_way():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2024-01-x-street.csv", street_csv(street_rows(1)) + b"0" * 5 * MB)
    limits = ZipLimits(member_bytes=1 * MB)
    (source,) = zip_sources(buffer.getvalue(), name="up.zip", limits=limits)
    with pytest.raises(GeoInputError, match=r"up\.zip!2024-01-x-street\.csv: unpacks to more"):
        source.read_bytes()


def test_a_real_sized_zip_is_read_within_the_defaults(tmp_path, geo_cli):
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("2024-01/2024-01-devon-street.csv", street_csv(street_rows(2_000)))
    run = geo_cli("ingest", archive, "--out", "out.parquet")
    assert run.rc == 0, run.err
    assert "rows accepted:  2,000" in run.out
    assert run.peak_mb < PEAK_LIMIT_MB
