"""Gateway test fixtures: a real migrated database and a real Redis (paperdesk_env)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from paperdesk_core.contracts.events import MarketTick
from paperdesk_core.marketdata.quotes import set_prev_close, write_quotes

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def seeded(paperdesk_env: dict[str, str]) -> dict[str, str]:
    from paperdesk_api.database import seed_instruments

    seed_instruments()
    return paperdesk_env


@pytest.fixture
def app(seeded: dict[str, str]) -> FastAPI:
    from paperdesk_api.app import create_app
    from paperdesk_api.modules.market._instruments import instruments

    instruments.invalidate()
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def unique_email() -> str:
    return f"u{uuid.uuid4().hex[:12]}@example.com"


def register(
    client: TestClient, email: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    email = email or unique_email()
    r = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    return r.json()


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture
def make_user(client: TestClient) -> Callable[[], dict[str, Any]]:
    """Register a user and return its email, id, token and auth headers."""

    def _make() -> dict[str, Any]:
        email = unique_email()
        user = register(client, email)
        token = login(client, email)
        return {
            "email": email,
            "id": user["id"],
            "token": token,
            "headers": {"Authorization": f"Bearer {token}"},
        }

    return _make


@pytest.fixture
def auth(make_user: Callable[[], dict[str, Any]]) -> dict[str, str]:
    return make_user()["headers"]  # type: ignore[no-any-return]


@pytest.fixture
def make_instrument(seeded: dict[str, str]) -> Callable[..., str]:
    """Insert an instrument with a unique symbol (Redis may be shared with other tests)."""
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Instrument

    from paperdesk_api.modules.market._instruments import instruments

    def _make(name: str = "Test Instrument") -> str:
        symbol = f"ZT{uuid.uuid4().hex[:8].upper()}"
        with session_scope() as session:
            session.add(Instrument(symbol=symbol, name=name, asset_class="equity", source="sim"))
        instruments.invalidate()
        return symbol

    return _make


def _publish_quote(
    client: redis.Redis,
    symbol: str,
    price: str,
    *,
    bid: str | None = None,
    ask: str | None = None,
    spark: bool = False,
    prev_close: str | None = None,
) -> None:
    now = time.time_ns()
    tick = MarketTick(
        symbol=symbol,
        price=Decimal(price),
        size=Decimal(10),
        bid=Decimal(bid) if bid else None,
        ask=Decimal(ask) if ask else None,
        ts_event=now,
        ts_init=now,
        source="sim",
    )
    pipe = client.pipeline()
    if prev_close is not None:
        set_prev_close(pipe, symbol, Decimal(prev_close))
    write_quotes(pipe, [tick], spark=spark)
    pipe.execute()


@pytest.fixture
def publish(redis_client: redis.Redis) -> Callable[..., None]:
    """Write a latest quote through the ingestion contract (write_quotes)."""

    def _publish(symbol: str, price: str, **kw: Any) -> None:
        _publish_quote(redis_client, symbol, price, **kw)

    return _publish


@pytest.fixture
def api_register(client: TestClient) -> Callable[..., dict[str, Any]]:
    return lambda email=None, password=PASSWORD: register(client, email, password)


@pytest.fixture
def api_login(client: TestClient) -> Callable[..., str]:
    return lambda email, password=PASSWORD: login(client, email, password)
