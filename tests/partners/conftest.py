"""Partnership hub test set-up: the same tests on SQLite and on a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster (``initdb`` + ``pg_ctl`` from Debian's
``postgresql`` package) in a temporary folder on a loopback port, started once per test
session. Under ``CI=true`` a server that cannot start fails the tests instead of
skipping them, so CI never passes without having run them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from hub_helpers import PASSWORD
from psycopg import sql

from geo.partners import accounts, demo
from geo.partners.db import Database

PG_USER = "hub"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the package's ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _start_postgres(folder: Path) -> tuple[str, list[str]]:
    """Start a cluster in ``folder``; returns its base URL and the command that stops it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("initdb not found: install Debian's postgresql package")
    bin_dir = Path(found[-1]).parent
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", PG_USER, "--no-sync"]
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    port = _free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
            + ["-w", "start"]
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    stop = _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
    return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}", stop


@pytest.fixture(scope="session")
def postgres_url():
    """Base URL (no database) of a throwaway PostgreSQL server for this session."""
    # Not pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="asb-partners-pg-"))
    try:
        url, stop = _start_postgres(folder)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        shutil.rmtree(folder, ignore_errors=True)
        message = f"PostgreSQL could not be started for the tests: {detail}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield url
    subprocess.run(stop, check=False, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def new_postgres_database(base_url: str) -> str:
    """Create an empty database on the test server; returns its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = base_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base_url}/{name}"


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory):
    """Photos and other files the hub writes go to a temporary folder, never ``var/``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASB_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield


@pytest.fixture(scope="session")
def seeded_demo_dir(tmp_path_factory):
    """A data folder with the demo partnership seeded once (copy it before changing it)."""
    folder = tmp_path_factory.mktemp("demo-seeded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASB_DATA_DIR", str(folder))
        demo.seed_demo(Database(f"sqlite:///{folder / 'partners.db'}"))
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    """An empty database (no tables) on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'partners.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_url"))
    database = Database(url)
    yield database
    database.engine.dispose()


@pytest.fixture
def db(empty_db):
    """A migrated, empty hub database on each backend."""
    empty_db.upgrade()
    return empty_db


@pytest.fixture
def people(db):
    """Two partners of different shops, a coordinator, police and a funder."""
    make = {
        "shop_a": ("a@shop-a.example", "Shop A", "partner"),
        "shop_a2": ("a2@shop-a.example", "Shop A", "partner"),
        "shop_b": ("b@shop-b.example", "Shop B", "partner"),
        "coordinator": ("coord@bid.example", "Torquay BID", "coordinator"),
        "police": ("pc@police.example", "Police", "police"),
        "funder": ("funder@opcc.example", "OPCC", "funder"),
    }
    return {
        key: accounts.create_user(db, email, org, role, PASSWORD)
        for key, (email, org, role) in make.items()
    }
