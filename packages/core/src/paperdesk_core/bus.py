"""Publish and consume envelopes on Redis Streams, with consumer groups and a dead-letter stream."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
from pydantic import ValidationError

from paperdesk_core.config import get_settings
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import PAYLOADS, Payload
from paperdesk_core.contracts.streams import dead_letter

log = logging.getLogger(__name__)

FIELD = "e"
MAX_DELIVERIES = 5


def redis_client(url: str | None = None) -> redis.Redis:
    """Return a Redis client for the configured (or given) URL."""
    target = url or get_settings().redis_url
    if not target:
        raise RuntimeError("REDIS_URL is not set (paperdesk up starts an embedded Redis)")
    return redis.Redis.from_url(target, decode_responses=False)


def encode(envelope: Envelope[Any]) -> dict[Any, Any]:
    """Serialize an envelope into stream fields."""
    return {FIELD.encode(): envelope.model_dump_json().encode()}


def decode(fields: dict[bytes, bytes]) -> Envelope[Payload]:
    """Validate stream fields into an envelope with its typed payload.

    Raises:
        ValueError: the message is not a valid envelope or its payload fails validation.
    """
    raw = fields.get(FIELD.encode())
    if raw is None:
        raise ValueError("message has no envelope field")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"envelope is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("envelope is not an object")
    model = PAYLOADS.get(str(data.get("event_type")))
    if model is None:
        raise ValueError(f"unknown event_type {data.get('event_type')!r}")
    try:
        return Envelope[model].model_validate(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


@dataclass(frozen=True)
class Message:
    stream: str
    message_id: str
    envelope: Envelope[Payload]


class EventBus:
    """Thin layer over Redis Streams that speaks envelopes."""

    def __init__(
        self, client: redis.Redis | redis.asyncio.Redis, *, maxlen: int | None = None
    ) -> None:
        # redis-py's annotations mix sync and async results; treat replies as Any here.
        self.r: Any = client
        self.maxlen = maxlen if maxlen is not None else get_settings().stream_maxlen

    def publish(self, stream: str, envelope: Envelope[Any]) -> str:
        """Validate and append one envelope; return its message id."""
        msg_id = self.r.xadd(stream, encode(envelope), maxlen=self.maxlen, approximate=True)
        return msg_id.decode() if isinstance(msg_id, bytes) else str(msg_id)

    async def apublish(self, stream: str, envelope: Envelope[Any]) -> None:
        """``publish`` on an asyncio client (``redis.asyncio``)."""
        await self.r.xadd(stream, encode(envelope), maxlen=self.maxlen, approximate=True)

    def publish_many(self, stream: str, envelopes: Iterable[Envelope[Any]]) -> int:
        """Append many envelopes in one pipelined round trip; return how many."""
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for env in envelopes:
            pipe.xadd(stream, encode(env), maxlen=self.maxlen, approximate=True)
            n += 1
        pipe.execute()
        return n

    def ensure_group(self, stream: str, group: str, start: str = "$") -> None:
        """Create a consumer group (and the stream) if missing."""
        try:
            self.r.xgroup_create(stream, group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def consume(
        self,
        streams: Sequence[str],
        group: str,
        consumer: str,
        *,
        count: int = 100,
        block_ms: int = 1000,
    ) -> list[Message]:
        """Read new messages for a consumer; invalid ones go to the dead-letter stream."""
        resp = self.r.xreadgroup(
            group, consumer, dict.fromkeys(streams, ">"), count=count, block=block_ms
        )
        return self._decode_batch(resp, group)

    def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int = 30_000, count: int = 100
    ) -> list[Message]:
        """Claim messages left pending by a dead consumer; poison ones are dead-lettered."""
        resp = self.r.xautoclaim(stream, group, consumer, min_idle_time=min_idle_ms, count=count)
        entries = resp[1] if resp else []
        if not entries:
            return []
        ids = [mid for mid, _ in entries]
        pending = self.r.xpending_range(stream, group, min=ids[0], max=ids[-1], count=len(ids))
        deliveries = {p["message_id"]: p["times_delivered"] for p in pending}
        fresh = []
        for mid, fields in entries:
            if fields is None:
                self.r.xack(stream, group, mid)
                continue
            if deliveries.get(mid, 0) > MAX_DELIVERIES:
                self.dead_letter(stream, group, mid, fields, "delivered too many times")
                continue
            fresh.append((mid, fields))
        return self._decode_batch([[stream.encode(), fresh]], group)

    def ack(self, msg: Message, group: str) -> None:
        self.r.xack(msg.stream, group, msg.message_id)

    def ack_many(self, msgs: Iterable[Message], group: str) -> None:
        """Acknowledge messages with one XACK per stream, pipelined."""
        by_stream: dict[str, list[str]] = {}
        for m in msgs:
            by_stream.setdefault(m.stream, []).append(m.message_id)
        pipe = self.r.pipeline(transaction=False)
        for stream, ids in by_stream.items():
            pipe.xack(stream, group, *ids)
        pipe.execute()

    def dead_letter(
        self, stream: str, group: str, msg_id: Any, fields: dict[bytes, bytes], error: str
    ) -> None:
        """Move a message to ``dlq:<stream>`` with the error and ack it."""
        payload = dict(fields)
        payload[b"error"] = error.encode()[:4000]
        payload[b"source_stream"] = stream.encode()
        payload[b"source_id"] = msg_id if isinstance(msg_id, bytes) else str(msg_id).encode()
        pipe = self.r.pipeline()
        pipe.xadd(dead_letter(stream), payload, maxlen=100_000, approximate=True)
        pipe.xack(stream, group, msg_id)
        pipe.execute()
        log.warning("dead-lettered %s from %s: %s", msg_id, stream, error[:200])

    def _decode_batch(self, resp: Any, group: str) -> list[Message]:
        out: list[Message] = []
        for stream_b, entries in resp or []:
            stream = stream_b.decode() if isinstance(stream_b, bytes) else str(stream_b)
            for mid, fields in entries:
                try:
                    env = decode(fields)
                except ValueError as exc:
                    self.dead_letter(stream, group, mid, fields, str(exc))
                    continue
                out.append(Message(stream, mid.decode() if isinstance(mid, bytes) else mid, env))
        return out

    # Dead-letter administration (paperdesk dlq list|replay|purge)

    def dlq_list(self, stream: str, count: int = 100) -> list[tuple[str, dict[str, str]]]:
        rows = self.r.xrange(dead_letter(stream), count=count)
        return [
            (mid.decode(), {k.decode(): v.decode(errors="replace") for k, v in f.items()})
            for mid, f in rows
        ]

    def dlq_replay(self, stream: str) -> int:
        """Re-publish dead-lettered messages to their stream; return how many."""
        n = 0
        for mid, fields in self.r.xrange(dead_letter(stream)):
            body = {k: v for k, v in fields.items() if k == FIELD.encode()}
            if body:
                self.r.xadd(stream, body)
                n += 1
            self.r.xdel(dead_letter(stream), mid)
        return n

    def dlq_purge(self, stream: str) -> int:
        n = int(self.r.xlen(dead_letter(stream)))
        self.r.delete(dead_letter(stream))
        return n
