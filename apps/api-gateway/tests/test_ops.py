from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from paperdesk_core.config import get_settings
from paperdesk_core.contracts.streams import feed_heartbeat_key, worker_heartbeat_key
from paperdesk_core.redis_server import EmbeddedRedis, free_port
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from paperdesk_api.deps import get_async_redis, get_redis


def _dead_redis(port: int | None = None) -> redis.Redis:
    return redis.Redis(
        port=port or free_port(),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
    )


@pytest.fixture(scope="module")
def private_redis() -> Iterator[redis.Redis]:
    """A Redis of its own: the shared test Redis may hold other suites' heartbeats."""
    server = EmbeddedRedis()
    client = redis.Redis.from_url(server.start())
    yield client
    client.close()
    server.stop()


@pytest.fixture
def ops_client(app: FastAPI, private_redis: redis.Redis) -> Iterator[TestClient]:
    private_redis.flushdb()
    app.dependency_overrides[get_redis] = lambda: private_redis
    with TestClient(app) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_names_missing_workers_and_feed(ops_client: TestClient) -> None:
    r = ops_client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not_ready"
    assert body["failing"] == ["workers", "feed"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_readyz_ready_with_heartbeats(ops_client: TestClient, private_redis: redis.Redis) -> None:
    private_redis.set(worker_heartbeat_key("celery@test"), "1", ex=30)
    private_redis.set(feed_heartbeat_key(get_settings().feed), str(time.time_ns()))
    r = ops_client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert "failing" not in body
    assert set(body["checks"]) == {"database", "redis", "workers", "feed"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["checks"]["workers"]["count"] == 1
    assert body["checks"]["feed"]["lag_seconds"] < 5


def test_readyz_flags_a_stale_feed(ops_client: TestClient, private_redis: redis.Redis) -> None:
    settings = get_settings()
    private_redis.set(worker_heartbeat_key("w1"), "1", ex=30)
    stale = time.time_ns() - int((settings.feed_max_lag_seconds + 60) * 1e9)
    private_redis.set(feed_heartbeat_key(settings.feed), str(stale))
    r = ops_client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failing"] == ["feed"]
    assert r.json()["checks"]["feed"]["lag_seconds"] > settings.feed_max_lag_seconds


def test_readyz_when_redis_is_down(app: FastAPI) -> None:
    dead = _dead_redis()
    app.dependency_overrides[get_redis] = lambda: dead
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["failing"] == ["redis", "workers", "feed"]
    assert body["checks"]["database"]["ok"] is True
    assert "error" in body["checks"]["redis"]


def test_redis_outage_is_503_not_500(
    app: FastAPI, auth_headers_for: Callable[[TestClient], dict[str, str]]
) -> None:
    port = free_port()
    dead = _dead_redis(port)
    dead_async = aioredis.Redis(
        port=port, socket_connect_timeout=0.5, retry=AsyncRetry(NoBackoff(), 0)
    )
    with TestClient(app) as c:
        headers = auth_headers_for(c)
        c.post("/api/v1/watchlists", json={"name": "w", "symbols": ["AAPL"]}, headers=headers)
        app.dependency_overrides[get_redis] = lambda: dead
        app.dependency_overrides[get_async_redis] = lambda: dead_async
        for path in ["/api/v1/quotes/AAPL", "/api/v1/quotes", "/api/v1/watchlists"]:
            r = c.get(path, headers=headers)
            assert r.status_code == 503, path
            assert r.json()["detail"]["code"] == "unavailable"
        r = c.post("/api/v1/auth/login", data={"username": "x@example.com", "password": "y"})
        assert r.status_code == 503


@pytest.fixture
def auth_headers_for() -> Callable[[TestClient], dict[str, str]]:
    import uuid

    def _make(c: TestClient) -> dict[str, str]:
        email = f"ops{uuid.uuid4().hex[:10]}@example.com"
        c.post("/api/v1/auth/register", json={"email": email, "password": "password123"})
        r = c.post("/api/v1/auth/login", data={"username": email, "password": "password123"})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return _make


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_route_template(client: TestClient, auth: dict[str, str]) -> None:
    before = client.get("/metrics").text
    labels = {"method": "GET", "route": "/api/v1/quotes/{symbol}", "status": "404"}
    n0 = _sample(before, "paperdesk_http_requests_total", **labels) or 0.0
    for sym in ("NOPE1", "NOPE2", "NOPE3"):
        client.get(f"/api/v1/quotes/{sym}", headers=auth)
    client.get("/no/such/route")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert _sample(text, "paperdesk_http_requests_total", **labels) == n0 + 3
    assert _sample(text, "paperdesk_http_request_duration_seconds_count", **labels) == n0 + 3
    assert 'route="/api/v1/quotes/NOPE1"' not in text
    assert _sample(text, "paperdesk_http_requests_total", route="<unmatched>", status="404")
    assert _sample(text, "paperdesk_http_requests_total", route="/api/v1/auth/login", status="200")
    assert "paperdesk_websocket_connections" in text


def test_websocket_gauge_tracks_connections(client: TestClient, auth: dict[str, str]) -> None:
    token = auth["Authorization"].removeprefix("Bearer ")

    def gauge() -> float | None:
        return _sample(client.get("/metrics").text, "paperdesk_websocket_connections")

    base = gauge() or 0.0
    with client.websocket_connect(f"/api/v1/stream?token={token}") as ws:
        ws.send_json({"action": "ping"})
        ws.receive_json()
        assert gauge() == base + 1
    deadline = time.monotonic() + 5
    while gauge() != base and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gauge() == base


def test_cors_allows_any_origin_without_credentials(client: TestClient) -> None:
    r = client.options(
        "/api/v1/watchlists",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    r = client.get("/healthz", headers={"Origin": "http://localhost:3000"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_openapi_docs_are_served(client: TestClient) -> None:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    assert "/api/v1/watchlists/{watchlist_id}" in spec["paths"]
    assert client.get("/docs").status_code == 200
