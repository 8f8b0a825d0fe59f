"""Alembic environment: migrations always run on the connection the app's database layer hands over, inside its
transaction (and, on PostgreSQL, under its advisory lock), so replicas starting together migrate once."""

from __future__ import annotations

from alembic import context

from starvideos import schema

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through starvideos.database.Database, which passes its connection.")

context.configure(connection=connection, target_metadata=schema.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
