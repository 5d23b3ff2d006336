"""Order placement through the HTTP API on PostgreSQL, and tick -> fill latency.

Starts ``paperdesk up --only api,workers,ingestion`` (which runs the fill engine) against
a fresh PostgreSQL database. Targets: >= 500 orders/s sustained with 16 concurrent
clients and p99 < 50 ms, timed twice: flat out (each client sends its next order when
the last one is answered: the rate is the most the stack takes, the p99 the one at that
rate) and paced at 500 orders/s; a resting limit order fills < 100 ms (p99) after its tick is
published (through Redis, the fill engine and the database commit), timed once the
engine has taken every order of the placement phase (how long that took is reported).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import redis
import uvloop
from paperdesk_core.bus import decode
from paperdesk_core.contracts.events import OrderFilled
from paperdesk_core.contracts.streams import GROUP_FILLS, ORDERS_ACCEPTED, ORDERS_EVENTS
from paperdesk_core.redis_server import EmbeddedRedis
from paperdesk_core.testing import clear_caches
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench._http import Pool
from tests.stack_process import running_stack
from tests.trading_support import new_symbol, publish_tick, user_headers

CLIENTS = 16
SECONDS = 10
PACED_RATE = 500  # the target rate, held steady for the second placement phase
PACED_WARMUP_S = 1.0  # paced, not recorded: the phase starts on new connections
FILL_SAMPLES = 50
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# Resting limit buys 5% under a quote of 10: each reserves 9.50, nothing fills.
RESTING = {"side": "buy", "type": "limit", "qty": "1", "limit_price": "9.50",
           "time_in_force": "gtc"}  # fmt: skip


async def _place_load(api: str, headers: list[dict[str, str]], symbol: str) -> list[float]:
    # Closed loop: each client sends its next order as soon as the last one is answered.
    lat: list[float] = []
    body = {"symbol": symbol, **RESTING}
    async with Pool(api, CLIENTS) as pool:
        reqs = [pool.build("POST", "/api/v1/orders", h, body) for h in headers]

        async def worker(raw: bytes, until: float, record: bool) -> None:
            while time.perf_counter() < until:
                t0 = time.perf_counter()
                status, answer = await pool.send(raw)
                if record:
                    lat.append((time.perf_counter() - t0) * 1000)
                if status != 201:
                    raise RuntimeError(f"order answered {status}: {answer[:200]!r}")

        warm = time.perf_counter() + 2
        await asyncio.gather(*(worker(r, warm, False) for r in reqs))
        until = time.perf_counter() + SECONDS
        await asyncio.gather(*(worker(r, until, True) for r in reqs))
    return lat


async def _paced_load(api: str, headers: list[dict[str, str]], symbol: str) -> list[float]:
    """``PACED_RATE`` orders/s spread over the clients, each on its own fixed schedule.

    A latency runs from the order's scheduled time, so a slow answer also counts against
    the orders queued behind it (no coordinated omission). The first
    ``PACED_WARMUP_S`` run at the same pace and are not recorded, as the closed-loop
    phase has its warm-up.
    """
    lat: list[float] = []
    body = {"symbol": symbol, **RESTING}
    period = CLIENTS / PACED_RATE
    async with Pool(api, CLIENTS) as pool:
        reqs = [pool.build("POST", "/api/v1/orders", h, body) for h in headers]
        start = time.perf_counter() + 0.1
        recorded = start + PACED_WARMUP_S

        async def client(i: int, raw: bytes) -> None:
            due = start + i * period / CLIENTS
            while due < recorded + SECONDS:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                status, answer = await pool.send(raw)
                if due >= recorded:
                    lat.append((time.perf_counter() - due) * 1000)
                if status != 201:
                    raise RuntimeError(f"order answered {status}: {answer[:200]!r}")
                due += period

        await asyncio.gather(*(client(i, r) for i, r in enumerate(reqs)))
    return lat


def _drain(client: redis.Redis, timeout: float = 120) -> float:
    """Wait until the fill engine has taken every accepted order; return how long it took.

    Tick to fill is timed on an engine that has caught up with the placement phase.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        groups = {g["name"].decode(): g for g in client.xinfo_groups(ORDERS_ACCEPTED)}
        fills = groups.get(GROUP_FILLS)
        last = client.xrevrange(ORDERS_ACCEPTED, count=1)
        if (
            fills is not None
            and not fills["pending"]
            and (not last or fills["last-delivered-id"] == last[0][0])
        ):
            return time.perf_counter() - t0
        time.sleep(0.05)
    raise RuntimeError(f"the fill engine did not catch up in {timeout} s")


