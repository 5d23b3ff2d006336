"""WebSocket /api/v1/stream: live quotes now; orders, fills and account updates later."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from paperdesk_core.db import get_sessionmaker
from paperdesk_core.db.models import Account, User
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from paperdesk_api.modules.auth._security import read_token
from paperdesk_api.modules.market._instruments import instruments
from paperdesk_api.modules.ops._metrics import WEBSOCKET_CONNECTIONS
from paperdesk_api.modules.stream.schemas import ClientAction, error, event
from paperdesk_api.modules.stream.service import Connection, QuoteHub

router = APIRouter(tags=["stream"])

CLOSE_UNAUTHENTICATED = 4401
MAX_MESSAGE_CHARS = 16_384


def _active_user_accounts(user_id: uuid.UUID) -> set[str] | None:
    """The ids of an active user's accounts; None when the user is gone or disabled."""
    with get_sessionmaker()() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        ids = session.scalars(select(Account.id).where(Account.user_id == user_id)).all()
        return {str(i) for i in ids}


def _split_known(symbols: list[str]) -> tuple[list[str], list[str]]:
    known = [s for s in symbols if instruments.get(s) is not None]
    return known, [s for s in symbols if s not in known]


async def _pump(websocket: WebSocket, conn: Connection) -> None:
    # The only writer to the socket, so sends never interleave.
    while True:
        message = await conn.queue.get()
        await websocket.send_json(message)


async def _handle(hub: QuoteHub, conn: Connection, raw: str) -> None:
    if len(raw) > MAX_MESSAGE_CHARS:
        conn.push(error("message_too_large", f"messages are limited to {MAX_MESSAGE_CHARS}"))
        return
    try:
        data: Any = json.loads(raw)
        action = ClientAction.model_validate(data)
    except (ValueError, ValidationError) as exc:
        text = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "not JSON"
        conn.push(error("invalid_message", f'expected {{"action","quotes"}}: {text}'))
        return
    if action.action == "ping":
        conn.push(event("pong", {}))
        return
    if action.action == "unsubscribe":
        hub.unsubscribe(conn, action.quotes)
        return
    known, unknown = await run_in_threadpool(_split_known, action.quotes)
    if unknown:
        conn.push(error("unknown_symbol", f"unknown symbol(s): {', '.join(unknown)}"))
    try:
        await hub.subscribe(conn, known)
    except RedisError:
        conn.push(error("unavailable", "could not read the current quotes"))


@router.websocket("/stream")
async def stream(websocket: WebSocket, token: str | None = None) -> None:
    """Push quotes a client subscribes to, and its own order/fill/account events."""
    # Accept first: a close before the handshake reaches browsers as a bare HTTP 403,
    # losing the 4401 code that tells the client to log in again.
    await websocket.accept()
    user_id = read_token(token) if token else None
    accounts = await run_in_threadpool(_active_user_accounts, user_id) if user_id else None
    if user_id is None or accounts is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="unauthenticated")
        return
    hub: QuoteHub = websocket.app.state.quote_hub
    if not await hub.start():
        await websocket.send_json(error("unavailable", "live quotes are unavailable"))
    conn = Connection(user_id)
    conn.account_ids = accounts
    hub.connect(conn)
    WEBSOCKET_CONNECTIONS.inc()
    sender = asyncio.create_task(_pump(websocket, conn))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            await _handle(hub, conn, raw)
            if sender.done():  # the client stopped reading
                break
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        hub.disconnect(conn)
        WEBSOCKET_CONNECTIONS.dec()
