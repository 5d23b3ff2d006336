from __future__ import annotations

import json
from decimal import Decimal

import redis
from paperdesk_core.bus import decode
from paperdesk_core.contracts.events import MarketTicks
from paperdesk_core.contracts.streams import (
    feed_heartbeat_key,
    market_trades,
    prev_close_key,
    quote_channel,
    quote_key,
    spark_key,
)
from paperdesk_core.marketdata.quotes import read_quotes, read_sparks

from paperdesk_ingestion.publisher import Publisher
from paperdesk_ingestion.sources.sim import SimSource

T0 = 1_795_449_600_000_000_000


def test_ticks_land_in_stream_and_latest_quote(redis_client: redis.Redis) -> None:
    source = "simtest"
    redis_client.delete(market_trades(source), quote_key("AAPL"), spark_key("AAPL"))
    sim = SimSource(seed=5)
    sim.name = source  # a stream of its own for this test
    pub = Publisher(redis_client, source, maxlen=10_000)
    pub.set_prev_closes(sim.prev_closes())
    sub = redis_client.pubsub()
    sub.subscribe(quote_channel("AAPL"))
    sub.get_message(timeout=1)

    batch = sim.generate(20, T0, 250_000_000)
    assert pub.publish(batch) == len(batch)

    entries = redis_client.xrange(market_trades(source))
    assert len(entries) == 13  # one envelope per symbol
    envs = [decode(fields) for _, fields in entries]
    assert all(isinstance(e.payload, MarketTicks) for e in envs)
    aapl = next(e for e in envs if e.key == "AAPL")
    assert aapl.event_type == "market.ticks"
    ticks = aapl.payload.ticks()  # type: ignore[attr-defined]
    assert len(ticks) == 20
    idx = batch.groups()["AAPL"]
    assert [t.price for t in ticks] == [Decimal(repr(p)) for p in batch.price[idx].tolist()]
    assert [t.ts_event for t in ticks] == batch.ts_event[idx].tolist()

    q = read_quotes(redis_client, ["AAPL"])["AAPL"]
    assert q is not None
    assert q.price == Decimal(repr(float(batch.price[idx[-1]]))).quantize(Decimal("0.01"))
    assert q.bid is not None
    assert q.ask is not None
    assert q.bid < q.ask
    assert q.source == source
    assert q.prev_close == Decimal("228.50")
    assert redis_client.get(prev_close_key("AAPL")) == b"228.50"
    assert int(redis_client.get(feed_heartbeat_key(source)) or 0) > 0
    msg = sub.get_message(timeout=1)
    assert msg is not None
    assert json.loads(msg["data"])["symbol"] == "AAPL"
    sub.close()

    # Sparklines are sampled about once per second per symbol.
    assert len(read_sparks(redis_client, ["AAPL"])["AAPL"]) == 1
    pub.publish(sim.generate(1, T0 + 20 * 250_000_000, 250_000_000))  # 0.25 s later
    assert len(read_sparks(redis_client, ["AAPL"])["AAPL"]) == 1
    pub.publish(sim.generate(1, T0 + 10_000_000_000, 250_000_000))
    assert len(read_sparks(redis_client, ["AAPL"])["AAPL"]) == 2
    assert pub.stats.ticks == len(batch) + 26


def test_stream_is_capped(redis_client: redis.Redis) -> None:
    source = "simcap"
    redis_client.delete(market_trades(source))
    sim = SimSource(seed=6)
    pub = Publisher(redis_client, source, maxlen=100)
    for k in range(40):
        pub.publish(sim.generate(2, T0 + k * 10**9, 250_000_000))
    # MAXLEN ~ trims whole macro nodes: approximately capped, never unbounded.
    assert redis_client.xlen(market_trades(source)) < 40 * 13
