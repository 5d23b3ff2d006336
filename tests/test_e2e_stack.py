"""End to end: the real stack moves a sim tick through Redis to /quotes and the WebSocket,
and a real Celery worker answers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.stack_process import RunningStack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> Iterator[RunningStack]:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PAPERDESK_SIM_TICK_HZ": "5"}
    with running_stack(
        tmp_path_factory.mktemp("stack"), only="api,workers,ingestion", env=env
    ) as s:
        yield s


def _token(api: str) -> str:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    r = httpx.post(f"{api}/api/v1/auth/register", json={"email": email, "password": "s3cret-pass"})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api}/api/v1/auth/login", data={"username": email, "password": "s3cret-pass"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _wait_ready(api: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        r = httpx.get(f"{api}/readyz", timeout=5)
        body = r.json()
        if r.status_code == 200:
            return body
        time.sleep(0.5)
    raise AssertionError(f"never ready: {body}")


def test_stack_is_ready_with_worker_and_feed(stack: RunningStack) -> None:
    body = _wait_ready(stack.api_url)
    assert body["status"] == "ready"


def test_sim_tick_reaches_quotes_endpoint(stack: RunningStack) -> None:
    token = _token(stack.api_url)
    headers = {"Authorization": f"Bearer {token}"}
    _wait_ready(stack.api_url)
    first = httpx.get(f"{stack.api_url}/api/v1/quotes/AAPL", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["source"] == "sim"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        again = httpx.get(f"{stack.api_url}/api/v1/quotes/AAPL", headers=headers).json()
        if again["ts"] != first.json()["ts"]:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the AAPL quote never moved")


def test_websocket_pushes_live_quotes(stack: RunningStack) -> None:
    token = _token(stack.api_url)
    ws_url = stack.api_url.replace("http", "ws") + f"/api/v1/stream?token={token}"
    seen: list[dict[str, object]] = []
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "quotes": ["MSFT", "BTCUSD"]}))
        deadline = time.monotonic() + 15
        # Live updates, not one snapshot repeated: three distinct tick times (a batch of
        # the sim feed stamps both symbols alike, and a loaded machine batches more).
        while time.monotonic() < deadline and len({q["ts"] for q in seen}) < 3:
            msg = json.loads(ws.recv(timeout=5))
            if msg["type"] == "quote":
                seen.append(msg["data"])
    symbols = {str(q["symbol"]) for q in seen}
    assert symbols <= {"MSFT", "BTCUSD"}
    assert len({q["ts"] for q in seen}) >= 3, seen


def test_celery_worker_runs_tasks(stack: RunningStack, redis_url: str) -> None:
    from celery import Celery

    client = Celery(broker=redis_url, backend=redis_url)
    result = client.send_task("system.ping")
    assert result.get(timeout=30) == "pong"


def test_stack_log_has_no_tracebacks(stack: RunningStack, tmp_path: Path) -> None:
    assert "Traceback" not in stack.log(), stack.log()
