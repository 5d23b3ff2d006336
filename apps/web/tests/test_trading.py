import json
from decimal import Decimal

import httpx
import pytest

from paperdesk_web.api_client import ApiError, TradingApi
from paperdesk_web.states._trading import (
    EMPTY_CHART,
    Ticket,
    account_view,
    activity_row,
    apply_live_price,
    chart_view,
    check_ticket,
    estimate,
    fills_of,
    format_money,
    format_pnl,
    format_qty,
    order_row,
    order_summary,
    position_row,
    review_text,
)


def _ticket(**changes: str) -> Ticket:
    base = {
        "symbol": "aapl",
        "side": "buy",
        "order_type": "market",
        "qty": "10",
        "limit_price": "",
        "stop_price": "",
        "time_in_force": "day",
    }
    return Ticket(**{**base, **changes})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("100000", "$100,000.00"),
        ("1234.565", "$1,234.57"),
        ("-12.5", "-$12.50"),
        (None, "—"),
    ],
)
def test_format_money(value, text):
    assert format_money(value) == text


def test_format_pnl_and_qty():
    assert format_pnl("12.3") == "+$12.30"
    assert format_pnl("-4") == "-$4.00"
    assert format_pnl("0.001") == "$0.00"
    assert format_qty("10.000000") == "10"
    assert format_qty("0.50") == "0.5"
    assert format_qty("1250") == "1,250"
    assert format_money("5", "CHF") == "5.00 CHF"


def test_market_ticket_body_and_review_text():
    body, problem = check_ticket(_ticket())
    assert problem == ""
    assert body == {
        "symbol": "AAPL",
        "side": "buy",
        "type": "market",
        "qty": "10",
        "time_in_force": "day",
    }
    assert review_text(body) == "Confirm buy 10 AAPL"
    assert order_summary(body) == "Buy 10 AAPL · Market · Day"


def test_price_fields_only_for_their_types():
    body, _ = check_ticket(_ticket(order_type="market", limit_price="5", stop_price="4"))
    assert body is not None
    assert "limit_price" not in body
    assert "stop_price" not in body
    body, _ = check_ticket(
        _ticket(order_type="stop_limit", limit_price="190.50", stop_price="191", side="sell")
    )
    assert body is not None
    assert (body["limit_price"], body["stop_price"]) == ("190.5", "191")
    assert order_summary(body) == "Sell 10 AAPL · Stop 191.00 · Limit 190.50 · Day"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"symbol": " "}, "Choose a symbol"),
        ({"qty": "0"}, "Enter a quantity greater than 0"),
        ({"qty": "ten"}, "Enter a quantity greater than 0"),
        ({"order_type": "limit"}, "Enter a limit price greater than 0"),
        ({"order_type": "stop", "stop_price": "-1"}, "Enter a stop price greater than 0"),
        ({"time_in_force": "forever"}, "Choose a time in force"),
    ],
)
def test_ticket_problems(changes, problem):
    assert check_ticket(_ticket(**changes)) == (None, problem)


def test_estimate_uses_the_ask_for_buys_and_the_limit_for_limits():
    quote = {"price": "100", "bid": "99.9", "ask": "100.1"}
    est = estimate(_ticket(qty="10"), quote, "2000")
    assert (est.notional, est.buying_power_after, est.exceeds) == ("$1,001.00", "$999.00", False)
    est = estimate(_ticket(order_type="limit", limit_price="50", qty="100"), quote, "2000")
    assert (est.notional, est.buying_power_after) == ("$5,000.00", "-$3,000.00")
    assert est.exceeds
    # Selling shares held frees buying power.
    est = estimate(_ticket(side="sell", qty="5"), quote, "1000", held_qty="10")
    assert (est.notional, est.buying_power_after) == ("$499.50", "$1,499.50")
    assert estimate(_ticket(qty=""), quote, "1000").notional == "—"


def test_order_row():
    row = order_row(
        {
            "id": "o1",
            "symbol": "AAPL",
            "side": "buy",
            "type": "limit",
            "qty": "10",
            "limit_price": "150",
            "time_in_force": "gtc",
            "status": "new",
            "filled_qty": "0",
            "created_at": "2024-01-02T15:04:05Z",
        }
    )
    assert row.cancelable
    assert (row.price, row.tif, row.status_label, row.filled) == ("150.00", "GTC", "Working", "0")
    assert row.cancel_label == "Cancel buy 10 AAPL limit order"
    assert row.time == "Jan 02 15:04"
    filled = order_row(
        {**row.__dict__, "type": "market", "status": "filled", "filled_avg_price": "101.5"}
    )
    assert not filled.cancelable
    assert filled.price == "101.50"
    rejected = order_row({"status": "rejected", "reject_reason": "insufficient buying power"})
    assert (rejected.status_label, rejected.reason) == ("Rejected", "insufficient buying power")


POSITION = {"symbol": "AAPL", "qty": "10", "avg_entry_price": "100", "market_price": "101"}


def test_position_pnl_follows_the_live_price():
    row = position_row(POSITION, {})
    assert (row.last, row.unrealized, row.unrealized_pct, row.direction) == (
        "101.00",
        "+$10.00",
        "+1.00%",
        "up",
    )
    row = position_row(POSITION, {"AAPL": Decimal("98.5")})
    assert (row.last, row.market_value, row.unrealized, row.direction) == (
        "98.50",
        "$985.00",
        "-$15.00",
        "down",
    )
    short = position_row({**POSITION, "qty": "-10"}, {"AAPL": Decimal("98")})
    assert (short.side, short.unrealized) == ("short", "+$20.00")


