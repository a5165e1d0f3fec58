"""What the application holds open for its whole life: settings, the store, the warehouse."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from harborlight.cases.keys import Keyring, keyring_for
from harborlight.config import Settings, installation_key
from harborlight.errors import BadRequest
from harborlight.protection import Protection
from harborlight.resolve.normalize import register_sql_functions
from harborlight.store import Store, open_store
from harborlight.warehouse import Warehouse

T = TypeVar("T")
REMEMBERED = 512  # read results kept, least recently used first out

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
        self._remembered: OrderedDict[Hashable, object] = OrderedDict()
        self._remember_lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}
        self._keyring: Keyring | None = None

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

    def keyring(self) -> Keyring:
        """The keys that seal survivor fields; made on first use when the data dir has none and the store
        holds no case yet (`keyring_for`): a key file missing beside stored cases is an error."""
        with self._lock:
            # Read again after `harborlight keys rotate` rewrote the file: the old key is gone from it.
            if self._keyring is None or self._keyring.changed_on_disk():
                with self.store.session() as session:
                    self._keyring = keyring_for(self.settings, session)
            return self._keyring

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

    def remember(self, key: Hashable, make: Callable[[], T]) -> T:
        """A read result made once and kept: the warehouse cannot change while it is served (it is open
        read-only here, and DuckDB's lock keeps every writer out), so the same read for the same role gives
        the same frozen result. `key` must name the read, its arguments and the viewer's role."""
        with self._remember_lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key]  # type: ignore[return-value]
            making = self._making.setdefault(key, threading.Lock())
        with making:  # one request makes it; the others asking meanwhile wait for it rather than repeat it
            with self._remember_lock:
                if key in self._remembered:
                    return self._remembered[key]  # type: ignore[return-value]
            try:
                made = make()
            finally:
                with self._remember_lock:
                    self._making.pop(key, None)
            with self._remember_lock:
                self._remembered[key] = made
                while len(self._remembered) > REMEMBERED:
                    self._remembered.popitem(last=False)
        return made

    def close(self) -> None:
        with self._lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None
        self.store.close()
