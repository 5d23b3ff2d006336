"""Operations: liveness, readiness, metrics."""

from __future__ import annotations

import os
from typing import Any

import prometheus_client
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from paperdesk_core.db import get_engine
from prometheus_client import multiprocess

from paperdesk_api.deps import RedisDep
from paperdesk_api.modules.ops.service import readiness as readiness_service

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer while the process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a component is not ready"}})
def readyz(redis: RedisDep) -> JSONResponse:
    """Check the database, Redis, worker heartbeats and feed lag."""
    ready, checks = readiness_service.check(get_engine(), redis)
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    if not ready:
        body["failing"] = [name for name, c in checks.items() if not c["ok"]]
    return JSONResponse(status_code=200 if ready else 503, content=body)


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Prometheus metrics in the text exposition format (summed over API processes)."""
    registry: prometheus_client.CollectorRegistry = prometheus_client.REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several uvicorn workers
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(
        content=prometheus_client.generate_latest(registry),
        media_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