def test_account_is_marked_to_live_prices():
    account = {
        "currency": "USD",
        "cash": "99000",
        "equity": "100010",
        "buying_power": "99000",
        "day_pnl": "10",
        "unrealized_pnl": "10",
        "realized_pnl": "0",
    }
    view = account_view(account, [POSITION], {"AAPL": Decimal("103")})
    assert (view.equity, view.cash, view.buying_power) == (
        "$100,030.00",
        "$99,000.00",
        "$99,000.00",
    )
    assert (view.day_pnl, view.day_direction, view.unrealized) == ("+$30.00", "up", "+$30.00")
    assert account_view(None, [], {}).equity == "—"


def test_activity_rows():
    fill = activity_row(
        {
            "id": "a1",
            "activity_type": "fill",
            "ts": "2024-01-02T15:04:05Z",
            "symbol": "AAPL",
            "side": "buy",
            "qty": "10",
            "price": "100.5",
            "commission": "1",
            "amount": "-1006",
        }
    )
    assert (fill.kind, fill.text, fill.amount, fill.direction) == (
        "Fill",
        "Buy 10 AAPL @ 100.50",
        "-$1,006.00",
        "down",
    )
    cash = activity_row(
        {"id": "c", "activity_type": "reset", "amount": "50", "note": "Account reset"}
    )
    assert (cash.kind, cash.text, cash.amount) == ("Reset", "Account reset", "+$50.00")


BARS = [
    {"t": "2024-01-02T15:00:00Z", "o": "100", "h": "102", "l": "99", "c": "101"},
    {"t": "2024-01-02T15:05:00Z", "o": "101", "h": "101.5", "l": "98", "c": "98.5"},
    {"t": "2024-01-02T15:10:00Z", "o": "98.5", "h": "100", "l": "98", "c": "99.5"},
]


def test_chart_layout_and_fill_markers():
    orders = [
        {
            "symbol": "AAPL",
            "side": "buy",
            "filled_qty": "10",
            "filled_avg_price": "99",
            "filled_at": "2024-01-02T15:06:00Z",
        },
        {"symbol": "MSFT", "side": "sell", "filled_qty": "1", "filled_avg_price": "300"},
        {"symbol": "AAPL", "side": "sell", "filled_qty": "0", "filled_avg_price": None},
    ]
    fills = fills_of(orders, "AAPL")
    assert len(fills) == 1
    chart = chart_view(BARS, fills, "5m")
    assert len(chart.candles) == 3
    up, down, _ = chart.candles
    assert up.up
    assert not down.up
    # Higher prices are higher on screen (smaller y); wicks span the bodies.
    assert up.wick_top < up.body_y < up.body_y + up.body_h <= up.wick_bottom
    assert down.wick_bottom > up.wick_bottom
    assert chart.grid
    assert all(12 <= g.y <= 290 for g in chart.grid)
    assert [m.side for m in chart.markers] == ["buy"]
    assert chart.markers[0].title == "Buy 10 @ 99.00"
    # The buy marker sits on the second candle.
    assert chart.markers[0].points.startswith(f"{down.x:.2f},")
    assert chart.last_label == "99.50"
    assert chart_view([], fills) == EMPTY_CHART


def test_live_price_moves_the_last_bar():
    bars = apply_live_price([dict(b) for b in BARS], Decimal("100.5"))
    assert bars[-1] == {**BARS[-1], "c": "100.5", "h": "100.5"}
    assert bars[:-1] == BARS[:-1]


def _api(handler) -> TradingApi:
    return TradingApi("tok", base_url="http://api.test", transport=httpx.MockTransport(handler))


@pytest.mark.anyio
async def test_place_order_posts_the_ticket():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["body"] = json.loads(request.content)
        seen["auth"] = request.headers["authorization"]
        return httpx.Response(201, json={"id": "o1", "status": "new", **seen["body"]})

    body, _ = check_ticket(_ticket())
    assert body is not None
    order = await _api(handler).place_order(body)
    assert order["id"] == "o1"
    assert seen == {"path": "/api/v1/orders", "body": body, "auth": "Bearer tok"}


@pytest.mark.anyio
async def test_risk_rejection_carries_the_reason():
    def handler(request: httpx.Request) -> httpx.Response:
        detail = {"code": "risk_rejected", "message": "insufficient buying power"}
        return httpx.Response(422, json={"detail": detail})

    with pytest.raises(ApiError) as caught:
        await _api(handler).place_order({"symbol": "AAPL"})
    assert (caught.value.code, caught.value.message) == (
        "risk_rejected",
        "insufficient buying power",
    )


@pytest.mark.anyio
async def test_trading_reads_and_cancel():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path, dict(request.url.params)))
        if request.method == "DELETE":
            return httpx.Response(
                409, json={"detail": {"code": "not_cancelable", "message": "order is filled"}}
            )
        return httpx.Response(200, json=[])

    api = _api(handler)
    assert await api.list_orders("open") == []
    assert await api.bars("BTCUSD", "1m", 50) == []
    with pytest.raises(ApiError) as caught:
        await api.cancel_order("o1")
    assert caught.value.status == 409
    assert calls == [
        ("GET", "/api/v1/orders", {"status": "open", "limit": "100"}),
        ("GET", "/api/v1/bars/BTCUSD", {"timeframe": "1m", "limit": "50"}),
        ("DELETE", "/api/v1/orders/o1", {}),
    ]
