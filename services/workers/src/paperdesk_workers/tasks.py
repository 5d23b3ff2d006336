"""Celery tasks (named ``domain.verb``)."""

from __future__ import annotations

from paperdesk_workers.celery_app import celery_app


@celery_app.task(name="system.ping")
def ping() -> str:
    """Answer ``pong`` (readiness checks and end-to-end tests)."""
    return "pong"
