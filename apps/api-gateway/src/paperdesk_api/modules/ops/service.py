"""Readiness: database, Redis, workers and feed lag."""

from __future__ import annotations

import time
from typing import Any

from paperdesk_core.config import get_settings
from paperdesk_core.contracts.streams import WORKER_HEARTBEAT_PATTERN, feed_heartbeat_key
from sqlalchemy import Engine, text


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class ReadinessService:
    def check(self, engine: Engine, redis: Any) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Run every check; return (ready, checks by component)."""
        checks: dict[str, dict[str, Any]] = {
            "database": self._database(engine),
            "redis": self._redis(redis),
        }
        if checks["redis"]["ok"]:
            checks["workers"] = self._workers(redis)
            checks["feed"] = self._feed(redis)
        else:
            checks["workers"] = {"ok": False, "error": "redis unavailable"}
            checks["feed"] = {"ok": False, "error": "redis unavailable"}
        return all(c["ok"] for c in checks.values()), checks

    @staticmethod
    def _database(engine: Engine) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return {"ok": False, "error": _error(exc)}
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}

    @staticmethod
    def _redis(redis: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            redis.ping()
        except Exception as exc:
            return {"ok": False, "error": _error(exc)}
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}

    @staticmethod
    def _workers(redis: Any) -> dict[str, Any]:
        try:
            names = []
            for key in redis.scan_iter(match=WORKER_HEARTBEAT_PATTERN, count=500):
                names.append(key.decode() if isinstance(key, bytes) else str(key))
                if len(names) >= 50:
                    break
        except Exception as exc:
            return {"ok": False, "error": _error(exc)}
        if not names:
            return {"ok": False, "count": 0, "error": "no worker heartbeat"}
        return {"ok": True, "count": len(names)}

    @staticmethod
    def _feed(redis: Any) -> dict[str, Any]:
        settings = get_settings()
        out: dict[str, Any] = {
            "source": settings.feed,
            "max_lag_seconds": settings.feed_max_lag_seconds,
        }
        try:
            raw = redis.get(feed_heartbeat_key(settings.feed))
        except Exception as exc:
            return {**out, "ok": False, "error": _error(exc)}
        if raw is None:
            return {**out, "ok": False, "error": "no feed heartbeat"}
        try:
            last_ns = int(raw)
        except ValueError:
            return {**out, "ok": False, "error": "unreadable feed heartbeat"}
        lag = max(0.0, (time.time_ns() - last_ns) / 1e9)
        out["lag_seconds"] = round(lag, 3)
        if lag > settings.feed_max_lag_seconds:
            return {**out, "ok": False, "error": "feed is lagging"}
        return {**out, "ok": True}


readiness = ReadinessService()
