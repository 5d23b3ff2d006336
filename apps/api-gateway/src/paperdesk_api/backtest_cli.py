"""``paperdesk backtest run``: submit through the API over HTTP and follow the run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from paperdesk_core.config import get_settings

FINISHED = ("succeeded", "failed", "canceled")


@dataclass
class BacktestRequest:
    body: dict[str, Any]
    api_url: str | None = None
    token: str | None = None
    email: str | None = None
    password: str | None = None
    timeout: float = 600.0
    poll_seconds: float = 0.2


def _token(client: httpx.Client, req: BacktestRequest) -> str:
    if req.token:
        return req.token
    if not (req.email and req.password):
        raise SystemExit("give --token (PAPERDESK_TOKEN) or --email and --password")
    r = client.post("/api/v1/auth/login", data={"username": req.email, "password": req.password})
    if r.status_code != 200:
        raise SystemExit(f"login failed: {r.text}")
    return str(r.json()["access_token"])


def run_backtest(req: BacktestRequest, echo: Callable[[str], Any]) -> int:
    """Submit, print progress until the run finishes, print the result; return an exit code."""
    base = (req.api_url or get_settings().api_url).rstrip("/")
    with httpx.Client(base_url=base, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {_token(client, req)}"
        r = client.post("/api/v1/backtests", json=req.body)
        if r.status_code != 202:
            echo(f"refused ({r.status_code}): {r.text}")
            return 2
        run_id = r.json()["id"]
        echo(f"backtest {run_id} {r.json()['status']}")
        deadline = time.monotonic() + req.timeout
        last = ""
        while True:
            body = client.get(f"/api/v1/backtests/{run_id}").json()
            line = f"{body['status']} {float(body['progress']) * 100:5.1f}%"
            if line != last:
                echo(line)
                last = line
            if body["status"] in FINISHED:
                break
            if time.monotonic() > deadline:
                echo(f"still {body['status']} after {req.timeout:.0f}s; id {run_id}")
                return 1
            time.sleep(req.poll_seconds)
    if body["status"] != "succeeded":
        echo(f"error: {body['error']}")
        return 1
    result = {"id": run_id, "metrics": body["metrics"]}
    if body.get("best") is not None:
        result["best"] = body["best"]
    echo(json.dumps(result, indent=2))
    return 0
