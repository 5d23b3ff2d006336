"""GET /quotes/{symbol}: latency at a fixed 200 requests/s against the real API process.

Target: p99 under 10 ms at 200 requests/s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import redis
from paperdesk_core.contracts.events import MarketTick
from paperdesk_core.marketdata.quotes import write_quotes
from paperdesk_core.redis_server import EmbeddedRedis

from tests.stack_process import running_stack

RATE = 200
SECONDS = 15


async def _request(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes) -> int:
    """Send one keep-alive HTTP/1.1 request and read its response; return the status."""
    reader, writer = conn
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _load(api: str, token: str, connections: int = 16) -> list[float]:
    """Open-loop load at RATE requests/s over keep-alive connections.

    The client is a few lines of asyncio (an HTTP library costs more CPU per request than
    the server does, on 2 cores that would measure the client). Latency runs from the
    moment a request was due, so queueing behind a slow response counts (no coordinated
    omission).
    """
    host, port = api.removeprefix("http://").split(":")
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, int(port)))
    reqs = [
        (
            f"GET /api/v1/quotes/{sym} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        for sym in ("AAPL", "MSFT", "SPY", "BTCUSD")
    ]
    lat: list[float] = []
    errors: list[int] = []

    async def one(raw: bytes, due: float) -> None:
        conn = await pool.get()
        try:
            status = await _request(conn, raw)
        finally:
            pool.put_nowait(conn)
        lat.append((time.perf_counter() - due) * 1000)
        if status != 200:
            errors.append(status)

    for i in range(100):  # warm up connections and caches
        await one(reqs[i % 4], time.perf_counter())
    lat.clear()
    tasks = []
    start = time.perf_counter()
    for i in range(RATE * SECONDS):
        due = start + i / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(reqs[i % 4], due)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait()[1].close()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return lat


def run() -> dict[str, Any]:
    own_redis = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        own_redis = EmbeddedRedis()
        redis_url = own_redis.start()
    try:
        client = redis.Redis.from_url(redis_url)
        ticks = [
            MarketTick(symbol=s, price=Decimal("100.5"), size=Decimal(1), ts_event=time.time_ns(),
                       ts_init=time.time_ns(), source="sim")
            for s in ("AAPL", "MSFT", "SPY", "BTCUSD")
        ]  # fmt: skip
        pipe = client.pipeline()
        write_quotes(pipe, ticks)
        pipe.execute()
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_stack(Path(tmp), only="api", env={"REDIS_URL": redis_url}) as stack,
        ):
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            httpx.post(
                f"{stack.api_url}/api/v1/auth/register",
                json={"email": email, "password": "bench-pass-1"},
            ).raise_for_status()
            token = httpx.post(f"{stack.api_url}/api/v1/auth/login",
                               data={"username": email, "password": "bench-pass-1"}).json()["access_token"]  # fmt: skip
            lat = asyncio.run(_load(stack.api_url, token))
    finally:
        if own_redis:
            own_redis.stop()
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    return {
        "requests": len(lat),
        "rate_rps": RATE,
        "p50_ms": round(q[49], 3),
        "p95_ms": round(q[94], 3),
        "p99_ms": round(q[98], 3),
        "max_ms": round(lat[-1], 3),
        "target_p99_ms": 10,
        "met": q[98] < 10,
    }
