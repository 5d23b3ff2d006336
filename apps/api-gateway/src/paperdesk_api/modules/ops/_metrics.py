"""Prometheus metrics: HTTP requests by route template and status, WebSocket connections."""

from __future__ import annotations

import re
import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "paperdesk_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "paperdesk_http_request_duration_seconds",
    "HTTP request latency by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "paperdesk_websocket_connections",
    "Open WebSocket connections to /api/v1/stream.",
    multiprocess_mode="livesum",
)
WEBSOCKET_DROPPED = Counter(
    "paperdesk_websocket_dropped_messages_total",
    "Messages dropped because a WebSocket client fell behind.",
)

UNMATCHED = "<unmatched>"


_PARAM = re.compile(r"\{([^}:]+)(:path)?\}")
_FIXED = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


def _compile(template: str) -> re.Pattern[str]:
    pattern, pos = "", 0
    for m in _PARAM.finditer(template):
        pattern += re.escape(template[pos : m.start()]) + (".+" if m.group(2) else "[^/]+")
        pos = m.end()
    return re.compile(pattern + re.escape(template[pos:]))


class RouteTemplates:
    """Map a request path to its route template (bounded label cardinality).

    Built from the app's OpenAPI paths: FastAPI no longer flattens included routers,
    so the matched route object alone does not know its full path.
    """

    def __init__(self, templates: list[str]) -> None:
        exact = [t for t in templates if "{" not in t]
        self._exact = set(exact) | set(_FIXED)
        # Literal segments beat parameters: try templates with fewer parameters first.
        templated = sorted((t for t in templates if "{" in t), key=lambda t: t.count("{"))
        self._patterns = [(_compile(t), t) for t in templated]

    @classmethod
    def for_app(cls, app: Any) -> RouteTemplates:
        cached = getattr(app.state, "route_templates", None)
        if isinstance(cached, RouteTemplates):
            return cached
        try:
            paths = list(app.openapi().get("paths", {}))
        except Exception:
            paths = []
        table = cls(paths)
        app.state.route_templates = table
        return table

    def match(self, path: str) -> str:
        if path in self._exact:
            return path
        for pattern, template in self._patterns:
            if pattern.fullmatch(path):
                return template
        return UNMATCHED


def _route_template(scope: Scope) -> str:
    app = scope.get("app")
    if app is None or not hasattr(app, "openapi"):
        return UNMATCHED
    return RouteTemplates.for_app(app).match(str(scope.get("path", "")))


class MetricsMiddleware:
    """Pure ASGI middleware (keeps streaming and WebSocket untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route, str(status)).observe(time.perf_counter() - started)
