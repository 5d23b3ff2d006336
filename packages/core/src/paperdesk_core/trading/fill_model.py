"""How paper orders fill against market ticks: prices, slippage, liquidity, commission.

Rules (the matching engine applies them per tick, see ``matching.py``):

- **Reference price.** A buy trades at the tick's ``ask`` and a sell at its ``bid`` when the
  tick carries them; otherwise both use the trade ``price``.
- **Market orders** (and stop orders once triggered) fill on the next tick of their symbol
  at the reference price moved against the trader by ``slippage_bps`` and rounded to the
  tick size against the trader (buys up, sells down). When the feed is idle the engine can
  fill them at a given latest quote instead (``MatchingEngine.fill_at_quote``).
- **Limit orders** fill when the reference price crosses the limit (buy: ``ask <= limit``,
  sell: ``bid >= limit``) at the reference price, i.e. at the limit or better. No slippage.
- **Stop orders** trigger when the trade ``price`` reaches the stop (buy: ``price >= stop``,
  sell: ``price <= stop``) and then act as a market order from that same tick on; a gap
  through the stop fills at the (worse) market. **Stop-limit orders** trigger the same way
  and then act as a limit order at ``limit_price``.
- **Liquidity.** Each tick offers ``size * participation_rate`` (rounded down to the lot
  size) to the buy side and the same to the sell side; orders on a side share it in
  priority order (market, then ioc/fok, then resting limits by price then time). Whatever
  does not fit stays working for later ticks (a partial fill). A tick with ``size == 0``
  (a quote, or a feed without volume such as FX) offers ``zero_size_liquidity``, which is
  ``None`` by default meaning unlimited.
- **Commission**, per fill: ``per_share`` charges ``max(qty * commission_per_share,
  commission_min)``; ``bps`` charges ``notional * commission_bps / 10000``; either is
  rounded to cents. The defaults are zero commission and 5 bps slippage (Alpaca paper
  charges no commission on equities).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from paperdesk_core.config import get_settings
from paperdesk_core.money import money
from paperdesk_core.trading._num import BPS, ONE, ZERO, ceil_to, floor_to
from paperdesk_core.trading.orders import OrderSide


class CommissionModel(StrEnum):
    PER_SHARE = "per_share"
    BPS = "bps"


@dataclass(frozen=True)
class FillModel:
    """Fill settings (immutable). See the module docstring for the rules.

    Attributes:
        slippage_bps: Price concession for market orders and triggered stops, in bps.
        participation_rate: Share of each tick's size an order side may take, in (0, 1].
        zero_size_liquidity: Quantity offered by a tick of size 0; None means unlimited.
        commission_model: ``per_share`` or ``bps``.
        commission_per_share: Charge per unit filled (``per_share``).
        commission_min: Minimum charge per fill (``per_share``).
        commission_bps: Charge in bps of notional (``bps``).
    """

    slippage_bps: Decimal = Decimal("5")
    participation_rate: Decimal = Decimal("1")
    zero_size_liquidity: Decimal | None = None
    commission_model: CommissionModel = CommissionModel.PER_SHARE
    commission_per_share: Decimal = Decimal("0")
    commission_min: Decimal = Decimal("0")
    commission_bps: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if self.slippage_bps < ZERO:
            raise ValueError("slippage_bps must be >= 0")
        if not ZERO < self.participation_rate <= ONE:
            raise ValueError("participation_rate must be in (0, 1]")
        if self.zero_size_liquidity is not None and self.zero_size_liquidity < ZERO:
            raise ValueError("zero_size_liquidity must be >= 0 or None")
        if min(self.commission_per_share, self.commission_min, self.commission_bps) < ZERO:
            raise ValueError("commission settings must be >= 0")

    @property
    def slippage(self) -> Decimal:
        """Slippage as a fraction (``slippage_bps / 10000``)."""
        return self.slippage_bps / BPS

    def reference_price(
        self, side: OrderSide, price: Decimal, bid: Decimal | None, ask: Decimal | None
    ) -> Decimal:
        """Price a ``side`` order trades at on a tick: ask for buys, bid for sells, else price."""
        if side is OrderSide.BUY:
            return ask if ask is not None else price
        return bid if bid is not None else price

    def market_price(self, side: OrderSide, reference: Decimal, tick_size: Decimal) -> Decimal:
        """Fill price of a market order: reference moved by slippage, rounded against us."""
        if side is OrderSide.BUY:
            return ceil_to(reference * (ONE + self.slippage), tick_size)
        price = floor_to(reference * (ONE - self.slippage), tick_size)
        return price if price > ZERO else tick_size

    def liquidity(self, size: Decimal, lot_size: Decimal) -> Decimal | None:
        """Quantity one side may take from a tick of ``size``; None means unlimited."""
        if size <= ZERO:
            return self.zero_size_liquidity
        return floor_to(size * self.participation_rate, lot_size)

    def commission(self, qty: Decimal, price: Decimal) -> Decimal:
        """Commission of one fill, in cents."""
        if self.commission_model is CommissionModel.BPS:
            return money(qty * price * self.commission_bps / BPS)
        return money(max(qty * self.commission_per_share, self.commission_min))


def fill_model_from_settings() -> FillModel:
    """Build the fill model from the ``PAPERDESK_`` settings.

    ``SLIPPAGE_BPS``, ``PARTICIPATION_RATE`` and ``COMMISSION_*`` (defaults: 5 bps
    slippage, full participation, no commission).
    """
    s = get_settings()
    return FillModel(
        slippage_bps=s.slippage_bps,
        participation_rate=s.participation_rate,
        commission_model=CommissionModel(s.commission_model),
        commission_per_share=s.commission_per_share,
        commission_min=s.commission_min,
        commission_bps=s.commission_bps,
    )
