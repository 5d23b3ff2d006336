"""Live quotes: one background task per browser session streams them from the API.

The task connects to the API WebSocket with the user's token, subscribes to the symbols
the dashboard shows (`watched`), keeps only the newest quote per symbol and writes them
into the state at most `FLUSH_INTERVAL` apart, so a busy feed costs a session ~4 deltas a
second. It reconnects with backoff and stops on logout, on a rejected token, or once the
browser tab has been gone for `DISCONNECT_GRACE` seconds.

Every page load starts the task anew and the newest one takes over: Reflex cancels the
previous page's unfinished on_load chain, a running stream task included, on navigation,
reload and reconnect, so a task that only started when no other seemed alive left the
session without quotes after a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import reflex as rx
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from paperdesk_web.api_client import Quote, Watchlist, stream_url
from paperdesk_web.states._quotes import (
    QuoteView,
    Tile,
    build_tiles,
    push_spark,
    quote_view,
    spark_values,
)
from paperdesk_web.states.auth import AuthState

logger = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.25  # seconds between two state updates of one session (~4 Hz)
IDLE_CHECK = 0.5  # how often an idle stream looks at subscriptions and the session
SPARK_STEP = 1.0  # a sparkline gets a new point at most once a second per symbol
BACKOFF_MIN = 0.5
BACKOFF_MAX = 5.0
DISCONNECT_GRACE = 15.0
AUTH_CLOSE_CODES = frozenset({1008, 4001, 4003, 4401, 4403})


class StreamAuthError(Exception):
    """The API refused the token."""


def _client_connected(client_token: str) -> bool:
    """Whether the browser tab of a session still has its Reflex socket open."""
    from paperdesk_web.app import app  # the app module imports the states

    namespace = app.event_namespace
    if namespace is None or not client_token:
        return True
    return client_token in namespace.token_to_sid


async def sync_subscriptions(ws: Any, wanted: set[str], subscribed: set[str]) -> set[str]:
    """Tell the API stream which quote symbols to add and drop; return the new set."""
    if added := sorted(wanted - subscribed):
        await ws.send(json.dumps({"action": "subscribe", "quotes": added}))
    if removed := sorted(subscribed - wanted):
        await ws.send(json.dumps({"action": "unsubscribe", "quotes": removed}))
    return wanted


class ClientPresence:
    """Whether a session's browser tab has been gone longer than ``DISCONNECT_GRACE``."""

    def __init__(self, client_token: str) -> None:
        self.client_token = client_token
        self.gone_since: float | None = None

    def gone(self) -> bool:
        if _client_connected(self.client_token):
            self.gone_since = None
            return False
        now = time.monotonic()
        if self.gone_since is None:
            self.gone_since = now
        return now - self.gone_since > DISCONNECT_GRACE


