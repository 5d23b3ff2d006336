"""Pure view logic of the Journal and Analytics screens (no Reflex, no I/O).

Trades and analytics rows arrive as the API sends them (decimal strings); everything here
turns them into display text, chart rows and the day cells of the P&L calendar.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from paperdesk_web.states._backtest import MetricCard
from paperdesk_web.states._quotes import format_price, to_decimal
from paperdesk_web.states._trading import (
    direction,
    format_money,
    format_pnl,
    format_qty,
    parse_time,
)

OUTCOMES = (("all", "All"), ("win", "Winners"), ("loss", "Losers"), ("open", "Open"))
FILTER_FIELDS = ("symbol_filter", "tag_filter", "date_from", "date_to")  # shared by both pages
SORT_KEYS = ("entry_time", "symbol", "pnl")  # the columns the API sorts by
GROUPS = (
    ("tag", "Tag"),
    ("symbol", "Symbol"),
    ("side", "Side"),
    ("weekday", "Weekday"),
    ("hour", "Hour of entry (UTC)"),
    ("holding", "Holding time"),
)
GROUP_LABEL = dict(GROUPS)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{h:02d}" for h in range(24))
HOLDING_BUCKETS = ("<1m", "1-5m", "5-30m", "30m-2h", "2h-1d", ">1d")
CALENDAR_WEEKS = 26  # the calendar shows at most the last half year
UP_FILL = "var(--grass-9)"
DOWN_FILL = "var(--tomato-9)"


# Small formatters.
def format_holding(seconds: Any) -> str:
    """`45s`, `12m 3s`, `2h 5m`, `3d 4h`; `—` when unknown."""
    number = to_decimal(seconds)
    if number is None:
        return "—"
    total = int(number)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def format_when(value: Any) -> str:
    """`May 03 14:05` (UTC) of an ISO-8601 time, `—` when absent."""
    moment = parse_time(value)
    return moment.strftime("%b %d %H:%M") if moment else "—"


def format_rate(value: Any) -> str:
    """A win rate: the API sends a fraction (0.5) and the page shows `50.0%`."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return f"{number * 100:.1f}%"


def format_ratio(value: Any, *, wins_only: bool = False) -> str:
    """A profit factor: `1.85`; `∞` for wins without losses (the API sends null then)."""
    if isinstance(value, str) and value.lower() in ("inf", "infinity"):
        return "∞"
    number = to_decimal(value)
    if number is None:
        return "∞" if wins_only else "—"
    return f"{number:,.2f}"


def _wins_only(row: Mapping[str, Any]) -> bool:
    win = to_decimal(row.get("largest_win"))
    loss = to_decimal(row.get("largest_loss"))
    return win is not None and win > 0 and (loss is None or loss >= 0)


def format_r(value: Any) -> str:
    """An R-multiple: `+1.50R`."""
    number = to_decimal(value)
    return "—" if number is None else f"{number:+.2f}R"


def stars(rating: Any) -> str:
    """`★★★☆☆` for 3, empty when unrated."""
    number = to_decimal(rating)
    if number is None or not 1 <= number <= 5:
        return ""
    filled = int(number)
    return "★" * filled + "☆" * (5 - filled)


# The trade table and the side panel.
@dataclasses.dataclass(frozen=True)
class TradeRow:
    id: str
    symbol: str
    side: str  # long | short
    status: str  # open | closed
    qty: str
    entry_time: str
    exit_time: str
    entry_price: str
    exit_price: str
    pnl: str
    pnl_pct: str
    direction: str
    holding: str
    tags: list[str]
    rating: str
    r_multiple: str
    name: str  # "AAPL long May 03 14:05": names the row's controls for assistive tech


def trade_name(trade: Mapping[str, Any]) -> str:
    return (
        f"{trade.get('symbol', '')} {trade.get('side', '')} {format_when(trade.get('entry_time'))}"
    )


