"""A Celery client for the API: sends tasks by name (the API never imports the workers)."""

from __future__ import annotations

from functools import lru_cache

from celery import Celery
from paperdesk_core.backtests import QUEUE
from paperdesk_core.config import get_settings


@lru_cache
def _client(url: str) -> Celery:
    app = Celery("paperdesk-api", broker=url, backend=url)
    app.conf.update(broker_connection_retry_on_startup=True, task_routes={"backtests.*": QUEUE})
    return app


def celery_client() -> Celery:
    """Return the process-wide client for the configured Redis."""
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set (paperdesk up starts an embedded Redis)")
    return _client(url)


def send(task_name: str, run_id: str, task_id: str) -> None:
    """Enqueue ``task_name(run_id)`` on the backtests queue with a known task id."""
    celery_client().send_task(task_name, args=[run_id], task_id=task_id, queue=QUEUE)


def revoke(task_id: str) -> None:
    """Tell workers to drop the task if it has not started (running tasks stop on a flag)."""
    celery_client().control.revoke(task_id)
