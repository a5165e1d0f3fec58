"""Opening the operational store: an engine for its URL, migrated to the newest schema on open."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harborlight.config import Settings
from harborlight.errors import BadRequest, HarborlightError

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(HarborlightError):
    """The operational store cannot be opened or migrated."""


class NoStore(BadRequest):
    """A command that only reads the store (audit verify, store grant) found none where it looked."""


# An execution option the Store's writing sessions carry, so SQLite begins them with BEGIN IMMEDIATE.
WRITE = "harborlight_write"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys on; WAL so readers never wait for the one writer; wait for a lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()
    # The sqlite3 module would open a transaction only at the first INSERT/UPDATE/DELETE, so a writer's
    # SELECT of the audit head ran outside it and two writers chained onto the same head. We begin
    # every transaction ourselves (_sqlite_begin) instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    """A writing transaction takes SQLite's write lock at once (waiting up to busy_timeout), so what it
    reads (the audit head) cannot change before it writes; a reading one stays deferred and never waits."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE) else "BEGIN")


def engine_for(url: str) -> Engine:
    """An engine for `url`: SQLite files are shared between the server's threads; PostgreSQL pools.
    Bound values never appear in SQL logging or in a database error's message: they include sealed
    survivor fields, which count as disclosed wherever they go (victim-centered §5 rule 1)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration the store has not had, in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


class Store:
    """The store of one workspace. `session()` reads; `writing()` changes, one write at a time per process.

    Writes are serialized because the audit chain needs each entry to see the one before it. On
    PostgreSQL the chain's head row is also locked (audit.py), which serializes writers across
    processes; on SQLite a writing transaction begins with BEGIN IMMEDIATE, which does the same for a
    command such as `harborlight user add` run while the server writes.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._write_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose changes commit together at the end, or not at all."""
        with self._write_lock, self._write_sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings, migrate: bool = True) -> Store:
    """The store named by `settings.store_url`, migrated to the newest schema unless `migrate` is False."""
    if settings.database_url is None:
        settings.ensure_data_dir()
    try:
        engine = engine_for(settings.store_url)
        if migrate:
            upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the operational store ({_redacted(settings.store_url)}): "
                         f"{exc.__class__.__name__}: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}") from None
    return Store(engine)


def open_existing_store(settings: Settings) -> Store:
    """The store named by `settings`, as it is, or NoStore when there is none yet. Nothing is created:
    a SQLite file is looked for before connecting (connecting would make an empty one), and a
    PostgreSQL database counts as a store once migrations have run in it."""
    url = settings.store_url
    if url.startswith("sqlite"):
        path = make_url(url).database
        if not path or not Path(path).is_file():
            raise NoStore(f"no workspace store in {settings.data_dir}: "
                          "run `harborlight serve` or `harborlight user add` first")
    store = open_store(settings, migrate=False)
    try:
        revision = current_revision(store.engine)
    except SQLAlchemyError as exc:
        store.close()
        raise StoreError(f"cannot open the operational store ({_redacted(url)}): {exc.__class__.__name__}") from None
    if revision is None:
        store.close()
        raise NoStore(f"no workspace store in {_redacted(url)}: run `harborlight store upgrade`, "
                      "`harborlight serve` or `harborlight user add` first")
    return store


def _redacted(url: str) -> str:
    """A database URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL that does not parse is named by its scheme only
        return url.split(":", 1)[0]


def grant_app_role(engine: Engine, role: str) -> None:
    """On PostgreSQL, let `role` (the role the server connects as) use the store without being able to
    UPDATE or DELETE audit entries: it may only read and append to the chain."""
    if engine.dialect.name != "postgresql":
        raise BadRequest("grants are for PostgreSQL; a SQLite store is protected by its file's permissions")
    quoted = engine.dialect.identifier_preparer.quote(role)
    try:
        with engine.begin() as connection:
            for statement in _grants_sql(quoted):
                connection.execute(text(statement))
    except SQLAlchemyError as exc:
        # Most often the role does not exist yet, or the one running this does not own the tables.
        reason = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
        raise BadRequest(f"cannot grant the store to {role!r}: {reason}") from None


def _grants_sql(quoted_role: str) -> list[str]:
    """The app role's rights: everything on the workspace's tables but the audit log, which it may only
    read and append to; the chain's head, which it moves forward; reading the schema's revision."""
    statements = [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {quoted_role}"
                  for table in ("agencies", "users", "sessions", "packet_releases", "notes", "outcome_entries")]
    return statements + [
        f"GRANT SELECT, INSERT ON audit_log TO {quoted_role}",
        f"GRANT SELECT, UPDATE ON audit_head TO {quoted_role}",
        f"GRANT SELECT ON alembic_version TO {quoted_role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}",
    ]