def trade_row(trade: Mapping[str, Any], currency: str = "USD") -> TradeRow:
    """The display form of a trade."""
    pnl = to_decimal(trade.get("pnl"))
    pct = to_decimal(trade.get("pnl_pct"))
    is_open = trade.get("status") == "open"
    return TradeRow(
        id=str(trade.get("id") or ""),
        symbol=str(trade.get("symbol") or ""),
        side=str(trade.get("side") or ""),
        status=str(trade.get("status") or ""),
        qty=format_qty(trade.get("qty")),
        entry_time=format_when(trade.get("entry_time")),
        exit_time="Open" if is_open else format_when(trade.get("exit_time")),
        entry_price=format_price(trade.get("entry_price")),
        exit_price="—" if is_open else format_price(trade.get("exit_price")),
        pnl=format_pnl(pnl, currency),
        pnl_pct="" if pct is None else f"{pct:+.2f}%",
        direction=direction(pnl),
        holding="—" if is_open else format_holding(trade.get("holding_seconds")),
        tags=[str(tag) for tag in trade.get("tags") or []],
        rating=stars(trade.get("rating")),
        r_multiple=format_r(trade.get("r_multiple")),
        name=trade_name(trade),
    )


@dataclasses.dataclass(frozen=True)
class TradeDetail:
    """The figures of the side panel (the editable journal fields live in the state)."""

    id: str = ""
    symbol: str = ""
    name: str = ""
    side: str = ""
    status: str = ""
    qty: str = "—"
    entry: str = "—"  # "10 @ 190.12 · May 03 14:05"
    exit: str = "—"
    pnl: str = "—"
    pnl_pct: str = ""
    direction: str = "flat"
    gross_pnl: str = "—"
    fees: str = "—"
    holding: str = "—"
    mae: str = "—"
    mfe: str = "—"
    r_multiple: str = "—"
    source: str = ""


def trade_detail(trade: Mapping[str, Any], currency: str = "USD") -> TradeDetail:
    """The side panel's figures of a trade."""
    row = trade_row(trade, currency)
    exit_text = "Still open"
    if trade.get("status") != "open":
        exit_text = f"{row.exit_price} · {row.exit_time}"
    mae, mfe = to_decimal(trade.get("mae")), to_decimal(trade.get("mfe"))
    return TradeDetail(
        id=row.id,
        symbol=row.symbol,
        name=row.name,
        side=row.side,
        status=row.status,
        qty=row.qty,
        entry=f"{row.entry_price} · {row.entry_time}",
        exit=exit_text,
        pnl=row.pnl,
        pnl_pct=row.pnl_pct,
        direction=row.direction,
        gross_pnl=format_pnl(trade.get("gross_pnl"), currency),
        fees=format_money(trade.get("fees"), currency),
        holding=format_holding(trade.get("holding_seconds")) if row.status != "open" else "—",
        mae="No data" if mae is None else format_pnl(mae, currency),
        mfe="No data" if mfe is None else format_pnl(mfe, currency),
        r_multiple=row.r_multiple if trade.get("r_multiple") else "Set a planned stop",
        source="Imported" if trade.get("source") == "import" else "From your fills",
    )


_CHART_STEPS = (("1m", 60), ("5m", 300), ("1h", 3600), ("1d", 86_400))


