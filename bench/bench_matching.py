"""Matching throughput: ticks/s through ``MatchingEngine.on_tick`` with 10,000 working orders.

Five symbols, 2,000 orders each (limits and stops, stop-limits, both sides, ``gtc``) placed
0.5%-10% away from the start price; each symbol's price then random-walks (1 bp steps,
a 2-cent spread as bid/ask), so a share of the orders triggers and fills during the run.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from paperdesk_core.contracts import MarketTick
from paperdesk_core.trading import (
    FillModel,
    MatchingEngine,
    OrderSide,
    OrderType,
    TimeInForce,
    WorkingOrder,
)
from paperdesk_core.universe import UNIVERSE_BY_SYMBOL

SYMBOLS = ("AAPL", "MSFT", "NVDA", "SPY", "QQQ")
WORKING_ORDERS = 10_000
TICKS = 200_000
TARGET_TICKS_PER_S = 50_000
CENT = Decimal("0.01")


def _orders(rng: random.Random, start: dict[str, Decimal]) -> list[WorkingOrder]:
    account = uuid.UUID(int=1)
    created = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
    orders = []
    for i in range(WORKING_ORDERS):
        symbol = SYMBOLS[i % len(SYMBOLS)]
        side = OrderSide.BUY if rng.random() < 0.5 else OrderSide.SELL
        kind = rng.choice((OrderType.LIMIT, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT))
        away = Decimal(str(round(rng.uniform(0.005, 0.10), 4)))
        below = (side is OrderSide.BUY) == (kind is OrderType.LIMIT)
        level = (start[symbol] * (1 - away if below else 1 + away)).quantize(CENT)
        limit = stop = None
        if kind is OrderType.LIMIT:
            limit = level
        elif kind is OrderType.STOP:
            stop = level
        else:
            stop = level
            limit = (
                level * (Decimal("1.002") if side is OrderSide.BUY else Decimal("0.998"))
            ).quantize(CENT)
        orders.append(
            WorkingOrder(
                id=uuid.UUID(int=rng.getrandbits(128)),
                account_id=account,
                symbol=symbol,
                side=side,
                type=kind,
                tif=TimeInForce.GTC,
                qty=Decimal(rng.randint(1, 300)),
                created_at=created,
                limit_price=limit,
                stop_price=stop,
            )
        )
    return orders


def _ticks(rng: random.Random, start: dict[str, Decimal]) -> list[MarketTick]:
    prices = {s: float(p) for s, p in start.items()}
    ticks = []
    ts = 1_736_175_600_000_000_000
    for i in range(TICKS):
        symbol = SYMBOLS[i % len(SYMBOLS)]
        prices[symbol] *= 1 + rng.choice((-0.0001, 0.0001))
        price = Decimal(f"{prices[symbol]:.2f}")
        ts += 1_000_000
        ticks.append(
            MarketTick.model_construct(
                symbol=symbol,
                price=price,
                size=Decimal(rng.randint(1, 500)),
                bid=price - CENT,
                ask=price + CENT,
                ts_event=ts,
                ts_init=ts,
                source="bench",
            )
        )
    return ticks


def run() -> dict[str, object]:
    rng = random.Random(7)
    start = {s: UNIVERSE_BY_SYMBOL[s].base_price for s in SYMBOLS}
    engine = MatchingEngine(fill_model=FillModel(participation_rate=Decimal("0.5")))
    for order in _orders(rng, start):
        engine.add(order)
    working_start = len(engine)
    ticks = _ticks(rng, start)
    on_tick = engine.on_tick
    fills = 0
    t0 = time.perf_counter()
    for tick in ticks:
        fills += len(on_tick(tick))
    elapsed = time.perf_counter() - t0
    # Order churn on the loaded book: add and cancel (the API's hot path besides ticks).
    churn = _orders(random.Random(11), start)
    t1 = time.perf_counter()
    for order in churn:
        engine.add(order)
    for order in churn:
        engine.cancel(order.id)
    churn_elapsed = time.perf_counter() - t1
    return {
        "ticks_per_s": round(TICKS / elapsed),
        "ticks": TICKS,
        "working_orders": working_start,
        "working_orders_end": len(engine),
        "fills": fills,
        "elapsed_s": round(elapsed, 3),
        "add_cancel_pairs_per_s": round(len(churn) / churn_elapsed),
        "target_ticks_per_s": TARGET_TICKS_PER_S,
        "meets_target": TICKS / elapsed >= TARGET_TICKS_PER_S,
    }
