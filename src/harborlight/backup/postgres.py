"""pg_dump and pg_restore for a store on PostgreSQL, called without a shell.

The connection goes to the tools through libpq's environment variables (PGHOST, PGPASSWORD, ...),
never on their command line, where other users of the machine could read a password (ps).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from harborlight.backup.manifest import BackupError
from harborlight.store.database import engine_for

# libpq settings a SQLAlchemy URL may carry in its query string, and their environment variables.
_QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
              "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME"}


def shown(url: str) -> str:
    """The URL for a message: no password."""
    return make_url(url).render_as_string(hide_password=True)


def libpq_environment(url: str) -> dict[str, str]:
    """The process environment with the URL's connection settings as libpq variables."""
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                        ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value is not None:
            env[name] = str(value)
    for key, name in _QUERY_ENV.items():
        value = parsed.query.get(key)
        if isinstance(value, str):
            env[name] = value
    return env


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
    if found is None:
        raise BackupError(f"{name} is needed for a store on PostgreSQL and was not found on PATH")
    return found


def _run(args: list[str], url: str, what: str) -> None:
    done = subprocess.run(args, env=libpq_environment(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), f"exit status {done.returncode}")
        raise BackupError(f"{what} of the store at {shown(url)} failed: {first}")


def dump(url: str, out: Path) -> None:
    """pg_dump the store's database into `out`, custom format (what pg_restore reads)."""
    _run([_tool("pg_dump"), "--format=custom", "--no-password", f"--file={out}"], url, "pg_dump")


def holds_store(url: str) -> bool:
    """Whether the database at `url` already holds a harborlight store (its migrations have run)."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table("alembic_version")
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot open the store at {shown(url)}: {exc.__class__.__name__}") from None
    finally:
        engine.dispose()


def restore(url: str, dump_file: Path) -> None:
    """pg_restore `dump_file` into the database at `url` in one transaction: the dump's objects are
    dropped first where they exist, and a failure leaves the database as it was."""
    database = make_url(url).database
    if not database:
        raise BackupError(f"the store URL {shown(url)} names no database to restore into")
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={database}", str(dump_file)], url, "pg_restore")
