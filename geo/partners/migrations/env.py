"""Alembic environment of the hub, run by :mod:`geo.partners.db` with a connection.

There is no ``alembic.ini``: :func:`geo.partners.db.alembic_config` builds the
configuration in code and passes the open connection in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

from geo.partners.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
