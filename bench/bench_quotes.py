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

from bench._http import Pool
from tests.stack_process import running_stack

RATE = 200
SECONDS = 15


async def _load(api: str, token: str, connections: int = 16) -> list[float]:
    """Open-loop load at RATE requests/s over keep-alive connections.

    Latency runs from the moment a request was due, so queueing behind a slow response
    counts (no coordinated omission).
    """
    lat: list[float] = []
    errors: list[int] = []
    async with Pool(api, connections) as pool:
        auth = {"Authorization": f"Bearer {token}"}
        reqs = [
            pool.build("GET", f"/api/v1/quotes/{sym}", auth)
            for sym in ("AAPL", "MSFT", "SPY", "BTCUSD")
        ]

        async def one(raw: bytes, due: float) -> None:
            status, _ = await pool.send(raw)
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
    q = statistics.quantiles(lat, n=100, method="inclusive")
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
