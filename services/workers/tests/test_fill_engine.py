"""The fill engine against a real database and Redis: fills, guards, idempotency."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest
import redis
from paperdesk_core.bus import EventBus
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import MarketTick, OrderAccepted
from paperdesk_core.contracts.streams import ORDERS_ACCEPTED, EventType
from paperdesk_core.db import get_sessionmaker, session_scope
from paperdesk_core.db.models import Account, Fill, Instrument, Order, Position, User
from paperdesk_core.marketdata.quotes import write_quotes
from sqlalchemy import func, select

from paperdesk_workers.fill_engine import FillEngine, apply_fill


@pytest.fixture
def env(paperdesk_env: dict[str, str]) -> dict[str, str]:
    return paperdesk_env


@pytest.fixture
def symbol(env: dict[str, str]) -> str:
    sym = f"ZF{uuid.uuid4().hex[:8].upper()}"
    with session_scope() as s:
        s.add(Instrument(symbol=sym, name="Fill Test", asset_class="equity", calendar="24/7"))
    return sym


@pytest.fixture
def account_id(env: dict[str, str]) -> uuid.UUID:
    with session_scope() as s:
        user = User(email=f"{uuid.uuid4().hex}@x.test", password_hash="x")
        s.add(user)
        s.flush()
        acct = Account(user_id=user.id)
        s.add(acct)
        s.flush()
        return acct.id


@pytest.fixture
def engine(env: dict[str, str], redis_client: redis.Redis) -> FillEngine:
    fe = FillEngine(
        redis=redis_client,
        sessions=get_sessionmaker(),
        feed=f"t{uuid.uuid4().hex[:6]}",
        consumer="test",
        idle_fill_seconds=0.0,
    )
    fe.load_instruments()
    return fe


def _order(account_id: uuid.UUID, symbol: str, **kw: object) -> uuid.UUID:
    values: dict[str, object] = {
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": Decimal(10),
        "limit_price": Decimal(100),
        "status": "new",
        "reserved_cash": Decimal(1000),
    }
    values.update(kw)
    with session_scope() as s:
        o = Order(account_id=account_id, symbol=symbol, **values)
        s.add(o)
        s.flush()
        return o.id


def _tick(symbol: str, price: str, size: str = "100") -> MarketTick:
    now = time.time_ns()
    return MarketTick(
        symbol=symbol,
        price=Decimal(price),
        size=Decimal(size),
        ts_event=now,
        ts_init=now,
        source="test",
    )


def _accept(engine: FillEngine, account_id: uuid.UUID, order_id: uuid.UUID, sym: str) -> None:
    engine.on_accepted(OrderAccepted(order_id=order_id, account_id=account_id, symbol=sym))


def test_limit_fills_with_ledger_in_one_transaction(
    engine: FillEngine, account_id: uuid.UUID, symbol: str
) -> None:
    oid = _order(account_id, symbol)
    _accept(engine, account_id, oid, symbol)
    engine.on_ticks([_tick(symbol, "101")])  # above the limit: no fill
    engine.on_ticks([_tick(symbol, "99.5", size="4")])  # partial: 4 of 10
    engine.on_ticks([_tick(symbol, "99")])
    with session_scope() as s:
        order = s.get(Order, oid)
        assert order is not None
        assert order.status == "filled"
        assert order.filled_qty == 10
        assert order.reserved_cash == 0
        assert order.filled_avg_price == (Decimal("99.5") * 4 + Decimal(99) * 6) / 10
        acct = s.get(Account, account_id)
        assert acct is not None
        assert acct.cash == Decimal(100000) - Decimal("99.5") * 4 - Decimal(99) * 6
        assert acct.gate_version == 2  # each fill tells the order gate to read again
        assert acct.reserved_open == 0  # PostgreSQL's trigger released the reservation
        pos = s.get(Position, (account_id, symbol))
        assert pos is not None
        assert pos.qty == 10
        fills = s.scalars(select(Fill).where(Fill.order_id == oid)).all()
        assert len(fills) == 2


def test_raw_message_without_approved_row_never_fills(
    engine: FillEngine, account_id: uuid.UUID, symbol: str, redis_client: redis.Redis
) -> None:
    rejected = _order(account_id, symbol, status="rejected", reserved_cash=Decimal(0))
    ghost = uuid.uuid4()
    bus = EventBus(redis_client)
    engine.start()
    for oid in (rejected, ghost):
        bus.publish(
            ORDERS_ACCEPTED,
            Envelope[OrderAccepted](
                event_type=EventType.ORDER_ACCEPTED,
                producer="attacker",
                key=str(account_id),
                payload=OrderAccepted(order_id=oid, account_id=account_id, symbol=symbol),
            ),
        )
    engine.step(block_ms=200)
    assert engine.matching.get(rejected) is None
    assert engine.matching.get(ghost) is None
    engine.on_ticks([_tick(symbol, "50")])
    with session_scope() as s:
        n = s.scalar(select(func.count()).select_from(Fill).where(Fill.account_id == account_id))
        assert n == 0


def test_canceled_in_db_never_fills(engine: FillEngine, account_id: uuid.UUID, symbol: str) -> None:
    oid = _order(account_id, symbol)
    _accept(engine, account_id, oid, symbol)
    with session_scope() as s:  # the API cancels; the engine has not heard yet
        order = s.get(Order, oid)
        assert order is not None
        order.status = "canceled"
    engine.on_ticks([_tick(symbol, "90")])
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Fill).where(Fill.order_id == oid)) == 0
        order = s.get(Order, oid)
        assert order is not None
        assert order.status == "canceled"
    assert engine.matching.get(oid) is None


def test_duplicate_fill_is_skipped_and_rebuild_resumes(
    engine: FillEngine, account_id: uuid.UUID, symbol: str
) -> None:
    oid = _order(account_id, symbol, type="market", limit_price=None)
    _accept(engine, account_id, oid, symbol)
    order = engine.matching.get(oid)
    assert order is not None
    fills = engine.matching.on_tick(_tick(symbol, "100", size="3"))
    assert len(fills) == 1
    engine.persist_fills(fills)
    engine.persist_fills(fills)  # redelivered: same fill id, skipped
    with session_scope() as s:
        assert apply_fill(s, fills[0]) is None
    # a restarted engine reloads the remaining 7 from the database
    fresh = FillEngine(
        redis=engine.redis,
        sessions=engine.sessions,
        feed="x",
        consumer="t2",
        idle_fill_seconds=0.0,
    )
    fresh.load_instruments()
    fresh.rebuild()
    again = fresh.matching.get(oid)
    assert again is not None
    assert again.filled_qty == 3
    with session_scope() as s:
        acct = s.get(Account, account_id)
        assert acct is not None
        cash_before = acct.cash
    assert cash_before < Decimal(100000)


def test_market_order_fills_at_quote_when_feed_idle(
    engine: FillEngine, account_id: uuid.UUID, symbol: str, redis_client: redis.Redis
) -> None:
    pipe = redis_client.pipeline()
    write_quotes(pipe, [_tick(symbol, "42")])
    pipe.execute()
    oid = _order(account_id, symbol, type="market", limit_price=None)
    _accept(engine, account_id, oid, symbol)
    engine.fill_idle_markets()
    with session_scope() as s:
        order = s.get(Order, oid)
        assert order is not None
        assert order.status == "filled"
        assert order.filled_avg_price is not None
        assert order.filled_avg_price >= Decimal(42)  # slippage against the buyer


def test_ioc_resolves_at_once(engine: FillEngine, account_id: uuid.UUID, symbol: str) -> None:
    oid = _order(account_id, symbol, time_in_force="ioc", limit_price=Decimal(1))
    _accept(engine, account_id, oid, symbol)  # no quote for this symbol: canceled
    with session_scope() as s:
        order = s.get(Order, oid)
        assert order is not None
        assert order.status == "canceled"


def test_the_poll_works_an_order_whose_publish_was_lost(
    engine: FillEngine, account_id: uuid.UUID, symbol: str
) -> None:
    # The ids are read on the poll thread while the loop goes on; the loop works them.
    engine.poll_seconds = 0.0
    oid = _order(account_id, symbol)
    gone = _order(account_id, symbol)
    engine.poll_orders()  # the ids are read on the poll thread from now on
    with session_scope() as s:  # canceled after its id may have been read
        row = s.get(Order, gone)
        assert row is not None
        row.status = "canceled"
    deadline = time.monotonic() + 10
    while engine.matching.get(oid) is None and time.monotonic() < deadline:
        engine.poll_orders()
        time.sleep(0.01)
    assert engine.matching.get(oid) is not None
    assert engine.matching.get(gone) is None
