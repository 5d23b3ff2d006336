from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paperdesk_core.trading import (
    ALLOWED_TRANSITIONS,
    DEFAULT_INSTRUMENTS,
    TERMINAL_STATUSES,
    IllegalTransition,
    Instrument,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    OrderValidationError,
    TimeInForce,
    WorkingOrder,
    can_transition,
    fill_id_for,
    is_session_open,
    session_close_after,
    transition,
    validate_order,
)
from paperdesk_core.trading.calendar import UnknownCalendar

D = Decimal
AAPL = DEFAULT_INSTRUMENTS["AAPL"]
BTC = DEFAULT_INSTRUMENTS["BTCUSD"]
EURUSD = DEFAULT_INSTRUMENTS["EURUSD"]


def test_enum_values_match_the_api() -> None:
    assert [s.value for s in OrderStatus] == [
        "new",
        "partially_filled",
        "filled",
        "canceled",
        "expired",
        "rejected",
    ]
    assert [t.value for t in OrderType] == ["market", "limit", "stop", "stop_limit"]
    assert [t.value for t in TimeInForce] == ["day", "gtc", "ioc", "fok"]
    assert [s.value for s in OrderSide] == ["buy", "sell"]
    assert OrderStatus("partially_filled") is OrderStatus.PARTIALLY_FILLED


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.NEW, OrderStatus.FILLED),
        (OrderStatus.NEW, OrderStatus.CANCELED),
        (OrderStatus.NEW, OrderStatus.EXPIRED),
        (OrderStatus.NEW, OrderStatus.REJECTED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.EXPIRED),
    ],
)
def test_allowed_transitions(current: OrderStatus, target: OrderStatus) -> None:
    assert transition(current, target) is target
    assert can_transition(current, target)


def _all_pairs() -> list[tuple[OrderStatus, OrderStatus]]:
    return [(a, b) for a in OrderStatus for b in OrderStatus]


@pytest.mark.parametrize(("current", "target"), _all_pairs())
def test_everything_else_is_illegal(current: OrderStatus, target: OrderStatus) -> None:
    if target in ALLOWED_TRANSITIONS[current]:
        return
    with pytest.raises(IllegalTransition) as info:
        transition(current, target)
    assert info.value.current is current
    assert info.value.target is target
    assert f"{current.value} -> {target.value}" in str(info.value)


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_terminal_states_are_final(status: OrderStatus) -> None:
    assert ALLOWED_TRANSITIONS[status] == frozenset()
    for target in OrderStatus:
        assert not can_transition(status, target)


def test_new_to_new_and_partial_back_to_new_are_illegal() -> None:
    with pytest.raises(IllegalTransition):
        transition(OrderStatus.NEW, OrderStatus.NEW)
    with pytest.raises(IllegalTransition):
        transition(OrderStatus.PARTIALLY_FILLED, OrderStatus.NEW)
    with pytest.raises(IllegalTransition):
        transition(OrderStatus.PARTIALLY_FILLED, OrderStatus.REJECTED)


def _working(qty: str = "10") -> WorkingOrder:
    return WorkingOrder(
        id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        symbol="AAPL",
        side=OrderSide.BUY,
        type=OrderType.MARKET,
        tif=TimeInForce.DAY,
        qty=D(qty),
        created_at=datetime(2025, 1, 6, 15, tzinfo=UTC),
    )


def test_working_order_fills_through_the_state_machine() -> None:
    order = _working()
    seen = []
    for qty, px in ((D(4), D("100")), (D(6), D("101"))):
        order.apply_fill(qty, px)
        seen.append(order.status)
    assert seen == [OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]
    assert order.filled_qty == D(10)
    assert order.avg_fill_price == D("100.6")
    with pytest.raises(ValueError, match="outside"):
        order.apply_fill(D(1), D("100"))
    with pytest.raises(IllegalTransition):
        order.cancel()


def test_working_order_rejects_overfill_and_fill_after_cancel() -> None:
    order = _working("5")
    with pytest.raises(ValueError, match="outside"):
        order.apply_fill(D(6), D("1"))
    order.cancel()
    assert order.status is OrderStatus.CANCELED
    with pytest.raises(IllegalTransition):
        order.apply_fill(D(1), D("1"))
    with pytest.raises(IllegalTransition):
        order.expire()


def test_fill_id_is_deterministic() -> None:
    oid = uuid.uuid4()
    assert fill_id_for(oid, D("0")) == fill_id_for(oid, D("0.000"))
    assert fill_id_for(oid, D("10")) == fill_id_for(oid, D("1E+1"))
    assert fill_id_for(oid, D("0")) != fill_id_for(oid, D("1"))
    assert fill_id_for(oid, D("0")) != fill_id_for(uuid.uuid4(), D("0"))


