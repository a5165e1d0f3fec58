"""What the application holds open for its whole life: settings, the store, the warehouse."""

from __future__ import annotations

import threading

from harborlight.config import Settings, installation_key
from harborlight.errors import BadRequest
from harborlight.protection import Protection
from harborlight.resolve.normalize import register_sql_functions
from harborlight.store import Store, open_store
from harborlight.warehouse import Warehouse


class Workspace:
    """The store, and the warehouse opened read-only once and read through one cursor per request.

    The warehouse is read-only while the workspace serves it: run the pipeline's writing commands
    with the server stopped (docs/deployment.md). Protection is decided once per warehouse opening,
    as every CLI read decides it once per command.
    """

    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.store = store or open_store(settings)
        self._warehouse: Warehouse | None = None
        self._protection: Protection | None = None
        self._lock = threading.Lock()

    def _base(self) -> Warehouse:
        with self._lock:
            if self._warehouse is None:
                path = self.settings.warehouse_path
                if not path.exists():
                    raise BadRequest(f"no warehouse in {self.settings.data_dir}: run `harborlight ingest DIR` "
                                     "(or `harborlight demo`) before serving")
                self._warehouse = Warehouse(path, installation_key(self.settings.data_dir), read_only=True)
                # SQL functions live in the database's catalog, shared by every cursor, and must outlive
                # them: registered once here, a cursor's own attempt finds them there (normalize.py).
                register_sql_functions(self._warehouse.con)
            return self._warehouse

    def warehouse(self) -> Warehouse:
        """A cursor on the warehouse for one request; the caller closes it."""
        return self._base().cursor()

    def protection(self) -> Protection:
        base = self._base()
        with self._lock:
            if self._protection is None:
                reader = base.cursor()
                try:
                    self._protection = Protection(reader)
                finally:
                    reader.close()
            return self._protection

    def close(self) -> None:
        with self._lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None
        self.store.close()
