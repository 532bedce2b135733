"""Alembic environment for the evidence register: run on the connection evaltools passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="evaltools_register_version")
with context.begin_transaction():
    context.run_migrations()
