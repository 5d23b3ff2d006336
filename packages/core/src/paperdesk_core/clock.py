"""Time: everything is timezone-aware UTC; code reads an injected clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(ts: datetime) -> datetime:
    """Make a naive datetime (SQLite hands them back) aware UTC; aware ones pass through."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def ns_to_datetime(ns: int) -> datetime:
    """Convert integer nanoseconds since the epoch to an aware UTC datetime."""
    return datetime.fromtimestamp(ns / 1e9, UTC)


def datetime_to_ns(dt: datetime) -> int:
    """Convert an aware datetime to integer nanoseconds since the epoch."""
    return int(dt.timestamp() * 1_000_000) * 1000


class Clock(Protocol):
    def timestamp_ns(self) -> int: ...


class LiveClock:
    """Wall clock."""

    def timestamp_ns(self) -> int:
        return time.time_ns()


class TestClock:
    """A clock that moves only when told to (backtests, tests)."""

    __test__ = False

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def timestamp_ns(self) -> int:
        return self._now

    def set(self, ns: int) -> None:
        self._now = ns

    def advance(self, ns: int) -> None:
        self._now += ns
