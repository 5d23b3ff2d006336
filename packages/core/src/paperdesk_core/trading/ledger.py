"""Positions and cash as a pure function of the fills.

- Cash: ``starting_cash - sum(buy notional + commission) + sum(sell notional - commission)``
  over all fills, computed exactly (no rounding: notional is ``last_qty * last_px``).
- Positions carry a signed quantity (short < 0) and an average entry price. A fill in the
  direction of the position (or opening one) moves the average; a fill against it realises
  ``closed_qty * (fill price - average)`` (sign flipped for shorts) and keeps the average;
  a fill larger than the position closes it and opens the rest on the other side at the
  fill price. Realized P&L of a position is before commission; the ledger's
  ``realized_pnl`` subtracts all commission paid.
- ``market_value = qty * price`` (negative for shorts), ``cost_basis = qty * average``,
  ``unrealized_pnl = market_value - cost_basis``, ``equity = cash + sum(market_value)``.
  A position without a given price is marked at its last fill price.
- ``apply`` ignores a fill id it has already applied, so redelivered fills are harmless;
  ``Ledger.replay(fills)`` rebuilds the same state from the fill log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from paperdesk_core.trading._num import ZERO
from paperdesk_core.trading.orders import Fill, OrderSide

DEFAULT_STARTING_CASH = Decimal("100000.00")


@dataclass(slots=True)
class Position:
    """One symbol's holding: signed ``qty``, average entry price, realized P&L (gross)."""

    symbol: str
    qty: Decimal = ZERO
    avg_entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    last_price: Decimal = ZERO

    @property
    def is_flat(self) -> bool:
        """True when the quantity is zero."""
        return self.qty == ZERO

    @property
    def side(self) -> str:
        """``long``, ``short`` or ``flat``."""
        if self.qty > ZERO:
            return "long"
        return "short" if self.qty < ZERO else "flat"

    @property
    def cost_basis(self) -> Decimal:
        """``qty * avg_entry_price`` (negative for shorts)."""
        return self.qty * self.avg_entry_price

    def market_value(self, price: Decimal | None = None) -> Decimal:
        """``qty * price`` (negative for shorts); the last fill price when none is given."""
        return self.qty * (price if price is not None else self.last_price)

    def unrealized_pnl(self, price: Decimal | None = None) -> Decimal:
        """``market_value - cost_basis``."""
        return self.market_value(price) - self.cost_basis

    def apply(self, side: OrderSide, qty: Decimal, price: Decimal) -> Decimal:
        """Apply a fill of ``qty`` at ``price`` and return the P&L it realised."""
        signed = qty if side is OrderSide.BUY else -qty
        current = self.qty
        self.last_price = price
        if current == ZERO or (current > ZERO) == (signed > ZERO):
            total = current + signed
            self.avg_entry_price = (abs(current) * self.avg_entry_price + qty * price) / abs(total)
            self.qty = total
            return ZERO
        closed = min(qty, abs(current))
        direction = 1 if current > ZERO else -1
        realized = closed * (price - self.avg_entry_price) * direction
        self.realized_pnl += realized
        self.qty = current + signed
        if self.qty == ZERO:
            self.avg_entry_price = ZERO
        elif (self.qty > ZERO) != (current > ZERO):  # flipped through zero
            self.avg_entry_price = price
        return realized


@dataclass
class Ledger:
    """An account's cash and positions built from its fills."""

    starting_cash: Decimal = DEFAULT_STARTING_CASH
    cash: Decimal = field(default=ZERO, init=False)
    commission_paid: Decimal = field(default=ZERO, init=False)
    positions: dict[str, Position] = field(default_factory=dict, init=False)
    fill_ids: set[uuid.UUID] = field(default_factory=set, init=False, repr=False)
    fill_count: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.cash = self.starting_cash

    @classmethod
    def replay(
        cls, fills: Iterable[Fill], starting_cash: Decimal = DEFAULT_STARTING_CASH
    ) -> Ledger:
        """Build a ledger from a fill log (in execution order)."""
        ledger = cls(starting_cash)
        for fill in fills:
            ledger.apply(fill)
        return ledger

    def apply(self, fill: Fill) -> bool:
        """Apply a fill; return False (and change nothing) if its id was applied before.

        Raises:
            ValueError: non-positive quantity or price, or negative commission.
        """
        if fill.fill_id in self.fill_ids:
            return False
        if fill.last_qty <= ZERO or fill.last_px <= ZERO or fill.commission < ZERO:
            raise ValueError(f"fill {fill.fill_id}: qty and price must be > 0, commission >= 0")
        self.fill_ids.add(fill.fill_id)
        self.fill_count += 1
        notional = fill.last_qty * fill.last_px
        if fill.side is OrderSide.BUY:
            self.cash -= notional + fill.commission
        else:
            self.cash += notional - fill.commission
        self.commission_paid += fill.commission
        position = self.positions.get(fill.symbol)
        if position is None:
            position = self.positions[fill.symbol] = Position(fill.symbol)
        position.apply(fill.side, fill.last_qty, fill.last_px)
        return True

    def position(self, symbol: str) -> Position:
        """Return the position of ``symbol`` (a flat one if never traded)."""
        return self.positions.get(symbol) or Position(symbol)

    def open_positions(self) -> list[Position]:
        """Return the positions with a non-zero quantity."""
        return [p for p in self.positions.values() if p.qty != ZERO]

    def market_value(self, prices: Mapping[str, Decimal] | None = None) -> Decimal:
        """Sum of position market values (shorts count negative)."""
        prices = prices or {}
        return sum((p.market_value(prices.get(p.symbol)) for p in self.positions.values()), ZERO)

    def gross_exposure(self, prices: Mapping[str, Decimal] | None = None) -> Decimal:
        """Sum of absolute position market values."""
        prices = prices or {}
        return sum(
            (abs(p.market_value(prices.get(p.symbol))) for p in self.positions.values()), ZERO
        )

    def equity(self, prices: Mapping[str, Decimal] | None = None) -> Decimal:
        """``cash + sum(market_value)``."""
        return self.cash + self.market_value(prices)

    def unrealized_pnl(self, prices: Mapping[str, Decimal] | None = None) -> Decimal:
        """Sum of position unrealized P&L."""
        prices = prices or {}
        return sum((p.unrealized_pnl(prices.get(p.symbol)) for p in self.positions.values()), ZERO)

    @property
    def realized_pnl(self) -> Decimal:
        """Realized P&L of all positions minus all commission paid."""
        gross = sum((p.realized_pnl for p in self.positions.values()), ZERO)
        return gross - self.commission_paid