# -- validation --------------------------------------------------------------------------


def _req(**kw: object) -> OrderRequest:
    base: dict[str, object] = {
        "symbol": "aapl",
        "side": OrderSide.BUY,
        "type": OrderType.LIMIT,
        "qty": D("10"),
        "limit_price": D("190.00"),
    }
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


def test_validate_normalises_symbol_qty_and_prices() -> None:
    out = validate_order(_req(qty=D("10.7"), limit_price=D("190.019")), AAPL)
    assert out.symbol == "AAPL"
    assert out.qty == D("10")
    assert out.limit_price == D("190.01")  # buy limit rounds down
    sell = validate_order(_req(side=OrderSide.SELL, limit_price=D("190.011")), AAPL)
    assert sell.limit_price == D("190.02")  # sell limit rounds up
    stop = validate_order(
        _req(type=OrderType.STOP, limit_price=None, stop_price=D("185.001")), AAPL
    )
    assert stop.stop_price == D("185.01")  # buy stop rounds up
    sell_stop = validate_order(
        _req(side=OrderSide.SELL, type=OrderType.STOP, limit_price=None, stop_price=D("185.009")),
        AAPL,
    )
    assert sell_stop.stop_price == D("185.00")


def test_validate_uses_instrument_increments() -> None:
    btc = validate_order(
        _req(symbol="BTCUSD", qty=D("0.0123456789"), limit_price=D("67000.005")), BTC
    )
    assert btc.qty == D("0.012345")
    assert btc.limit_price == D("67000.00")
    fx = validate_order(_req(symbol="EURUSD", qty=D("1000"), limit_price=D("1.084567")), EURUSD)
    assert fx.limit_price == D("1.08456")


@pytest.mark.parametrize(
    ("request_kw", "code"),
    [
        ({"qty": D("0")}, "invalid_qty"),
        ({"qty": D("-1")}, "invalid_qty"),
        ({"qty": D("NaN")}, "invalid_qty"),
        ({"qty": D("Infinity")}, "invalid_qty"),
        ({"qty": D("0.5")}, "qty_below_lot_size"),
        ({"limit_price": None}, "limit_price_required"),
        ({"limit_price": D("0")}, "invalid_price"),
        ({"limit_price": D("-3")}, "invalid_price"),
        ({"limit_price": D("0.001")}, "invalid_price"),
        ({"type": OrderType.MARKET}, "limit_price_forbidden"),
        (
            {"type": OrderType.MARKET, "limit_price": None, "stop_price": D("1")},
            "stop_price_forbidden",
        ),
        ({"type": OrderType.LIMIT, "stop_price": D("180")}, "stop_price_forbidden"),
        ({"type": OrderType.STOP, "limit_price": None}, "stop_price_required"),
        ({"type": OrderType.STOP, "stop_price": D("180")}, "limit_price_forbidden"),
        ({"type": OrderType.STOP_LIMIT}, "stop_price_required"),
        (
            {"type": OrderType.STOP_LIMIT, "limit_price": None, "stop_price": D("1")},
            "limit_price_required",
        ),
        (
            {
                "type": OrderType.STOP_LIMIT,
                "stop_price": D("185"),
                "time_in_force": TimeInForce.IOC,
            },
            "unsupported_time_in_force",
        ),
        (
            {
                "type": OrderType.STOP,
                "limit_price": None,
                "stop_price": D("185"),
                "time_in_force": TimeInForce.FOK,
            },
            "unsupported_time_in_force",
        ),
        ({"symbol": "MSFT"}, "symbol_mismatch"),
    ],
)
def test_validate_rejects_with_a_code(request_kw: dict[str, object], code: str) -> None:
    with pytest.raises(OrderValidationError) as info:
        validate_order(_req(**request_kw), AAPL)
    assert info.value.code == code
    assert info.value.message


def test_validate_accepts_each_type() -> None:
    assert validate_order(_req(type=OrderType.MARKET, limit_price=None), AAPL).limit_price is None
    sl = validate_order(_req(type=OrderType.STOP_LIMIT, stop_price=D("185")), AAPL)
    assert (sl.stop_price, sl.limit_price) == (D("185.00"), D("190.00"))
    ioc = validate_order(_req(time_in_force=TimeInForce.IOC), AAPL)
    assert ioc.time_in_force is TimeInForce.IOC


