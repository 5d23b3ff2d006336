"""Orders through the risk gate: placement, idempotency, rejections, cancel, isolation."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from paperdesk_core.bus import decode
from paperdesk_core.contracts.events import OrderAccepted
from paperdesk_core.contracts.streams import ORDERS_ACCEPTED
from sqlalchemy import create_engine, text

from paperdesk_api.kit.pg_pool import GATE_APPLICATION_NAME

ORDERS = "/api/v1/orders"


@pytest.fixture
def sym(make_instrument: Callable[..., str], publish: Callable[..., None]) -> str:
    symbol = make_instrument()
    publish(symbol, "100", bid="99.99", ask="100.01")
    return symbol


def _buy(symbol: str, qty: str = "10", **kw: Any) -> dict[str, Any]:
    return {"symbol": symbol, "side": "buy", "type": "market", "qty": qty, **kw}


def test_market_order_is_accepted_and_published(
    client: TestClient, auth: dict[str, str], sym: str, redis_client: redis.Redis
) -> None:
    last = redis_client.xrevrange(ORDERS_ACCEPTED, count=1)
    start = last[0][0].decode() if last else "0"
    r = client.post(ORDERS, json=_buy(sym, 10, time_in_force="gtc"), headers=auth)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "new"
    assert order["qty"] == "10"
    assert order["filled_qty"] == "0"
    assert order["created_at"].endswith("Z")
    msgs = redis_client.xrange(ORDERS_ACCEPTED, min=f"({start}")
    envs = [decode(fields) for _, fields in msgs]
    mine = [e for e in envs if str(e.payload.order_id) == order["id"]]  # type: ignore[attr-defined]
    assert len(mine) == 1
    assert isinstance(mine[0].payload, OrderAccepted)
    assert mine[0].event_type == "order.accepted"
    assert mine[0].key == str(mine[0].payload.account_id)

    got = client.get(f"{ORDERS}/{order['id']}", headers=auth)
    assert got.status_code == 200
    assert got.json()["id"] == order["id"]
    listed = client.get(ORDERS, params={"status": "open"}, headers=auth).json()
    assert [o["id"] for o in listed] == [order["id"]]
    assert client.get(ORDERS, params={"status": "closed"}, headers=auth).json() == []


def test_client_order_id_is_idempotent(client: TestClient, auth: dict[str, str], sym: str) -> None:
    body = _buy(sym, "1", client_order_id="abc-1")
    first = client.post(ORDERS, json=body, headers=auth)
    assert first.status_code == 201, first.text
    again = client.post(ORDERS, json={**body, "qty": "5"}, headers=auth)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["qty"] == "1"
    assert len(client.get(ORDERS, params={"status": "all"}, headers=auth).json()) == 1


@pytest.mark.parametrize(
    ("body", "code_in_reason"),
    [
        ({"qty": "999"}, "buying power"),  # 999 * 100 * 1.0205 > 100k cash
        ({"type": "limit", "limit_price": "150", "qty": "1"}, "from the market"),
    ],
)
def test_risk_rejections_are_recorded(
    client: TestClient,
    auth: dict[str, str],
    sym: str,
    body: dict[str, Any],
    code_in_reason: str,
) -> None:
    r = client.post(ORDERS, json={**_buy(sym), **body}, headers=auth)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["code"] == "risk_rejected"
    assert code_in_reason in detail["message"]
    rejected = client.get(ORDERS, params={"status": "rejected"}, headers=auth).json()
    assert len(rejected) == 1
    assert rejected[0]["status"] == "rejected"
    assert code_in_reason in rejected[0]["reject_reason"]


def test_max_order_notional_halt_and_unknown_symbol(
    client: TestClient, auth: dict[str, str], sym: str
) -> None:
    r = client.put("/api/v1/risk/limits", json={"max_order_notional": "500"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["max_order_notional"] == "500"
    r = client.post(ORDERS, json=_buy(sym, "10"), headers=auth)
    assert r.status_code == 422
    assert "maximum" in r.json()["detail"]["message"]
    client.put("/api/v1/risk/limits", json={"max_order_notional": "250000"}, headers=auth)

    assert client.post("/api/v1/risk/halt", headers=auth).json()["state"] == "HALTED"
    assert client.get("/api/v1/account", headers=auth).json()["trading_status"] == "halted"
    r = client.post(ORDERS, json=_buy(sym, "1"), headers=auth)
    assert r.status_code == 422
    assert "halted" in r.json()["detail"]["message"]
    assert client.post("/api/v1/risk/resume", headers=auth).json()["state"] == "NORMAL"
    assert client.post(ORDERS, json=_buy(sym, "1"), headers=auth).status_code == 201

    r = client.post(ORDERS, json=_buy("NOSUCHSYM", "1"), headers=auth)
    assert r.status_code == 422
    assert "unknown symbol" in r.json()["detail"]["message"]

    r = client.post(ORDERS, json={**_buy(sym), "type": "limit"}, headers=auth)
    assert r.status_code == 422
    assert r.json()["detail"]["code"] == "limit_price_required"
    r = client.post(ORDERS, json={**_buy(sym), "qty": "-1"}, headers=auth)
    assert r.status_code == 422


def test_cancel_and_isolation(
    client: TestClient, make_user: Callable[[], dict[str, Any]], sym: str
) -> None:
    alice, bob = make_user()["headers"], make_user()["headers"]
    body = {**_buy(sym, "10"), "type": "limit", "limit_price": "95"}
    order = client.post(ORDERS, json=body, headers=alice).json()
    before = Decimal(client.get("/api/v1/account", headers=alice).json()["buying_power"])
    assert before == Decimal("100000") - Decimal("950")

    assert client.get(f"{ORDERS}/{order['id']}", headers=bob).status_code == 404
    assert client.delete(f"{ORDERS}/{order['id']}", headers=bob).status_code == 404
    assert client.get(f"{ORDERS}/{uuid.uuid4()}", headers=alice).status_code == 404

    r = client.delete(f"{ORDERS}/{order['id']}", headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "canceled"
    assert r.json()["canceled_at"] is not None
    again = client.delete(f"{ORDERS}/{order['id']}", headers=alice)
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "not_cancelable"
    after = client.get("/api/v1/account", headers=alice).json()
    assert Decimal(after["buying_power"]) == Decimal("100000")


def test_account_reset_and_risk_state(client: TestClient, auth: dict[str, str], sym: str) -> None:
    acct = client.get("/api/v1/account", headers=auth).json()
    assert acct["cash"] == "100000"
    assert acct["equity"] == "100000"
    assert acct["starting_cash"] == "100000"
    assert acct["currency"] == "USD"
    client.post(ORDERS, json={**_buy(sym), "type": "limit", "limit_price": "99"}, headers=auth)
    r = client.post("/api/v1/account/reset", headers=auth)
    assert r.status_code == 200, r.text
    assert client.get(ORDERS, params={"status": "open"}, headers=auth).json() == []
    acts = client.get("/api/v1/activities", headers=auth).json()
    assert acts[0]["activity_type"] == "reset"
    assert client.get("/api/v1/positions", headers=auth).json() == []
    state = client.get("/api/v1/risk/state", headers=auth).json()
    assert state["state"] == "NORMAL"
    assert client.delete(f"/api/v1/positions/{sym}", headers=auth).status_code == 404


def test_fifty_concurrent_orders_never_overspend(
    client: TestClient, auth: dict[str, str], sym: str
) -> None:
    # Each limit buy reserves 30 * 100 = 3000; 100000 of cash covers 33 of them.
    body = {**_buy(sym, "30"), "type": "limit", "limit_price": "100"}

    def place(_: int) -> int:
        return client.post(ORDERS, json=body, headers=auth).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(place, range(50)))
    assert codes.count(201) == 33, codes
    assert codes.count(422) == 17, codes
    open_orders = client.get(ORDERS, params={"status": "open", "limit": 500}, headers=auth).json()
    reserved = sum(Decimal(o["qty"]) * Decimal(o["limit_price"]) for o in open_orders)
    assert reserved <= Decimal("100000")
    assert Decimal(client.get("/api/v1/account", headers=auth).json()["buying_power"]) >= 0


def test_a_gate_connection_killed_by_the_server_is_replaced(
    client: TestClient, auth: dict[str, str], sym: str, paperdesk_env: dict[str, str]
) -> None:
    # PostgreSQL only: the gate's asyncpg pool. A terminated backend fails the first
    # statement of the next order, which is retried once on a new connection.
    url = paperdesk_env["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("the asyncio gate runs on PostgreSQL")
    first = client.post(ORDERS, json=_buy(sym, "1"), headers=auth)
    assert first.status_code == 201, first.text
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :app"
            ),
            {"app": GATE_APPLICATION_NAME},
        ).all()
    admin.dispose()
    assert killed
    time.sleep(0.5)  # the server's notice reaches the idle connection first (as on CI)
    again = client.post(ORDERS, json=_buy(sym, "1"), headers=auth)
    assert again.status_code == 201, again.text
    listed = client.get(ORDERS, params={"status": "open"}, headers=auth).json()
    assert {o["id"] for o in listed} == {first.json()["id"], again.json()["id"]}
