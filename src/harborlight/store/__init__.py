"""The operational store: users, sessions, agencies, packet releases, notes, outcomes entered in
the workspace, and the audit chain. SQLAlchemy 2 over SQLite (the default, in the data dir) or
PostgreSQL (HARBORLIGHT_DATABASE_URL); the schema is Alembic's migrations in migrations/.

It is operational data, not analytics: the warehouse stays DuckDB and is read through the read
layer. Nothing here holds a protected person's identity; packet snapshots hold what the read
layer let out (pseudonyms and redacted text) and nothing more.
"""

from harborlight.store.database import Store, open_store

__all__ = ["Store", "open_store"]
