"""Pure view logic of the Trade screen: ticket checks, estimates, rows and the chart.

Everything here turns API answers (decimal strings) into display text the way a broker
shows it: money with 2 decimals and thousands separators, signed P&L, quantities without
trailing zeros. Live prices (from the stream) override the API's marks for P&L.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paperdesk_web.states._quotes import format_price, to_decimal

ORDER_TYPES = ("market", "limit", "stop", "stop_limit")
TYPE_LABELS = {"market": "Market", "limit": "Limit", "stop": "Stop", "stop_limit": "Stop limit"}
TIME_IN_FORCE = ("day", "gtc", "ioc", "fok")
TIF_LABELS = {"day": "Day", "gtc": "GTC", "ioc": "IOC", "fok": "FOK"}
OPEN_STATUSES = frozenset({"new", "accepted", "pending_new", "partially_filled"})
_STATUS_LABELS = {"partially_filled": "Partially filled", "new": "Working"}
_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CENT = Decimal("0.01")


# Formatting.
def format_money(value: Any, currency: str = "USD") -> str:
    """`$1,234.56`; negative as `-$1,234.56`; `—` when unknown."""
    number = to_decimal(value)
    if number is None:
        return "—"
    number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    prefix = _CURRENCY_SIGNS.get(currency.upper(), "")
    text = f"{abs(number):,.2f}"
    return f"{sign}{prefix}{text}" if prefix else f"{sign}{text} {currency}".strip()


def format_pnl(value: Any, currency: str = "USD") -> str:
    """Signed money for P&L: `+$12.30`, `-$4.00`, `$0.00`."""
    number = to_decimal(value)
    if number is None:
        return "—"
    rounded = number.quantize(CENT, rounding=ROUND_HALF_UP)
    text = format_money(abs(rounded), currency)
    if rounded > 0:
        return "+" + text
    if rounded < 0:
        return "-" + text
    return text


def format_pct_change(value: Decimal | None) -> str:
    """Signed percentage with 2 decimals, `` when unknown."""
    if value is None:
        return ""
    return f"{value:+.2f}%"


def format_qty(value: Any) -> str:
    """A quantity without trailing zeros: `10`, `0.5`, `1,250`."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    text = f"{number:,.8f}".rstrip("0").rstrip(".")
    return text


def direction(value: Decimal | None) -> str:
    """`up`, `down` or `flat` by the sign shown at cent precision."""
    if value is None:
        return "flat"
    rounded = value.quantize(CENT)
    return "up" if rounded > 0 else "down" if rounded < 0 else "flat"


def format_time(value: Any) -> str:
    """`HH:MM:SS` (UTC) of an ISO-8601 time; today's date is left out, older dates kept."""
    moment = parse_time(value)
    if moment is None:
        return ""
    if moment.date() == datetime.now(UTC).date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%b %d %H:%M")


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO-8601 time (a trailing Z included) as an aware UTC datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The order ticket.
@dataclasses.dataclass(frozen=True)
class Ticket:
    symbol: str
    side: str
    order_type: str
    qty: str
    limit_price: str
    stop_price: str
    time_in_force: str


def needs_limit(order_type: str) -> bool:
    return order_type in ("limit", "stop_limit")


def needs_stop(order_type: str) -> bool:
    return order_type in ("stop", "stop_limit")


def _positive(text: str) -> Decimal | None:
    number = to_decimal(text.replace(",", "").strip())
    return number if number is not None and number > 0 else None


def check_ticket(ticket: Ticket) -> tuple[dict[str, str] | None, str]:
    """Return the API body of a ticket, or None and what to fix."""
    symbol = ticket.symbol.strip().upper()
    if not symbol:
        return None, "Choose a symbol"
    if ticket.side not in ("buy", "sell"):
        return None, "Choose buy or sell"
    if ticket.order_type not in ORDER_TYPES:
        return None, "Choose an order type"
    if ticket.time_in_force not in TIME_IN_FORCE:
        return None, "Choose a time in force"
    qty = _positive(ticket.qty)
    if qty is None:
        return None, "Enter a quantity greater than 0"
    body = {
        "symbol": symbol,
        "side": ticket.side,
        "type": ticket.order_type,
        "qty": format(qty.normalize(), "f"),
        "time_in_force": ticket.time_in_force,
    }
    if needs_limit(ticket.order_type):
        limit = _positive(ticket.limit_price)
        if limit is None:
            return None, "Enter a limit price greater than 0"
        body["limit_price"] = format(limit.normalize(), "f")
    if needs_stop(ticket.order_type):
        stop = _positive(ticket.stop_price)
        if stop is None:
            return None, "Enter a stop price greater than 0"
        body["stop_price"] = format(stop.normalize(), "f")
    return body, ""


