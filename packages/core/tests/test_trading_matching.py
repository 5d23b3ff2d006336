from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paperdesk_core.contracts import MarketTick
from paperdesk_core.trading import (
    CommissionModel,
    FillModel,
    MatchingEngine,
    OrderNotFound,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    UnknownSymbol,
    WorkingOrder,
    fill_id_for,
)

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
ACCOUNT = uuid.UUID(int=42)
MONDAY_10_NY = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
NO_SLIP = FillModel(slippage_bps=D(0))
_ids = iter(range(1, 10**9))


def order(
    side: OrderSide,
    type_: OrderType = OrderType.MARKET,
    qty: str = "10",
    *,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    symbol: str = "AAPL",
    created: datetime = MONDAY_10_NY,
) -> WorkingOrder:
    return WorkingOrder(
        id=uuid.UUID(int=next(_ids)),
        account_id=ACCOUNT,
        symbol=symbol,
        side=side,
        type=type_,
        tif=tif,
        qty=D(qty),
        created_at=created,
        limit_price=D(limit) if limit is not None else None,
        stop_price=D(stop) if stop is not None else None,
    )


_ts = iter(range(1_736_175_600_000_000_000, 1_836_175_600_000_000_000, 1_000_000))


def tick(
    price: str,
    size: str = "1000",
    *,
    bid: str | None = None,
    ask: str | None = None,
    symbol: str = "AAPL",
) -> MarketTick:
    ts = next(_ts)
    return MarketTick(
        symbol=symbol,
        price=D(price),
        size=D(size),
        bid=D(bid) if bid is not None else None,
        ask=D(ask) if ask is not None else None,
        ts_event=ts,
        ts_init=ts,
        source="test",
    )


def engine(fill_model: FillModel = NO_SLIP) -> MatchingEngine:
    return MatchingEngine(fill_model=fill_model)


# -- market orders -----------------------------------------------------------------------


def test_market_order_fills_at_next_tick_at_ask_or_bid_with_slippage() -> None:
    eng = engine(FillModel(slippage_bps=D(5)))
    buy, sell = order(BUY), order(SELL)
    eng.add(buy)
    eng.add(sell)
    fills = eng.on_tick(tick("99.99", bid="99.98", ask="100.00"))
    by_side = {f.side: f for f in fills}
    assert by_side[BUY].last_px == D("100.05")  # 100.00 * 1.0005, on the tick
    assert by_side[SELL].last_px == D("99.93")  # 99.98 * 0.9995 = 99.93001, rounded down
    assert all(f.last_qty == D(10) and f.order_status is OrderStatus.FILLED for f in fills)
    assert buy.status is OrderStatus.FILLED
    assert buy.avg_fill_price == D("100.05")
    assert len(eng) == 0


