"""Backtest runs, shared by the API and the workers: bars, config hashes, result files, keys.

The engine itself (``strategy_engine``) is not imported here: core depends on nothing of
ours. This module holds what both sides must agree on byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paperdesk_core.config import get_settings
from paperdesk_core.marketdata.bars import TIMEFRAME_SECONDS, load_bars_frame, resample
from paperdesk_core.marketdata.shipped import SHIPPED, load_shipped

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELED})

TASK_RUN = "backtests.run"
TASK_SWEEP = "backtests.sweep"
QUEUE = "backtests"

EQUITY_FILE = "equity.parquet"
TRADES_FILE = "trades.parquet"


def lease_key(run_id: uuid.UUID | str) -> str:
    """Redis key a worker keeps alive (short TTL) while it executes a run."""
    return f"bt:lease:{run_id}"


def cancel_key(run_id: uuid.UUID | str) -> str:
    """Redis key set when a run is canceled; workers check it between batches."""
    return f"bt:cancel:{run_id}"


def done_key(run_id: uuid.UUID | str) -> str:
    """Redis counter of sweep combinations finished (summed over chunks)."""
    return f"bt:done:{run_id}"


def load_backtest_bars(
    symbol: str, timeframe: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    """Bars for a backtest over ``[start, end)``.

    A symbol with real bars shipped in the ``backtesting`` package (GOOG daily 2004-2013,
    EURUSD hourly) uses them when ``start`` falls inside their span and the timeframe is
    no finer than theirs, whatever the live feed: the synthetic sim history covers recent
    years only. Everything else comes from ``load_bars_frame`` (sim history, Parquet).

    Raises:
        UnknownSymbol: no source knows the symbol.
    """
    sym = symbol.upper()
    shipped = SHIPPED.get(sym)
    if (
        shipped is not None
        and start is not None
        and shipped.seconds <= TIMEFRAME_SECONDS[timeframe]
    ):
        data = load_shipped(sym)
        if not data.empty and pd.Timestamp(start) <= data.index[-1]:
            if shipped.timeframe != timeframe:
                data = resample(data, timeframe, "24/7")
            data = data[data.index >= pd.Timestamp(start)]
            if end is not None:
                data = data[data.index < pd.Timestamp(end)]
            data = data.copy()
            data.attrs["source"] = "shipped"
            return data
    return load_bars_frame(sym, timeframe, start, end)


def bars_fingerprint(bars: pd.DataFrame) -> dict[str, Any]:
    """Identify the data a run saw, so that a cached result is reused only for equal data."""
    if bars.empty:
        return {"bars": 0}
    closes = bars["Close"].to_numpy(dtype=np.float64)
    return {
        "bars": len(bars),
        "first": pd.Timestamp(bars.index[0]).isoformat(),
        "last": pd.Timestamp(bars.index[-1]).isoformat(),
        "close_sum": round(float(closes.sum()), 6),
        "source": str(bars.attrs.get("source", "")),
    }


def config_hash(config: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of the canonical JSON of a run's config (and its data fingerprint)."""
    blob = json.dumps(
        {"config": config, "data": data or {}}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def results_dir(run_id: uuid.UUID | str) -> Path:
    """Where a run's equity curve and trades live: ``<data dir>/backtests/<id>/``."""
    return get_settings().data_dir.resolve() / "backtests" / str(run_id)


def write_results(directory: Path, equity: pd.DataFrame, trades: pd.DataFrame) -> None:
    """Write the equity curve (t, equity, drawdown, benchmark) and trades as Parquet."""
    directory.mkdir(parents=True, exist_ok=True)
    for frame, name in ((equity, EQUITY_FILE), (trades, TRADES_FILE)):
        tmp = directory / f".{name}.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(directory / name)  # atomic: readers never see half a file


def _jsonable(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def read_records(path: Path) -> list[dict[str, Any]]:
    """Read a result file as JSON-safe records (times ISO-8601 UTC, NaN as None)."""
    if not path.exists():
        return []
    frame = pd.read_parquet(path)
    cols = list(frame.columns)
    return [
        {str(c): _jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _instant(value: str | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if len(value) == 10:  # a date: the whole day, so an end date is inclusive
        day = pd.Timestamp(value, tz="UTC")
        return (day + pd.Timedelta(days=1) if end else day).to_pydatetime()
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def resolve_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """Turn a config's ``start``/``end`` into a half-open UTC range ``[start, end)``.

    Dates (``2013-03-01``) cover the whole day, so an end date is inclusive; datetimes
    are instants and an end instant is exclusive.
    """
    return _instant(start, end=False), _instant(end, end=True)
