"""A browser upload whose file name climbs out of any folder (``../../x.zip``) writes
nothing outside the upload's own memory: no file appears where that name could point,
the embedded data are unchanged, and the upload is still read.
Run: ``pytest -m browser`` (needs /usr/bin/chromium and ``scripts/vendor_assets.py``).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from streamlit_server import StreamlitServer
from test_e2e import PAGE_TIMEOUT_MS, assert_no_exception, open_page, wait_until_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)


def _zip() -> bytes:
    rows = [
        f"id{i},2025-01,F,F,-3.5317{i % 10},50.4684{i % 10},On or near Fleet Street,"
        "E01015217,Torbay 008A,Anti-social behaviour,,"
        for i in range(30)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2025-01/2025-01-devon-street.csv", "\n".join([HEADER, *rows]) + "\n")
    return buffer.getvalue()


def _state() -> dict:
    """What an escaping name could change: files it could land on, data/, the work tree."""
    temp = Path(tempfile.gettempdir())
    candidates = [Path("/x.zip"), temp / "x.zip", ROOT.parent / "x.zip", ROOT / "x.zip"]
    candidates += [ROOT / "data" / "x.zip", ROOT / "data" / "police-uk" / "x.zip"]
    data = {
        str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((ROOT / "data").rglob("*"))
        if p.is_file()
    }
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {"exists": [p for p in candidates if p.exists()], "data": data, "git": status}


def test_an_upload_named_to_climb_folders_writes_nothing_outside(
    dashboard: StreamlitServer, offline_page
) -> None:
    before = _state()
    page = offline_page.page
    open_page(offline_page, dashboard, "?dataset=Upload+a+file")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": "../../x.zip", "mimeType": "application/zip", "buffer": _zip()}
    )
    wait_until_idle(page)
    page.wait_for_selector("text=Overview: x.zip", timeout=PAGE_TIMEOUT_MS)
    assert_no_exception(offline_page, "overview")
    assert _state() == before
