"""Alembic environment: the URL comes from PaperDesk settings unless one is passed in."""

from __future__ import annotations

from alembic import context
from paperdesk_core.config import get_settings
from paperdesk_core.db import Base, make_engine
from paperdesk_core.db import models as _models  # noqa: F401  (register tables)
from sqlalchemy import Connection

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().db_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
