"""Backtest failure paths on real processes: cancel a running run, a pool process killed
mid-run (requeued and retried, or failed with a reason), a whole worker killed (the run
ends failed, never stuck running).

The API runs from ``paperdesk up --only api``; the Celery worker is started here so the
test can kill it. ``PAPERDESK_BACKTEST_FAULT_DELAY_S`` makes each run wait 4 s before
computing, so there is a window to act in; the lease TTL is shortened to 1.5 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from paperdesk_core.backtests import lease_key  # imported early: pandas takes seconds

from tests.stack_process import RunningStack, running_stack
from tests.test_backtests_e2e import GOOG, wait_done

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("bt-faults")
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PAPERDESK_DATA_DIR": str(tmp / "data"),
        "PAPERDESK_BACKTEST_FAULT_DELAY_S": "4",
        "PAPERDESK_BACKTEST_LEASE_TTL_S": "1.5",
        "TMP": str(tmp),
    }


@pytest.fixture(scope="module")
def stack(env: dict[str, str]) -> Iterator[RunningStack]:
    with running_stack(Path(env["TMP"]), only="api", env=env) as s:
        yield s


class Worker:
    def __init__(self, env: dict[str, str], name: str) -> None:
        self.log_path = Path(env["TMP"]) / f"{name}.log"
        cmd = [
            sys.executable, "-m", "celery", "-A", "paperdesk_workers.celery_app", "worker",
            "-Q", "backtests", "--concurrency", "2", "--without-gossip", "--without-mingle",
            "-n", f"{name}@%h", "--loglevel", "INFO",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while "ready." not in self.log_path.read_text(errors="replace"):
            assert self.proc.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.2)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="module")
def worker(stack: RunningStack, env: dict[str, str]) -> Iterator[Worker]:
    w = Worker(env, f"faults-{uuid.uuid4().hex[:6]}")
    yield w
    w.kill()


@pytest.fixture(scope="module")
def headers(stack: RunningStack) -> dict[str, str]:
    email = f"bt-{uuid.uuid4().hex[:8]}@example.com"
    api = stack.api_url
    r = httpx.post(f"{api}/api/v1/auth/register", json={"email": email, "password": "s3cret-pass"})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api}/api/v1/auth/login", data={"username": email, "password": "s3cret-pass"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _submit_and_wait_running(api: str, headers: dict[str, str]) -> str:
    cash = str(10_000 + uuid.uuid4().int % 10_000)  # a fresh config: no cache hit
    r = httpx.post(f"{api}/api/v1/backtests", json={**GOOG, "initial_cash": cash}, headers=headers)
    assert r.status_code == 202, r.text
    run_id = str(r.json()["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = httpx.get(f"{api}/api/v1/backtests/{run_id}", headers=headers).json()
        if body["status"] == "running":
            return run_id
        assert body["status"] == "queued", body
        time.sleep(0.05)
    raise AssertionError("the run never started")


def _lease_pid(redis_url: str, run_id: str) -> int:
    client = redis.Redis.from_url(redis_url)
    owner = client.get(lease_key(run_id))
    client.close()
    assert owner is not None
    return int(owner.decode().rsplit(":", 1)[1])


def test_cancel_stops_a_running_run(
    stack: RunningStack, worker: Worker, headers: dict[str, str]
) -> None:
    api = stack.api_url
    run_id = _submit_and_wait_running(api, headers)
    r = httpx.post(f"{api}/api/v1/backtests/{run_id}/cancel", headers=headers)
    assert r.json()["status"] == "canceled"
    time.sleep(5)  # past the run's delay: the worker noticed and did not overwrite
    body = httpx.get(f"{api}/api/v1/backtests/{run_id}", headers=headers).json()
    assert body["status"] == "canceled"
    assert body["metrics"] is None


def test_pool_process_killed_mid_run_is_retried_or_failed(
    stack: RunningStack, worker: Worker, headers: dict[str, str], redis_url: str
) -> None:
    api = stack.api_url
    run_id = _submit_and_wait_running(api, headers)
    pid = _lease_pid(redis_url, run_id)
    # Safety and meaning: a pool process of the worker started here, not its main process.
    ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert ppid == worker.proc.pid, (pid, ppid, worker.proc.pid)
    os.kill(pid, signal.SIGKILL)
    body, _ = wait_done(api, headers, run_id, timeout=60)
    # Requeued (reject_on_worker_lost) and run again by another pool process, or, when the
    # lease lapsed first, failed with the reason. Never left running.
    if body["status"] == "succeeded":
        assert body["attempts"] >= 2
        assert body["metrics"]["final_equity"] > 0
    else:
        assert body["status"] == "failed", body
        assert "worker lost" in body["error"]


def test_whole_worker_killed_mid_run_ends_failed_not_running(
    stack: RunningStack, worker: Worker, headers: dict[str, str]
) -> None:
    api = stack.api_url
    run_id = _submit_and_wait_running(api, headers)
    worker.kill()
    body: dict[str, Any] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = httpx.get(f"{api}/api/v1/backtests/{run_id}", headers=headers).json()
        if body["status"] != "running":
            break
        time.sleep(0.2)
    assert body["status"] == "failed", body
    assert "worker lost" in body["error"]