def price_basis(ticket: Ticket, quote: Mapping[str, Any] | None) -> Decimal | None:
    """The price an order is estimated at: limit, stop, or the side of the live quote."""
    if needs_limit(ticket.order_type):
        return _positive(ticket.limit_price)
    if ticket.order_type == "stop":
        return _positive(ticket.stop_price)
    if not quote:
        return None
    side_price = to_decimal(quote.get("ask" if ticket.side == "buy" else "bid"))
    return side_price if side_price and side_price > 0 else to_decimal(quote.get("price"))


@dataclasses.dataclass(frozen=True)
class Estimate:
    notional: str  # estimated cost (buy) or proceeds (sell)
    buying_power_after: str
    exceeds: bool  # the estimate is above the buying power


def estimate(
    ticket: Ticket,
    quote: Mapping[str, Any] | None,
    buying_power: Any,
    held_qty: Any = None,
    currency: str = "USD",
) -> Estimate:
    """Estimated notional of a ticket and the buying power left after it."""
    qty = _positive(ticket.qty)
    price = price_basis(ticket, quote)
    power = to_decimal(buying_power)
    if qty is None or price is None:
        return Estimate("—", format_money(power, currency), False)
    notional = qty * price
    held = to_decimal(held_qty) or Decimal(0)
    if power is None:
        return Estimate(format_money(notional, currency), "—", False)
    # Selling shares held frees buying power; anything else uses it.
    after = power + notional if ticket.side == "sell" and qty <= held else power - notional
    return Estimate(format_money(notional, currency), format_money(after, currency), after < 0)


def review_text(body: Mapping[str, str]) -> str:
    """The confirm button's text: `Confirm buy 10 AAPL`."""
    return f"Confirm {body['side']} {format_qty(body['qty'])} {body['symbol']}"


def order_summary(body: Mapping[str, str]) -> str:
    """One line describing an order: `Buy 10 AAPL · Limit 190.00 · Day`, `… · Market · GTC`."""
    parts = [f"{body['side'].capitalize()} {format_qty(body['qty'])} {body['symbol']}"]
    if body.get("stop_price"):
        parts.append(f"Stop {format_price(body['stop_price'])}")
    if body.get("limit_price"):
        parts.append(f"Limit {format_price(body['limit_price'])}")
    if len(parts) == 1:
        parts.append(TYPE_LABELS.get(body["type"], body["type"]))
    parts.append(TIF_LABELS.get(body["time_in_force"], body["time_in_force"]))
    return " · ".join(parts)


# Orders.
@dataclasses.dataclass(frozen=True)
class OrderRow:
    id: str
    time: str
    symbol: str
    side: str
    type_label: str
    qty: str
    filled: str
    price: str
    tif: str
    status: str
    status_label: str
    cancelable: bool
    reason: str
    cancel_label: str


def order_price_text(order: Mapping[str, Any]) -> str:
    """The price column: the fill price once filled, otherwise the order's prices."""
    filled = to_decimal(order.get("filled_avg_price"))
    if filled is not None and filled > 0:
        return format_price(filled)
    limit = order.get("limit_price")
    stop = order.get("stop_price")
    if limit and stop:
        return f"{format_price(stop)} / {format_price(limit)}"
    if limit:
        return format_price(limit)
    if stop:
        return format_price(stop)
    return "Market"


def order_row(order: Mapping[str, Any]) -> OrderRow:
    """The display form of an order."""
    status = str(order.get("status") or "")
    side = str(order.get("side") or "")
    kind = str(order.get("type") or "")
    symbol = str(order.get("symbol") or "")
    qty = format_qty(order.get("qty"))
    label = _STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
    return OrderRow(
        id=str(order.get("id") or ""),
        time=format_time(order.get("created_at")),
        symbol=symbol,
        side=side,
        type_label=TYPE_LABELS.get(kind, kind),
        qty=qty,
        filled=format_qty(order.get("filled_qty") or 0),
        price=order_price_text(order),
        tif=TIF_LABELS.get(str(order.get("time_in_force") or ""), ""),
        status=status,
        status_label=label,
        cancelable=status in OPEN_STATUSES,
        reason=str(order.get("reject_reason") or ""),
        cancel_label=f"Cancel {side} {qty} {symbol} {TYPE_LABELS.get(kind, kind).lower()} order",
    )


