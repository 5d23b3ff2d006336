"""The default instrument universe (sim feed) and the real series shipped for replay."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class InstrumentSpec:
    symbol: str
    name: str
    asset_class: str  # equity | etf | crypto | fx
    exchange: str
    calendar: str  # XNYS (09:30-16:00 America/New_York) | 24/7 | FX (24/5)
    base_price: Decimal
    annual_vol: float
    avg_daily_volume: int
    tick_size: Decimal = Decimal("0.01")
    currency: str = "USD"


DEFAULT_UNIVERSE: tuple[InstrumentSpec, ...] = (
    InstrumentSpec("AAPL", "Apple Inc.", "equity", "NASDAQ", "XNYS", Decimal("228.50"), 0.26, 55_000_000),
    InstrumentSpec("MSFT", "Microsoft Corp.", "equity", "NASDAQ", "XNYS", Decimal("421.20"), 0.24, 21_000_000),
    InstrumentSpec("NVDA", "NVIDIA Corp.", "equity", "NASDAQ", "XNYS", Decimal("138.40"), 0.50, 250_000_000),
    InstrumentSpec("AMZN", "Amazon.com Inc.", "equity", "NASDAQ", "XNYS", Decimal("201.70"), 0.32, 40_000_000),
    InstrumentSpec("GOOG", "Alphabet Inc. Class C", "equity", "NASDAQ", "XNYS", Decimal("176.30"), 0.30, 20_000_000),
    InstrumentSpec("TSLA", "Tesla Inc.", "equity", "NASDAQ", "XNYS", Decimal("251.90"), 0.60, 90_000_000),
    InstrumentSpec("JPM", "JPMorgan Chase & Co.", "equity", "NYSE", "XNYS", Decimal("224.10"), 0.22, 9_000_000),
    InstrumentSpec("SPY", "SPDR S&P 500 ETF Trust", "etf", "NYSE Arca", "XNYS", Decimal("585.20"), 0.15, 45_000_000),
    InstrumentSpec("QQQ", "Invesco QQQ Trust", "etf", "NASDAQ", "XNYS", Decimal("505.60"), 0.20, 35_000_000),
    InstrumentSpec("BTCUSD", "Bitcoin / US Dollar", "crypto", "CRYPTO", "24/7", Decimal("67250.00"), 0.55, 30_000),
    InstrumentSpec("ETHUSD", "Ether / US Dollar", "crypto", "CRYPTO", "24/7", Decimal("2450.00"), 0.70, 300_000),
    InstrumentSpec("EURUSD", "Euro / US Dollar", "fx", "FX", "FX", Decimal("1.08450"), 0.07, 1_000_000_000, Decimal("0.00001")),
    InstrumentSpec("GBPUSD", "British Pound / US Dollar", "fx", "FX", "FX", Decimal("1.29120"), 0.08, 600_000_000, Decimal("0.00001")),
)  # fmt: skip

UNIVERSE_BY_SYMBOL = {i.symbol: i for i in DEFAULT_UNIVERSE}
