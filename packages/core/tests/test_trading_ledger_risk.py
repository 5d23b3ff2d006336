from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paperdesk_core.trading import (
    DEFAULT_INSTRUMENTS,
    AccountSnapshot,
    Fill,
    FillModel,
    Instrument,
    Ledger,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectCode,
    RiskLimits,
    RiskState,
    TimeInForce,
    WorkingOrder,
    buying_power,
    check_order,
    estimate_price,
    evaluate_risk_state,
    reserved_buying_power,
)

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
ACCOUNT = uuid.UUID(int=7)
T0 = datetime(2025, 1, 6, 15, tzinfo=UTC)
_n = iter(range(1, 10**9))


def fill(side: OrderSide, qty: str, px: str, fee: str = "0", symbol: str = "AAPL") -> Fill:
    return Fill(
        fill_id=uuid.UUID(int=next(_n)),
        order_id=uuid.UUID(int=1),
        account_id=ACCOUNT,
        symbol=symbol,
        side=side,
        last_qty=D(qty),
        last_px=D(px),
        commission=D(fee),
        ts_event=0,
        ts=T0,
    )


# -- ledger ------------------------------------------------------------------------------


def test_long_average_cost_and_partial_close() -> None:
    led = Ledger(D(100000))
    led.apply(fill(BUY, "10", "100"))
    led.apply(fill(BUY, "10", "110"))
    pos = led.position("AAPL")
    assert (pos.qty, pos.avg_entry_price) == (D(20), D(105))
    led.apply(fill(SELL, "5", "120"))
    assert (pos.qty, pos.avg_entry_price, pos.realized_pnl) == (D(15), D(105), D(75))
    assert led.cash == D(100000) - 1000 - 1100 + 600
    assert pos.market_value(D(100)) == D(1500)
    assert pos.unrealized_pnl(D(100)) == D(-75)
    assert pos.cost_basis == D(1575)
    assert pos.side == "long"


def test_short_position_has_negative_market_value() -> None:
    led = Ledger(D(100000))
    led.apply(fill(SELL, "10", "100"))
    pos = led.position("AAPL")
    assert (pos.qty, pos.avg_entry_price, pos.side) == (D(-10), D(100), "short")
    assert led.cash == D(101000)
    led.apply(fill(SELL, "10", "110"))
    assert pos.avg_entry_price == D(105)
    led.apply(fill(BUY, "4", "90"))  # cover part: (105 - 90) * 4
    assert pos.realized_pnl == D(60)
    assert pos.qty == D(-16)
    prices = {"AAPL": D(95)}
    assert pos.market_value(D(95)) == D(-1520)
    assert pos.unrealized_pnl(D(95)) == D(160)
    assert led.equity(prices) == led.cash + D(-1520)
    assert led.gross_exposure(prices) == D(1520)


def test_flip_long_to_short_and_back() -> None:
    led = Ledger(D(10000))
    led.apply(fill(BUY, "10", "100"))
    led.apply(fill(SELL, "15", "110"))
    pos = led.position("AAPL")
    assert (pos.qty, pos.avg_entry_price, pos.realized_pnl) == (D(-5), D(110), D(100))
    led.apply(fill(BUY, "8", "100"))  # cover 5 at +10 each, open 3 long at 100
    assert (pos.qty, pos.avg_entry_price, pos.realized_pnl) == (D(3), D(100), D(150))
    led.apply(fill(SELL, "3", "90"))
    assert pos.is_flat
    assert pos.avg_entry_price == 0
    assert pos.realized_pnl == D(120)
    assert led.open_positions() == []
    assert led.equity() == led.cash == D(10000) + D(120)


