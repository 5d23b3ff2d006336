"""The Celery application: broker and result backend on Redis."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutdown
from paperdesk_core.bus import redis_client
from paperdesk_core.config import get_settings
from paperdesk_core.contracts.streams import worker_heartbeat_key


def make_celery() -> Celery:
    url = get_settings().redis_url or "redis://127.0.0.1:6379/0"
    app = Celery(
        "paperdesk",
        broker=url,
        backend=url,
        include=["paperdesk_workers.tasks", "paperdesk_workers.backtests"],
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        task_routes={"backtests.*": {"queue": "backtests"}},
    )
    return app


celery_app = make_celery()
_stop = threading.Event()


def _heartbeat_loop(name: str) -> None:
    settings = get_settings()
    client = redis_client()
    ttl = settings.worker_heartbeat_ttl_seconds
    while not _stop.is_set():
        with contextlib.suppress(Exception):  # Redis may blink; keep beating
            client.set(worker_heartbeat_key(name), "1", ex=ttl)
        _stop.wait(max(1.0, ttl / 3))
    client.delete(worker_heartbeat_key(name))


@worker_ready.connect
def _start_heartbeat(**_kw: Any) -> None:
    name = f"{socket.gethostname()}:{os.getpid()}"
    threading.Thread(target=_heartbeat_loop, args=(name,), daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(**_kw: Any) -> None:
    _stop.set()
