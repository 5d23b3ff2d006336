"""Cross-service: market data -> order accepted -> fill -> account updated, over the real
API process, Redis and a fill engine process; a raw order that skipped the gate never fills;
a SIGKILLed fill engine loses nothing and fills nothing twice."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from paperdesk_core.bus import EventBus, decode
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import (
    AccountUpdated,
    OrderAccepted,
    OrderFilled,
    OrderUpdated,
)
from paperdesk_core.contracts.streams import (
    ORDERS_ACCEPTED,
    ORDERS_EVENTS,
    PORTFOLIO_UPDATED,
    EventType,
)
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Fill
from sqlalchemy import func, select
from websockets.sync.client import connect

from tests.stack_process import RunningStack, running_stack
from tests.trading_support import new_symbol, publish_tick, start_engine, user_headers, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, paperdesk_env: dict[str, str]
) -> Iterator[RunningStack]:
    env = {"DATABASE_URL": paperdesk_env["DATABASE_URL"], "REDIS_URL": paperdesk_env["REDIS_URL"]}
    with running_stack(tmp_path_factory.mktemp("trading"), only="api", env=env) as s:
        yield s


@pytest.fixture
def engine_env(paperdesk_env: dict[str, str]) -> dict[str, str]:
    return {"DATABASE_URL": paperdesk_env["DATABASE_URL"], "REDIS_URL": paperdesk_env["REDIS_URL"]}


def _tail(client: redis.Redis, stream: str) -> str:
    last = client.xrevrange(stream, count=1)
    return last[0][0].decode() if last else "0"


def _since(client: redis.Redis, stream: str, start: str) -> list[Envelope[Any]]:
    return [decode(f) for _, f in client.xrange(stream, min=f"({start}")]


def test_pipeline_contract_and_gate(
    stack: RunningStack, engine_env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    api = stack.api_url
    headers = user_headers(api)
    sym = new_symbol()
    publish_tick(redis_client, sym, "100")
    starts = {
        s: _tail(redis_client, s) for s in (ORDERS_ACCEPTED, ORDERS_EVENTS, PORTFOLIO_UPDATED)
    }
    engine = start_engine(engine_env, tmp_path / "engine.log", f"contract-{uuid.uuid4().hex[:6]}")
    token = headers["Authorization"].split()[1]
    ws_url = api.replace("http", "ws") + f"/api/v1/stream?token={token}"
    try:
        with connect(ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"action": "ping"}))
            assert json.loads(ws.recv(timeout=5))["type"] == "pong"
            body = {
                "symbol": sym,
                "side": "buy",
                "type": "limit",
                "qty": "5",
                "limit_price": "100",
                "time_in_force": "gtc",
            }
            r = httpx.post(f"{api}/api/v1/orders", json=body, headers=headers)
            assert r.status_code == 201, r.text
            order = r.json()
            time.sleep(0.5)  # the engine loads the order
            publish_tick(redis_client, sym, "99.9")
            wait_for(
                lambda: (
                    httpx.get(f"{api}/api/v1/orders/{order['id']}", headers=headers).json()[
                        "status"
                    ]
                    == "filled"
                )
            )
            pushed: dict[str, dict[str, Any]] = {}
            deadline = time.monotonic() + 10
            while len(pushed) < 3 and time.monotonic() < deadline:
                msg = json.loads(ws.recv(timeout=10))
                if msg["type"] in ("order", "fill", "account"):
                    pushed[msg["type"]] = msg["data"]
        assert pushed["fill"]["order_id"] == order["id"]
        assert pushed["order"]["status"] == "filled"
        assert Decimal(pushed["account"]["cash"]) == Decimal(100000) - Decimal("499.5")

        accepted = [
            e
            for e in _since(redis_client, ORDERS_ACCEPTED, starts[ORDERS_ACCEPTED])
            if str(e.payload.order_id) == order["id"]
        ]
        assert len(accepted) == 1
        acc = accepted[0]
        assert acc.event_type == EventType.ORDER_ACCEPTED
        assert isinstance(acc.payload, OrderAccepted)
        account_id = str(acc.payload.account_id)
        assert acc.key == account_id
        assert acc.payload.symbol == sym

        events = [
            e
            for e in _since(redis_client, ORDERS_EVENTS, starts[ORDERS_EVENTS])
            if e.key == account_id
        ]
        fills = [e for e in events if isinstance(e.payload, OrderFilled)]
        assert len(fills) == 1
        f = fills[0].payload
        assert fills[0].event_type == EventType.ORDER_FILLED
        assert fills[0].producer == "fill-engine"
        assert fills[0].correlation_id == acc.payload.order_id
        assert (f.last_qty, f.last_px, f.side) == (Decimal(5), Decimal("99.9"), "buy")
        updates = [e.payload for e in events if isinstance(e.payload, OrderUpdated)]
        assert updates[-1].status == "filled"
        assert updates[-1].data["filled_qty"] == "5"
        portfolio = [
            e
            for e in _since(redis_client, PORTFOLIO_UPDATED, starts[PORTFOLIO_UPDATED])
            if e.key == account_id
        ]
        assert isinstance(portfolio[-1].payload, AccountUpdated)
        assert portfolio[-1].event_type == EventType.ACCOUNT_UPDATED

        acct = httpx.get(f"{api}/api/v1/account", headers=headers).json()
        positions = httpx.get(f"{api}/api/v1/positions", headers=headers).json()
        assert Decimal(acct["cash"]) == Decimal(100000) - 5 * Decimal("99.9")
        assert Decimal(acct["equity"]) == Decimal(acct["cash"]) + sum(
            Decimal(p["market_value"]) for p in positions
        )
        assert positions[0]["qty"] == "5"
        acts = httpx.get(f"{api}/api/v1/activities", headers=headers).json()
        assert acts[0]["activity_type"] == "fill"

        # An order written straight to the stream, skipping the gate, never fills.
        ghost = uuid.uuid4()
        EventBus(redis_client).publish(
            ORDERS_ACCEPTED,
            Envelope[OrderAccepted](
                event_type=EventType.ORDER_ACCEPTED,
                producer="rogue",
                key=account_id,
                payload=OrderAccepted(
                    order_id=ghost, account_id=acc.payload.account_id, symbol=sym
                ),
            ),
        )
        time.sleep(0.5)
        for _ in range(3):
            publish_tick(redis_client, sym, "95")
        time.sleep(1.0)
        with session_scope() as s:
            assert (
                s.scalar(select(func.count()).select_from(Fill).where(Fill.order_id == ghost)) == 0
            )
        assert (
            len(httpx.get(f"{api}/api/v1/orders", params={"status": "all"}, headers=headers).json())
            == 1
        )

        # Closing the position fills a market order at the next tick.
        r = httpx.delete(f"{api}/api/v1/positions/{sym}", headers=headers)
        assert r.status_code == 201, r.text
        wait_for(lambda: httpx.get(f"{api}/api/v1/positions", headers=headers).json() == [])
    finally:
        engine.terminate()
        engine.wait(10)


def test_sigkill_fill_engine_loses_nothing_and_fills_nothing_twice(
    stack: RunningStack, engine_env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    api = stack.api_url
    headers = user_headers(api)
    sym = new_symbol()
    publish_tick(redis_client, sym, "50")
    consumer = f"fault-{uuid.uuid4().hex[:6]}"
    log = tmp_path / "engine.log"
    engine = start_engine(engine_env, log, consumer)
    ids = []
    for i in range(30):
        body = {
            "symbol": sym,
            "side": "buy",
            "type": "limit",
            "qty": "2",
            "limit_price": "50",
            "time_in_force": "gtc",
            "client_order_id": f"k{i}",
        }
        r = httpx.post(f"{api}/api/v1/orders", json=body, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for oid in ids[:3]:
        assert httpx.delete(f"{api}/api/v1/orders/{oid}", headers=headers).status_code == 200
    time.sleep(1.0)
    try:
        for n in range(40):
            publish_tick(redis_client, sym, "49.9", size="3")
            if n == 8:
                engine.send_signal(signal.SIGKILL)
                engine.wait(10)
            if n == 20:
                engine = start_engine(engine_env, log, consumer)
            time.sleep(0.03)

        def done() -> bool:
            open_ = httpx.get(
                f"{api}/api/v1/orders", params={"status": "open"}, headers=headers
            ).json()
            if open_:
                publish_tick(redis_client, sym, "49.9", size="3")
            return not open_

        wait_for(done, timeout=60, interval=0.2)
        orders = httpx.get(
            f"{api}/api/v1/orders", params={"status": "all", "limit": 100}, headers=headers
        ).json()
        assert sorted(o["status"] for o in orders) == ["canceled"] * 3 + ["filled"] * 27
        with session_scope() as s:
            rows = s.scalars(select(Fill).where(Fill.symbol == sym)).all()
        per_order: dict[str, Decimal] = {}
        for row in rows:
            per_order[str(row.order_id)] = (
                per_order.get(str(row.order_id), Decimal(0)) + row.last_qty
            )
        for o in orders:
            assert per_order.get(o["id"], Decimal(0)) == Decimal(o["filled_qty"])
        assert sum(per_order.values()) == 54
        acct = httpx.get(f"{api}/api/v1/account", headers=headers).json()
        spent = sum(r.last_qty * r.last_px + r.commission for r in rows)
        assert Decimal(acct["cash"]) == Decimal(100000) - spent
    finally:
        engine.terminate()
        engine.wait(10)
