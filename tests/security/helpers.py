"""Helpers of the attack tests: the CLI and the app run in a fresh process whose peak
memory and writes are recorded, snapshots of every file they could touch, and a small
valid police.uk street CSV to damage.

:func:`attack` is the one check every CLI case goes through. It asserts the five things
each hostile input must satisfy: a clear one-line error (exit 2, naming the file) or the
expected success, no traceback, nothing written outside the temp dir, inputs unchanged
(hashes before and after), and peak memory below :data:`PEAK_LIMIT_MB`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]

#: Peak resident memory a hostile input may take the CLI or the app to, MB (the
#: project's bound for inputs up to 200 MB is 1.5 GB; these inputs are smaller still).
PEAK_LIMIT_MB = 1_500

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)

# A fresh wrapper process runs the command as its only child and reports that child's
# peak RSS (kB on Linux), so the measure is the command alone, not the test runner.
MEASURE_PEAK = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=False)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "out": done.stdout, "err": done.stderr,
                  "peak_kb": peak_kb}))
"""

# The start of every measured run's Python code: an audit hook (PEP 578) that logs each
# file opened for writing, renamed, removed or created outside the allowed folder. Writes
# made by C libraries (Arrow, GDAL) are not audited; the snapshots catch those.
# argv: allowed folder, log file, then the run's own arguments; max file size, bytes, in
# $GEO_TEST_MAX_FILE_BYTES plays a full disk (Python ignores SIGXFSZ, so a write past it
# fails with EFBIG).
AUDIT_HOOK = """
import os, resource, runpy, sys
allowed = os.path.realpath(sys.argv[1])
log = open(sys.argv[2], "a", buffering=1)
if os.environ.get("GEO_TEST_MAX_FILE_BYTES"):
    limit = int(os.environ["GEO_TEST_MAX_FILE_BYTES"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# audit event -> position of the path it changes
CHANGES = {"os.rename": 1, "os.remove": 0, "os.rmdir": 0, "os.mkdir": 0, "os.symlink": 1,
           "os.link": 1, "os.truncate": 0, "os.chmod": 0, "os.utime": 0, "shutil.rmtree": 0}

def outside(path):
    if path is None or isinstance(path, int):  # an open file descriptor
        return False
    real = os.path.realpath(os.fsdecode(path))
    return real != os.devnull and os.path.commonpath([real, allowed]) != allowed

def audit(event, args):
    try:
        if event == "open" and args[2] is not None and args[2] & WRITE and outside(args[0]):
            log.write(f"open {args[0]}\\n")
        elif event in CHANGES and outside(args[CHANGES[event]]):
            log.write(f"{event} {args[CHANGES[event]]}\\n")
    except Exception as error:  # never break the run; report the hook's own failure
        log.write(f"audit failed on {event}: {error!r}\\n")

sys.addaudithook(audit)
sys.argv = [sys.argv[0], *sys.argv[3:]]
"""

RUN_GEO = """
runpy.run_module("geo", run_name="__main__", alter_sys=True)
"""

# The app in AppTest: choose "upload", upload the file at argv[3] under the client name
# argv[2], open the page argv[4] if given, and print what the page shows (last line of
# stdout, JSON).
RUN_APP_UPLOAD = """
import json
from streamlit.testing.v1 import AppTest

entry, name, path, *page = sys.argv[1:]
at = AppTest.from_file(entry, default_timeout=300)
at.run()
at.selectbox(key="dataset").select("upload").run()
with open(path, "rb") as upload:
    at.file_uploader(key="upload").set_value((name, upload.read(), "text/csv")).run()
if page:
    at.switch_page(page[0]).run()
kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "error")
print(json.dumps({
    "exceptions": [e.value for e in at.exception],
    "errors": [e.value for e in at.error],
    "titles": [e.value for e in at.title],
    "texts": [str(e.value) for kind in kinds for e in getattr(at, kind)],
}))
"""


@dataclass
class Run:
    """One run: exit code, stdout, stderr, peak memory (MB) and writes outside the temp dir."""

    rc: int
    out: str
    err: str
    peak_mb: float
    written_outside: list[str] = field(default_factory=list)

    def assert_one_line_error(self, *words: str) -> None:
        """Exit 2, one ``error:`` line on stderr naming ``words``, no traceback."""
        assert self.rc == 2, (self.rc, self.err)
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: ")
        assert "Traceback" not in self.err
        for word in words:
            assert word in lines[0], (word, lines[0])