def test_cash_formula_fees_and_net_realized() -> None:
    fills = [
        fill(BUY, "10", "100", "1.00"),
        fill(SELL, "4", "105", "1.00"),
        fill(BUY, "2", "50", "0.50", symbol="MSFT"),
    ]
    led = Ledger.replay(fills, D(5000))
    expected = D(5000)
    for f in fills:
        expected += -(f.notional + f.commission) if f.side is BUY else f.notional - f.commission
    assert led.cash == expected
    assert led.commission_paid == D("2.50")
    assert led.realized_pnl == D(20) - D("2.50")
    prices = {"AAPL": D(110), "MSFT": D(40)}
    assert led.equity(prices) - led.starting_cash == led.realized_pnl + led.unrealized_pnl(prices)


def test_duplicate_fill_is_ignored_and_replay_rebuilds() -> None:
    f1, f2 = fill(BUY, "3", "10"), fill(SELL, "1", "12")
    led = Ledger()
    assert led.apply(f1)
    assert led.apply(f2)
    assert not led.apply(f1)
    again = Ledger.replay([f1, f2, f2])
    assert (again.cash, again.positions, again.fill_count) == (led.cash, led.positions, 2)


def test_unpriced_position_marks_at_last_fill() -> None:
    led = Ledger()
    led.apply(fill(BUY, "2", "10"))
    led.apply(fill(BUY, "2", "12"))
    assert led.market_value() == D(48)
    assert led.market_value({"AAPL": D(11)}) == D(44)


def test_bad_fill_is_refused() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        Ledger().apply(fill(BUY, "0", "10"))


# -- risk --------------------------------------------------------------------------------

AAPL = DEFAULT_INSTRUMENTS["AAPL"]
FM = FillModel(slippage_bps=D(5))
LIMITS = RiskLimits()


def req(
    side: OrderSide = BUY,
    qty: str = "10",
    type_: OrderType = OrderType.MARKET,
    *,
    limit: str | None = None,
    stop: str | None = None,
    symbol: str = "AAPL",
) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        type=type_,
        qty=D(qty),
        time_in_force=TimeInForce.DAY,
        limit_price=D(limit) if limit else None,
        stop_price=D(stop) if stop else None,
    )


def working(
    side: OrderSide, qty: str, type_: OrderType = OrderType.LIMIT, limit: str | None = "100"
) -> WorkingOrder:
    return WorkingOrder(
        id=uuid.uuid4(),
        account_id=ACCOUNT,
        symbol="AAPL",
        side=side,
        type=type_,
        tif=TimeInForce.GTC,
        qty=D(qty),
        created_at=T0,
        limit_price=D(limit) if limit else None,
    )


def cash_account(cash: str = "100000", **kw: object) -> AccountSnapshot:
    return AccountSnapshot(cash=D(cash), **kw)  # type: ignore[arg-type]


def test_market_buy_is_approved_with_its_reservation() -> None:
    decision = check_order(
        req(), instrument=AAPL, account=cash_account(), last_price=D(100), fill_model=FM
    )
    assert decision.approved
    assert decision.code is None
    # 10 * 100 * (1 + 0.0005 + 0.02)
    assert decision.reserved == D("1020.500")
    assert estimate_price(
        BUY, OrderType.MARKET, last_price=D(100), fill_model=FM, limits=LIMITS
    ) == D("102.0500")


def test_insufficient_buying_power() -> None:
    decision = check_order(
        req(qty="100"),
        instrument=AAPL,
        account=cash_account("10000"),
        last_price=D(100),
        fill_model=FM,
        limits=RiskLimits(max_position_pct=D(10)),
    )
    assert not decision.approved
    assert decision.code is RejectCode.INSUFFICIENT_BUYING_POWER
    assert "10205.00" in decision.reason
    assert "10000.00" in decision.reason


