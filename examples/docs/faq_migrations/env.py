"""Alembic's env.py for the FAQ example: migrate on the connection the caller hands over.

Alembic cookbook, "Sharing a Connection across one or more programmatic migration
commands": ``config.attributes["connection"]`` is set by ``create_schema``.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
