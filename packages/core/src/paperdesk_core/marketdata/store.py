"""Parquet storage of market data under ``settings.data_dir``.

Layout (Hive-style partitions; partition columns are not repeated inside the files)::

    ticks/date=YYYY-MM-DD/symbol=SYM/part-<writer>-<seq>.parquet   ts_event ts_init price size bid ask source
    bars/1m/date=YYYY-MM-DD/symbol=SYM/part-<writer>.parquet       ts open high low close volume trades
    bars/1d/symbol=SYM/<source>.parquet                            daily bars from a backfill
    cache/<source>/<SYMBOL>-<timeframe>.parquet                    downloaded history (yfinance, ...)

Files are written to a temporary name and renamed, so readers never see a partial file.
Several files may hold bars of the same minute (a restarted writer); readers merge them.
Times are int ns (ticks) or ``timestamp[ns, UTC]`` (bars); prices are float64 columns.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from paperdesk_core.config import get_settings

TICK_SCHEMA = pa.schema(
    [
        ("ts_event", pa.int64()),
        ("ts_init", pa.int64()),
        ("price", pa.float64()),
        ("size", pa.float64()),
        ("bid", pa.float64()),
        ("ask", pa.float64()),
        ("source", pa.string()),
    ]
)
BAR_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("ns", tz="UTC")),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("trades", pa.int64()),
    ]
)
FRAME_COLUMNS = ["Open", "High", "Low", "Close", "Volume"]
_LOWER = {c: c.lower() for c in FRAME_COLUMNS}


def _safe(symbol: str) -> str:
    """A symbol as a path component (Finnhub symbols carry ``:`` and ``/``)."""
    return symbol.upper().replace("/", "_").replace(":", "_")


def write_table_atomic(path: Path, table: pa.Table, *, compression: str = "zstd") -> None:
    """Write a Parquet file under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, tmp, compression=compression)
    os.replace(tmp, path)


def frame_to_bar_table(df: pd.DataFrame) -> pa.Table:
    """Convert an OHLCV frame (UTC index) into the bar file schema."""
    index = pd.DatetimeIndex(df.index)
    ts = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
    trades = df["Trades"] if "Trades" in df.columns else pd.Series(0, index=df.index)
    return pa.table(
        {
            "ts": pa.array(ts.as_unit("ns"), type=pa.timestamp("ns", tz="UTC")),
            "open": pa.array(df["Open"].to_numpy("float64")),
            "high": pa.array(df["High"].to_numpy("float64")),
            "low": pa.array(df["Low"].to_numpy("float64")),
            "close": pa.array(df["Close"].to_numpy("float64")),
            "volume": pa.array(df["Volume"].to_numpy("float64")),
            "trades": pa.array(trades.to_numpy("int64")),
        },
        schema=BAR_SCHEMA,
    )


def bar_table_to_frame(table: pa.Table) -> pd.DataFrame:
    """Convert bar file rows into an OHLCV frame with a UTC index (unsorted, unmerged)."""
    df: pd.DataFrame = table.to_pandas()
    index = pd.DatetimeIndex(df.pop("ts"))
    df.index = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
    df.index.name = None
    df = df.rename(columns={v: k for k, v in _LOWER.items()} | {"trades": "Trades"})
    return df


def merge_bars(df: pd.DataFrame) -> pd.DataFrame:
    """Merge rows that share a timestamp (first open, max high, min low, last close, sum)."""
    if df.empty or df.index.is_unique:
        return df.sort_index()
    grouped = df.groupby(level=0, sort=True)
    out = pd.DataFrame(
        {
            "Open": grouped["Open"].first(),
            "High": grouped["High"].max(),
            "Low": grouped["Low"].min(),
            "Close": grouped["Close"].last(),
            "Volume": grouped["Volume"].sum(),
        }
    )
    if "Trades" in df.columns:
        out["Trades"] = grouped["Trades"].sum()
    return out


