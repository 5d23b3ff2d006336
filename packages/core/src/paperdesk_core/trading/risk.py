"""Pre-trade risk checks: pure functions from an order and an account snapshot to a decision.

The API's risk gate calls ``check_order`` for every order (from a person or a strategy)
after ``orders.validate_order``; only approved orders reach the fill engine.

Rules, in the order they are checked (the first failure decides):

1. ``unknown_symbol`` / ``untradable_symbol``: no instrument, or it is not tradable.
2. ``trading_halted`` / ``defensive_mode``: in ``HALTED`` or ``DEFENSIVE`` risk state
   (``evaluate_risk_state``) only orders that reduce an existing position are accepted,
   so exits and a flatten still work.
3. ``no_market_price``: market and stop orders need a latest price.
4. ``price_collar``: a limit price more than ``price_collar_pct`` away from the latest
   price (limit and stop-limit orders).
5. ``short_selling_disabled``: a sell beyond the long quantity not already being sold by
   open orders, when ``allow_short`` is False.
6. ``max_order_notional``: the part of the order that opens exposure, valued at the
   estimated price, above ``max_order_notional``.
7. ``max_position``: the position after the fill above ``max_position_pct`` of equity.
8. ``insufficient_buying_power``: the opening part's reservation above buying power.

Buying power is that of a cash account that may short with 100% collateral:
``equity - gross exposure - reserved``, where gross exposure is the sum of absolute
position market values and ``reserved`` is what open orders hold. For a long-only account
this is ``cash - reserved``; a short of notional N holds N of buying power (the margin
requirement equals the notional). An order reserves ``opening qty * estimated price +
estimated commission``; the estimated price is the limit price for buy limits, the latest
price ``* (1 + slippage + market_buffer_pct)`` for market orders, the higher of stop and
latest price with the same markup for stops. Quantity that closes an existing position
(net of other open orders closing it) reserves nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from paperdesk_core.money import money
from paperdesk_core.trading._num import ONE, ZERO, plain
from paperdesk_core.trading.fill_model import FillModel
from paperdesk_core.trading.instruments import Instrument
from paperdesk_core.trading.ledger import Ledger
from paperdesk_core.trading.orders import (
    OrderRequest,
    OrderSide,
    OrderType,
    WorkingOrder,
)


class RiskState(StrEnum):
    NORMAL = "NORMAL"
    DEFENSIVE = "DEFENSIVE"
    HALTED = "HALTED"


class RejectCode(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNTRADABLE_SYMBOL = "untradable_symbol"
    TRADING_HALTED = "trading_halted"
    DEFENSIVE_MODE = "defensive_mode"
    NO_MARKET_PRICE = "no_market_price"
    PRICE_COLLAR = "price_collar"
    SHORT_SELLING_DISABLED = "short_selling_disabled"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION = "max_position"
    INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"


@dataclass(frozen=True)
class RiskLimits:
    """Per-account limits. Percentages are fractions (``0.10`` = 10%).

    Attributes:
        max_order_notional: Largest value of exposure one order may open.
        max_position_pct: Largest position value as a share of equity.
        max_daily_loss_pct: Loss since the day's start that halts trading.
        max_drawdown_pct: Loss from the equity peak that halts trading.
        price_collar_pct: Furthest a limit price may be from the latest price.
        market_buffer_pct: Extra markup when reserving for market/stop orders.
        defensive_at: Share of a loss limit at which the state turns ``DEFENSIVE``.
        allow_short: Whether sells may open short positions.
    """

    max_order_notional: Decimal = Decimal("250000")
    max_position_pct: Decimal = Decimal("1.00")
    max_daily_loss_pct: Decimal = Decimal("0.05")
    max_drawdown_pct: Decimal = Decimal("0.20")
    price_collar_pct: Decimal = Decimal("0.10")
    market_buffer_pct: Decimal = Decimal("0.02")
    defensive_at: Decimal = Decimal("0.80")
    allow_short: bool = True


@dataclass(frozen=True)
class RiskDecision:
    """Outcome of a pre-trade check; ``reserved`` is the buying power an approved order holds."""

    approved: bool
    code: RejectCode | None = None
    reason: str = ""
    reserved: Decimal = ZERO

    @classmethod
    def approve(cls, reserved: Decimal = ZERO) -> RiskDecision:
        """Return an approval holding ``reserved``."""
        return cls(approved=True, reserved=reserved)

    @classmethod
    def reject(cls, code: RejectCode, reason: str) -> RiskDecision:
        """Return a rejection with a code and a reason for a person."""
        return cls(approved=False, code=code, reason=reason)


@dataclass(frozen=True)
class RiskStatus:
    state: RiskState
    reason: str = ""


@dataclass(frozen=True)
class AccountSnapshot:
    """What the risk checks know about an account.

    Attributes:
        cash: Cash balance.
        positions: Signed quantity per symbol (short < 0).
        prices: Mark price per symbol; every non-flat position needs one.
        open_orders: Working orders (their remaining quantity is reserved).
        state: The account's risk state.
    """

    cash: Decimal
    positions: Mapping[str, Decimal] = field(default_factory=dict)
    prices: Mapping[str, Decimal] = field(default_factory=dict)
    open_orders: Sequence[WorkingOrder] = ()
    state: RiskState = RiskState.NORMAL

    def __post_init__(self) -> None:
        missing = [s for s, q in self.positions.items() if q != ZERO and s not in self.prices]
        if missing:
            raise ValueError(f"no mark price for positions: {', '.join(sorted(missing))}")

    @classmethod
    def from_ledger(
        cls,
        ledger: Ledger,
        prices: Mapping[str, Decimal] | None = None,
        open_orders: Sequence[WorkingOrder] = (),
        state: RiskState = RiskState.NORMAL,
    ) -> AccountSnapshot:
        """Build a snapshot from a ledger (positions without a price use their last fill)."""
        marks = {p.symbol: p.last_price for p in ledger.open_positions()}
        marks.update(prices or {})
        return cls(
            cash=ledger.cash,
            positions={p.symbol: p.qty for p in ledger.open_positions()},
            prices=marks,
            open_orders=open_orders,
            state=state,
        )

    def market_value(self) -> Decimal:
        """Sum of position market values (shorts negative)."""
        return sum((q * self.prices[s] for s, q in self.positions.items() if q != ZERO), ZERO)

    def gross_exposure(self) -> Decimal:
        """Sum of absolute position market values."""
        return sum((abs(q * self.prices[s]) for s, q in self.positions.items() if q != ZERO), ZERO)

    def equity(self) -> Decimal:
        """``cash + market value``."""
        return self.cash + self.market_value()


def estimate_price(
    side: OrderSide,
    order_type: OrderType,
    *,
    last_price: Decimal | None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    fill_model: FillModel,
    limits: RiskLimits,
) -> Decimal:
    """Return the unit price used to value and reserve an order (see the module docstring).

    Raises:
        ValueError: no price to estimate from (market order without a latest price).
    """
    markup = ONE + fill_model.slippage + limits.market_buffer_pct
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and limit_price is not None:
        if side is OrderSide.BUY or last_price is None:
            return limit_price
        return max(limit_price, last_price)  # a short's collateral is at least the market
    if order_type is OrderType.STOP and stop_price is not None:
        base = stop_price if last_price is None else max(stop_price, last_price)
        return base * markup
    if last_price is None:
        raise ValueError(f"no latest price to value a {order_type.value} order")
    return last_price * markup


def order_reservation(qty: Decimal, price: Decimal, fill_model: FillModel) -> Decimal:
    """Buying power held by an order opening ``qty`` at ``price``: notional + commission."""
    if qty <= ZERO:
        return ZERO
    return qty * price + fill_model.commission(qty, price)


def reserved_buying_power(
    account: AccountSnapshot, fill_model: FillModel, limits: RiskLimits
) -> Decimal:
    """Sum of what the account's open orders reserve (closing quantity reserves nothing)."""
    by_symbol: dict[str, list[WorkingOrder]] = defaultdict(list)
    for order in account.open_orders:
        if order.is_open:
            by_symbol[order.symbol].append(order)
    total = ZERO
    for symbol, orders in by_symbol.items():
        pos = account.positions.get(symbol, ZERO)
        closable = {OrderSide.SELL: max(pos, ZERO), OrderSide.BUY: max(-pos, ZERO)}
        for order in sorted(orders, key=lambda o: o.created_at):
            remaining = order.remaining_qty
            closing = min(remaining, closable[order.side])
            closable[order.side] -= closing
            opening = remaining - closing
            if opening > ZERO:
                price = estimate_price(
                    order.side,
                    order.type,
                    last_price=account.prices.get(symbol),
                    limit_price=order.limit_price,
                    stop_price=order.stop_price,
                    fill_model=fill_model,
                    limits=limits,
                )
                total += order_reservation(opening, price, fill_model)
    return total


