"""Zip bombs: members that unpack far beyond any police.uk file, refused while streaming.

Each bomb is built here and is small on disk (zeros compress about 1000:1): the CLI's
and the app's are one street CSV row then 1 GiB of zeros in about 1 MB.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from geo.checks import GeoInputError
from geo.io.incidents import ZipLimits, ingest, zip_sources
from tests.security.helpers import attack, street_csv, street_rows, upload_to_app, zip_bomb

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


GIB_MEMBER = "2024-01/2024-01-bomb-street.csv"


def test_one_huge_member_is_refused_in_one_line(tmp_path):
    zip_bomb(tmp_path / "bomb.zip", GIB_MEMBER, street_csv(street_rows(1)), 1024)
    assert (tmp_path / "bomb.zip").stat().st_size < 2 * MB  # small on disk
    attack(
        tmp_path, "ingest", "bomb.zip", "--out", "out.parquet", "--rejected", "rejected.csv",
        error=[f"bomb.zip!{GIB_MEMBER}", "more than 256 MB"],
        peak_mb=400,  # refused while streaming, long before the member is read whole
    )  # fmt: skip


def test_the_app_refuses_an_uploaded_bomb_in_one_short_message(tmp_path):
    zip_bomb(tmp_path / "bomb.zip", GIB_MEMBER, street_csv(street_rows(1)), 1024)
    shown = upload_to_app(tmp_path, "bomb.zip", (tmp_path / "bomb.zip").read_bytes())
    assert shown.exceptions == []
    (error,) = (text.replace("\\", "") for text in shown.errors)  # Markdown escapes
    assert error.startswith("This file cannot be used. bomb.zip: its CSVs would unpack to 1,024")
    assert "more than the 200 MB allowed" in error and "\n" not in error


def test_a_bomb_whose_headers_lie_about_its_size_is_refused_in_one_line(tmp_path):
    zip_bomb(tmp_path / "lie.zip", GIB_MEMBER, street_csv(street_rows(1)), 1024, declared=1_000)
    attack(
        tmp_path, "ingest", "lie.zip", "--out", "out.parquet",
        error=[f"lie.zip!{GIB_MEMBER}", "cannot be unpacked"],
        peak_mb=400,
    )  # fmt: skip


def test_the_app_refuses_an_uploaded_bomb_that_lies_about_its_size(tmp_path):
    zip_bomb(tmp_path / "lie.zip", GIB_MEMBER, street_csv(street_rows(1)), 1024, declared=1_000)
    shown = upload_to_app(tmp_path, "lie.zip", (tmp_path / "lie.zip").read_bytes())
    assert shown.exceptions == []
    (error,) = (text.replace("\\", "") for text in shown.errors)
    assert error.startswith(f"This file cannot be used. lie.zip!{GIB_MEMBER}: cannot be unpacked")


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


def test_a_real_sized_zip_is_read_within_the_defaults(tmp_path):
    with zipfile.ZipFile(tmp_path / "ok.zip", "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("2024-01/2024-01-devon-street.csv", street_csv(street_rows(2_000)))
    run = attack(tmp_path, "ingest", "ok.zip", "--out", "out.parquet", writes=["out.parquet"])
    assert "rows accepted:  2,000" in run.out
