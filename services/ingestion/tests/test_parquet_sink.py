from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.batch import TickBatch
from paperdesk_ingestion.parquet_sink import ParquetSink

DAY_END = 1_795_478_100_000_000_000  # 2026-11-23 23:55 UTC


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _random_ticks(n: int, seed: int = 0) -> TickBatch:
    rng = np.random.default_rng(seed)
    syms = np.array(rng.choice(["AAPL", "BTCUSD", "EURUSD"], n), dtype=object)
    ts = np.sort(DAY_END + rng.integers(0, 10 * 60 * 10**9, n))  # across midnight
    price = np.round(100 + np.cumsum(rng.normal(0, 0.05, n)), 2)
    size = rng.integers(1, 500, n).astype(np.float64)
    return TickBatch("sim", syms, price, size, price - 0.01, price + 0.01, ts, ts + 1000)


def _reference(batch: TickBatch, symbol: str) -> pd.DataFrame:
    idx = batch.groups()[symbol]
    s = pd.DataFrame(
        {"price": batch.price[idx], "size": batch.size[idx]},
        index=pd.to_datetime(batch.ts_event[idx], utc=True),
    )
    ohlc = s["price"].resample("1min").ohlc()
    ohlc["volume"] = s["size"].resample("1min").sum()
    ohlc["trades"] = s["price"].resample("1min").count()
    return ohlc.dropna()


def test_partitions_and_minute_bars_match_pandas(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    clock = FakeMonotonic()
    sink = ParquetSink(store, roll_seconds=60, roll_rows=3000, monotonic=clock, writer_id="w1")
    full = _random_ticks(10_000)
    # Deliver in uneven batches, with a few late ticks shuffled within each batch.
    cuts = [0, 1, 700, 2500, 2501, 6000, 10_000]
    for a, b in itertools.pairwise(cuts):
        part = full.take(np.arange(a, b))
        if len(part) > 10:
            order = np.arange(len(part))
            order[3], order[7] = order[7], order[3]
            part = part.take(order)
        sink.write(part)
    assert sink.stats.rolls >= 2  # closed on size
    clock.t = 61.0
    sink.write(TickBatch.empty("sim"))
    sink.close()

    for sym in ["AAPL", "BTCUSD", "EURUSD"]:
        files = sorted(
            f
            for d in (date(2026, 11, 23), date(2026, 11, 24))
            for f in store.tick_partition(d, sym).glob("*.parquet")
        )
        assert files, sym
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        assert rows == len(full.groups()[sym])
        ticks = pq.read_table(files[0])
        assert ticks.column_names == [
            "ts_event",
            "ts_init",
            "price",
            "size",
            "bid",
            "ask",
            "source",
        ]

        bars = store.read_minute_bars(sym)
        ref = _reference(full, sym)
        np.testing.assert_array_equal(bars.index.as_unit("ns"), ref.index.as_unit("ns"))
        np.testing.assert_allclose(bars["Open"], ref["open"])
        np.testing.assert_allclose(bars["High"], ref["high"])
        np.testing.assert_allclose(bars["Low"], ref["low"])
        np.testing.assert_allclose(bars["Close"], ref["close"])
        np.testing.assert_allclose(bars["Volume"], ref["volume"])
        np.testing.assert_array_equal(bars["Trades"], ref["trades"])
    assert {p.name for p in (tmp_path / "ticks").iterdir()} == {
        "date=2026-11-23",
        "date=2026-11-24",
    }
    assert not list(tmp_path.rglob("*.tmp"))


def test_bars_rewritten_while_running_and_merged_across_writers(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    clock = FakeMonotonic()
    batch = _random_ticks(2000, seed=1)
    first, second = batch.take(np.arange(1000)), batch.take(np.arange(1000, 2000))
    a = ParquetSink(store, bar_flush_seconds=5, monotonic=clock, writer_id="a")
    a.write(first)
    assert store.read_minute_bars("AAPL").empty
    clock.t = 6.0
    a.write(TickBatch.empty("sim"))  # bar files refresh on time, tick files not yet
    assert not store.read_minute_bars("AAPL").empty
    assert (
        not list((tmp_path / "ticks").rglob("*.parquet")) if (tmp_path / "ticks").exists() else True
    )
    a.close()
    b = ParquetSink(store, monotonic=clock, writer_id="b")  # a restarted writer
    b.write(second)
    b.close()
    bars = store.read_minute_bars("AAPL")
    ref = _reference(batch, "AAPL")
    np.testing.assert_allclose(bars["Close"], ref["close"])
    np.testing.assert_allclose(bars["Volume"], ref["volume"])