def is_open(order: Mapping[str, Any]) -> bool:
    return str(order.get("status") or "") in OPEN_STATUSES


# Positions and the account, marked to live prices.
@dataclasses.dataclass(frozen=True)
class PositionRow:
    symbol: str
    qty: str
    side: str  # long | short
    avg_price: str
    last: str
    market_value: str
    unrealized: str
    unrealized_pct: str
    direction: str


def _mark(position: Mapping[str, Any], prices: Mapping[str, Decimal]) -> Decimal | None:
    live = prices.get(str(position.get("symbol") or ""))
    return live if live is not None else to_decimal(position.get("market_price"))


def unrealized_pnl(position: Mapping[str, Any], prices: Mapping[str, Decimal]) -> Decimal | None:
    """(mark - average entry) * qty, with a live price when one has streamed in."""
    qty = to_decimal(position.get("qty"))
    avg = to_decimal(position.get("avg_entry_price"))
    mark = _mark(position, prices)
    if qty is None or avg is None or mark is None:
        return to_decimal(position.get("unrealized_pnl"))
    return (mark - avg) * qty


def market_value(position: Mapping[str, Any], prices: Mapping[str, Decimal]) -> Decimal | None:
    qty = to_decimal(position.get("qty"))
    mark = _mark(position, prices)
    if qty is None or mark is None:
        return to_decimal(position.get("market_value"))
    return qty * mark


def position_row(
    position: Mapping[str, Any], prices: Mapping[str, Decimal], currency: str = "USD"
) -> PositionRow:
    """The display form of a position, marked to the live price."""
    qty = to_decimal(position.get("qty")) or Decimal(0)
    avg = to_decimal(position.get("avg_entry_price"))
    pnl = unrealized_pnl(position, prices)
    pct = None
    if pnl is not None and avg and qty:
        pct = pnl / abs(avg * qty) * 100
    return PositionRow(
        symbol=str(position.get("symbol") or ""),
        qty=format_qty(qty),
        side="short" if qty < 0 else "long",
        avg_price=format_price(avg),
        last=format_price(_mark(position, prices)),
        market_value=format_money(market_value(position, prices), currency),
        unrealized=format_pnl(pnl, currency),
        unrealized_pct=format_pct_change(pct),
        direction=direction(pnl),
    )


@dataclasses.dataclass(frozen=True)
class AccountView:
    equity: str = "—"
    cash: str = "—"
    buying_power: str = "—"
    day_pnl: str = "—"
    day_direction: str = "flat"
    unrealized: str = "—"
    unrealized_direction: str = "flat"
    realized: str = "—"
    status: str = ""


def account_view(
    account: Mapping[str, Any] | None,
    positions: Sequence[Mapping[str, Any]],
    prices: Mapping[str, Decimal],
) -> AccountView:
    """The account summary marked to live prices.

    Equity is cash plus the live market value of the positions; the day's P&L moves by
    the change of unrealized P&L since the API's snapshot.
    """
    if not account:
        return AccountView()
    currency = str(account.get("currency") or "USD")
    cash = to_decimal(account.get("cash"))
    equity = to_decimal(account.get("equity"))
    day = to_decimal(account.get("day_pnl"))
    api_unrealized = to_decimal(account.get("unrealized_pnl"))
    live_values = [market_value(p, prices) for p in positions]
    live_unrealized = [unrealized_pnl(p, prices) for p in positions]
    unrealized = api_unrealized
    if positions and None not in live_unrealized:
        unrealized = sum((u for u in live_unrealized if u is not None), Decimal(0))
    if cash is not None and None not in live_values:
        equity = cash + sum((v for v in live_values if v is not None), Decimal(0))
    if day is not None and unrealized is not None and api_unrealized is not None:
        day = day + (unrealized - api_unrealized)
    return AccountView(
        equity=format_money(equity, currency),
        cash=format_money(cash, currency),
        buying_power=format_money(account.get("buying_power"), currency),
        day_pnl=format_pnl(day, currency),
        day_direction=direction(day),
        unrealized=format_pnl(unrealized, currency),
        unrealized_direction=direction(unrealized),
        realized=format_pnl(account.get("realized_pnl"), currency),
        status=str(account.get("trading_status") or ""),
    )


# The activity log.
@dataclasses.dataclass(frozen=True)
class ActivityRow:
    key: str
    time: str
    kind: str
    text: str
    amount: str
    direction: str