def buying_power(
    account: AccountSnapshot,
    fill_model: FillModel | None = None,
    limits: RiskLimits | None = None,
) -> Decimal:
    """Return ``max(0, equity - gross exposure - reserved)``."""
    fill_model = fill_model or FillModel()
    limits = limits or RiskLimits()
    free = (
        account.equity()
        - account.gross_exposure()
        - reserved_buying_power(account, fill_model, limits)
    )
    return max(free, ZERO)


def _opening_qty(request: OrderRequest, account: AccountSnapshot) -> Decimal:
    """Part of the order that opens or increases exposure (after other closing orders)."""
    pos = account.positions.get(request.symbol, ZERO)
    held = sum(
        (
            o.remaining_qty
            for o in account.open_orders
            if o.is_open and o.symbol == request.symbol and o.side is request.side
        ),
        ZERO,
    )
    existing = max(pos, ZERO) if request.side is OrderSide.SELL else max(-pos, ZERO)
    closable = max(existing - held, ZERO)
    return max(request.qty - closable, ZERO)


def _pct(value: Decimal) -> str:
    return f"{plain((value * 100).quantize(Decimal('0.01')))}%"


def check_order(
    request: OrderRequest,
    *,
    instrument: Instrument | None,
    account: AccountSnapshot,
    last_price: Decimal | None,
    limits: RiskLimits | None = None,
    fill_model: FillModel | None = None,
) -> RiskDecision:
    """Run the pre-trade checks on a validated order request (rules: module docstring)."""
    limits = limits or RiskLimits()
    fill_model = fill_model or FillModel()
    symbol = request.symbol
    if instrument is None:
        return RiskDecision.reject(RejectCode.UNKNOWN_SYMBOL, f"unknown symbol {symbol}")
    if not instrument.tradable:
        return RiskDecision.reject(
            RejectCode.UNTRADABLE_SYMBOL, f"{symbol} is not tradable at the moment"
        )
    opening = _opening_qty(request, account)
    if opening > ZERO and account.state is RiskState.HALTED:
        return RiskDecision.reject(
            RejectCode.TRADING_HALTED,
            "trading is halted for this account; only orders that reduce a position are accepted",
        )
    if opening > ZERO and account.state is RiskState.DEFENSIVE:
        return RiskDecision.reject(
            RejectCode.DEFENSIVE_MODE,
            "the account is in defensive mode; only orders that reduce a position are accepted",
        )
    if last_price is None and request.type in (OrderType.MARKET, OrderType.STOP):
        return RiskDecision.reject(
            RejectCode.NO_MARKET_PRICE, f"no market price for {symbol} yet; try a limit order"
        )
    if request.limit_price is not None and last_price is not None and last_price > ZERO:
        away = abs(request.limit_price - last_price) / last_price
        if away > limits.price_collar_pct:
            return RiskDecision.reject(
                RejectCode.PRICE_COLLAR,
                f"limit price {plain(request.limit_price)} is {_pct(away)} from the market "
                f"price {plain(last_price)} (collar {_pct(limits.price_collar_pct)})",
            )
    if opening == ZERO:
        return RiskDecision.approve()
    if request.side is OrderSide.SELL and not limits.allow_short:
        return RiskDecision.reject(
            RejectCode.SHORT_SELLING_DISABLED,
            f"selling {plain(request.qty)} {symbol} would open a short position of "
            f"{plain(opening)}; short selling is disabled",
        )
    price = estimate_price(
        request.side,
        request.type,
        last_price=last_price,
        limit_price=request.limit_price,
        stop_price=request.stop_price,
        fill_model=fill_model,
        limits=limits,
    )
    notional = opening * price
    if notional > limits.max_order_notional:
        return RiskDecision.reject(
            RejectCode.MAX_ORDER_NOTIONAL,
            f"order value {money(notional)} exceeds the maximum "
            f"of {money(limits.max_order_notional)} per order",
        )
    equity = account.equity()
    pos = account.positions.get(symbol, ZERO)
    after = pos + (request.qty if request.side is OrderSide.BUY else -request.qty)
    mark = last_price if last_price is not None else price
    if equity <= ZERO or abs(after) * mark > limits.max_position_pct * equity:
        share = abs(after) * mark / equity if equity > ZERO else None
        return RiskDecision.reject(
            RejectCode.MAX_POSITION,
            f"the {symbol} position would be "
            f"{_pct(share) if share is not None else 'all'} of equity "
            f"(maximum {_pct(limits.max_position_pct)})",
        )
    required = order_reservation(opening, price, fill_model)
    available = buying_power(account, fill_model, limits)
    if required > available:
        return RiskDecision.reject(
            RejectCode.INSUFFICIENT_BUYING_POWER,
            f"order needs {money(required)} of buying power, {money(available)} available",
        )
    return RiskDecision.approve(required)


def evaluate_risk_state(
    equity: Decimal,
    *,
    day_start_equity: Decimal,
    peak_equity: Decimal,
    limits: RiskLimits | None = None,
) -> RiskStatus:
    """Return ``HALTED`` past a loss limit, ``DEFENSIVE`` near one, else ``NORMAL``."""
    limits = limits or RiskLimits()
    day_loss = (day_start_equity - equity) / day_start_equity if day_start_equity > 0 else ZERO
    drawdown = (peak_equity - equity) / peak_equity if peak_equity > 0 else ZERO
    checks = (
        ("daily loss", day_loss, limits.max_daily_loss_pct),
        ("drawdown", drawdown, limits.max_drawdown_pct),
    )
    for name, value, limit in checks:
        if value >= limit:
            return RiskStatus(
                RiskState.HALTED, f"{name} {_pct(value)} reached the limit of {_pct(limit)}"
            )
    for name, value, limit in checks:
        if value >= limit * limits.defensive_at:
            return RiskStatus(
                RiskState.DEFENSIVE, f"{name} {_pct(value)} is near the limit of {_pct(limit)}"
            )
    return RiskStatus(RiskState.NORMAL)
