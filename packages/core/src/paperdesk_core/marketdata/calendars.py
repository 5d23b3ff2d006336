"""Trading calendars of the sim universe: when a session runs and which day a time belongs to.

``XNYS``: weekdays 09:30-16:00 America/New_York (exchange holidays are not modelled).
``24/7``: every UTC day, all day. ``FX``: Monday to Friday UTC days, all day (24/5).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
XNYS_OPEN = time(9, 30)
XNYS_CLOSE = time(16, 0)

# Sessions per year and session length, used to scale annual volatility.
SESSIONS_PER_YEAR = {"XNYS": 252, "24/7": 365, "FX": 260}
SESSION_SECONDS = {"XNYS": int(6.5 * 3600), "24/7": 86_400, "FX": 86_400}


def calendar_tz(calendar: str) -> ZoneInfo:
    """Time zone whose date names a session: New York for XNYS, UTC otherwise."""
    return NEW_YORK if calendar == "XNYS" else ZoneInfo("UTC")


def is_session_day(calendar: str, day: date) -> bool:
    """Whether ``day`` (a local date of the calendar) has a session."""
    if calendar == "24/7":
        return True
    return day.weekday() < 5


def session_days(calendar: str, start: date, end: date) -> list[date]:
    """Session dates in ``[start, end)``."""
    out: list[date] = []
    d = start
    one = timedelta(days=1)
    while d < end:
        if is_session_day(calendar, d):
            out.append(d)
        d += one
    return out


def session_bounds(calendar: str, day: date) -> tuple[datetime, datetime]:
    """UTC start and end of the session on local date ``day``."""
    if calendar == "XNYS":
        start = datetime.combine(day, XNYS_OPEN, NEW_YORK).astimezone(UTC)
        end = datetime.combine(day, XNYS_CLOSE, NEW_YORK).astimezone(UTC)
        return start, end
    start = datetime.combine(day, time(0), UTC)
    return start, start + timedelta(days=1)


def local_date(calendar: str, when: datetime) -> date:
    """The calendar's local date of an aware datetime."""
    return when.astimezone(calendar_tz(calendar)).date()


def day_start(calendar: str, day: date) -> datetime:
    """UTC instant at which local date ``day`` begins (midnight in the calendar's zone)."""
    return datetime.combine(day, time(0), calendar_tz(calendar)).astimezone(UTC)


def is_open(calendar: str, when: datetime) -> bool:
    """Whether the market of ``calendar`` is in session at ``when``."""
    day = local_date(calendar, when)
    if not is_session_day(calendar, day):
        return False
    start, end = session_bounds(calendar, day)
    return start <= when < end