def chart_window(
    trade: Mapping[str, Any], now: datetime | None = None
) -> tuple[str, str, str] | None:
    """Timeframe, start and end (ISO, UTC) of the bars that show a trade with context.

    The timeframe is the finest that draws the trip in at most about 60 bars; the window
    adds half the trip (at least 15 bars) on each side.
    """
    entry = parse_time(trade.get("entry_time"))
    if entry is None:
        return None
    end = parse_time(trade.get("exit_time")) or now or entry
    span = max((end - entry).total_seconds(), 0.0)
    timeframe, seconds = next(
        ((tf, sec) for tf, sec in _CHART_STEPS if span <= sec * 60), _CHART_STEPS[-1]
    )
    pad = timedelta(seconds=max(span * 0.5, seconds * 15))
    return (
        timeframe,
        (entry - pad).strftime("%Y-%m-%dT%H:%M:%SZ"),
        (end + pad).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def trade_marks(trade: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entry and exit as the chart's fill markers (a long enters with a buy)."""
    enter, leave = ("buy", "sell") if trade.get("side") != "short" else ("sell", "buy")
    marks = [
        {
            "time": trade.get("entry_time"),
            "price": trade.get("entry_price"),
            "side": enter,
            "qty": trade.get("qty"),
            "label": "Entry",
        }
    ]
    if trade.get("status") != "open" and trade.get("exit_price"):
        marks.append(
            {
                "time": trade.get("exit_time"),
                "price": trade.get("exit_price"),
                "side": leave,
                "qty": trade.get("qty"),
                "label": "Exit",
            }
        )
    return marks


def parse_tags(text: str) -> list[str]:
    """Tags typed in one field: comma separated, trimmed, lower case, no repeats."""
    seen: list[str] = []
    for part in text.split(","):
        tag = part.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def check_stop(text: str) -> tuple[str | None, str]:
    """A planned stop as the API wants it (a decimal string or None) and any problem."""
    cleaned = text.replace(",", "").strip()
    if not cleaned:
        return None, ""
    number = to_decimal(cleaned)
    if number is None or number <= 0:
        return None, "Enter the planned stop as a price greater than 0"
    return format(number.normalize(), "f"), ""


# Analytics.
SUMMARY_CARDS: tuple[tuple[str, str, str], ...] = (
    ("pnl", "Net P&L", "pnl"),
    ("win_rate", "Win rate", "rate"),
    ("profit_factor", "Profit factor", "ratio"),
    ("expectancy", "Expectancy", "pnl"),
    ("trades", "Trades", "int"),
    ("largest_win", "Largest win", "pnl"),
    ("largest_loss", "Largest loss", "pnl"),
    ("max_consecutive_losses", "Max consecutive losses", "int"),
)


def _format(kind: str, value: Any, currency: str, *, wins_only: bool = False) -> str:
    if kind == "pnl":
        return format_pnl(value, currency)
    if kind == "rate":
        return format_rate(value)
    if kind == "ratio":
        return format_ratio(value, wins_only=wins_only)
    number = to_decimal(value)
    return "—" if number is None else f"{int(number):,}"


def summary_cards(summary: Mapping[str, Any] | None, currency: str = "USD") -> list[MetricCard]:
    """The cards at the top of the Analytics page."""
    summary = summary or {}
    cards = []
    for key, label, kind in SUMMARY_CARDS:
        value = summary.get(key)
        tone = direction(to_decimal(value)) if kind == "pnl" else ""
        text = _format(kind, value, currency, wins_only=_wins_only(summary))
        cards.append(MetricCard(key, label, text, tone))
    return cards


@dataclasses.dataclass(frozen=True)
class GroupRow:
    key: str
    trades: str
    win_rate: str
    pnl: str
    direction: str
    avg_win: str
    avg_loss: str
    profit_factor: str
    expectancy: str
    largest_win: str
    largest_loss: str
    max_consecutive_losses: str


def group_row(row: Mapping[str, Any], currency: str = "USD") -> GroupRow:
    """One line of the breakdown table."""
    return GroupRow(
        key=str(row.get("key") or "(untagged)"),
        trades=_format("int", row.get("trades"), currency),
        win_rate=format_rate(row.get("win_rate")),
        pnl=format_pnl(row.get("pnl"), currency),
        direction=direction(to_decimal(row.get("pnl"))),
        avg_win=format_pnl(row.get("avg_win"), currency),
        avg_loss=format_pnl(row.get("avg_loss"), currency),
        profit_factor=format_ratio(row.get("profit_factor"), wins_only=_wins_only(row)),
        expectancy=format_pnl(row.get("expectancy"), currency),
        largest_win=format_pnl(row.get("largest_win"), currency),
        largest_loss=format_pnl(row.get("largest_loss"), currency),
        max_consecutive_losses=_format("int", row.get("max_consecutive_losses"), currency),
    )


def _float(value: Any) -> float:
    number = to_decimal(value)
    return round(float(number), 2) if number is not None else 0.0


def bar_rows(rows: Iterable[Mapping[str, Any]], keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Chart rows {"key","pnl","trades","fill"}; with `keys`, every key in that order."""
    by_key = {str(row.get("key")): row for row in rows}
    order = list(keys) if keys else list(by_key)
    out = []
    for key in order:
        row = by_key.get(key, {})
        pnl = _float(row.get("pnl"))
        out.append(
            {
                "key": key,
                "pnl": pnl,
                "trades": int(_float(row.get("trades"))),
                "fill": UP_FILL if pnl >= 0 else DOWN_FILL,
            }
        )
    return out


def group_keys(group_by: str) -> tuple[str, ...]:
    """The fixed key order of a grouping (weekdays, hours, buckets); empty when free-form."""
    return {"weekday": WEEKDAYS, "hour": HOURS, "holding": HOLDING_BUCKETS}.get(group_by, ())


def cumulative_rows(daily: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The cumulative realized P&L curve, one point a day."""
    return [
        {"date": str(day.get("date")), "cumulative": _float(day.get("cumulative_pnl"))}
        for day in daily
    ]


@dataclasses.dataclass(frozen=True)
class CalendarDay:
    date: str  # YYYY-MM-DD, empty for padding cells
    day: str  # day of month
    title: str  # "2024-05-03: +$12.30 · 2 trades"
    color: str  # background
    text_color: str


@dataclasses.dataclass(frozen=True)
class CalendarWeek:
    label: str  # the month when it starts in this week, else ""
    days: list[CalendarDay]


_STEPS = (4, 6, 8, 10)


def _day_color(pnl: Decimal, peak: Decimal) -> tuple[str, str]:
    if pnl == 0 or peak == 0:
        return "var(--gray-5)", "var(--gray-12)"
    share = min(abs(pnl) / peak, Decimal(1))
    step = _STEPS[min(int(share * len(_STEPS)), len(_STEPS) - 1)]
    scale = "grass" if pnl > 0 else "tomato"
    return f"var(--{scale}-{step})", "white" if step >= 8 else "var(--gray-12)"


def calendar_weeks(daily: Sequence[Mapping[str, Any]], currency: str = "USD") -> list[CalendarWeek]:
    """Week rows (Monday first) from the first to the last traded day, colored by P&L."""
    days: dict[date, Mapping[str, Any]] = {}
    for entry in daily:
        try:
            days[date.fromisoformat(str(entry.get("date")))] = entry
        except ValueError:
            continue
    if not days:
        return []
    last = max(days)
    first = max(min(days), last - timedelta(weeks=CALENDAR_WEEKS - 1))
    peak = max((abs(to_decimal(d.get("pnl")) or Decimal(0)) for d in days.values()), default=0)
    start = first - timedelta(days=first.weekday())
    weeks: list[CalendarWeek] = []
    while start <= last:
        cells = []
        label = ""
        for offset in range(7):
            day = start + timedelta(days=offset)
            traded = days.get(day)
            if day < first or day > last:
                cells.append(CalendarDay("", "", "", "transparent", ""))
                continue
            # A row is labelled by the first shown day or the 1st of a month in it (never a
            # hidden day: a first week starting on Mon 30 Nov shows "Dec" for Tue 1 Dec).
            if day == first or day.day == 1:
                label = label or day.strftime("%b %Y")
            if traded is None:
                title = f"{day.isoformat()}: no trades"
                color, text = "var(--gray-3)", "var(--gray-10)"
            else:
                pnl = to_decimal(traded.get("pnl")) or Decimal(0)
                count = int(_float(traded.get("trades")))
                title = (
                    f"{day.isoformat()}: {format_pnl(pnl, currency)} · {count} "
                    f"trade{'s' if count != 1 else ''}"
                )
                color, text = _day_color(pnl, Decimal(peak))
            cells.append(CalendarDay(day.isoformat(), str(day.day), title, color, text))
        weeks.append(CalendarWeek(label, cells))
        start += timedelta(days=7)
    return weeks
