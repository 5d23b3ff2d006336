from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from paperdesk_core.bus import decode
from paperdesk_core.config import get_settings
from paperdesk_core.contracts.streams import feed_heartbeat_key, market_trades, quote_key
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.__main__ import main
from paperdesk_ingestion.parquet_sink import ParquetSink
from paperdesk_ingestion.publisher import Publisher
from paperdesk_ingestion.service import run_ingestion
from paperdesk_ingestion.sources.sim import SimSource


def test_run_ingestion_pumps_sim_into_redis_and_parquet(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    redis_client.delete(market_trades("sim"))
    store = ParquetStore(tmp_path)
    source = SimSource(seed=9, tick_hz=100)
    publisher = Publisher(redis_client, "sim")
    sink = ParquetSink(store, roll_seconds=0.5)

    async def scenario() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.5, stop.set)
        await run_ingestion(source, publisher, sink, stop)

    asyncio.run(scenario())
    assert publisher.stats.ticks > 13 * 50
    assert sink.stats.ticks == publisher.stats.ticks
    assert redis_client.xlen(market_trades("sim")) > 13
    assert redis_client.exists(quote_key("NVDA"))
    assert list((tmp_path / "ticks").rglob("*.parquet"))
    assert not store.read_minute_bars("NVDA").empty


def test_backfill_cli_writes_sim_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert (
            main(["backfill", "--symbols", "AAPL,BTCUSD", "--timeframe", "1m", "--days", "3"]) == 0
        )
        assert main(["backfill", "--symbols", "MSFT", "--timeframe", "1d", "--days", "30"]) == 0
    finally:
        get_settings.cache_clear()
    store = ParquetStore(tmp_path)
    assert len(store.read_minute_bars("AAPL")) == 3 * 390
    assert len(store.read_minute_bars("BTCUSD")) == 3 * 1440
    daily = store.read_daily_bars("MSFT")
    assert daily is not None
    assert 15 <= len(daily) <= 23


def test_module_runs_until_sigterm(redis_url: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(market_trades("sim"), feed_heartbeat_key("sim"), quote_key("QQQ"))
    env = dict(
        os.environ,
        REDIS_URL=redis_url,
        PAPERDESK_DATA_DIR=str(tmp_path),
        PAPERDESK_SIM_TICK_HZ="20",
        PAPERDESK_FEED="sim",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperdesk_ingestion", "run"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and client.xlen(market_trades("sim")) < 50:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        _, fields = client.xrevrange(market_trades("sim"), count=1)[0]
        assert decode(fields).event_type == "market.ticks"
        assert client.exists(quote_key("QQQ"))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "parquet sink closed" in err
    assert list((tmp_path / "ticks").rglob("*.parquet"))
    client.close()
