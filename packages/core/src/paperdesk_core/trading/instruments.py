"""What the trading domain needs to know about an instrument: increments and calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from paperdesk_core.universe import DEFAULT_UNIVERSE, InstrumentSpec

# Venues differ by a capability table, not by `if asset_class == ...` in the rules.
LOT_SIZE_BY_ASSET_CLASS: Mapping[str, Decimal] = MappingProxyType(
    {
        "equity": Decimal("1"),
        "etf": Decimal("1"),
        "crypto": Decimal("0.000001"),
        "fx": Decimal("1"),
    }
)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument as the order rules see it.

    Attributes:
        symbol: Ticker, upper case.
        tick_size: Smallest price increment.
        lot_size: Smallest quantity increment (1 = whole shares/units).
        calendar: Trading calendar: ``XNYS``, ``24/7`` or ``FX``.
        asset_class: ``equity``, ``etf``, ``crypto`` or ``fx``.
        tradable: False blocks new orders (risk check ``untradable_symbol``).
    """

    symbol: str
    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal("1")
    calendar: str = "XNYS"
    asset_class: str = "equity"
    tradable: bool = True


def instrument_from_spec(spec: InstrumentSpec, *, lot_size: Decimal | None = None) -> Instrument:
    """Build an Instrument from a universe spec (lot size from the asset class by default)."""
    lot = lot_size if lot_size is not None else LOT_SIZE_BY_ASSET_CLASS.get(spec.asset_class)
    return Instrument(
        symbol=spec.symbol,
        tick_size=spec.tick_size,
        lot_size=lot if lot is not None else Decimal("1"),
        calendar=spec.calendar,
        asset_class=spec.asset_class,
    )


DEFAULT_INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {spec.symbol: instrument_from_spec(spec) for spec in DEFAULT_UNIVERSE}
)
