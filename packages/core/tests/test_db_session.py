"""Pooled connections: one that sat idle is pinged on checkout and replaced when dead."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from paperdesk_core.db import session as db_session


def test_an_idle_connection_killed_by_the_server_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server")
    engine = db_session.make_engine(database_url)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_S", 0.0)  # every pooled one is "idle"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    engine.dispose()