class ParquetStore:
    """Market-data files of one data directory."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.root = Path(data_dir if data_dir is not None else get_settings().data_dir)

    # Paths

    def tick_partition(self, day: date, symbol: str) -> Path:
        return self.root / "ticks" / f"date={day.isoformat()}" / f"symbol={_safe(symbol)}"

    def bar_partition(self, day: date, symbol: str) -> Path:
        return self.root / "bars" / "1m" / f"date={day.isoformat()}" / f"symbol={_safe(symbol)}"

    def daily_bars_path(self, symbol: str, source: str) -> Path:
        return self.root / "bars" / "1d" / f"symbol={_safe(symbol)}" / f"{source}.parquet"

    def cache_path(self, source: str, symbol: str, timeframe: str) -> Path:
        return self.root / "cache" / source / f"{_safe(symbol)}-{timeframe}.parquet"

    # Ticks

    def read_ticks(self, symbol: str, day: date) -> pa.Table:
        """All ticks of one symbol on one UTC date, ordered by ``ts_event``."""
        files = sorted(self.tick_partition(day, symbol).glob("*.parquet"))
        if not files:
            return TICK_SCHEMA.empty_table()
        table = pa.concat_tables([pq.read_table(f, schema=TICK_SCHEMA) for f in files])
        return table.sort_by("ts_event")

    # 1-minute bars

    def write_minute_bars(self, symbol: str, df: pd.DataFrame, name: str) -> list[Path]:
        """Write 1-minute bars into their date partitions as ``<name>.parquet``."""
        if df.empty:
            return []
        index = pd.DatetimeIndex(df.index)
        index = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
        df = df.set_axis(index)
        paths = []
        days = index.date
        for day in sorted(set(days)):
            part = df[days == day]
            path = self.bar_partition(day, symbol) / f"{name}.parquet"
            write_table_atomic(path, frame_to_bar_table(part))
            paths.append(path)
        return paths

    def bar_dates(self, symbol: str) -> list[date]:
        """UTC dates that have 1-minute bar files for a symbol."""
        base = self.root / "bars" / "1m"
        if not base.is_dir():
            return []
        out = []
        for d in base.glob("date=*"):
            if (d / f"symbol={_safe(symbol)}").is_dir():
                out.append(date.fromisoformat(d.name.removeprefix("date=")))
        return sorted(out)

    def read_minute_bars(
        self, symbol: str, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame:
        """Merged 1-minute bars of a symbol in ``[start, end)`` (all when unbounded)."""
        days = self.bar_dates(symbol)
        if start is not None:
            days = [d for d in days if d >= start.astimezone(UTC).date()]
        if end is not None:
            days = [d for d in days if d <= end.astimezone(UTC).date()]
        tables = [
            pq.read_table(f, schema=BAR_SCHEMA)
            for d in days
            for f in sorted(self.bar_partition(d, symbol).glob("*.parquet"))
        ]
        if not tables:
            return pd.DataFrame(columns=FRAME_COLUMNS, index=pd.DatetimeIndex([], tz=UTC))
        df = merge_bars(bar_table_to_frame(pa.concat_tables(tables)))
        if start is not None:
            df = df[df.index >= pd.Timestamp(start)]
        if end is not None:
            df = df[df.index < pd.Timestamp(end)]
        return df

    # Daily bars (backfills) and download cache

    def write_daily_bars(self, symbol: str, df: pd.DataFrame, source: str) -> Path:
        path = self.daily_bars_path(symbol, source)
        write_table_atomic(path, frame_to_bar_table(df))
        return path

    def read_daily_bars(self, symbol: str) -> pd.DataFrame | None:
        """Merged daily bars of a symbol written by backfills, or None."""
        files = sorted(self.daily_bars_path(symbol, "x").parent.glob("*.parquet"))
        if not files:
            return None
        tables = [pq.read_table(f, schema=BAR_SCHEMA) for f in files]
        return merge_bars(bar_table_to_frame(pa.concat_tables(tables)))

    def write_cache(self, source: str, symbol: str, timeframe: str, df: pd.DataFrame) -> Path:
        path = self.cache_path(source, symbol, timeframe)
        write_table_atomic(path, frame_to_bar_table(df))
        return path

    def read_cache(self, source: str, symbol: str, timeframe: str) -> pd.DataFrame | None:
        path = self.cache_path(source, symbol, timeframe)
        if not path.exists():
            return None
        return merge_bars(bar_table_to_frame(pq.read_table(path, schema=BAR_SCHEMA)))

    def cache_age_seconds(self, source: str, symbol: str, timeframe: str) -> float | None:
        path = self.cache_path(source, symbol, timeframe)
        if not path.exists():
            return None
        return datetime.now(UTC).timestamp() - path.stat().st_mtime

    def symbols(self) -> set[str]:
        """Symbols that have any bars stored (partition names)."""
        found: set[str] = set()
        dirs: Iterable[Path] = [
            *(self.root / "bars" / "1m").glob("date=*/symbol=*"),
            *(self.root / "bars" / "1d").glob("symbol=*"),
        ]
        for d in dirs:
            found.add(d.name.removeprefix("symbol="))
        return found