def activity_row(activity: Mapping[str, Any], index: int = 0) -> ActivityRow:
    """One line of the activity log (a fill or a cash event); tolerant of field names."""
    kind = str(
        activity.get("activity_type") or activity.get("type") or activity.get("kind") or "event"
    ).lower()
    when = (
        activity.get("ts")
        or activity.get("time")
        or activity.get("transaction_time")
        or activity.get("created_at")
        or activity.get("filled_at")
    )
    symbol = str(activity.get("symbol") or "")
    side = str(activity.get("side") or "")
    qty = activity.get("qty")
    price = activity.get("price")
    if symbol and qty is not None and price is not None:
        text = f"{side.capitalize()} {format_qty(qty)} {symbol} @ {format_price(price)}".strip()
    else:
        text = str(activity.get("description") or activity.get("note") or kind.capitalize())
    amount = to_decimal(activity.get("net_amount") or activity.get("amount"))
    if amount is None and qty is not None and price is not None:
        notional = (to_decimal(qty) or Decimal(0)) * (to_decimal(price) or Decimal(0))
        fee = to_decimal(activity.get("fee") or activity.get("commission")) or Decimal(0)
        amount = -(notional + fee) if side == "buy" else notional - fee
    return ActivityRow(
        key=str(activity.get("id") or index),
        time=format_time(when),
        kind="Fill" if kind in ("fill", "trade") else kind.replace("_", " ").capitalize(),
        text=text,
        amount=format_pnl(amount) if amount is not None else "",
        direction=direction(amount),
    )


# The price chart (an SVG drawn from view-box coordinates computed here).
CHART_W = 1000
CHART_H = 320
PLOT_LEFT = 8
PLOT_RIGHT = 920  # price labels sit right of the plot
PLOT_TOP = 12
PLOT_BOTTOM = 290


@dataclasses.dataclass(frozen=True)
class Candle:
    x: float  # centre
    body_x: float
    body_w: float
    body_y: float
    body_h: float
    wick_top: float
    wick_bottom: float
    up: bool
    title: str


@dataclasses.dataclass(frozen=True)
class GridLine:
    y: float
    label_y: float
    label: str


@dataclasses.dataclass(frozen=True)
class TimeLabel:
    x: float
    label: str


@dataclasses.dataclass(frozen=True)
class FillMarker:
    points: str  # an SVG polygon: a triangle up (buy) under the bar, down (sell) above it
    side: str
    title: str
    label: str = ""  # drawn beside the triangle when set (the journal's "Entry"/"Exit")
    label_x: float = 0.0
    label_y: float = 0.0


@dataclasses.dataclass(frozen=True)
class ChartView:
    candles: list[Candle]
    grid: list[GridLine]
    times: list[TimeLabel]
    markers: list[FillMarker]
    last_y: float
    last_box_y: float  # the price tag on the right edge
    last_text_y: float
    last_label: str
    last_up: bool
    # The geometry (a narrow panel draws in a smaller view box so its text stays legible).
    plot_right: float = PLOT_RIGHT
    plot_bottom: float = PLOT_BOTTOM
    view_box: str = f"0 0 {CHART_W} {CHART_H}"


EMPTY_CHART = ChartView([], [], [], [], 0.0, 0.0, 0.0, "", True)


def _nice_step(span: float, lines: int = 5) -> float:
    """A round grid step (1, 2, 2.5 or 5 times a power of ten) giving about `lines` lines."""
    raw = span / lines
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 2.5, 5.0):
        if raw <= magnitude * mult:
            return magnitude * mult
    return magnitude * 10


def _time_label(value: str, timeframe: str) -> str:
    moment = parse_time(value)
    if moment is None:
        return ""
    return moment.strftime("%b %d") if timeframe == "1d" else moment.strftime("%H:%M")


