"""MAE/MFE: the worst and best unrealized P&L of a trip, from 1-minute bars.

For each bar the trip's position is the one after the last fill before the bar ends
(the trip's ``path``); its unrealized P&L is evaluated at the bar's high and low. MAE is
the lowest of those values (never above 0), MFE the highest (never below 0), in money.
Bars before the entry or after the exit do not count; no bar in the trip's span -> None.
Floats are fine here: these are analytics figures, reported to 4 decimal places.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

BAR_SECONDS = 60.0


def excursions(
    direction: int,
    path: Sequence[tuple[float, Decimal | float, Decimal | float]],
    bars: pd.DataFrame,
    *,
    until: datetime | None = None,
) -> tuple[Decimal, Decimal] | None:
    """Return ``(mae, mfe)`` of a trip over ``bars`` (UTC index of bar starts, High/Low).

    ``path`` holds ``(epoch seconds, open qty, open cost)`` after each fill (see
    ``Trip.path``; decimals, or floats once read back from a saved state); ``until`` bounds an open trip (bars starting after it are ignored).
    """
    if not path or bars.empty:
        return None
    index = pd.DatetimeIndex(bars.index)
    starts = index.asi8.astype(np.float64) / _ns_per_second(index)
    ends = starts + BAR_SECONDS
    times = np.array([p[0] for p in path], dtype=np.float64)
    qty = np.array([float(p[1]) for p in path], dtype=np.float64)
    cost = np.array([float(p[2]) for p in path], dtype=np.float64)
    last = times[-1] if qty[-1] == 0 else (until.timestamp() if until else np.inf)
    at = np.searchsorted(times, ends, side="left") - 1
    mask = (at >= 0) & (starts <= last)
    if not mask.any():
        return None
    at = at[mask]
    q, c = qty[at], cost[at]
    highs = bars["High"].to_numpy(dtype=np.float64)[mask]
    lows = bars["Low"].to_numpy(dtype=np.float64)[mask]
    at_high = direction * (q * highs - c)
    at_low = direction * (q * lows - c)
    worst = float(np.nanmin(np.minimum(at_high, at_low)))
    best = float(np.nanmax(np.maximum(at_high, at_low)))
    return _money(min(0.0, worst)), _money(max(0.0, best))


def _ns_per_second(index: pd.DatetimeIndex) -> float:
    unit = getattr(index, "unit", "ns")
    return {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.4f}") + 0
