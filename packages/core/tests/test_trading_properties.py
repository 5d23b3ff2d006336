"""Property tests: random orders and ticks keep the order, fill and ledger invariants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paperdesk_core.contracts import MarketTick
from paperdesk_core.trading import (
    CommissionModel,
    Fill,
    FillModel,
    Ledger,
    MatchingEngine,
    OrderNotFound,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    WorkingOrder,
)

D = Decimal
START = D("100000")
T0 = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
SYMBOLS = ("AAPL", "BTCUSD")

cents = st.integers(min_value=9000, max_value=11000).map(lambda c: D(c) / 100)

add_op = st.tuples(
    st.just("add"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(list(OrderSide)),
    st.sampled_from(list(OrderType)),
    st.sampled_from(list(TimeInForce)),
    st.integers(min_value=1, max_value=50),
    cents,
    cents,
)
tick_op = st.tuples(
    st.just("tick"),
    st.sampled_from(SYMBOLS),
    cents,
    st.integers(min_value=0, max_value=80),
    st.booleans(),
    st.integers(min_value=1, max_value=5),
)
cancel_op = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=40))
replace_op = st.tuples(
    st.just("replace"), st.integers(min_value=0, max_value=40), st.integers(1, 60), cents
)
expire_op = st.tuples(st.just("expire"), st.integers(min_value=1, max_value=30))
ops = st.lists(
    st.one_of(add_op, tick_op, tick_op, tick_op, cancel_op, replace_op, expire_op), max_size=80
)

fill_models = st.builds(
    FillModel,
    slippage_bps=st.integers(0, 30).map(D),
    participation_rate=st.sampled_from([D("0.25"), D("0.5"), D("1")]),
    zero_size_liquidity=st.sampled_from([None, D(0), D(3)]),
    commission_model=st.sampled_from(list(CommissionModel)),
    commission_per_share=st.sampled_from([D(0), D("0.005")]),
    commission_min=st.sampled_from([D(0), D(1)]),
    commission_bps=st.sampled_from([D(0), D(10)]),
)


def _run(script: list[tuple[Any, ...]], fm: FillModel) -> dict[str, Any]:
    engine = MatchingEngine(fill_model=fm)
    orders: list[WorkingOrder] = []
    fills: list[Fill] = []
    closed_by_caller: dict[uuid.UUID, int] = {}  # order id -> number of fills when closed
    immediate_pending: set[uuid.UUID] = set()
    now = T0
    ts = 1_736_173_800_000_000_000
    prices: dict[str, Decimal] = {}
    for n, op in enumerate(script):
        kind = op[0]
        if kind == "add":
            _, symbol, side, otype, tif, qty, p1, p2 = op
            if tif in (TimeInForce.IOC, TimeInForce.FOK) and otype in (
                OrderType.STOP,
                OrderType.STOP_LIMIT,
            ):
                tif = TimeInForce.GTC
            order = WorkingOrder(
                id=uuid.UUID(int=n + 1),
                account_id=uuid.UUID(int=1),
                symbol=symbol,
                side=side,
                type=otype,
                tif=tif,
                qty=D(qty),
                created_at=now,
                limit_price=p1 if otype in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
                stop_price=p2 if otype in (OrderType.STOP, OrderType.STOP_LIMIT) else None,
            )
            engine.add(order)
            orders.append(order)
            if tif in (TimeInForce.IOC, TimeInForce.FOK):
                immediate_pending.add(order.id)
        elif kind == "tick":
            _, symbol, price, size, quoted, spread = op
            ts += 60_000_000_000
            now += timedelta(minutes=1)
            half = D(spread) / 100
            tick = MarketTick(
                symbol=symbol,
                price=price,
                size=D(size),
                bid=price - half if quoted else None,
                ask=price + half if quoted else None,
                ts_event=ts,
                ts_init=ts,
                source="prop",
            )
            new = engine.on_tick(tick)
            fills.extend(new)
            by_id = {o.id: o for o in orders}
            for f in new:
                o = by_id[f.order_id]
                if o.type in (OrderType.STOP, OrderType.STOP_LIMIT):
                    assert o.triggered
                if o.limit_price is not None:  # at the limit or better
                    if o.side is OrderSide.BUY:
                        assert f.last_px <= o.limit_price
                    else:
                        assert f.last_px >= o.limit_price
            prices[symbol] = price
            for o in orders:
                if o.id in immediate_pending and o.symbol == symbol:
                    assert not o.is_open, "ioc/fok must close on its first tick"
                    immediate_pending.discard(o.id)
                    if o.tif is TimeInForce.FOK:
                        assert o.filled_qty in (D(0), o.qty)
        elif kind == "cancel" and orders:
            target = orders[op[1] % len(orders)]
            try:
                engine.cancel(target.id)
            except OrderNotFound:
                assert not target.is_open
            else:
                assert target.status is OrderStatus.CANCELED
                closed_by_caller[target.id] = len(fills)
                immediate_pending.discard(target.id)
        elif kind == "replace" and orders:
            target = orders[op[1] % len(orders)]
            if engine.get(target.id) is not None and D(op[2]) > target.filled_qty:
                engine.replace(
                    target.id,
                    qty=D(op[2]),
                    limit_price=op[3] if target.limit_price is not None else None,
                )
        elif kind == "expire":
            now += timedelta(hours=op[1])
            for o in engine.expire(now):
                assert o.status is OrderStatus.EXPIRED
                closed_by_caller[o.id] = len(fills)
    return {"orders": orders, "fills": fills, "closed": closed_by_caller, "prices": prices}


@settings(max_examples=250, deadline=None)
@given(script=ops, fm=fill_models)
def test_orders_never_overfill_and_closed_orders_never_fill(
    script: list[tuple[Any, ...]], fm: FillModel
) -> None:
    out = _run(script, fm)
    fills: list[Fill] = out["fills"]
    by_order: dict[uuid.UUID, Decimal] = {}
    for f in fills:
        by_order[f.order_id] = by_order.get(f.order_id, D(0)) + f.last_qty
        assert f.last_qty > 0
        assert f.last_px > 0
        assert f.commission >= 0
    assert len({f.fill_id for f in fills}) == len(fills)
    for o in out["orders"]:
        assert D(0) <= o.filled_qty <= o.qty
        assert by_order.get(o.id, D(0)) == o.filled_qty
        assert (o.status is OrderStatus.FILLED) == (o.filled_qty == o.qty)
        if o.status is OrderStatus.PARTIALLY_FILLED:
            assert 0 < o.filled_qty < o.qty
    for order_id, fills_before in out["closed"].items():
        assert all(f.order_id != order_id for f in fills[fills_before:])


@settings(max_examples=250, deadline=None)
@given(script=ops, fm=fill_models)
def test_ledger_invariants_and_replay(script: list[tuple[Any, ...]], fm: FillModel) -> None:
    out = _run(script, fm)
    fills: list[Fill] = out["fills"]
    prices: dict[str, Decimal] = out["prices"]
    ledger = Ledger(START)
    for f in fills:
        assert ledger.apply(f)
    expected_cash = START
    for f in fills:
        if f.side is OrderSide.BUY:
            expected_cash -= f.last_qty * f.last_px + f.commission
        else:
            expected_cash += f.last_qty * f.last_px - f.commission
    assert ledger.cash == expected_cash
    market_value = sum(
        (p.qty * prices.get(p.symbol, p.last_price) for p in ledger.positions.values()), D(0)
    )
    assert ledger.equity(prices) == ledger.cash + market_value
    for symbol in SYMBOLS:
        net = sum(
            (f.last_qty if f.side is OrderSide.BUY else -f.last_qty)
            for f in fills
            if f.symbol == symbol
        )
        assert ledger.position(symbol).qty == net
    pnl = ledger.realized_pnl + ledger.unrealized_pnl(prices)
    assert abs((ledger.equity(prices) - START) - pnl) < D("1e-12")
    rebuilt = Ledger.replay(fills, START)
    assert rebuilt.cash == ledger.cash
    assert rebuilt.positions == ledger.positions
    assert rebuilt.commission_paid == ledger.commission_paid
    # redelivery of the whole log changes nothing
    for f in fills:
        assert not rebuilt.apply(f)
    assert rebuilt.cash == ledger.cash


@settings(max_examples=100, deadline=None)
@given(script=ops, fm=fill_models)
def test_matching_is_deterministic(script: list[tuple[Any, ...]], fm: FillModel) -> None:
    first = _run(script, fm)["fills"]
    second = _run(script, fm)["fills"]
    assert [(f.fill_id, f.last_qty, f.last_px) for f in first] == [
        (f.fill_id, f.last_qty, f.last_px) for f in second
    ]
