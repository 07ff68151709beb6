"""Connecting to the hub's database, transactions, and migrations.

:class:`Database` wraps one SQLAlchemy engine. SQLite connections get WAL mode (readers
never wait for the writer) and a busy timeout, and write transactions start with
``BEGIN IMMEDIATE``: a deferred transaction that reads, then writes, can fail at once
with "database is locked" when another process writes first, whatever the timeout.

Every failure to reach the database, or a lock that outlasts the timeout, surfaces as
:class:`~geo.partners.errors.DatabaseUnavailableError` with one line, and the transaction is
rolled back, so a report is either saved whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session

from geo.partners import config
from geo.partners.errors import DatabaseUnavailableError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_IMMEDIATE = "begin_immediate"


class Database:
    """The hub's database: an engine plus transactions that fail with one clear line."""

    def __init__(self, url: str | None = None, *, lock_timeout_ms: int | None = None) -> None:
        self.url = config.normalise_url(url) if url else config.database_url()
        self.engine = _create_engine(self.url, lock_timeout_ms or config.LOCK_TIMEOUT_MS)

    @classmethod
    def from_environment(cls) -> Database:
        """The database named by ``DATABASE_URL`` or ``ASB_DATA_DIR``."""
        return cls()

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error."""
        engine = self.engine
        if engine.dialect.name == "sqlite":
            engine = engine.execution_options(**{_IMMEDIATE: True})
        with (
            self._translated_errors(),
            Session(engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with self._translated_errors(), Session(self.engine) as session:
            yield session

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except (exc.OperationalError, exc.InterfaceError) as error:
            raise DatabaseUnavailableError(self._unavailable_message(error)) from error
        except exc.ProgrammingError as error:
            if "does not exist" not in str(error.orig):
                raise
            raise DatabaseUnavailableError(self._not_set_up_message()) from error

    def _unavailable_message(self, error: exc.DBAPIError) -> str:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        if "no such table" in reason:
            return self._not_set_up_message()
        return (
            f"the partners database {self.display_url} cannot be reached or is locked "
            f"({reason}). Nothing was saved; try again, or check DATABASE_URL"
        )

    def _not_set_up_message(self) -> str:
        return (
            f"the partners database {self.display_url} is not set up. "
            "Run `python -m geo partners init` (or `partners demo`)"
        )

    # ------------------------------------------------------------ migrations

    def upgrade(self, revision: str = "head") -> None:
        """Create the database or bring it up to ``revision``."""
        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str = "-1") -> None:
        """Step back (one migration by default)."""
        self._migrate(command.downgrade, revision)

    def current_revision(self) -> str | None:
        """The applied migration revision, or None for an empty database."""
        with self._translated_errors(), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def _migrate(self, step, revision: str) -> None:
        with self._translated_errors(), self.engine.begin() as connection:
            step(alembic_config(connection), revision)


def head_revision() -> str:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def alembic_config(connection) -> Config:
    """Alembic configuration built in code (no ``alembic.ini``), bound to ``connection``."""
    alembic = Config()
    alembic.set_main_option("script_location", str(MIGRATIONS_DIR))
    alembic.attributes["connection"] = connection
    return alembic


def _create_engine(url: str, lock_timeout_ms: int) -> Engine:
    """An engine that waits at most ``lock_timeout_ms`` for another writer's lock."""
    if make_url(url).get_backend_name() != "sqlite":
        # Without a lock timeout PostgreSQL waits for ever behind a stuck transaction.
        options = f"-c lock_timeout={int(lock_timeout_ms)}"
        return create_engine(
            url, pool_pre_ping=True, connect_args={"options": options, "connect_timeout": 10}
        )
    database = make_url(url).database
    if database and database != ":memory:":
        _make_data_folder(Path(database).parent)
    engine = create_engine(url, connect_args={"timeout": lock_timeout_ms / 1000})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _make_data_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailableError(
            f"the data folder {folder} cannot be created ({error.strerror}). "
            "Set ASB_DATA_DIR to a writable folder"
        ) from error


def _configure_sqlite(dbapi_connection, _record) -> None:
    # The driver's own implicit BEGIN would defeat BEGIN IMMEDIATE; _begin_sqlite issues it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
