"""Deterministic synthetic history for the sim universe (labelled ``synthetic`` everywhere).

Daily bars run from :data:`HISTORY_START` to the last session before "today" (in the
instrument's calendar), and 1-minute bars cover the last :data:`MINUTE_SESSIONS` sessions.
Closes follow a geometric random walk with fat-tailed (Student-t) returns at the
instrument's annual volatility, seeded per symbol, and are scaled so the last close equals
the instrument's base price. The sim tick feed starts from that close, so a chart of
history followed by live ticks joins up, and the last close is the feed's previous close.

Frames have a UTC ``DatetimeIndex`` (daily bars at 00:00 UTC of the session date) and
float columns ``Open High Low Close Volume``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from paperdesk_core.config import get_settings
from paperdesk_core.marketdata.calendars import (
    SESSIONS_PER_YEAR,
    local_date,
    session_bounds,
    session_days,
)
from paperdesk_core.universe import UNIVERSE_BY_SYMBOL, InstrumentSpec

HISTORY_START = date(2015, 1, 1)
MINUTE_SESSIONS = 10
COLUMNS = ["Open", "High", "Low", "Close", "Volume"]
_T_DOF = 4.0


@dataclass(frozen=True)
class SyntheticHistory:
    symbol: str
    daily: pd.DataFrame
    minutes: pd.DataFrame

    @property
    def last_close(self) -> float:
        return float(self.daily["Close"].iloc[-1])


def price_decimals(spec: InstrumentSpec) -> int:
    """Number of decimals of an instrument's tick size."""
    exp = spec.tick_size.normalize().as_tuple().exponent
    return max(0, -int(exp))


def _rng(seed: int, symbol: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(symbol.encode()), stream])


def _round_volume(spec: InstrumentSpec, v: np.ndarray) -> np.ndarray:
    if spec.asset_class == "crypto":
        return np.round(v, 4)
    return np.maximum(np.round(v), 1.0)


