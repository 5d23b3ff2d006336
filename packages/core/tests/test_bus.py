from __future__ import annotations

from decimal import Decimal

import pytest
import redis

from paperdesk_core.bus import EventBus, decode, encode
from paperdesk_core.contracts import Envelope, EventType, MarketTick
from paperdesk_core.contracts.streams import dead_letter, market_trades


def _tick(price: str = "101.25") -> Envelope[MarketTick]:
    return Envelope[MarketTick](
        event_type=EventType.MARKET_TICK,
        producer="test",
        key="AAPL",
        payload=MarketTick(
            symbol="AAPL",
            price=Decimal(price),
            size=Decimal(5),
            ts_event=1,
            ts_init=2,
            source="sim",
        ),
    )


def test_envelope_round_trips_with_typed_payload() -> None:
    env = _tick()
    back = decode(encode(env))
    assert back == env
    assert isinstance(back.payload, MarketTick)
    assert back.payload.price == Decimal("101.25")


@pytest.mark.parametrize(
    "fields",
    [
        {b"e": b"not json"},
        {b"x": b"{}"},
        {b"e": b'{"event_type": "nope"}'},
        {b"e": b'{"event_type": "market.tick", "producer": "p", "key": "k", "payload": {}}'},
    ],
)
def test_decode_rejects_bad_messages(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(ValueError):
        decode(fields)


def test_consumer_group_delivers_valid_and_dead_letters_invalid(redis_client: redis.Redis) -> None:
    stream = market_trades("unit-test")
    redis_client.delete(stream, dead_letter(stream))
    bus = EventBus(redis_client, maxlen=1000)
    bus.ensure_group(stream, "g", start="0")
    bus.ensure_group(stream, "g", start="0")  # idempotent
    bus.publish_many(stream, [_tick("1"), _tick("2")])
    redis_client.xadd(stream, {"e": "garbage"})
    got = bus.consume([stream], "g", "c1", block_ms=100)
    assert [m.envelope.payload.price for m in got] == [Decimal(1), Decimal(2)]  # type: ignore[attr-defined]
    dlq = bus.dlq_list(stream)
    assert len(dlq) == 1
    assert "not JSON" in dlq[0][1]["error"]
    # Unacked messages are reclaimed by another consumer after idling.
    reclaimed = bus.reclaim(stream, "g", "c2", min_idle_ms=0)
    assert len(reclaimed) == 2
    for m in reclaimed:
        bus.ack(m, "g")
    assert bus.reclaim(stream, "g", "c2", min_idle_ms=0) == []
    assert bus.dlq_replay(stream) == 1
    assert bus.dlq_purge(stream) == 0
