from __future__ import annotations

import asyncio
from decimal import Decimal

import numpy as np
from paperdesk_core.clock import TestClock
from paperdesk_core.marketdata.history import last_close
from paperdesk_core.universe import DEFAULT_UNIVERSE

from paperdesk_ingestion.sources.sim import SimSource

T0 = 1_795_449_600_000_000_000  # 2026-11-23 16:00 UTC (US market open)
STEP = 250_000_000


def _arrays(batch):
    return (batch.symbol, batch.price, batch.size, batch.bid, batch.ask, batch.ts_event)


def test_same_seed_same_ticks() -> None:
    a, b = SimSource(seed=3), SimSource(seed=3)
    for k in range(3):
        ba, bb = a.generate(50, T0 + k * 50 * STEP, STEP), b.generate(50, T0 + k * 50 * STEP, STEP)
        for x, y in zip(_arrays(ba), _arrays(bb), strict=True):
            np.testing.assert_array_equal(x, y)
    c = SimSource(seed=4).generate(50, T0, STEP)
    assert not np.array_equal(c.price, SimSource(seed=3).generate(50, T0, STEP).price)


def test_prices_move_every_tick_and_stay_realistic() -> None:
    sim = SimSource(seed=1)
    batch = sim.generate(400, T0, STEP)
    assert len(batch) == 400 * len(DEFAULT_UNIVERSE)
    groups = batch.groups()
    for spec in DEFAULT_UNIVERSE:
        idx = groups[spec.symbol]
        prices = batch.price[idx]
        assert (np.diff(prices) != 0).all(), spec.symbol  # every tick moves the quote
        start = float(last_close(spec.symbol, seed=1))
        assert abs(prices[0] / start - 1) < 0.01
        assert abs(prices[-1] / start - 1) < 0.05
        bid, ask = batch.bid[idx], batch.ask[idx]
        assert (ask > bid).all()
        assert ((prices == bid) | (prices == ask)).all()
        assert ((ask - bid) / prices < 0.002).all()
        assert (batch.size[idx] > 0).all()
        # Prices are on the instrument's tick grid.
        tick = float(spec.tick_size)
        assert np.allclose(np.round(prices / tick), prices / tick)
    assert (np.diff(batch.ts_event) > 0).all()


def test_ticks_convert_to_valid_models_with_instrument_precision() -> None:
    batch = SimSource(seed=1).generate(1, T0, STEP)
    ticks = batch.last_ticks()
    assert ticks["AAPL"].price.as_tuple().exponent == -2
    assert ticks["EURUSD"].bid is not None
    assert ticks["EURUSD"].bid.as_tuple().exponent == -5
    assert ticks["AAPL"].source == "sim"
    assert ticks["AAPL"].size == ticks["AAPL"].size.to_integral_value()
    assert ticks["BTCUSD"].price > Decimal(1000)


def test_stream_follows_the_clock_and_stops() -> None:
    clock = TestClock(T0)
    sim = SimSource(seed=2, tick_hz=10, clock=clock)

    async def collect() -> list[int]:
        stop = asyncio.Event()
        sizes: list[int] = []
        async for batch in sim.stream(stop):
            sizes.append(len(batch))
            clock.advance(STEP * 2)  # 0.5 s => 5 steps at 10 Hz
            if len(sizes) == 3:
                stop.set()
        return sizes

    sizes = asyncio.run(collect())
    n = len(DEFAULT_UNIVERSE)
    assert sizes[0] == n
    assert sizes[1:] == [5 * n, 5 * n]


def test_history_source_interface() -> None:
    sim = SimSource(seed=42)
    assert sim.has["streaming"]
    assert sim.has["synthetic"]
    assert not sim.has["needs_network"]
    assert "1d" in sim.has["history_timeframes"]