def _parse_quote_message(raw: str | bytes) -> Mapping[str, Any] | None:
    """Return the quote of a stream message, or None for anything else."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") != "quote":
        return None
    data = message.get("data")
    if not isinstance(data, dict) or not data.get("symbol"):
        return None
    return data


class LiveState(AuthState):
    """Connection status, the subscribed symbols and their latest quotes as tiles."""

    status: rx.Field[str] = rx.field("offline")  # live | reconnecting | offline
    watched: rx.Field[list[str]] = rx.field(default_factory=list)
    tiles: rx.Field[list[Tile]] = rx.field(default_factory=list)

    _quotes: dict[str, QuoteView] = {}
    _names: dict[str, str] = {}
    _sparks: dict[str, list[float]] = {}
    _spark_at: dict[str, float] = {}
    _stream_gen: int = 0

    # Helpers used by this state and by the dashboard (a substate).
    def _refresh_tiles(self) -> None:
        self.tiles = build_tiles(self.watched, self._quotes, self._sparks, self._names)

    def _apply_quotes(self, quotes: Mapping[str, Mapping[str, Any]]) -> None:
        """Merge stream quotes into the views and sparklines, then rebuild the tiles."""
        now = time.monotonic()
        views = dict(self._quotes)
        sparks = dict(self._sparks)
        spark_at = dict(self._spark_at)
        for symbol, data in quotes.items():
            views[symbol] = quote_view(data)
            points = sparks.get(symbol, [])
            if now - spark_at.get(symbol, 0.0) >= SPARK_STEP or not points:
                sparks[symbol] = push_spark(points, data.get("price"))
                spark_at[symbol] = now
            else:  # move the newest point instead of adding one
                sparks[symbol] = push_spark(points[:-1], data.get("price"))
        self._quotes = views
        self._sparks = sparks
        self._spark_at = spark_at
        self._refresh_tiles()

    def _show_watchlist(self, watchlist: Watchlist) -> None:
        """Show a watchlist: its symbols (subscribed by the stream), quotes and sparklines."""
        symbols: list[str] = []
        views = dict(self._quotes)
        sparks = dict(self._sparks)
        names = dict(self._names)
        for item in watchlist.get("items", []):
            symbol = str(item["symbol"])
            symbols.append(symbol)
            names[symbol] = str(item.get("name") or "")
            quote = item.get("quote")
            if quote:
                views[symbol] = quote_view(quote)
            history = spark_values(item.get("spark") or [])
            if history:
                sparks[symbol] = history
            elif quote and symbol not in sparks:
                sparks[symbol] = push_spark([], quote.get("price"))
        self.watched = symbols
        self._quotes = views
        self._sparks = sparks
        self._names = names
        self._refresh_tiles()

    def _apply_rest_quotes(self, quotes: list[Quote]) -> None:
        self._apply_quotes({str(q["symbol"]): q for q in quotes if q.get("symbol")})

    def _stream_is_current(self, gen: int, token: str) -> bool:
        """Whether task ``gen`` still serves this session (inside ``async with self``)."""
        return self._stream_gen == gen and bool(self.token) and self.token == token

    @rx.event(background=True)
    async def run_stream(self) -> None:
        """Stream quotes from the API for this session until it ends (the newest call wins)."""
        async with self:
            self._stream_gen += 1  # an older task of this session leaves at its next check
            if not self.token:
                self.status = "offline"
                return
            gen = self._stream_gen
            token = self.token
            client_token = self.router.session.client_token
        backoff = BACKOFF_MIN
        while True:
            try:
                async with websockets.connect(
                    stream_url(token), open_timeout=5, ping_interval=20, ping_timeout=20
                ) as ws:
                    backoff = BACKOFF_MIN
                    if not await self._pump(ws, gen, token, client_token):
                        return
            except StreamAuthError:
                async with self:
                    if self._stream_gen == gen:
                        self.status = "offline"
                return
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    async with self:
                        if self._stream_gen == gen:
                            self.status = "offline"
                    return
            except (OSError, TimeoutError, WebSocketException) as exc:
                logger.debug("quote stream dropped: %r", exc)
            async with self:
                if not self._stream_is_current(gen, token):
                    return
                self.status = "reconnecting"
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _pump(
        self, ws: websockets.ClientConnection, gen: int, token: str, client_token: str
    ) -> bool:
        """Relay quotes of one connection; False when the session is over, True to reconnect."""
        pending: dict[str, Mapping[str, Any]] = {}
        arrived = asyncio.Event()

        async def read() -> None:
            async for raw in ws:
                if (data := _parse_quote_message(raw)) is not None:
                    pending[str(data["symbol"])] = data  # only the newest per symbol
                    arrived.set()

        reader = asyncio.create_task(read())
        subscribed: set[str] = set()
        last_flush = 0.0
        presence = ClientPresence(client_token)
        try:
            while True:
                if not reader.done():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(arrived.wait(), timeout=IDLE_CHECK)
                if reader.done():
                    exc = reader.exception()
                    if isinstance(exc, ConnectionClosed) and (
                        exc.rcvd is not None and exc.rcvd.code in AUTH_CLOSE_CODES
                    ):
                        raise StreamAuthError from exc
                    return True
                if (delay := last_flush + FLUSH_INTERVAL - time.monotonic()) > 0:
                    await asyncio.sleep(delay)  # throttle: collect quotes until the next slot
                arrived.clear()
                batch = dict(pending)
                pending.clear()
                async with self:
                    if not self._stream_is_current(gen, token):
                        return False
                    if self.status != "live":
                        self.status = "live"
                    if batch:
                        self._apply_quotes(batch)
                    wanted = set(self.watched)
                last_flush = time.monotonic()
                if wanted != subscribed:
                    subscribed = await sync_subscriptions(ws, wanted, subscribed)
                if presence.gone():
                    async with self:
                        if self._stream_gen == gen:
                            self.status = "offline"
                    return False
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
