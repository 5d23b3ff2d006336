"""Helpers for cross-service trading tests: the API stack, a fill engine process, ticks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import redis
from paperdesk_core.bus import EventBus
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import MarketTick, MarketTicks
from paperdesk_core.contracts.streams import EventType, market_trades
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Instrument
from paperdesk_core.marketdata.quotes import write_quotes

PASSWORD = "s3cret-pass"
FEED = "sim"


def start_engine(env: dict[str, str], log: Path, consumer: str) -> subprocess.Popen[bytes]:
    """Start ``python -m paperdesk_workers.fill_engine`` as its own process."""
    full = {**os.environ, **env, "PAPERDESK_FILL_CONSUMER": consumer, "PAPERDESK_FEED": FEED}
    seen = log.read_text().count("fill engine working") if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "paperdesk_workers.fill_engine"],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    # Ready once it has joined the consumer groups and loaded the open orders.
    wait_for(lambda: log.read_text().count("fill engine working") > seen, timeout=60)
    return proc


def new_symbol() -> str:
    sym = f"ZX{uuid.uuid4().hex[:8].upper()}"
    with session_scope() as s:
        s.add(Instrument(symbol=sym, name="Trading Test", asset_class="equity", calendar="24/7"))
    return sym


def user_headers(api: str) -> dict[str, str]:
    email = f"t-{uuid.uuid4().hex[:10]}@example.com"
    r = httpx.post(f"{api}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api}/api/v1/auth/login", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def publish_tick(client: redis.Redis, symbol: str, price: str, size: str = "100") -> None:
    """Publish like ingestion: the latest quote, then one ``market.ticks`` envelope."""
    now = time.time_ns()
    tick = MarketTick(
        symbol=symbol,
        price=Decimal(price),
        size=Decimal(size),
        ts_event=now,
        ts_init=now,
        source=FEED,
    )
    pipe = client.pipeline()
    write_quotes(pipe, [tick])
    pipe.execute()
    batch = MarketTicks(
        source=FEED,
        symbol=[symbol],
        price=[tick.price],
        size=[tick.size],
        ts_event=[now],
        ts_init=[now],
    )
    EventBus(client).publish(
        market_trades(FEED),
        Envelope[MarketTicks](
            event_type=EventType.MARKET_TICKS, producer="test", key=symbol, payload=batch
        ),
    )


def wait_for(fn: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
