"""Settings: where harborlight keeps its data, and how the workspace serves it.

`--data-dir` on every command wins; otherwise the environment variable
HARBORLIGHT_DATA_DIR; otherwise ./harborlight-data. Every other setting is an environment
variable of the same name with the HARBORLIGHT_ prefix (HARBORLIGHT_DATABASE_URL, ...).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from harborlight.errors import file_error

DEFAULT_DATA_DIR = Path("harborlight-data")
WAREHOUSE_FILE = "warehouse.duckdb"
SECRET_FILE = "secret.key"
STORE_FILE = "workspace.sqlite"
KEYS_FILE = "keys/case-keys.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HARBORLIGHT_")

    data_dir: Path = DEFAULT_DATA_DIR
    # The operational store (users, sessions, releases, notes, outcomes entered, the audit chain).
    # Unset: SQLite in the data dir. For a team, PostgreSQL: postgresql+psycopg://user@host/db.
    database_url: str | None = None
    # The workspace's session cookie carries `Secure` when served behind TLS (docs/deployment.md).
    cookie_secure: bool = False
    # A session ends after this long without a request, and in any case after `session_hours`.
    session_idle_minutes: int = 30
    session_hours: int = 8
    # An account locks for `lockout_minutes` after `lockout_after` failed logins in a row.
    lockout_after: int = 5
    lockout_minutes: int = 15
    # The keys that seal survivor fields in hotline cases (cases/keys.py). Unset: keys/case-keys.json in
    # the data dir. Keep it on another volume than the store, so a copy of the database alone opens nothing.
    keys_file: Path | None = None

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / WAREHOUSE_FILE

    @property
    def store_url(self) -> str:
        """The operational store's SQLAlchemy URL: the setting, or SQLite beside the warehouse."""
        return self.database_url or f"sqlite:///{(self.data_dir / STORE_FILE).resolve()}"

    @property
    def keys_path(self) -> Path:
        return self.keys_file or self.data_dir / KEYS_FILE

    def ensure_data_dir(self) -> Path:
        """The data directory, made if missing; a place where it cannot be made is one line."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(exc) from None
        return self.data_dir


def installation_key(data_dir: Path) -> bytes:
    """The key for hashing handles and pseudonyms, made once per data directory.

    It lives beside the warehouse, readable by its owner only, and never in the
    repository: anyone holding it could test guesses against hashed handles.
    """
    path = data_dir / SECRET_FILE
    try:
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        return path.read_bytes()
    except OSError as exc:
        raise file_error(exc, action="use") from None
