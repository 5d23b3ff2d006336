"""Orders through the risk gate: placement, idempotency, rejections, cancel, isolation."""

from __future__ import annotations

import asyncio
import json
import os
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
VARY = {"id", "client_order_id", "created_at", "updated_at"}  # per order, not per path


@pytest.fixture
def sym(make_instrument: Callable[..., str], publish: Callable[..., None]) -> str:
    symbol = make_instrument()
    publish(symbol, "100", bid="99.99", ask="100.01")
    return symbol


@pytest.fixture
def pg_url(paperdesk_env: dict[str, str]) -> str:
    """The test database's URL; skips the test on other databases than PostgreSQL."""
    url = paperdesk_env["DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (the asyncio gate, the reserved-cash trigger)")
    return url


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
    client: TestClient, auth: dict[str, str], sym: str, pg_url: str
) -> None:
    # PostgreSQL only: the gate's asyncpg pool. A terminated backend fails the first
    # statement of the next order, which is retried once on a new connection.
    first = client.post(ORDERS, json=_buy(sym, "1"), headers=auth)
    assert first.status_code == 201, first.text
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
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


def test_json_and_a_json_suffixed_type_are_placed_alike(
    client: TestClient, auth: dict[str, str], sym: str
) -> None:
    body = {**_buy(sym, "2"), "type": "limit", "limit_price": "99.5", "time_in_force": "gtc"}
    plain = client.post(ORDERS, json={**body, "client_order_id": "plain-1"}, headers=auth)
    suffixed = client.post(
        ORDERS,
        content=json.dumps({**body, "client_order_id": "suffixed-1"}),
        headers={**auth, "Content-Type": "application/vnd.paperdesk+json"},
    )
    assert plain.status_code == suffixed.status_code == 201, (plain.text, suffixed.text)
    same = {k: v for k, v in plain.json().items() if k not in VARY}
    assert same == {k: v for k, v in suffixed.json().items() if k not in VARY}
    again = client.post(ORDERS, json={**body, "client_order_id": "suffixed-1"}, headers=auth)
    assert again.status_code == 200
    assert again.json()["id"] == suffixed.json()["id"]
    rejected = client.post(ORDERS, json={**_buy(sym), "qty": "100000000"}, headers=auth)
    assert rejected.status_code == 422
    assert rejected.json()["detail"]["code"] == "risk_rejected"


@pytest.mark.parametrize(
    ("headers", "content", "status", "check"),
    [
        ({}, None, 401, lambda d: d["code"] == "unauthenticated"),
        ({"Authorization": "Basic abc"}, None, 401, lambda d: d["code"] == "unauthenticated"),
        ({"Authorization": "Bearer forged"}, None, 401, lambda d: d["code"] == "unauthenticated"),
        (None, b'{"symbol": "X", "side": "buy", "qty": ', 422, lambda d: d[0]["type"] == "json_invalid"),
        (None, b'{"side": "buy", "qty": "1"}', 422, lambda d: d[0]["loc"] == ["body", "symbol"]),
        (None, b"[]", 422, lambda d: d[0]["loc"] == ["body"]),
    ],
)  # fmt: skip
def test_bad_order_requests_change_nothing(
    client: TestClient,
    auth: dict[str, str],
    sym: str,
    headers: dict[str, str] | None,
    content: bytes | None,
    status: int,
    check: Callable[[Any], bool],
) -> None:
    sent = content if content is not None else json.dumps(_buy(sym, "1")).encode()
    r = client.post(
        ORDERS,
        content=sent,
        headers={"Content-Type": "application/json", **(auth if headers is None else headers)},
    )
    assert r.status_code == status, r.text
    assert check(r.json()["detail"]), r.text
    assert client.get(ORDERS, params={"status": "all"}, headers=auth).json() == []