def test_open_buy_orders_hold_buying_power() -> None:
    open_buy = working(BUY, "900", limit="100")
    account = cash_account("100000", open_orders=[open_buy])
    assert reserved_buying_power(account, FM, LIMITS) == D(90000)
    assert buying_power(account, FM, LIMITS) == D(10000)
    decision = check_order(
        req(qty="99", type_=OrderType.LIMIT, limit="100"),
        instrument=AAPL,
        account=account,
        last_price=D(100),
        fill_model=FM,
    )
    assert decision.approved
    decision = check_order(
        req(qty="101", type_=OrderType.LIMIT, limit="100"),
        instrument=AAPL,
        account=account,
        last_price=D(100),
        fill_model=FM,
    )
    assert decision.code is RejectCode.INSUFFICIENT_BUYING_POWER
    open_buy.cancel()
    assert reserved_buying_power(account, FM, LIMITS) == 0


def test_commission_is_part_of_the_reservation() -> None:
    fm = FillModel(slippage_bps=D(0), commission_per_share=D("0.01"), commission_min=D(1))
    order = req(qty="10", type_=OrderType.LIMIT, limit="100")
    short = check_order(
        order, instrument=AAPL, account=cash_account("1000.50"), last_price=D(100), fill_model=fm
    )
    assert short.code is RejectCode.INSUFFICIENT_BUYING_POWER
    ok = check_order(
        order, instrument=AAPL, account=cash_account("1001"), last_price=D(100), fill_model=fm
    )
    assert ok.approved
    assert ok.reserved == D("1001.00")


def test_max_order_notional_and_position_pct() -> None:
    limits = RiskLimits(max_order_notional=D(5000), max_position_pct=D("0.25"))
    big = check_order(
        req(qty="60", type_=OrderType.LIMIT, limit="100"),
        instrument=AAPL,
        account=cash_account(),
        last_price=D(100),
        limits=limits,
        fill_model=FM,
    )
    assert big.code is RejectCode.MAX_ORDER_NOTIONAL
    account = cash_account("10000", positions={"AAPL": D(20)}, prices={"AAPL": D(100)})
    conc = check_order(
        req(qty="11", type_=OrderType.LIMIT, limit="100"),
        instrument=AAPL,
        account=account,
        last_price=D(100),
        limits=limits,
        fill_model=FM,
    )
    assert conc.code is RejectCode.MAX_POSITION
    assert "25.83%" in conc.reason
    assert "maximum 25%" in conc.reason
    ok = check_order(
        req(qty="4", type_=OrderType.LIMIT, limit="100"),
        instrument=AAPL,
        account=account,
        last_price=D(100),
        limits=limits,
        fill_model=FM,
    )
    assert ok.approved


@pytest.mark.parametrize(
    ("limit", "ok"), [("110", True), ("110.01", False), ("90", True), ("89.99", False)]
)
def test_price_collar(limit: str, ok: bool) -> None:
    decision = check_order(
        req(qty="1", type_=OrderType.LIMIT, limit=limit),
        instrument=AAPL,
        account=cash_account(),
        last_price=D(100),
        fill_model=FM,
    )
    assert decision.approved is ok
    if not ok:
        assert decision.code is RejectCode.PRICE_COLLAR


def test_unknown_untradable_and_no_price() -> None:
    account = cash_account()
    assert (
        check_order(req(symbol="NOPE"), instrument=None, account=account, last_price=D(1)).code
        is RejectCode.UNKNOWN_SYMBOL
    )
    halted_symbol = Instrument("AAPL", tradable=False)
    assert (
        check_order(req(), instrument=halted_symbol, account=account, last_price=D(1)).code
        is RejectCode.UNTRADABLE_SYMBOL
    )
    assert (
        check_order(req(), instrument=AAPL, account=account, last_price=None).code
        is RejectCode.NO_MARKET_PRICE
    )
    assert check_order(
        req(type_=OrderType.LIMIT, limit="100"), instrument=AAPL, account=account, last_price=None
    ).approved


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (RiskState.HALTED, RejectCode.TRADING_HALTED),
        (RiskState.DEFENSIVE, RejectCode.DEFENSIVE_MODE),
    ],
)
def test_halted_and_defensive_accept_only_reducing_orders(
    state: RiskState, code: RejectCode
) -> None:
    account = cash_account(positions={"AAPL": D(10)}, prices={"AAPL": D(100)}, state=state)
    assert (
        check_order(req(BUY, "1"), instrument=AAPL, account=account, last_price=D(100)).code is code
    )
    assert check_order(
        req(SELL, "10"), instrument=AAPL, account=account, last_price=D(100)
    ).approved
    assert (
        check_order(req(SELL, "11"), instrument=AAPL, account=account, last_price=D(100)).code
        is code
    )