def _minute_bars(
    spec: InstrumentSpec, day: date, o: float, c: float, day_vol: float, seed: int, idx: int
) -> pd.DataFrame:
    """Minute bars of one session: a Brownian bridge from ``o`` to ``c``."""
    start, end = session_bounds(spec.calendar, day)
    n = int((end - start).total_seconds() // 60)
    rng = _rng(seed, spec.symbol, 1000 + idx)
    sigma_day = spec.annual_vol / np.sqrt(SESSIONS_PER_YEAR[spec.calendar])
    sigma_m = sigma_day / np.sqrt(n)
    w = np.concatenate([[0.0], np.cumsum(rng.standard_normal(n) * sigma_m)])
    frac = np.arange(n + 1) / n
    logp = np.log(o) + frac * np.log(c / o) + (w - frac * w[-1])
    path = np.exp(logp)
    dec = price_decimals(spec)
    path = np.round(path, dec)
    path[0], path[-1] = o, c
    opens, closes = path[:-1], path[1:]
    wick = np.abs(rng.standard_normal((2, n))) * sigma_m * 0.6
    highs = np.round(np.maximum(opens, closes) * np.exp(wick[0]), dec)
    lows = np.round(np.minimum(opens, closes) * np.exp(-wick[1]), dec)
    highs = np.maximum(highs, np.maximum(opens, closes))
    lows = np.minimum(lows, np.minimum(opens, closes))
    # U-shaped intraday volume profile on exchange sessions, flat around the clock.
    x = np.linspace(-1.0, 1.0, n)
    profile = 1.0 + (2.0 * x**2 if spec.calendar == "XNYS" else 0.3 * np.cos(np.pi * x))
    noise = rng.lognormal(-0.125, 0.5, n)
    weights = profile * noise
    vols = _round_volume(spec, day_vol * weights / weights.sum())
    index = pd.date_range(start, periods=n, freq="1min", tz=UTC)
    return pd.DataFrame(
        {"Open": opens, "High": highs, "Low": lows, "Close": closes, "Volume": vols}, index=index
    )


def generate_history(
    symbol: str, today: date, seed: int, minute_sessions: int = MINUTE_SESSIONS
) -> SyntheticHistory:
    """Generate (uncached) history of a universe symbol for sessions before ``today``."""
    spec = UNIVERSE_BY_SYMBOL[symbol]
    days = session_days(spec.calendar, HISTORY_START, today)
    n = len(days)
    sigma = spec.annual_vol / np.sqrt(SESSIONS_PER_YEAR[spec.calendar])
    t = _rng(seed, symbol, 0).standard_t(_T_DOF, n) / np.sqrt(_T_DOF / (_T_DOF - 2))
    rets = sigma * t - 0.5 * sigma**2 + 0.07 / SESSIONS_PER_YEAR[spec.calendar]
    logc = np.cumsum(rets)
    base = float(spec.base_price)
    closes = base * np.exp(logc - logc[-1])
    gaps = _rng(seed, symbol, 1).standard_normal(n) * sigma * 0.2
    opens = np.empty(n)
    opens[0] = closes[0] * np.exp(-rets[0])
    opens[1:] = closes[:-1] * np.exp(gaps[1:])
    dec = price_decimals(spec)
    opens, closes = np.round(opens, dec), np.round(closes, dec)
    closes[-1] = round(base, dec)
    wicks = np.abs(_rng(seed, symbol, 2).standard_normal((2, n))) * sigma * 0.5
    highs = np.maximum(np.round(np.maximum(opens, closes) * np.exp(wicks[0]), dec), closes)
    highs = np.maximum(highs, opens)
    lows = np.minimum(np.round(np.minimum(opens, closes) * np.exp(-wicks[1]), dec), closes)
    lows = np.minimum(lows, opens)
    # Volume: lognormal around the average, higher on big-move days.
    vnoise = _rng(seed, symbol, 3).lognormal(-0.06, 0.35, n)
    move = np.abs(t) / 0.8
    vols = _round_volume(spec, spec.avg_daily_volume * vnoise * (0.6 + 0.4 * move))

    minute_frames = []
    first_minute_day = max(0, n - minute_sessions)
    for i in range(first_minute_day, n):
        mb = _minute_bars(spec, days[i], opens[i], closes[i], float(vols[i]), seed, i)
        minute_frames.append(mb)
        highs[i] = mb["High"].max()
        lows[i] = mb["Low"].min()
        vols[i] = mb["Volume"].sum()
    index = pd.DatetimeIndex([datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days])
    daily = pd.DataFrame(
        {"Open": opens, "High": highs, "Low": lows, "Close": closes, "Volume": vols}, index=index
    )
    minutes = pd.concat(minute_frames) if minute_frames else pd.DataFrame(columns=COLUMNS)
    return SyntheticHistory(symbol=symbol, daily=daily, minutes=minutes)


@lru_cache(maxsize=64)
def _cached(symbol: str, today: date, seed: int) -> SyntheticHistory:
    return generate_history(symbol, today, seed)


def history_today(symbol: str, now: datetime | None = None) -> date:
    """The local date of a universe symbol's current (live, not yet historical) session."""
    spec = UNIVERSE_BY_SYMBOL[symbol]
    return local_date(spec.calendar, now or datetime.now(UTC))


def synthetic_history(
    symbol: str, *, today: date | None = None, seed: int | None = None
) -> SyntheticHistory:
    """Cached synthetic history of a universe symbol (raises KeyError for other symbols)."""
    sym = symbol.upper()
    if sym not in UNIVERSE_BY_SYMBOL:
        raise KeyError(symbol)
    day = today or history_today(sym)
    return _cached(sym, day, get_settings().sim_seed if seed is None else seed)


def last_close(symbol: str, *, today: date | None = None, seed: int | None = None) -> Decimal:
    """Close of the last synthetic session: the sim feed's start price and previous close."""
    spec = UNIVERSE_BY_SYMBOL[symbol.upper()]
    close = synthetic_history(symbol, today=today, seed=seed).last_close
    return Decimal(f"{close:.{price_decimals(spec)}f}")
