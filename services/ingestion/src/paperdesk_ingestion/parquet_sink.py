"""Rolling Parquet sink: ticks partitioned by date and symbol, plus 1-minute OHLCV bars.

Ticks are buffered as numpy column chunks per (UTC date, symbol) and written as one file
per partition whenever the buffers reach ``roll_rows`` rows or ``roll_seconds`` pass
(files are closed on size or time, never appended to). 1-minute bars are aggregated on the
fly with vectorised ``reduceat``; each writer keeps the bars of the days it saw in memory
and rewrites one small file per (date, symbol) every ``bar_flush_seconds``, so readers see
bars that are at most a few seconds old. The open minute is included (readers merge rows
of the same minute across files written by different or restarted writers).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from paperdesk_core.marketdata.store import (
    BAR_SCHEMA,
    TICK_SCHEMA,
    ParquetStore,
    write_table_atomic,
)

from paperdesk_ingestion.batch import TickBatch

log = logging.getLogger(__name__)

NS_PER_MINUTE = 60_000_000_000
NS_PER_DAY = 86_400_000_000_000
MINUTES_PER_DAY = 1440
_KEEP_DAYS = 2  # days of bars kept in memory behind the newest one

# A bar in memory: open, high, low, close, volume, trades, first ts, last ts.
Bar = list[float]


@dataclass
class SinkStats:
    ticks: int = 0
    tick_files: int = 0
    bar_files: int = 0
    rolls: int = 0


def _day(epoch_day: int) -> date:
    return datetime.fromtimestamp(epoch_day * 86_400, UTC).date()


class ParquetSink:
    """Write tick batches to rolling Parquet files and maintain 1-minute bars."""

    def __init__(
        self,
        store: ParquetStore,
        *,
        roll_seconds: float = 60.0,
        roll_rows: int = 500_000,
        bar_flush_seconds: float = 5.0,
        writer_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        compression: str = "zstd",
    ) -> None:
        self.store = store
        self.roll_seconds = roll_seconds
        self.roll_rows = roll_rows
        self.bar_flush_seconds = bar_flush_seconds
        self.writer_id = writer_id or f"{time.time_ns():x}-{os.getpid()}"
        self.compression = compression
        self._now = monotonic
        self.stats = SinkStats()
        self._ticks: dict[tuple[int, str], list[tuple[npt.NDArray[np.generic], ...]]] = {}
        self._sources: dict[tuple[int, str], str] = {}
        self._rows = 0
        self._seq = 0
        self._last_roll = monotonic()
        self._last_bar_flush = monotonic()
        # symbol -> epoch day -> minute index -> bar
        self._bars: dict[str, dict[int, dict[int, Bar]]] = {}
        self._dirty: set[tuple[str, int]] = set()
        self._generation: dict[tuple[str, int], int] = {}

    # Writing

    def write(self, batch: TickBatch) -> None:
        """Buffer a batch and aggregate its bars; roll files when due."""
        if len(batch) == 0:
            self.maybe_flush()
            return
        for sym, idx in batch.groups().items():
            ts = batch.ts_event[idx]
            if ts.shape[0] > 1 and bool(np.any(ts[1:] < ts[:-1])):
                idx = idx[np.argsort(ts, kind="stable")]
                ts = batch.ts_event[idx]
            cols = (
                ts,
                batch.ts_init[idx],
                batch.price[idx],
                batch.size[idx],
                batch.bid[idx],
                batch.ask[idx],
            )
            days = ts // NS_PER_DAY
            first, last = int(days[0]), int(days[-1])
            if first == last:
                self._buffer(first, sym, batch.source, cols)
            else:
                for d in np.unique(days):
                    m = days == d
                    self._buffer(int(d), sym, batch.source, tuple(c[m] for c in cols))
            self._aggregate(sym, ts, cols[2], cols[3])
        self.stats.ticks += len(batch)
        self.maybe_flush()

    def _buffer(
        self, day: int, sym: str, source: str, cols: tuple[npt.NDArray[np.generic], ...]
    ) -> None:
        key = (day, sym)
        self._ticks.setdefault(key, []).append(cols)
        self._sources[key] = source
        self._rows += int(cols[0].shape[0])

    def _aggregate(
        self,
        sym: str,
        ts: npt.NDArray[np.int64],
        price: npt.NDArray[np.float64],
        size: npt.NDArray[np.float64],
    ) -> None:
        minutes = ts // NS_PER_MINUTE
        starts = np.flatnonzero(np.concatenate(([True], minutes[1:] != minutes[:-1])))
        ends = np.concatenate((starts[1:], [len(ts)])) - 1
        highs = np.maximum.reduceat(price, starts)
        lows = np.minimum.reduceat(price, starts)
        vols = np.add.reduceat(size, starts)
        counts = ends - starts + 1
        by_day = self._bars.setdefault(sym, {})
        for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            minute = int(minutes[s])
            day = minute // MINUTES_PER_DAY
            bars = by_day.setdefault(day, {})
            t0, t1 = int(ts[s]), int(ts[e])
            bar = bars.get(minute)
            if bar is None:
                bars[minute] = [
                    float(price[s]), float(highs[i]), float(lows[i]), float(price[e]),
                    float(vols[i]), float(counts[i]), float(t0), float(t1),
                ]  # fmt: skip
            else:
                if t0 < bar[6]:
                    bar[0], bar[6] = float(price[s]), float(t0)
                if t1 >= bar[7]:
                    bar[3], bar[7] = float(price[e]), float(t1)
                bar[1] = max(bar[1], float(highs[i]))
                bar[2] = min(bar[2], float(lows[i]))
                bar[4] += float(vols[i])
                bar[5] += float(counts[i])
            self._dirty.add((sym, day))

    # Flushing

    def maybe_flush(self) -> None:
        """Roll tick files on size or age and rewrite bar files when due."""
        now = self._now()
        if self._rows >= self.roll_rows or (
            self._rows and now - self._last_roll >= self.roll_seconds
        ):
            self.roll()
        if self._dirty and now - self._last_bar_flush >= self.bar_flush_seconds:
            self.flush_bars()

    def roll(self) -> None:
        """Close the buffered ticks into one new file per (date, symbol)."""
        self._last_roll = self._now()
        if not self._ticks:
            return
        self._seq += 1
        for (day, sym), chunks in self._ticks.items():
            cols = [np.concatenate([c[i] for c in chunks]) for i in range(6)]
            n = int(cols[0].shape[0])
            table = pa.Table.from_arrays(
                [pa.array(c) for c in cols] + [pa.repeat(self._sources[(day, sym)], n)],
                schema=TICK_SCHEMA,
            )
            path = self.store.tick_partition(_day(day), sym) / (
                f"part-{self.writer_id}-{self._seq:06d}.parquet"
            )
            write_table_atomic(path, table, compression=self.compression)
            self.stats.tick_files += 1
        self._ticks.clear()
        self._sources.clear()
        self._rows = 0
        self.stats.rolls += 1

    def bars(self, symbol: str, day: date) -> list[tuple[int, Bar]]:
        """This writer's bars of a symbol on a UTC date: ``(minute start ns, bar)``."""
        epoch_day = (datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) // 86_400
        bars = self._bars.get(symbol, {}).get(int(epoch_day), {})
        return [(m * NS_PER_MINUTE, bars[m]) for m in sorted(bars)]

    def flush_bars(self) -> None:
        """Rewrite the bar file of every (date, symbol) that changed."""
        self._last_bar_flush = self._now()
        for sym, day in sorted(self._dirty):
            bars = self._bars.get(sym, {}).get(day)
            if not bars:
                continue
            minutes = sorted(bars)
            rows = np.array([bars[m][:6] for m in minutes], dtype=np.float64)
            ts = np.array(minutes, dtype=np.int64) * NS_PER_MINUTE
            table = pa.Table.from_arrays(
                [
                    pa.array(ts, type=pa.timestamp("ns", tz="UTC")),
                    *(pa.array(rows[:, i]) for i in range(5)),
                    pa.array(rows[:, 5].astype(np.int64)),
                ],
                schema=BAR_SCHEMA,
            )
            gen = self._generation.get((sym, day), 0)
            name = f"part-{self.writer_id}" + (f"-{gen}" if gen else "") + ".parquet"
            write_table_atomic(self.store.bar_partition(_day(day), sym) / name, table)
            self.stats.bar_files += 1
        self._dirty.clear()
        self._evict()

    def _evict(self) -> None:
        for sym, by_day in self._bars.items():
            if len(by_day) <= _KEEP_DAYS + 1:
                continue
            newest = max(by_day)
            for day in [d for d in by_day if d < newest - _KEEP_DAYS]:
                del by_day[day]
                # A late tick for this day starts a new file rather than overwrite the old.
                self._generation[(sym, day)] = self._generation.get((sym, day), 0) + 1

    def flush(self) -> None:
        """Write everything buffered now."""
        self.roll()
        self.flush_bars()

    def close(self) -> None:
        self.flush()
        log.info(
            "parquet sink closed: %d ticks, %d tick files, %d bar files",
            self.stats.ticks,
            self.stats.tick_files,
            self.stats.bar_files,
        )
