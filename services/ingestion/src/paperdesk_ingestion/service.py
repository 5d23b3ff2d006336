"""The ingestion service: one tick source -> Redis (publisher) + Parquet (sink).

``python -m paperdesk_ingestion run`` needs only ``REDIS_URL`` and ``PAPERDESK_DATA_DIR``
(an embedded Redis is started when no ``REDIS_URL`` is set). It stops cleanly on SIGTERM
or SIGINT: the source is closed and every buffered tick and bar is written out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from paperdesk_core.config import Settings
from paperdesk_core.marketdata.calendars import day_start
from paperdesk_core.marketdata.history import history_today
from paperdesk_core.marketdata.store import ParquetStore
from paperdesk_core.redis_server import EmbeddedRedis
from paperdesk_core.universe import DEFAULT_UNIVERSE

from paperdesk_ingestion.parquet_sink import ParquetSink
from paperdesk_ingestion.publisher import Publisher
from paperdesk_ingestion.sources.base import TickSource
from paperdesk_ingestion.sources.finnhub import FinnhubSource
from paperdesk_ingestion.sources.replay import ReplaySource
from paperdesk_ingestion.sources.sim import SimSource

log = logging.getLogger(__name__)

STATS_EVERY_S = 30.0


@dataclass
class RunOptions:
    feed: str
    tick_hz: float | None = None
    bars_per_second: float = 1.0
    symbols: list[str] | None = None


def resume_prices(store: ParquetStore, now: datetime | None = None) -> dict[str, float]:
    """Last close of today's stored 1-minute bars per universe symbol.

    A restarted sim continues where it stopped instead of jumping back to the previous close.
    """
    out: dict[str, float] = {}
    for spec in DEFAULT_UNIVERSE:
        start = day_start(spec.calendar, history_today(spec.symbol, now))
        bars = store.read_minute_bars(spec.symbol, start=start)
        if not bars.empty:
            out[spec.symbol] = float(bars["Close"].iloc[-1])
    return out


def build_source(settings: Settings, opts: RunOptions, store: ParquetStore) -> TickSource:
    """The tick source for a feed name."""
    if opts.feed == "sim":
        return SimSource(
            seed=settings.sim_seed,
            tick_hz=opts.tick_hz or settings.sim_tick_hz,
            start_prices=resume_prices(store),
        )
    if opts.feed == "replay":
        return ReplaySource(opts.symbols, bars_per_second=opts.bars_per_second)
    if opts.feed == "finnhub":
        if not settings.finnhub_api_key:
            raise SystemExit("the finnhub feed needs FINNHUB_API_KEY")
        return FinnhubSource(
            opts.symbols or [s.symbol for s in DEFAULT_UNIVERSE],
            api_key=settings.finnhub_api_key,
            ws_url=settings.finnhub_ws_url,
            rest_url=settings.finnhub_rest_url,
        )
    raise SystemExit(f"unknown feed {opts.feed!r} (sim, replay, finnhub)")


async def run_ingestion(
    source: TickSource,
    publisher: Publisher,
    sink: ParquetSink,
    stop: asyncio.Event,
) -> None:
    """Pump batches from the source into Redis and Parquet until ``stop`` is set."""
    closes = await asyncio.to_thread(source.prev_closes)
    publisher.set_prev_closes(closes)
    log.info(
        "ingestion %s: %d symbols, %d prev closes", source.name, len(source.symbols()), len(closes)
    )

    async def roll_when_idle() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            sink.maybe_flush()

    roller = asyncio.create_task(roll_when_idle())
    last_stats, last_ticks, failing = time.monotonic(), 0, False
    try:
        async for batch in source.stream(stop):
            try:
                publisher.publish(batch)
                if failing:
                    log.info("redis is back")
                failing = False
            except redis.RedisError as exc:
                if not failing:
                    log.error("publishing to redis failed (%s); ticks still go to parquet", exc)
                failing = True
            sink.write(batch)
            now = time.monotonic()
            if now - last_stats >= STATS_EVERY_S:
                rate = (sink.stats.ticks - last_ticks) / (now - last_stats)
                log.info(
                    "ingestion %s: %.1f ticks/s, %d ticks total",
                    source.name,
                    rate,
                    sink.stats.ticks,
                )
                last_stats, last_ticks = now, sink.stats.ticks
            if stop.is_set():
                break
    finally:
        stop.set()
        roller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await roller
        await source.aclose()
        sink.close()


def run(settings: Settings, opts: RunOptions) -> int:
    """Run the service in this process until SIGTERM/SIGINT."""
    embedded: EmbeddedRedis | None = None
    url = settings.redis_url
    if not url:
        embedded = EmbeddedRedis(workdir=settings.data_dir / "redis")
        url = embedded.start()
        log.warning("REDIS_URL is not set: started an embedded Redis on %s", url)
    client: Any = redis.Redis.from_url(url)
    store = ParquetStore(settings.data_dir)
    try:
        source = build_source(settings, opts, store)
        publisher = Publisher(client, source.name, maxlen=settings.stream_maxlen)
        sink = ParquetSink(
            store, roll_seconds=settings.parquet_roll_seconds, roll_rows=settings.parquet_roll_rows
        )

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await run_ingestion(source, publisher, sink, stop)

        started = datetime.now(UTC)
        asyncio.run(main())
        log.info(
            "ingestion stopped after %.0fs: %d ticks published",
            (datetime.now(UTC) - started).total_seconds(),
            publisher.stats.ticks,
        )
        return 0
    finally:
        client.close()
        if embedded:
            embedded.stop()