def test_market_order_without_quote_uses_trade_price_and_rounds_against_trader() -> None:
    eng = engine(FillModel(slippage_bps=D(10)))
    buy = order(BUY)
    eng.add(buy)
    (fill,) = eng.on_tick(tick("228.50"))
    assert fill.last_px == D("228.73")  # 228.7285 rounded up
    assert fill.ts == datetime.fromtimestamp(fill.ts_event // 10**9, UTC).replace(
        microsecond=(fill.ts_event // 1000) % 10**6
    )


def test_market_order_partial_fills_over_several_ticks() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.5")))
    buy = order(BUY, qty="100")
    eng.add(buy)
    sizes = ["60", "61", "60", "100"]
    fills = [f for s in sizes for f in eng.on_tick(tick("50", size=s))]
    assert [f.last_qty for f in fills] == [D(30), D(30), D(30), D(10)]
    assert [f.cum_qty for f in fills] == [D(30), D(60), D(90), D(100)]
    assert [f.leaves_qty for f in fills] == [D(70), D(40), D(10), D(0)]
    assert [f.order_status for f in fills] == [OrderStatus.PARTIALLY_FILLED] * 3 + [
        OrderStatus.FILLED
    ]
    assert len({f.fill_id for f in fills}) == 4
    assert fills[1].fill_id == fill_id_for(buy.id, D(30))
    assert buy.status is OrderStatus.FILLED
    assert eng.on_tick(tick("50")) == []


def test_lot_size_bounds_partial_fill() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.5")))
    buy = order(BUY, qty="5")
    eng.add(buy)
    assert eng.on_tick(tick("50", size="1")) == []  # 0.5 share is below the lot
    (fill,) = eng.on_tick(tick("50", size="3"))
    assert fill.last_qty == D(1)


def test_crypto_fills_fractionally() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.1")))
    buy = order(BUY, qty="0.5", symbol="BTCUSD")
    eng.add(buy)
    (fill,) = eng.on_tick(tick("67000", size="0.1234567", symbol="BTCUSD"))
    assert fill.last_qty == D("0.012345")


def test_zero_size_tick_is_unlimited_by_default_or_configured_minimum() -> None:
    eng = engine()
    eng.add(order(BUY, qty="1000000"))
    (fill,) = eng.on_tick(tick("10", size="0"))
    assert fill.last_qty == D(1000000)
    capped = engine(FillModel(slippage_bps=D(0), zero_size_liquidity=D(5)))
    buy = order(BUY, qty="12")
    capped.add(buy)
    assert [f.last_qty for t in range(3) for f in capped.on_tick(tick("10", size="0"))] == [
        D(5),
        D(5),
        D(2),
    ]


def test_fill_at_quote_when_feed_is_idle() -> None:
    eng = engine(FillModel(slippage_bps=D(5)))
    buy = order(BUY)
    lim = order(BUY, OrderType.LIMIT, limit="100")
    eng.add(buy)
    eng.add(lim)
    (fill,) = eng.fill_at_quote(buy.id, tick("100", size="0", bid="99.99", ask="100.01"))
    assert fill.last_px == D("100.07")  # 100.01 * 1.0005 = 100.060005 -> up
    assert lim.status is OrderStatus.NEW  # other orders untouched
    with pytest.raises(ValueError, match="not a market order"):
        eng.fill_at_quote(lim.id, tick("99"))
    with pytest.raises(OrderNotFound):
        eng.fill_at_quote(buy.id, tick("100"))
    with pytest.raises(ValueError, match="quote for"):
        eng.fill_at_quote(lim.id, tick("99", symbol="MSFT"))


# -- limit orders ------------------------------------------------------------------------


def test_buy_limit_fills_at_limit_or_better() -> None:
    eng = engine()
    buy = order(BUY, OrderType.LIMIT, limit="100.00")
    eng.add(buy)
    assert eng.on_tick(tick("100.00", bid="99.99", ask="100.01")) == []  # ask above limit
    (fill,) = eng.on_tick(tick("99.90", bid="99.89", ask="99.91"))
    assert fill.last_px == D("99.91")  # better than the limit
    assert buy.status is OrderStatus.FILLED


def test_limit_fills_exactly_at_limit_and_sell_uses_bid() -> None:
    eng = engine()
    buy = order(BUY, OrderType.LIMIT, limit="100.00")
    sell = order(SELL, OrderType.LIMIT, limit="101.00")
    eng.add(buy)
    eng.add(sell)
    (fill,) = eng.on_tick(tick("100.00"))
    assert (fill.side, fill.last_px) == (BUY, D("100.00"))
    assert eng.on_tick(tick("101.00", bid="100.99", ask="101.01")) == []
    (fill,) = eng.on_tick(tick("101.02", bid="101.02", ask="101.04"))
    assert (fill.side, fill.last_px) == (SELL, D("101.02"))


def test_limits_fill_in_price_then_time_priority_sharing_liquidity() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.5")))
    first_100 = order(BUY, OrderType.LIMIT, "40", limit="100")
    at_101 = order(BUY, OrderType.LIMIT, "40", limit="101")
    second_100 = order(BUY, OrderType.LIMIT, "40", limit="100")
    for o in (first_100, at_101, second_100):
        eng.add(o)
    fills = eng.on_tick(tick("99.50", size="120"))  # 60 available to buyers
    assert [(f.order_id, f.last_qty) for f in fills] == [(at_101.id, D(40)), (first_100.id, D(20))]
    assert first_100.status is OrderStatus.PARTIALLY_FILLED
    fills = eng.on_tick(tick("99.50", size="120"))
    assert [(f.order_id, f.last_qty) for f in fills] == [
        (first_100.id, D(20)),
        (second_100.id, D(40)),
    ]


def test_market_orders_take_liquidity_before_limits() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("1")))
    lim = order(BUY, OrderType.LIMIT, "10", limit="101")
    mkt = order(BUY, qty="10")
    eng.add(lim)
    eng.add(mkt)
    fills = eng.on_tick(tick("100", size="15"))
    assert [(f.order_id, f.last_qty) for f in fills] == [(mkt.id, D(10)), (lim.id, D(5))]


# -- stops -------------------------------------------------------------------------------