def child_env(workdir: Path) -> dict[str, str]:
    """The environment of a measured run: temp files, home and caches all in ``workdir``.

    No ``.pyc`` files are written, so any write outside ``workdir`` is the code's own;
    the partnership hub's database (the app's own state) is kept in ``workdir`` too.
    """
    return os.environ | {
        "ASB_DATA_DIR": str(workdir / "var"),
        "TMPDIR": str(workdir),
        "HOME": str(workdir),
        "XDG_CACHE_HOME": str(workdir / ".cache"),
        "MPLCONFIGDIR": str(workdir / ".cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
    }


def measured(command: Sequence[str | Path], *, cwd: Path, env: dict[str, str]) -> dict:
    """Run ``command`` as the only child of a fresh wrapper; its result and peak RSS (kB)."""
    wrapper = [sys.executable, "-c", MEASURE_PEAK, *map(str, command)]
    done = subprocess.run(
        wrapper, check=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    return json.loads(done.stdout)


def audited(
    code: str, workdir: Path, *args: str | Path, cwd: Path, max_file_bytes: int | None = None
) -> Run:
    """Run Python ``code`` (after :data:`AUDIT_HOOK`) with ``args``, measured and audited.

    Temp files, home and caches are in ``workdir``; any write outside it is reported in
    :attr:`Run.written_outside`.
    """
    handle, log = tempfile.mkstemp(prefix="geo-audit-", suffix=".log")
    os.close(handle)
    env = child_env(workdir)
    if max_file_bytes is not None:
        env["GEO_TEST_MAX_FILE_BYTES"] = str(max_file_bytes)
    try:
        command = [sys.executable, "-c", AUDIT_HOOK + code, workdir, log, *args]
        result = measured(command, cwd=cwd, env=env)
        outside = Path(log).read_text().splitlines()
    finally:
        os.unlink(log)
    return Run(result["rc"], result["out"], result["err"], result["peak_kb"] / 1024, outside)


def run_geo(workdir: Path, *args: str | Path, max_file_bytes: int | None = None) -> Run:
    """``python -m geo *args`` run in ``workdir``, with its peak memory and outside writes.

    ``max_file_bytes`` caps the size of any file it writes (a full disk).
    """
    return audited(RUN_GEO, workdir, *args, cwd=workdir, max_file_bytes=max_file_bytes)


@dataclass
class AppUpload:
    """What the app showed after an upload, and the run's measures."""

    exceptions: list[str]
    errors: list[str]
    titles: list[str]
    #: Every title, subheader, Markdown, caption, info, warning and error, as sent.
    texts: list[str]
    run: Run


def upload_to_app(workdir: Path, name: str, data: bytes, page: str | None = None) -> AppUpload:
    """Upload ``data`` as ``name`` to the dashboard in AppTest, in a fresh measured process,
    then open ``page`` (e.g. ``"pages/hotspots.py"``; default: stay on the Overview).

    The app runs from the repository root (so ``.streamlit/config.toml`` applies) with its
    temp files and home in ``workdir``. Asserts the process itself ended cleanly, nothing
    was written outside ``workdir``, the repository's data/ is unchanged, and the peak
    memory stayed below :data:`PEAK_LIMIT_MB`.
    """
    upload = workdir / "upload.bin"
    upload.write_bytes(data)
    data_before = tree(ROOT / "data")
    pages = [page] if page else []
    run = audited(RUN_APP_UPLOAD, workdir, ROOT / "dashboard.py", name, upload, *pages, cwd=ROOT)
    assert run.rc == 0, run.err
    assert "Traceback" not in run.out + run.err, run.err
    assert run.written_outside == [], run.written_outside
    assert tree(ROOT / "data") == data_before
    assert hashlib.sha256(upload.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert run.peak_mb < PEAK_LIMIT_MB, f"peak {run.peak_mb:.0f} MB"
    shown = json.loads(run.out.strip().splitlines()[-1])
    return AppUpload(shown["exceptions"], shown["errors"], shown["titles"], shown["texts"], run)


def snapshot(workdir: Path) -> dict[str, dict[str, str]]:
    """Hashes of every file under ``workdir`` and under the repository's data/."""
    return {"work": tree(workdir), "data": tree(ROOT / "data")}


def attack(
    workdir: Path,
    *args: str | Path,
    error: Sequence[str] | None = None,
    writes: Iterable[str] = (),
    peak_mb: float = PEAK_LIMIT_MB,
    max_file_bytes: int | None = None,
) -> Run:
    """Run the CLI on a hostile input in ``workdir`` and assert the five properties.

    With ``error`` (words the message must contain, the file's name first), the run must
    end with exit code 2 and that one ``error:`` line, and write nothing at all.
    Without it, the run must succeed and add exactly the files named in ``writes``
    (relative to ``workdir``). Either way: no traceback, no write outside ``workdir``,
    every file there before is unchanged and the repository's data/ too, and the peak
    resident memory stays below ``peak_mb``. ``max_file_bytes`` plays a full disk.
    """
    before = snapshot(workdir)
    run = run_geo(workdir, *args, max_file_bytes=max_file_bytes)
    after = snapshot(workdir)
    assert "Traceback" not in run.out + run.err, run.err
    if error is None:
        assert run.rc == 0, run.err
    else:
        run.assert_one_line_error(*error)
        assert not list(writes), "a refused run writes nothing"
    assert run.written_outside == [], run.written_outside
    assert after["data"] == before["data"]
    assert {name: after["work"].get(name) for name in before["work"]} == before["work"]
    assert sorted(set(after["work"]) - set(before["work"])) == sorted(writes)
    assert run.peak_mb < peak_mb, f"peak {run.peak_mb:.0f} MB"
    return run


def ingest_rejecting(workdir: Path, source: str) -> tuple[Run, pd.DataFrame]:
    """``geo ingest source --out o.parquet --rejected r.csv`` in ``workdir`` through
    :func:`attack` (it must succeed and write those two files); the run and the rejected
    rows (as text).
    """
    run = attack(
        workdir, "ingest", source, "--out", "o.parquet", "--rejected", "r.csv",
        writes=["o.parquet", "r.csv"],
    )  # fmt: skip
    return run, pd.read_csv(workdir / "r.csv", dtype=str, keep_default_na=False)


def zip_bomb(
    path: Path, member: str, head: bytes, unpacked_mb: int, *, declared: int | None = None
) -> None:
    """Write a zip whose one ``member`` is ``head`` then ``unpacked_mb`` MiB of ``0``.

    ``declared`` is the uncompressed size its headers claim (default: the true size), so a
    bomb can lie about its size.

    Built in well under a second and about 1 MB per GiB on disk: one MiB of zeros is
    deflated once after a full flush (which makes each such block independent), and the
    same compressed block is repeated. The headers are written by hand, as zipfile
    cannot take data already compressed. ``unpacked_mb`` must stay below 4096 (no Zip64).
    """
    block = b"0" * 2**20
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head + block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    data = first + again * (unpacked_mb - 1) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(unpacked_mb):
        crc = zlib.crc32(block, crc)
    size = len(head) + unpacked_mb * 2**20
    name = member.encode()
    # Fields: version needed, flags, method (8 = deflate), time, date, CRC, sizes, lengths.
    claimed = size if declared is None else declared
    common = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(data), claimed)
    local = struct.pack("<I", 0x04034B50) + common + struct.pack("<HH", len(name), 0) + name
    central = (
        struct.pack("<IH", 0x02014B50, 20)
        + common
        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0)
        + name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)


def street_rows(n: int, *, month: str = "2024-01", location: str = "On or near High Street"):
    """``n`` valid police.uk street rows in Torquay (no header)."""
    return [
        f"id{i:06d},{month},Devon & Cornwall Police,Devon & Cornwall Police,"
        f"-3.53{i % 10},50.46{i % 10},{location},E01015{i % 100:03d},Torbay 001A,"
        "Anti-social behaviour,,"
        for i in range(n)
    ]


def street_csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def tree(folder: Path) -> dict[str, str]:
    """Hash of every file under ``folder`` by relative path; a link by its target's name
    (never followed, so a link out of the folder is not read)."""
    return {
        str(p.relative_to(folder)): f"-> {os.readlink(p)}"
        if p.is_symlink()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }
