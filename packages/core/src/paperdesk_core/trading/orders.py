"""Orders: vocabulary (sides, types, time in force, statuses), the state machine, validation.

Statuses are those of the public API (``new``, ``partially_filled``, ``filled``,
``canceled``, ``expired``, ``rejected``). Allowed transitions::

    new              -> partially_filled | filled | canceled | expired | rejected
    partially_filled -> partially_filled | filled | canceled | expired
    filled, canceled, expired, rejected: terminal, nothing leaves them

``partially_filled -> partially_filled`` is another partial fill. Everything else raises
``IllegalTransition``; ``WorkingOrder`` moves only through ``transition``.

Validation (``validate_order``) normalises a request to the instrument before it is risk
checked: ``qty > 0`` on the lot size (rounded down, never up), a limit price exactly for
``limit``/``stop_limit``, a stop price exactly for ``stop``/``stop_limit``, prices on the
tick size rounded conservatively (buy limit down, sell limit up, buy stop up, sell stop
down: the order never trades at a worse price or triggers earlier than asked),
and ``ioc``/``fok`` only for ``market`` and ``limit`` orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from paperdesk_core.trading._num import ZERO, ceil_to, floor_to, plain
from paperdesk_core.trading.instruments import Instrument


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED}
)
OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})

ALLOWED_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        OrderStatus.NEW: frozenset(
            {
                OrderStatus.PARTIALLY_FILLED,
                OrderStatus.FILLED,
                OrderStatus.CANCELED,
                OrderStatus.EXPIRED,
                OrderStatus.REJECTED,
            }
        ),
        OrderStatus.PARTIALLY_FILLED: frozenset(
            {
                OrderStatus.PARTIALLY_FILLED,
                OrderStatus.FILLED,
                OrderStatus.CANCELED,
                OrderStatus.EXPIRED,
            }
        ),
        OrderStatus.FILLED: frozenset(),
        OrderStatus.CANCELED: frozenset(),
        OrderStatus.EXPIRED: frozenset(),
        OrderStatus.REJECTED: frozenset(),
    }
)

IMMEDIATE_TIFS = frozenset({TimeInForce.IOC, TimeInForce.FOK})
_LIMIT_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_STOP_TYPES = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


class IllegalTransition(Exception):
    """An order status change that the state machine forbids."""

    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        super().__init__(f"illegal order transition {current.value} -> {target.value}")
        self.current = current
        self.target = target


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Tell whether ``current -> target`` is allowed."""
    return target in ALLOWED_TRANSITIONS[current]


def transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    """Return ``target`` if ``current -> target`` is allowed.

    Raises:
        IllegalTransition: the transition is not in ``ALLOWED_TRANSITIONS``.
    """
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    return target


class OrderValidationError(ValueError):
    """An order request that cannot be accepted as written.

    Attributes:
        code: snake_case error code for the API (``{"code", "message"}``).
        message: Explanation for a person.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order as submitted (before validation and the risk gate)."""

    symbol: str
    side: OrderSide
    type: OrderType
    qty: Decimal
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


def _check_price(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= ZERO:
        raise OrderValidationError("invalid_price", f"{name} must be a positive number")


def validate_order(request: OrderRequest, instrument: Instrument) -> OrderRequest:
    """Check an order request and normalise it to the instrument's increments.

    Returns:
        The request with the symbol upper-cased, the quantity rounded down to the lot
        size and prices rounded to the tick size (see the module docstring).

    Raises:
        OrderValidationError: with ``code`` one of ``symbol_mismatch``, ``invalid_qty``,
            ``qty_below_lot_size``, ``limit_price_required``, ``limit_price_forbidden``,
            ``stop_price_required``, ``stop_price_forbidden``, ``invalid_price``,
            ``unsupported_time_in_force``.
    """
    symbol = request.symbol.upper()
    if symbol != instrument.symbol.upper():
        raise OrderValidationError(
            "symbol_mismatch", f"order symbol {symbol} is not instrument {instrument.symbol}"
        )
    qty = request.qty
    if not qty.is_finite() or qty <= ZERO:
        raise OrderValidationError("invalid_qty", "qty must be a number greater than 0")
    qty = floor_to(qty, instrument.lot_size)
    if qty <= ZERO:
        raise OrderValidationError(
            "qty_below_lot_size",
            f"qty {plain(request.qty)} is below the lot size {plain(instrument.lot_size)} "
            f"of {instrument.symbol}",
        )
    is_buy = request.side is OrderSide.BUY
    limit_price = request.limit_price
    if request.type in _LIMIT_TYPES:
        if limit_price is None:
            raise OrderValidationError(
                "limit_price_required", f"a {request.type.value} order needs a limit_price"
            )
        _check_price("limit_price", limit_price)
        tick = instrument.tick_size
        limit_price = floor_to(limit_price, tick) if is_buy else ceil_to(limit_price, tick)
        if limit_price <= ZERO:
            raise OrderValidationError("invalid_price", "limit_price is below one tick")
    elif limit_price is not None:
        raise OrderValidationError(
            "limit_price_forbidden", f"a {request.type.value} order takes no limit_price"
        )
    stop_price = request.stop_price
    if request.type in _STOP_TYPES:
        if stop_price is None:
            raise OrderValidationError(
                "stop_price_required", f"a {request.type.value} order needs a stop_price"
            )
        _check_price("stop_price", stop_price)
        tick = instrument.tick_size
        stop_price = ceil_to(stop_price, tick) if is_buy else floor_to(stop_price, tick)
        if stop_price <= ZERO:
            raise OrderValidationError("invalid_price", "stop_price is below one tick")
    elif stop_price is not None:
        raise OrderValidationError(
            "stop_price_forbidden", f"a {request.type.value} order takes no stop_price"
        )
    if request.time_in_force in IMMEDIATE_TIFS and request.type in _STOP_TYPES:
        raise OrderValidationError(
            "unsupported_time_in_force",
            f"time_in_force {request.time_in_force.value} is only supported for market "
            "and limit orders",
        )
    return replace(request, symbol=symbol, qty=qty, limit_price=limit_price, stop_price=stop_price)


@dataclass(slots=True, eq=False)
class WorkingOrder:
    """An accepted order as the matching engine keeps it (mutable; changed by the engine).

    ``triggered`` is set once a stop or stop-limit order's stop price has been reached;
    ``filled_qty``/``avg_fill_price`` accumulate over partial fills.
    """

    id: uuid.UUID
    account_id: uuid.UUID
    symbol: str
    side: OrderSide
    type: OrderType
    tif: TimeInForce
    qty: Decimal
    created_at: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    filled_qty: Decimal = field(default=ZERO)
    avg_fill_price: Decimal | None = None
    status: OrderStatus = OrderStatus.NEW
    triggered: bool = False

    @classmethod
    def from_request(
        cls,
        request: OrderRequest,
        *,
        order_id: uuid.UUID,
        account_id: uuid.UUID,
        created_at: datetime,
    ) -> WorkingOrder:
        """Build a new working order from a validated request."""
        return cls(
            id=order_id,
            account_id=account_id,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            tif=request.time_in_force,
            qty=request.qty,
            created_at=created_at,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
        )

    @property
    def remaining_qty(self) -> Decimal:
        """Quantity still to fill."""
        return self.qty - self.filled_qty

    @property
    def is_open(self) -> bool:
        """True while the order can still fill (``new`` or ``partially_filled``)."""
        return self.status in OPEN_STATUSES

    def apply_fill(self, qty: Decimal, price: Decimal) -> None:
        """Record a fill of ``qty`` at ``price`` (status moves through the state machine).

        Raises:
            IllegalTransition: the order is no longer open.
            ValueError: ``qty`` is not positive or exceeds the remaining quantity.
        """
        if qty <= ZERO or qty > self.remaining_qty:
            raise ValueError(
                f"fill qty {plain(qty)} outside (0, {plain(self.remaining_qty)}] "
                f"for order {self.id}"
            )
        filled = self.filled_qty + qty
        target = OrderStatus.FILLED if filled == self.qty else OrderStatus.PARTIALLY_FILLED
        self.status = transition(self.status, target)
        previous = self.avg_fill_price if self.avg_fill_price is not None else ZERO
        self.avg_fill_price = (previous * self.filled_qty + price * qty) / filled
        self.filled_qty = filled

    def cancel(self) -> None:
        """Mark the order canceled (raises ``IllegalTransition`` once it is final)."""
        self.status = transition(self.status, OrderStatus.CANCELED)

    def expire(self) -> None:
        """Mark the order expired (raises ``IllegalTransition`` once it is final)."""
        self.status = transition(self.status, OrderStatus.EXPIRED)


def fill_id_for(order_id: uuid.UUID, filled_qty_before: Decimal) -> uuid.UUID:
    """Return the deterministic id of the fill that starts at ``filled_qty_before``.

    The quantity already filled orders an order's fills, so the same order state and tick
    always give the same fill id: a replayed tick is deduplicated by id downstream.
    """
    return uuid.uuid5(order_id, f"fill:{plain(filled_qty_before)}")


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: ``last_qty`` at ``last_px`` with ``commission`` (all Decimal).

    ``ts_event`` is the tick's venue time in ns; ``ts`` the same as aware UTC datetime.
    ``cum_qty``/``leaves_qty``/``order_status`` describe the order right after this fill.
    """

    fill_id: uuid.UUID
    order_id: uuid.UUID
    account_id: uuid.UUID
    symbol: str
    side: OrderSide
    last_qty: Decimal
    last_px: Decimal
    commission: Decimal
    ts_event: int
    ts: datetime
    cum_qty: Decimal = ZERO
    leaves_qty: Decimal = ZERO
    order_status: OrderStatus = OrderStatus.FILLED

    @property
    def notional(self) -> Decimal:
        """``last_qty * last_px``."""
        return self.last_qty * self.last_px