def test_buy_stop_triggers_on_trade_price_then_fills_as_market() -> None:
    eng = engine(FillModel(slippage_bps=D(10)))
    stop = order(BUY, OrderType.STOP, stop="105.00")
    eng.add(stop)
    assert eng.on_tick(tick("104.99", bid="104.98", ask="105.01")) == []  # ask above, trade not
    assert not stop.triggered
    (fill,) = eng.on_tick(tick("105.00", bid="104.99", ask="105.02"))
    assert stop.triggered
    assert fill.last_px == D("105.13")  # 105.02 * 1.001 = 105.12502 -> up


def test_sell_stop_gap_fills_at_worse_market() -> None:
    eng = engine()
    stop = order(SELL, OrderType.STOP, stop="95.00")
    eng.add(stop)
    assert eng.on_tick(tick("95.01")) == []
    (fill,) = eng.on_tick(tick("90.00", bid="89.99", ask="90.01"))
    assert fill.last_px == D("89.99")


def test_stop_limit_triggers_then_waits_as_limit() -> None:
    eng = engine()
    sl = order(BUY, OrderType.STOP_LIMIT, stop="105.00", limit="105.20")
    eng.add(sl)
    assert eng.on_tick(tick("105.50", bid="105.49", ask="105.60")) == []  # triggered, too high
    assert sl.triggered
    assert sl.status is OrderStatus.NEW
    assert sl in eng.drain_updates()
    (fill,) = eng.on_tick(tick("104.00"))  # now a limit at 105.20: fills at 104, better
    assert fill.last_px == D("104.00")


def test_stop_limit_fill_after_trigger() -> None:
    eng = engine()
    sl = order(SELL, OrderType.STOP_LIMIT, stop="95.00", limit="94.80")
    eng.add(sl)
    assert eng.on_tick(tick("94.50", bid="94.49", ask="94.51")) == []  # triggered, bid < limit
    assert sl.triggered
    (fill,) = eng.on_tick(tick("94.90", bid="94.85", ask="94.95"))
    assert fill.last_px == D("94.85")
    assert sl.status is OrderStatus.FILLED


def test_stop_limit_fills_on_trigger_tick_when_limit_allows() -> None:
    eng = engine()
    sl = order(BUY, OrderType.STOP_LIMIT, stop="105.00", limit="105.20")
    eng.add(sl)
    (fill,) = eng.on_tick(tick("105.05", bid="105.04", ask="105.06"))
    assert fill.last_px == D("105.06")


def test_triggered_stop_reloaded_after_restart_works_as_market() -> None:
    eng = engine()
    stop = order(BUY, OrderType.STOP, stop="105")
    stop.triggered = True
    eng.add(stop)
    (fill,) = eng.on_tick(tick("100"))
    assert fill.last_px == D("100")


# -- ioc / fok ---------------------------------------------------------------------------


def test_ioc_fills_what_it_can_then_cancels() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("1")))
    ioc = order(BUY, OrderType.LIMIT, "100", limit="100", tif=TimeInForce.IOC)
    eng.add(ioc)
    (fill,) = eng.on_tick(tick("99.90", size="30"))
    assert fill.last_qty == D(30)
    assert fill.order_status is OrderStatus.PARTIALLY_FILLED
    assert ioc.status is OrderStatus.CANCELED
    assert ioc.filled_qty == D(30)
    assert eng.get(ioc.id) is None
    assert ioc in eng.drain_updates()
    assert eng.on_tick(tick("99.90", size="30")) == []


def test_ioc_not_crossing_is_canceled_without_fill() -> None:
    eng = engine()
    ioc = order(SELL, OrderType.LIMIT, "10", limit="101", tif=TimeInForce.IOC)
    eng.add(ioc)
    assert eng.on_tick(tick("100")) == []
    assert ioc.status is OrderStatus.CANCELED
    assert ioc.filled_qty == 0


def test_ioc_market_fills_partially() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.5")))
    ioc = order(SELL, qty="100", tif=TimeInForce.IOC)
    eng.add(ioc)
    (fill,) = eng.on_tick(tick("100", size="100"))
    assert fill.last_qty == D(50)
    assert ioc.status is OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("size", "price", "filled"),
    [("50", "99", False), ("100", "99", True), ("500", "101", False), ("500", "100", True)],
)
def test_fok_all_or_nothing(size: str, price: str, filled: bool) -> None:
    eng = engine()
    fok = order(BUY, OrderType.LIMIT, "100", limit="100", tif=TimeInForce.FOK)
    eng.add(fok)
    fills = eng.on_tick(tick(price, size=size))
    if filled:
        assert [f.last_qty for f in fills] == [D(100)]
        assert fok.status is OrderStatus.FILLED
    else:
        assert fills == []
        assert fok.status is OrderStatus.CANCELED
        assert fok.filled_qty == 0
    assert len(eng) == 0