def test_placement_errors_are_answered_by_the_app_handlers(
    client: TestClient, auth: dict[str, str], sym: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperdesk_api.errors import Unavailable
    from paperdesk_api.modules.orders.service import order as order_service

    def down(*_args: Any) -> Any:
        raise Unavailable("database unavailable")

    async def adown(*_args: Any) -> Any:
        down()

    monkeypatch.setattr(order_service, "place_sync", down)
    monkeypatch.setattr(order_service, "place_pg", adown)
    r = client.post(ORDERS, json=_buy(sym, "1"), headers=auth)
    assert r.status_code == 503, r.text
    assert r.json()["detail"] == {"code": "unavailable", "message": "database unavailable"}


def test_the_gate_never_writes_on_a_stale_read(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    sym: str,
    pg_url: str,
) -> None:
    # PostgreSQL only: the optimistic gate. Its inputs change between its read and its
    # write (as a fill would: gate_version moves): nothing is written, and the next pass
    # reads again and places the order once.
    import redis.asyncio as aioredis

    from paperdesk_api.kit.pg_pool import create_pool
    from paperdesk_api.modules.orders import pg_gate
    from paperdesk_api.modules.orders.schemas import OrderCreate
    from paperdesk_api.modules.orders.service import order as order_service

    user = make_user()
    user_id = uuid.UUID(user["id"])
    payload = OrderCreate.model_validate(_buy(sym, "3"))

    async def scenario() -> tuple[Any, Any]:
        pool = await create_pool(pg_url, 2)
        aredis = aioredis.Redis.from_url(os.environ["REDIS_URL"])
        try:
            async with pool.acquire() as conn:
                rows = await pg_gate.load(conn, user_id, sym, None)
                assert rows is not None
                await conn.execute(
                    "UPDATE accounts SET gate_version = gate_version + 1 WHERE id = $1",
                    rows.account.id,
                )
                stale = await order_service._gate_pg(conn, aredis, rows, payload, locked=False)
            placed = await order_service.place_pg(pool, aredis, user_id, payload)
            return stale, placed
        finally:
            await aredis.aclose()
            await pool.close()

    stale, (order, created) = asyncio.run(scenario())
    assert stale is None
    assert created
    assert order.status == "new"
    listed = client.get(ORDERS, params={"status": "all"}, headers=user["headers"]).json()
    assert [o["id"] for o in listed] == [str(order.id)]


def test_what_the_gate_decides_on_moves_gate_version(
    client: TestClient, make_user: Callable[[], dict[str, Any]], sym: str
) -> None:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Account
    from sqlalchemy import select

    user = make_user()
    headers = user["headers"]

    def version() -> int:
        with session_scope() as s:
            q = select(Account.gate_version).where(Account.user_id == uuid.UUID(user["id"]))
            return int(s.scalars(q).one())

    assert version() == 0
    resting = {**_buy(sym, "1"), "type": "limit", "limit_price": "99", "time_in_force": "gtc"}
    assert client.post(ORDERS, json=resting, headers=headers).status_code == 201
    assert version() == 1  # an accepted order reserves buying power
    assert client.post(ORDERS, json=_buy(sym, "100000000"), headers=headers).status_code == 422
    assert version() == 1  # a rejected one reserves nothing
    client.post("/api/v1/risk/halt", headers=headers)
    client.post("/api/v1/risk/resume", headers=headers)
    assert version() == 3
    assert client.post("/api/v1/account/reset", headers=headers).status_code == 200
    assert version() == 4


def test_the_reserved_cash_on_the_account_follows_its_open_orders(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    sym: str,
    pg_url: str,
) -> None:
    # PostgreSQL only: accounts.reserved_open, kept by a trigger on orders for the gate.
    user = make_user()
    headers = user["headers"]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def reserved() -> tuple[Decimal, Decimal]:
        with admin.connect() as conn:
            kept, summed = conn.execute(
                text(
                    "SELECT a.reserved_open, (SELECT coalesce(sum(o.reserved_cash), 0)"
                    " FROM orders o WHERE o.account_id = a.id"
                    " AND o.status IN ('new', 'partially_filled'))"
                    " FROM accounts a WHERE a.user_id = :u"
                ),
                {"u": user["id"]},
            ).one()
        return Decimal(kept), Decimal(summed)

    ids = []
    for price in ("99", "98.5", "97"):
        body = {**_buy(sym, "3"), "type": "limit", "limit_price": price, "time_in_force": "gtc"}
        r = client.post(ORDERS, json=body, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    kept, summed = reserved()
    assert kept == summed == Decimal("99") * 3 + Decimal("98.5") * 3 + Decimal("97") * 3
    assert client.delete(f"{ORDERS}/{ids[0]}", headers=headers).status_code == 200
    with admin.connect() as conn:  # a partial fill, as the fill engine writes it
        conn.execute(
            text(
                "UPDATE orders SET status = 'partially_filled', filled_qty = 1,"
                " reserved_cash = reserved_cash * 2 / 3 WHERE id = :id"
            ),
            {"id": ids[1]},
        )
    kept, summed = reserved()
    assert kept == summed == Decimal("98.5") * 2 + Decimal("97") * 3
    assert client.post("/api/v1/account/reset", headers=headers).status_code == 200
    assert reserved() == (0, 0)
    with admin.connect() as conn:  # deleting the user cascades through the trigger
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user["id"]})
    admin.dispose()