def test_short_selling_margin_and_flag() -> None:
    account = cash_account("10000")
    short = check_order(
        req(SELL, "50"), instrument=AAPL, account=account, last_price=D(100), fill_model=FM
    )
    assert short.approved
    assert short.reserved == D("5102.500")
    too_big = check_order(
        req(SELL, "99"), instrument=AAPL, account=account, last_price=D(100), fill_model=FM
    )
    assert too_big.code is RejectCode.INSUFFICIENT_BUYING_POWER
    no_short = RiskLimits(allow_short=False)
    assert (
        check_order(
            req(SELL, "1"), instrument=AAPL, account=account, last_price=D(100), limits=no_short
        ).code
        is RejectCode.SHORT_SELLING_DISABLED
    )
    long10 = cash_account("9000", positions={"AAPL": D(10)}, prices={"AAPL": D(100)})
    assert check_order(
        req(SELL, "10"), instrument=AAPL, account=long10, last_price=D(100), limits=no_short
    ).approved
    pending = cash_account(
        "9000",
        positions={"AAPL": D(10)},
        prices={"AAPL": D(100)},
        open_orders=[working(SELL, "10", limit="101")],
    )
    assert (
        check_order(
            req(SELL, "10"), instrument=AAPL, account=pending, last_price=D(100), limits=no_short
        ).code
        is RejectCode.SHORT_SELLING_DISABLED
    )


def test_buying_power_with_shorts_is_collateralised() -> None:
    led = Ledger(D(100000))
    led.apply(fill(SELL, "100", "100"))
    account = AccountSnapshot.from_ledger(led, {"AAPL": D(100)})
    assert account.cash == D(110000)
    assert account.equity() == D(100000)
    assert buying_power(account) == D(90000)
    led.apply(fill(BUY, "300", "100"))  # cover 100, long 200
    account = AccountSnapshot.from_ledger(led)
    assert buying_power(account) == D(80000) == account.cash


def test_closing_orders_reserve_nothing() -> None:
    account = cash_account(
        "0",
        positions={"AAPL": D(10)},
        prices={"AAPL": D(100)},
        open_orders=[working(SELL, "10", limit="100"), working(SELL, "5", limit="100")],
    )
    # the first sell closes the long; the second would open a 5-share short
    assert reserved_buying_power(account, FillModel(slippage_bps=D(0)), LIMITS) == D(500)


def test_snapshot_needs_prices_for_positions() -> None:
    with pytest.raises(ValueError, match="no mark price"):
        AccountSnapshot(cash=D(1), positions={"AAPL": D(1)})


@pytest.mark.parametrize(
    ("equity", "day_start", "peak", "state"),
    [
        ("100000", "100000", "100000", RiskState.NORMAL),
        ("96000", "100000", "100000", RiskState.DEFENSIVE),  # 4% day loss >= 80% of 5%
        ("95000", "100000", "100000", RiskState.HALTED),
        ("84000", "84000", "100000", RiskState.DEFENSIVE),  # 16% drawdown
        ("80000", "80000", "100000", RiskState.HALTED),
    ],
)
def test_risk_state(equity: str, day_start: str, peak: str, state: RiskState) -> None:
    status = evaluate_risk_state(D(equity), day_start_equity=D(day_start), peak_equity=D(peak))
    assert status.state is state
    assert (status.reason == "") is (state is RiskState.NORMAL)


def test_order_status_enum_is_reexported() -> None:
    assert OrderStatus.REJECTED.value == "rejected"