def chart_view(
    bars: Sequence[Mapping[str, Any]],
    fills: Iterable[Mapping[str, Any]] = (),
    timeframe: str = "5m",
    *,
    width: int = CHART_W,
    height: int = CHART_H,
) -> ChartView:
    """Lay out candles, price grid, time labels and fill markers in the SVG view box."""
    plot_right = width - (CHART_W - PLOT_RIGHT)
    plot_bottom = height - (CHART_H - PLOT_BOTTOM)
    parsed = []
    for bar in bars:
        ohlc = [to_decimal(bar.get(k)) for k in ("o", "h", "l", "c")]
        if any(v is None for v in ohlc):
            continue
        o, h, lo, c = (float(v or 0) for v in ohlc)
        parsed.append((str(bar.get("t") or ""), o, h, lo, c))
    if not parsed:
        return EMPTY_CHART
    fill_points = []
    times = [parse_time(t) for t, *_ in parsed]
    for fill in fills:
        price = to_decimal(fill.get("price"))
        moment = parse_time(fill.get("time"))
        if price is None or moment is None or times[0] is None or moment < times[0]:
            continue
        index = max(i for i, t in enumerate(times) if t is None or t <= moment)
        fill_points.append((index, float(price), str(fill.get("side") or ""), fill))
    lows = [p[3] for p in parsed] + [p[1] for p in fill_points]
    highs = [p[2] for p in parsed] + [p[1] for p in fill_points]
    low, high = min(lows), max(highs)
    pad = (high - low) * 0.08 or max(abs(high) * 0.01, 0.01)
    low, high = low - pad, high + pad

    def y(price: float) -> float:
        return round(plot_bottom - (price - low) / (high - low) * (plot_bottom - PLOT_TOP), 2)

    band = (plot_right - PLOT_LEFT) / len(parsed)
    body_w = max(min(band * 0.7, 18.0), 1.0)
    candles = []
    for i, (t, o, h, lo, c) in enumerate(parsed):
        x = PLOT_LEFT + band * (i + 0.5)
        top, bottom = y(max(o, c)), y(min(o, c))
        title = (
            f"{_time_label(t, timeframe)}  O {format_price(o)}  H {format_price(h)}"
            f"  L {format_price(lo)}  C {format_price(c)}"
        )
        candles.append(
            Candle(
                x=round(x, 2),
                body_x=round(x - body_w / 2, 2),
                body_w=round(body_w, 2),
                body_y=top,
                body_h=max(round(bottom - top, 2), 1.0),
                wick_top=y(h),
                wick_bottom=y(lo),
                up=c >= o,
                title=title,
            )
        )
    step = _nice_step(high - low)
    grid = []
    level = (int(low / step) + 1) * step
    while level < high:
        label = format_price(Decimal(str(round(level, 6))))
        grid.append(GridLine(y=y(level), label_y=y(level) + 4, label=label))
        level += step
    every = max(len(parsed) // 6, 1)
    labels = [
        TimeLabel(x=round(PLOT_LEFT + band * (i + 0.5), 2), label=_time_label(t, timeframe))
        for i, (t, *_) in enumerate(parsed)
        if i % every == every // 2
    ]
    markers = []
    for index, at, side, fill in fill_points:
        x = PLOT_LEFT + band * (index + 0.5)
        py = y(at)
        size = 7.0
        if side == "buy":
            tip, base = py + 3, py + 3 + size * 1.4
        else:
            tip, base = py - 3, py - 3 - size * 1.4
        points = f"{x:.2f},{tip:.2f} {x - size:.2f},{base:.2f} {x + size:.2f},{base:.2f}"
        title = f"{side.capitalize()} {format_qty(fill.get('qty'))} @ {format_price(at)}"
        label = str(fill.get("label") or "")
        markers.append(
            FillMarker(
                points=points,
                side=side,
                title=f"{label}: {title}" if label else title,
                label=label,
                label_x=round(x + size + 3, 2),
                label_y=round((tip + base) / 2 + 4, 2),
            )
        )
    last = parsed[-1]
    return ChartView(
        candles=candles,
        grid=grid,
        times=labels,
        markers=markers,
        last_y=y(last[4]),
        last_box_y=y(last[4]) - 10,
        last_text_y=y(last[4]) + 4,
        last_label=format_price(last[4]),
        last_up=last[4] >= last[1],
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        view_box=f"0 0 {width} {height}",
    )


def apply_live_price(bars: list[dict[str, str]], price: Decimal | None) -> list[dict[str, str]]:
    """Move the last bar's close (and high/low) to a live price."""
    if not bars or price is None:
        return bars
    last = dict(bars[-1])
    high = to_decimal(last.get("h"))
    low = to_decimal(last.get("l"))
    last["c"] = str(price)
    if high is not None and price > high:
        last["h"] = str(price)
    if low is not None and price < low:
        last["l"] = str(price)
    return [*bars[:-1], last]


def fills_of(orders: Iterable[Mapping[str, Any]], symbol: str) -> list[dict[str, Any]]:
    """The user's fills of a symbol, from its filled orders: time, price, side, qty."""
    fills = []
    for order in orders:
        if order.get("symbol") != symbol:
            continue
        price = order.get("filled_avg_price")
        qty = to_decimal(order.get("filled_qty"))
        if not price or not qty:
            continue
        fills.append(
            {
                "time": order.get("filled_at") or order.get("updated_at"),
                "price": price,
                "side": order.get("side"),
                "qty": order.get("filled_qty"),
            }
        )
    return fills
