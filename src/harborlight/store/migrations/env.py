"""Alembic's entry point for the store: migrations run on the connection `database.upgrade` passes in."""

from alembic import context

from harborlight.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
