"""Session calendars: when a trading day ends (day-order expiry) and whether a market is open.

Calendars (names as in ``paperdesk_core.universe``):

- ``XNYS``: regular session 09:30-16:00 America/New_York, Monday to Friday. A day order
  expires at the first 16:00 New York close strictly after it was placed (an order placed
  after the close or on a weekend lives through the next session, as at Alpaca).
  Exchange holidays and early closes are not modelled.
- ``24/7`` (crypto): always open; the trading day ends at UTC midnight.
- ``FX``: open Sunday 17:00 to Friday 17:00 America/New_York; each day ends at 17:00
  New York on a weekday.

New York times go through ``zoneinfo``, so the DST switch moves the UTC close
(21:00 UTC in winter, 20:00 UTC in summer).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")

XNYS = "XNYS"
CRYPTO_24_7 = "24/7"
FX = "FX"
CALENDARS = frozenset({XNYS, CRYPTO_24_7, FX})

_XNYS_OPEN = time(9, 30)
_XNYS_CLOSE = time(16, 0)
_FX_ROLL = time(17, 0)
_SATURDAY = 5
_SUNDAY = 6


class UnknownCalendar(ValueError):
    """The calendar name is not one of ``CALENDARS``."""


def _require_aware(ts: datetime) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")


def _next_weekday_close(ts: datetime, close: time) -> datetime:
    local = ts.astimezone(NEW_YORK)
    day = local.date()
    while True:
        if day.weekday() < _SATURDAY:
            candidate = datetime.combine(day, close, tzinfo=NEW_YORK)
            if candidate > local:
                return candidate.astimezone(UTC)
        day += timedelta(days=1)


def session_close_after(calendar: str, ts: datetime) -> datetime:
    """Return the first end of a trading day strictly after ``ts`` (aware UTC).

    This is when a ``day`` order placed at ``ts`` expires.

    Raises:
        UnknownCalendar: ``calendar`` is not a known calendar.
        ValueError: ``ts`` is naive.
    """
    _require_aware(ts)
    if calendar == XNYS:
        return _next_weekday_close(ts, _XNYS_CLOSE)
    if calendar == FX:
        return _next_weekday_close(ts, _FX_ROLL)
    if calendar == CRYPTO_24_7:
        utc = ts.astimezone(UTC)
        return datetime.combine(utc.date() + timedelta(days=1), time(0), tzinfo=UTC)
    raise UnknownCalendar(f"unknown calendar {calendar!r}")


def is_session_open(calendar: str, ts: datetime) -> bool:
    """Tell whether the market of ``calendar`` is open at ``ts``.

    Raises:
        UnknownCalendar: ``calendar`` is not a known calendar.
        ValueError: ``ts`` is naive.
    """
    _require_aware(ts)
    if calendar == CRYPTO_24_7:
        return True
    local = ts.astimezone(NEW_YORK)
    weekday, clock = local.weekday(), local.timetz().replace(tzinfo=None)
    if calendar == XNYS:
        return weekday < _SATURDAY and _XNYS_OPEN <= clock < _XNYS_CLOSE
    if calendar == FX:
        if weekday == _SATURDAY:
            return False
        if weekday == _SUNDAY:
            return clock >= _FX_ROLL
        return not (weekday == 4 and clock >= _FX_ROLL)
    raise UnknownCalendar(f"unknown calendar {calendar!r}")