def _tick_to_fill(api: str, client: redis.Redis) -> list[float]:
    headers = user_headers(api)
    sym = new_symbol()
    lat: list[float] = []
    for _ in range(FILL_SAMPLES):
        publish_tick(client, sym, "101")
        body = {"symbol": sym, "side": "buy", "type": "limit", "qty": "1",
                "limit_price": "100", "time_in_force": "gtc"}  # fmt: skip
        r = httpx.post(f"{api}/api/v1/orders", json=body, headers=headers)
        r.raise_for_status()
        order_id = r.json()["id"]
        time.sleep(0.2)  # let the engine load the order: we time the tick, not placement
        last = client.xrevrange(ORDERS_EVENTS, count=1)
        cursor = last[0][0] if last else b"0"
        t0 = time.perf_counter()
        publish_tick(client, sym, "99.9")
        found = False
        while not found and time.perf_counter() - t0 < 10:
            for _stream, entries in client.xread({ORDERS_EVENTS: cursor}, block=1000) or []:
                for mid, fields in entries:
                    cursor = mid
                    env = decode(fields)
                    if isinstance(env.payload, OrderFilled) and str(env.payload.order_id) == (
                        order_id
                    ):
                        found = True
        if not found:
            raise RuntimeError("a resting order never filled")
        lat.append((time.perf_counter() - t0) * 1000)
    return lat


def _q(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2),
            "max_ms": round(lat[-1], 2)}  # fmt: skip


def run() -> dict[str, Any]:
    base = os.environ.get("BENCH_PG_URL") or PG_DEFAULT
    name = f"pd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(base).set(database=name).render_as_string(hide_password=False)
    own_redis = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        own_redis = EmbeddedRedis()
        redis_url = own_redis.start()
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL")}
    os.environ.update({"DATABASE_URL": db_url, "REDIS_URL": redis_url})
    clear_caches()
    try:
        # Two API processes: one asyncio process per core (PAPERDESK_API_WORKERS).
        env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "PAPERDESK_API_WORKERS": "2"}
        tmp = tempfile.mkdtemp(prefix="bench-orders-")  # kept on failure: stack.log
        with running_stack(Path(tmp), only="api,workers,ingestion", env=env) as stack:
            api = stack.api_url
            headers = [user_headers(api) for _ in range(CLIENTS)]
            client = redis.Redis.from_url(redis_url)
            symbol = new_symbol()
            publish_tick(client, symbol, "10")
            try:
                # uvloop: the load generator shares the 2 cores with what it measures.
                lat = uvloop.run(_place_load(api, headers, symbol))
                _drain(client)  # the paced phase starts with the engine caught up
                paced_lat = uvloop.run(_paced_load(api, headers, symbol))
            except Exception as exc:
                raise RuntimeError(f"placement phase: {exc!r} (log in {tmp})") from exc
            drain_s = _drain(client)
            try:
                fill_lat = _tick_to_fill(api, client)
            except Exception as exc:
                raise RuntimeError(f"tick-to-fill phase: {exc!r} (log in {tmp})") from exc
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        clear_caches()
        if own_redis:
            own_redis.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    place = _q(lat)
    paced = _q(paced_lat)
    fill = _q(fill_lat)
    rate = len(lat) / SECONDS
    return {
        "clients": CLIENTS,
        "api_workers": 2,
        "seconds": SECONDS,
        "orders": len(lat),
        "orders_per_s": round(rate, 1),
        "place": place,
        "paced": {
            "target_orders_per_s": PACED_RATE,
            "orders_per_s": round(len(paced_lat) / SECONDS, 1),
            **paced,
        },
        "engine_caught_up_after_s": round(drain_s, 2),
        "tick_to_fill": fill,
        "targets": {"orders_per_s": 500, "place_p99_ms": 50, "tick_to_fill_p99_ms": 100},
        "met": {
            "orders_per_s": rate >= 500,
            "place_p99": place["p99_ms"] < 50,
            "paced_place_p99": paced["p99_ms"] < 50,
            "tick_to_fill_p99": fill["p99_ms"] < 100,
        },
    }
