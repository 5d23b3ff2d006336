"""Request dependencies as ``Annotated`` aliases: sessions, Redis and the current user."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Annotated

import asyncpg
import redis
import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from paperdesk_core.config import get_settings
from paperdesk_core.db import get_sessionmaker
from paperdesk_core.db.models import User
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from paperdesk_api.errors import Unauthorized
from paperdesk_api.kit.pg_pool import create_pool
from paperdesk_api.modules.auth._security import read_token

TOKEN_URL = "/api/v1/auth/login"  # noqa: S105  (a URL, not a secret)


def get_session() -> Iterator[Session]:
    """Yield a session that commits when the endpoint succeeds and rolls back otherwise."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_read_session() -> Iterator[Session]:
    """Yield a session for read-only routes; it never commits."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client's next request
# sees the data and a failed commit becomes the answer instead of a silent loss.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]

_redis_lock = threading.Lock()
_redis_clients: dict[str, redis.Redis] = {}


def get_redis() -> redis.Redis:
    """Return the process-wide Redis client (one connection pool per URL)."""
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set (paperdesk up starts an embedded Redis)")
    client = _redis_clients.get(url)
    if client is None:
        with _redis_lock:
            client = _redis_clients.get(url)
            if client is None:
                # Few, short retries: a Redis outage should answer 503 quickly, not hang.
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=5,
                    socket_connect_timeout=2,
                    health_check_interval=30,
                    retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
                )
                _redis_clients[url] = client
    return client


RedisDep = Annotated[redis.Redis, Depends(get_redis)]


async def get_async_redis(request: Request) -> aioredis.Redis:
    """Return the app's asyncio Redis client for hot async routes (one per event loop)."""
    loop = asyncio.get_running_loop()
    held = getattr(request.app.state, "async_redis", None)
    if held is not None and held[0] is loop:
        client: aioredis.Redis = held[1]
        return client
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set (paperdesk up starts an embedded Redis)")
    client = aioredis.Redis.from_url(
        url,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry=AsyncRetry(ExponentialBackoff(cap=0.2, base=0.02), 2),
    )
    request.app.state.async_redis = (loop, client)
    return client


AsyncRedisDep = Annotated[aioredis.Redis, Depends(get_async_redis)]


async def get_pg_pool(request: Request) -> asyncpg.Pool | None:
    """The app's asyncio PostgreSQL pool (one per event loop); None on other databases."""
    url = get_settings().db_url
    loop = asyncio.get_running_loop()
    state = request.app.state

    def current() -> asyncpg.Pool | None:
        held = getattr(state, "pg_pool", None)
        if held is not None and held[0] is loop and held[1] == url:
            found: asyncpg.Pool = held[2]
            return found
        return None

    if (pool := current()) is not None:  # the hot path: no URL parsing per request
        return pool
    if make_url(url).get_backend_name() != "postgresql":
        return None
    stale = getattr(state, "pg_pool", None)
    pool = await create_pool(url, get_settings().api_pg_pool_size)
    if (raced := current()) is not None:  # another request made one meanwhile
        await pool.close()
        return raced
    state.pg_pool = (loop, url, pool)
    if stale is not None and stale[0] is loop:
        await stale[2].close()
    return pool


PgPoolDep = Annotated[asyncpg.Pool | None, Depends(get_pg_pool)]

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_token_user_id(token: Annotated[str | None, Depends(_bearer)]) -> uuid.UUID:
    """Verify the bearer token (signature and expiry only, no database, no thread hop)."""
    user_id = read_token(token) if token else None
    if user_id is None:
        raise Unauthorized("a valid bearer token is required")
    return user_id


# For hot read-only routes (quotes): authenticated by signature, no query per request.
TokenUserId = Annotated[uuid.UUID, Depends(get_token_user_id)]


def active_user(session: Session, user_id: uuid.UUID) -> User:
    """Load the token's user; 401 when it no longer exists or is disabled."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("a valid bearer token is required")
    return user


def get_current_user(user_id: TokenUserId, session: SessionDep) -> User:
    """Load the token's user; 401 when it no longer exists or is disabled."""
    return active_user(session, user_id)


CurrentUser = Annotated[User, Depends(get_current_user)]
