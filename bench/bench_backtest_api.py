"""Backtests through the API and a real Celery worker (``paperdesk up --only api,workers``).

* Single backtest (GOOG 2004-2013 daily, sma_cross 10/20) submit-to-result p50, each run
  with a different ``initial_cash`` so the result cache never answers. Target < 500 ms.
* The 1,605-pair SMA sweep (fast 5..50 step 1, slow 10..200 step 5, fast < slow),
  submit-to-result, also cache-bypassed. Target < 3 s.

"Result" means GET /backtests/{id} answered ``succeeded`` (polled every 10 ms).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from paperdesk_core.redis_server import EmbeddedRedis

from tests.stack_process import running_stack

SINGLE_RUNS = 40
SWEEP_RUNS = 5
BASE = {
    "strategy": "sma_cross",
    "params": {"fast": 10, "slow": 20},
    "symbol": "GOOG",
    "start": "2004-08-19",
    "end": "2013-03-01",
    "timeframe": "1d",
    "fees": "0.002",
}
SWEEP = {"fast": {"start": 5, "stop": 50, "step": 1}, "slow": {"start": 10, "stop": 200, "step": 5}}


def _submit_to_result(client: httpx.Client, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    r = client.post("/api/v1/backtests", json=body)
    r.raise_for_status()
    run_id = r.json()["id"]
    while True:
        got = client.get(f"/api/v1/backtests/{run_id}").json()
        if got["status"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.01)
    ms = (time.perf_counter() - t0) * 1000
    if got["status"] != "succeeded":
        raise RuntimeError(f"run {run_id} ended {got['status']}: {got['error']}")
    return ms, got


def _measure(api: str) -> dict[str, Any]:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    httpx.post(
        f"{api}/api/v1/auth/register", json={"email": email, "password": "bench-pass-1"}
    ).raise_for_status()
    token = httpx.post(
        f"{api}/api/v1/auth/login", data={"username": email, "password": "bench-pass-1"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api, headers=headers, timeout=60) as client:
        warm_ms, _ = _submit_to_result(client, {**BASE, "initial_cash": "9999"})  # worker start
        single = [
            _submit_to_result(client, {**BASE, "initial_cash": str(10_000 + i)})[0]
            for i in range(SINGLE_RUNS)
        ]
        cached_ms, _ = _submit_to_result(client, {**BASE, "initial_cash": "10000"})
        sweeps = []
        chunks = 0
        for i in range(SWEEP_RUNS):
            ms, got = _submit_to_result(
                client, {**BASE, "params": SWEEP, "initial_cash": str(20_000 + i)}
            )
            sweeps.append(ms)
            chunks = len(got["chunks"] or [])
            rows = len(got["grid"])
    single.sort()
    q = statistics.quantiles(single, n=20, method="inclusive")
    return {
        "first_run_incl_worker_start_ms": round(warm_ms, 1),
        "single_runs": SINGLE_RUNS,
        "single_p50_ms": round(statistics.median(single), 1),
        "single_p95_ms": round(q[18], 1),
        "single_max_ms": round(single[-1], 1),
        "single_cached_ms": round(cached_ms, 1),
        "target_single_p50_ms": 500,
        "sweep_pairs": rows,
        "sweep_chunks": chunks,
        "sweep_runs_ms": [round(x, 1) for x in sweeps],
        "sweep_median_ms": round(statistics.median(sweeps), 1),
        "target_sweep_ms": 3000,
        "met": statistics.median(single) < 500 and max(sweeps) < 3000,
    }


def run() -> dict[str, Any]:
    own_redis = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        own_redis = EmbeddedRedis()
        redis_url = own_redis.start()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_stack(Path(tmp), only="api,workers", env={"REDIS_URL": redis_url}) as stack,
        ):
            return _measure(stack.api_url)
    finally:
        if own_redis:
            own_redis.stop()
