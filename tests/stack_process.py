"""Start the real stack (`paperdesk up`) as a subprocess for cross-service tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis
from paperdesk_core.redis_server import free_port

PAPERDESK = Path(sys.executable).parent / "paperdesk"


@dataclass
class RunningStack:
    api_url: str
    web_url: str | None
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


@contextmanager
def running_stack(
    tmp: Path, *, only: str = "", env: dict[str, str] | None = None, timeout: float = 600
) -> Iterator[RunningStack]:
    """Run `paperdesk up` until the API (and the web UI when started) answer."""
    api_port, web_port = free_port(), free_port()
    full_env = {**os.environ, "PAPERDESK_DATA_DIR": str(tmp / "data"), **(env or {})}
    cmd = [str(PAPERDESK), "up", "--port", str(api_port), "--web-port", str(web_port)]
    if only:
        cmd += ["--only", only]
    log_path = tmp / "stack.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    api_url = f"http://127.0.0.1:{api_port}"
    web_url = f"http://127.0.0.1:{web_port}" if (not only or "web" in only) else None
    stack = RunningStack(api_url, web_url, proc, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"paperdesk up exited early:\n{stack.log()}")
            if "ready:" in log_path.read_text(errors="replace") or (
                web_url is None and _answers(f"{api_url}/healthz")
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"stack not ready in {timeout}s:\n{stack.log()}")
            time.sleep(0.3)
        yield stack
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def private_redis_url(redis_url: str, offset: int = 1) -> str:
    """The same Redis server, another logical database, emptied.

    A stack that lives across test modules (the browser tests' one) must not share
    streams, consumer groups or Celery queues with the stacks and workers that other
    modules start, or its fill engine and worker would take their orders and runs.
    """
    client = redis.Redis.from_url(redis_url)
    db = int(client.connection_pool.connection_kwargs.get("db", 0))
    client.close()
    url = make_url_with_db(redis_url, (db + offset) % 16)
    private = redis.Redis.from_url(url)
    private.flushdb()
    private.close()
    return url


def make_url_with_db(redis_url: str, db: int) -> str:
    parts = urlsplit(redis_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