def test_ioc_on_stop_is_refused() -> None:
    eng = engine()
    with pytest.raises(ValueError, match="not supported"):
        eng.add(order(BUY, OrderType.STOP, stop="1", tif=TimeInForce.IOC))


# -- cancel / replace / lifecycle --------------------------------------------------------


def test_canceled_order_never_fills() -> None:
    eng = engine()
    lim = order(BUY, OrderType.LIMIT, limit="100")
    stop = order(SELL, OrderType.STOP, stop="90")
    mkt = order(BUY)
    for o in (lim, stop, mkt):
        eng.add(o)
    for o in (lim, stop, mkt):
        assert eng.cancel(o.id) is o
        assert o.status is OrderStatus.CANCELED
    assert eng.on_tick(tick("80")) == []
    assert eng.on_tick(tick("120")) == []
    with pytest.raises(OrderNotFound):
        eng.cancel(lim.id)
    with pytest.raises(OrderNotFound):
        eng.cancel(uuid.uuid4())


def test_cancel_after_fill_is_not_found() -> None:
    eng = engine()
    mkt = order(BUY)
    eng.add(mkt)
    eng.on_tick(tick("10"))
    with pytest.raises(OrderNotFound):
        eng.cancel(mkt.id)


def test_replace_moves_price_and_keeps_fills() -> None:
    eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("1")))
    lim = order(BUY, OrderType.LIMIT, "10", limit="100")
    eng.add(lim)
    eng.on_tick(tick("100", size="4"))
    assert lim.filled_qty == D(4)
    with pytest.raises(ValueError, match="exceed the filled"):
        eng.replace(lim.id, qty=D(4))
    with pytest.raises(ValueError, match="no new stop_price"):
        eng.replace(lim.id, stop_price=D(1))
    eng.replace(lim.id, qty=D(20), limit_price=D("95"))
    assert eng.on_tick(tick("99")) == []
    (fill,) = eng.on_tick(tick("95"))
    assert fill.last_qty == D(16)
    assert fill.cum_qty == D(20)
    assert lim.status is OrderStatus.FILLED


def test_add_refuses_duplicates_closed_orders_and_unknown_symbols() -> None:
    eng = engine()
    o = order(BUY)
    eng.add(o)
    with pytest.raises(ValueError, match="already working"):
        eng.add(o)
    closed = order(BUY)
    closed.cancel()
    with pytest.raises(ValueError, match="not working"):
        eng.add(closed)
    with pytest.raises(UnknownSymbol):
        eng.add(order(BUY, symbol="NOPE"))
    with pytest.raises(ValueError, match="no limit_price"):
        eng.add(order(BUY, OrderType.LIMIT))
    assert eng.on_tick(tick("1", symbol="NOPE")) == []


def test_stale_entries_are_compacted() -> None:
    eng = engine()
    keep = order(BUY, OrderType.LIMIT, limit="50")
    eng.add(keep)
    for _ in range(3000):
        o = order(BUY, OrderType.LIMIT, limit="60")
        eng.add(o)
        eng.cancel(o.id)
    book = eng.book("AAPL")
    assert len(book._buy_limits) < 3000  # compacted
    (fill,) = eng.on_tick(tick("49"))
    assert fill.order_id == keep.id


def test_replayed_ticks_give_the_same_fill_ids() -> None:
    def run() -> list[uuid.UUID]:
        eng = engine(FillModel(slippage_bps=D(0), participation_rate=D("0.5")))
        for i, o in enumerate(
            [order(BUY, qty="30"), order(SELL, OrderType.LIMIT, "30", limit="101")]
        ):
            o.id = uuid.UUID(int=i + 1)
            eng.add(o)
        ticks = [tick("100", size="20"), tick("101", size="20"), tick("102", size="40")]
        return [f.fill_id for t in ticks for f in eng.on_tick(t)]

    first, second = run(), run()
    assert first == second
    assert len(set(first)) == len(first) == 5


# -- expiry ------------------------------------------------------------------------------


