"""A locked, unreachable or missing database: one clear error, nothing half-saved."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
import sqlalchemy as sa
from hub_helpers import FLEET_STREET, PASSWORD, london

from geo.checks import GeoInputError
from geo.cli import main
from geo.partners import accounts, incidents
from geo.partners.db import Database
from geo.partners.errors import DatabaseUnavailableError


def _report(db, account) -> str:
    return incidents.report_incident(
        db, account, occurred_at=london(2026, 1, 5, 10, 0), category="Other", **FLEET_STREET
    )


class _Blocker:
    """Another client holding the write lock on the hub's tables."""

    def __init__(self, db: Database) -> None:
        if db.engine.dialect.name == "sqlite":
            self.connection = sqlite3.connect(db.engine.url.database, isolation_level=None)
            self.connection.execute("BEGIN EXCLUSIVE")
        else:
            url = db.url.replace("postgresql+psycopg://", "postgresql://")
            self.connection = psycopg.connect(url)
            self.connection.execute("LOCK TABLE reference_counter IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def test_a_locked_database_gives_one_clear_line_and_saves_nothing(db, people):
    impatient = Database(db.url, lock_timeout_ms=300)
    blocker = _Blocker(db)
    try:
        with pytest.raises(DatabaseUnavailableError) as error:
            _report(impatient, people["shop_a"])
    finally:
        blocker.release()
    message = str(error.value)
    assert "cannot be reached or is locked" in message and "\n" not in message
    assert isinstance(error.value, GeoInputError)
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM incident")).scalar() == 0
    assert _report(impatient, people["shop_a"]).endswith("000001")
    impatient.engine.dispose()


def test_an_unreachable_server_gives_one_clear_line(postgres_url):
    closed_port = postgres_url.rsplit(":", 1)[0] + ":9/nowhere"
    database = Database(f"{closed_port}".replace("hub@", "hub:secret@"))
    with pytest.raises(DatabaseUnavailableError, match="cannot be reached") as error:
        accounts.authenticate(database, "a@shop.example", PASSWORD)
    assert "secret" not in str(error.value) and "\n" not in str(error.value)


def test_a_database_not_set_up_says_to_run_init(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseUnavailableError, match="partners init"):
        accounts.list_users(database)


def test_an_unwritable_data_folder_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DatabaseUnavailableError, match="Set ASB_DATA_DIR"):
        Database(f"sqlite:///{tmp_path / 'file' / 'partners.db'}")


def test_the_cli_prints_one_line_and_exits_2_when_unreachable(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://hub@127.0.0.1:9/nowhere")
    assert main(["partners", "user", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the partners database") and err.count("\n") == 1
