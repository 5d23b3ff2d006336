"""Quote fan-out: one Redis pattern subscription per process feeding every WebSocket.

Each connection owns a bounded queue drained by its own sender task, so one slow
client never holds up the pub/sub reader or the other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from paperdesk_core.bus import decode
from paperdesk_core.config import get_settings
from paperdesk_core.contracts.events import AccountUpdated, OrderFilled, OrderUpdated
from paperdesk_core.contracts.streams import (
    ORDERS_EVENTS,
    PORTFOLIO_UPDATED,
    QUOTES_CHANNEL_PATTERN,
    prev_close_key,
    quote_channel,
    quote_key,
)
from paperdesk_core.marketdata.quotes import parse_quote

from paperdesk_api.modules.ops._metrics import WEBSOCKET_DROPPED
from paperdesk_api.modules.stream.schemas import event

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
PREV_CLOSE_REFRESH_SECONDS = 60.0
_CHANNEL_PREFIX = quote_channel("")


class Connection:
    """One WebSocket client: its user, subscriptions and outgoing queue."""

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.account_ids: set[str] = set()
        self.quotes: set[str] = set()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def push(self, message: dict[str, Any]) -> None:
        """Queue a message; drop the oldest when the client falls behind."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            WEBSOCKET_DROPPED.inc()
        self.queue.put_nowait(message)


class QuoteHub:
    """Owns the process's Redis pub/sub reader and the symbol -> connections index."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Connection]] = defaultdict(set)
        self._connections: set[Connection] = set()
        self._prev_close: dict[str, bytes | None] = {}
        self._prev_close_at = 0.0
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._by_account: dict[str, set[Connection]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()

    # lifecycle

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            url = get_settings().redis_url
            if not url:
                raise RuntimeError("REDIS_URL is not set")
            self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
        return self._client

    async def start(self, wait_seconds: float = 5.0) -> bool:
        """Start the reader on this event loop if needed; wait until it is subscribed."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            if self._loop is not loop:
                # A new event loop (tests, reload): nothing from the old one is usable.
                self._client = None
                self._ready = asyncio.Event()
            self._loop = loop
            self._task = asyncio.create_task(self._run(), name="quote-hub")
            self._events_task = asyncio.create_task(self._run_events(), name="account-events")
        try:
            async with asyncio.timeout(wait_seconds):
                await self._ready.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Stop the reader and close the Redis connection."""
        for task in (self._task, self._events_task):
            if task is not None and task.get_loop() is asyncio.get_running_loop():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = self._events_task = None
        if self._client is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await self._client.aclose()
        self._client = None
        self._ready = asyncio.Event()

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self._redis().pubsub()
            try:
                await pubsub.psubscribe(QUOTES_CHANNEL_PATTERN)
                # Wait for the confirmation: from here on no published quote is missed.
                while (msg := await pubsub.get_message(timeout=5.0)) is None or msg[
                    "type"
                ] != "psubscribe":
                    pass
                self._ready.set()
                backoff = 0.5
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is not None and msg["type"] == "pmessage":
                        self._dispatch(msg["channel"], msg["data"])
                    await self._maybe_refresh_prev_close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._ready.clear()
                log.warning("quote hub lost Redis (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _run_events(self) -> None:
        # Every API process reads the account event streams itself (plain XREAD, no group):
        # each one must push to the WebSockets it holds.
        backoff = 0.5
        last: dict[str, str] = {}
        while True:
            try:
                if not last:
                    # Explicit ids, never "$" in the loop: "$" would skip whatever arrived
                    # between two reads.
                    for stream in (ORDERS_EVENTS, PORTFOLIO_UPDATED):
                        tail = await self._redis().xrevrange(stream, count=1)
                        last[stream] = tail[0][0].decode() if tail else "0-0"
                resp = await self._redis().xread(last, count=500, block=1000)  # type: ignore[arg-type]
                backoff = 0.5
                for stream_b, entries in resp or []:
                    stream = stream_b.decode() if isinstance(stream_b, bytes) else stream_b
                    for mid, fields in entries:
                        last[stream] = mid.decode() if isinstance(mid, bytes) else mid
                        self._dispatch_event(fields)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("account events lost Redis (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _dispatch_event(self, fields: dict[bytes, bytes]) -> None:
        try:
            env = decode(fields)
        except ValueError as exc:
            log.warning("bad account event: %s", exc)
            return
        payload = env.payload
        if isinstance(payload, OrderUpdated):
            message = event("order", payload.data or payload.model_dump(mode="json"))
        elif isinstance(payload, OrderFilled):
            message = event("fill", payload.model_dump(mode="json"))
        elif isinstance(payload, AccountUpdated):
            message = event("account", payload.model_dump(mode="json"))
        else:
            return
        for conn in self._by_account.get(str(payload.account_id), ()):
            conn.push(message)

    # fan-out

    def _dispatch(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        symbol = name.removeprefix(_CHANNEL_PREFIX)
        conns = self._subscribers.get(symbol)
        if not conns:
            return
        try:
            fields = json.loads(data)
            quote = parse_quote(symbol, fields, self._prev_close.get(symbol))
        except (ValueError, TypeError, ArithmeticError) as exc:
            log.warning("bad quote on %s: %s", name, exc)
            return
        if quote is None:
            return
        message = event("quote", quote.to_api())
        for conn in conns:
            conn.push(message)

    async def _maybe_refresh_prev_close(self) -> None:
        # Pub/sub messages carry no previous close; keep it cached for change/change_pct.
        if time.monotonic() - self._prev_close_at < PREV_CLOSE_REFRESH_SECONDS:
            return
        self._prev_close_at = time.monotonic()
        symbols = list(self._subscribers)
        if symbols:
            values = await self._redis().mget([prev_close_key(s) for s in symbols])
            self._prev_close.update(zip(symbols, values, strict=True))

    # connections

    def connect(self, conn: Connection) -> None:
        self._connections.add(conn)
        for account_id in conn.account_ids:
            self._by_account[account_id].add(conn)

    def disconnect(self, conn: Connection) -> None:
        self._connections.discard(conn)
        for account_id in conn.account_ids:
            conns = self._by_account.get(account_id)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self._by_account[account_id]
        self.unsubscribe(conn, list(conn.quotes))

    async def subscribe(self, conn: Connection, symbols: Iterable[str]) -> None:
        """Subscribe a connection and queue each symbol's current quote."""
        new = [s for s in dict.fromkeys(symbols) if s not in conn.quotes]
        for s in new:
            conn.quotes.add(s)
            self._subscribers[s].add(conn)
        if not new:
            return
        pipe = self._redis().pipeline(transaction=False)
        for s in new:
            pipe.hgetall(quote_key(s))
            pipe.get(prev_close_key(s))
        replies = await pipe.execute()
        for i, s in enumerate(new):
            fields, prev = replies[2 * i], replies[2 * i + 1]
            self._prev_close[s] = prev
            quote = parse_quote(s, fields, prev)
            if quote is not None:
                conn.push(event("quote", quote.to_api()))

    def unsubscribe(self, conn: Connection, symbols: Iterable[str]) -> None:
        for s in symbols:
            conn.quotes.discard(s)
            subs = self._subscribers.get(s)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._subscribers[s]
                    self._prev_close.pop(s, None)

    @property
    def connection_count(self) -> int:
        return len(self._connections)