def test_day_orders_expire_at_the_session_close_gtc_stays() -> None:
    eng = engine()
    day = order(BUY, OrderType.LIMIT, limit="1", tif=TimeInForce.DAY)
    gtc = order(BUY, OrderType.LIMIT, limit="1", tif=TimeInForce.GTC)
    eng.add(day)
    eng.add(gtc)
    assert eng.expire(datetime(2025, 1, 6, 20, 59, 59, tzinfo=UTC)) == []
    assert eng.expire(datetime(2025, 1, 6, 21, 0, tzinfo=UTC)) == [day]
    assert day.status is OrderStatus.EXPIRED
    assert eng.get(day.id) is None
    assert eng.get(gtc.id) is gtc
    assert eng.expire(datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_day_expiry_follows_each_calendar_and_dst() -> None:
    eng = engine()
    summer = datetime(2025, 7, 1, 14, 0, tzinfo=UTC)
    eq = order(BUY, OrderType.LIMIT, limit="1", tif=TimeInForce.DAY, created=summer)
    btc = order(
        BUY, OrderType.LIMIT, limit="1", tif=TimeInForce.DAY, symbol="BTCUSD", created=summer
    )
    fx = order(
        BUY,
        OrderType.LIMIT,
        "1000",
        limit="1",
        tif=TimeInForce.DAY,
        symbol="EURUSD",
        created=summer,
    )
    for o in (eq, btc, fx):
        eng.add(o)
    assert eng.expire(datetime(2025, 7, 1, 19, 59, tzinfo=UTC)) == []
    assert eng.expire(datetime(2025, 7, 1, 20, 0, tzinfo=UTC)) == [eq]  # 16:00 EDT
    assert eng.expire(datetime(2025, 7, 1, 21, 0, tzinfo=UTC)) == [fx]  # 17:00 EDT
    assert eng.expire(datetime(2025, 7, 2, 0, 0, tzinfo=UTC)) == [btc]  # UTC midnight


def test_filled_or_canceled_day_order_is_not_expired() -> None:
    eng = engine()
    day = order(BUY, tif=TimeInForce.DAY)
    other = order(BUY, OrderType.LIMIT, limit="1", tif=TimeInForce.DAY)
    eng.add(day)
    eng.add(other)
    eng.on_tick(tick("10"))
    eng.cancel(other.id)
    assert eng.expire(datetime(2025, 1, 7, tzinfo=UTC)) == []
    assert day.status is OrderStatus.FILLED
    assert other.status is OrderStatus.CANCELED


# -- commission --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "price", "expected"),
    [("100", "50", "1.00"), ("1000", "50", "5.00"), ("333", "50", "1.66"), ("1", "50", "1.00")],
)
def test_per_share_commission_has_a_minimum(qty: str, price: str, expected: str) -> None:
    fm = FillModel(commission_per_share=D("0.005"), commission_min=D("1.00"))
    assert fm.commission(D(qty), D(price)) == D(expected)


def test_bps_commission() -> None:
    fm = FillModel(commission_model=CommissionModel.BPS, commission_bps=D(10))
    assert fm.commission(D(100), D(100)) == D("10.00")
    assert fm.commission(D("0.01234"), D(67000)) == D("0.83")


def test_commission_lands_on_fills() -> None:
    eng = engine(FillModel(slippage_bps=D(0), commission_per_share=D("0.005"), commission_min=D(1)))
    eng.add(order(BUY, qty="1000"))
    (fill,) = eng.on_tick(tick("10"))
    assert fill.commission == D("5.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"slippage_bps": D(-1)},
        {"participation_rate": D(0)},
        {"participation_rate": D("1.5")},
        {"zero_size_liquidity": D(-1)},
        {"commission_min": D(-1)},
    ],
)
def test_fill_model_rejects_bad_settings(kwargs: dict[str, Decimal]) -> None:
    with pytest.raises(ValueError, match="must be"):
        FillModel(**kwargs)  # type: ignore[arg-type]


def test_fill_model_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from paperdesk_core.config import get_settings
    from paperdesk_core.trading import CommissionModel, fill_model_from_settings

    monkeypatch.setenv("PAPERDESK_SLIPPAGE_BPS", "12.5")
    monkeypatch.setenv("PAPERDESK_PARTICIPATION_RATE", "0.25")
    monkeypatch.setenv("PAPERDESK_COMMISSION_MODEL", "bps")
    monkeypatch.setenv("PAPERDESK_COMMISSION_BPS", "3")
    get_settings.cache_clear()
    try:
        fm = fill_model_from_settings()
        assert fm.slippage_bps == D("12.5")
        assert fm.participation_rate == D("0.25")
        assert fm.commission_model is CommissionModel.BPS
        assert fm.commission(D(100), D(50)) == D("1.50")  # 5,000 notional * 3 bps
        monkeypatch.setenv("PAPERDESK_PARTICIPATION_RATE", "1.5")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="participation_rate"):
            fill_model_from_settings()
    finally:
        get_settings.cache_clear()