def test_custom_instrument_lot_size() -> None:
    inst = Instrument("ABC", tick_size=D("0.05"), lot_size=D("100"))
    out = validate_order(_req(symbol="ABC", qty=D("250"), limit_price=D("10.07")), inst)
    assert (out.qty, out.limit_price) == (D("200"), D("10.05"))


# -- calendars ---------------------------------------------------------------------------


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("calendar", "placed", "expires"),
    [
        # XNYS winter (EST, UTC-5): 16:00 NY = 21:00 UTC
        ("XNYS", _utc(2025, 1, 6, 15, 0), _utc(2025, 1, 6, 21, 0)),
        # placed after the close: expires at the next session's close
        ("XNYS", _utc(2025, 1, 6, 21, 0), _utc(2025, 1, 7, 21, 0)),
        # Friday evening -> Monday close
        ("XNYS", _utc(2025, 1, 10, 22, 0), _utc(2025, 1, 13, 21, 0)),
        # Saturday -> Monday
        ("XNYS", _utc(2025, 1, 11, 12, 0), _utc(2025, 1, 13, 21, 0)),
        # summer (EDT, UTC-4): 16:00 NY = 20:00 UTC
        ("XNYS", _utc(2025, 7, 1, 14, 0), _utc(2025, 7, 1, 20, 0)),
        # DST starts Sunday 2025-03-09: Friday close at 21:00 UTC, Monday close at 20:00 UTC
        ("XNYS", _utc(2025, 3, 7, 15, 0), _utc(2025, 3, 7, 21, 0)),
        ("XNYS", _utc(2025, 3, 8, 15, 0), _utc(2025, 3, 10, 20, 0)),
        # DST ends Sunday 2025-11-02
        ("XNYS", _utc(2025, 10, 31, 15, 0), _utc(2025, 10, 31, 20, 0)),
        ("XNYS", _utc(2025, 11, 1, 15, 0), _utc(2025, 11, 3, 21, 0)),
        # crypto: next UTC midnight
        ("24/7", _utc(2025, 1, 11, 23, 59), _utc(2025, 1, 12, 0, 0)),
        ("24/7", _utc(2025, 1, 12, 0, 0), _utc(2025, 1, 13, 0, 0)),
        # FX: 17:00 New York on weekdays (22:00 UTC winter, 21:00 UTC summer)
        ("FX", _utc(2025, 1, 6, 15, 0), _utc(2025, 1, 6, 22, 0)),
        ("FX", _utc(2025, 7, 1, 15, 0), _utc(2025, 7, 1, 21, 0)),
        ("FX", _utc(2025, 1, 10, 22, 30), _utc(2025, 1, 13, 22, 0)),
        ("FX", _utc(2025, 1, 12, 23, 0), _utc(2025, 1, 13, 22, 0)),
        ("FX", _utc(2025, 3, 9, 23, 0), _utc(2025, 3, 10, 21, 0)),
    ],
)
def test_session_close_after(calendar: str, placed: datetime, expires: datetime) -> None:
    assert session_close_after(calendar, placed) == expires
    assert session_close_after(calendar, placed).tzinfo is not None


def test_calendar_rejects_naive_and_unknown() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        session_close_after("XNYS", datetime(2025, 1, 6, 12))  # noqa: DTZ001
    with pytest.raises(UnknownCalendar):
        session_close_after("XLON", _utc(2025, 1, 6))
    with pytest.raises(UnknownCalendar):
        is_session_open("XLON", _utc(2025, 1, 6))


@pytest.mark.parametrize(
    ("calendar", "ts", "open_"),
    [
        ("XNYS", _utc(2025, 1, 6, 14, 29), False),
        ("XNYS", _utc(2025, 1, 6, 14, 30), True),
        ("XNYS", _utc(2025, 1, 6, 20, 59), True),
        ("XNYS", _utc(2025, 1, 6, 21, 0), False),
        ("XNYS", _utc(2025, 7, 1, 13, 30), True),
        ("XNYS", _utc(2025, 1, 11, 15, 0), False),
        ("24/7", _utc(2025, 1, 11, 15, 0), True),
        ("FX", _utc(2025, 1, 11, 15, 0), False),
        ("FX", _utc(2025, 1, 12, 21, 59), False),
        ("FX", _utc(2025, 1, 12, 22, 0), True),
        ("FX", _utc(2025, 1, 8, 3, 0), True),
        ("FX", _utc(2025, 1, 10, 21, 59), True),
        ("FX", _utc(2025, 1, 10, 22, 0), False),
    ],
)
def test_is_session_open(calendar: str, ts: datetime, open_: bool) -> None:
    assert is_session_open(calendar, ts) is open_
