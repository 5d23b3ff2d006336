"""Trade analytics as pure functions over closed trades' net P&L (exact Decimal sums).

Definitions (per group, trades in exit-time order):

- a win has ``pnl > 0``, a loss ``pnl < 0`` (break-even trades are neither);
- ``win_rate = wins / trades`` (a fraction); ``avg_pnl = pnl / trades``;
- ``avg_win`` / ``avg_loss``: mean P&L of the wins / losses (None without any);
- ``profit_factor = gross wins / |gross losses|`` (None without losses);
- ``expectancy = win_rate * avg_win + loss_rate * avg_loss`` (money per trade);
- ``largest_win`` / ``largest_loss``: best win / worst loss (None without any);
- ``max_consecutive_losses``: the longest run of losses (break-evens end a run).

Ratios and averages are rounded to ``RATIO_STEP``; sums are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

ZERO = Decimal(0)
RATIO_STEP = Decimal("0.0001")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{h:02d}" for h in range(24))
HOLDING_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1m", 60),
    ("1-5m", 300),
    ("5-30m", 1800),
    ("30m-2h", 7200),
    ("2h-1d", 86_400),
    (">1d", float("inf")),
)
GROUPINGS = ("tag", "symbol", "side", "weekday", "hour", "holding")


def _round(value: Decimal) -> Decimal:
    return value.quantize(RATIO_STEP, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Performance figures of one group of closed trades."""

    key: str
    trades: int
    wins: int
    losses: int
    win_rate: Decimal | None
    pnl: Decimal
    avg_pnl: Decimal | None
    avg_win: Decimal | None
    avg_loss: Decimal | None
    profit_factor: Decimal | None
    expectancy: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    max_consecutive_losses: int

    def as_dict(self) -> dict[str, Any]:
        """The figures as a dict (decimals kept)."""
        return {name: getattr(self, name) for name in self.__slots__}


class Accumulator:
    """Running sums of one group of closed trades, fed their net P&L in exit-time order."""

    __slots__ = (
        "gross_loss",
        "gross_win",
        "largest_loss",
        "largest_win",
        "losses",
        "max_run",
        "pnl",
        "run",
        "trades",
        "wins",
    )

    def __init__(self) -> None:
        self.trades = self.wins = self.losses = self.run = self.max_run = 0
        self.pnl = self.gross_win = self.gross_loss = ZERO
        self.largest_win: Decimal | None = None
        self.largest_loss: Decimal | None = None

    def add(self, pnl: Decimal) -> None:
        self.trades += 1
        self.pnl += pnl
        if pnl > ZERO:
            self.wins += 1
            self.gross_win += pnl
            if self.largest_win is None or pnl > self.largest_win:
                self.largest_win = pnl
            self.run = 0
        elif pnl < ZERO:
            self.losses += 1
            self.gross_loss += pnl
            if self.largest_loss is None or pnl < self.largest_loss:
                self.largest_loss = pnl
            self.run += 1
            self.max_run = max(self.max_run, self.run)
        else:
            self.run = 0

    def stats(self, key: str) -> GroupStats:
        return stats_from_sums(
            key,
            trades=self.trades,
            wins=self.wins,
            losses=self.losses,
            pnl=self.pnl,
            gross_win=self.gross_win,
            gross_loss=self.gross_loss,
            largest_win=self.largest_win,
            largest_loss=self.largest_loss,
            max_consecutive_losses=self.max_run,
        )


def stats_from_sums(
    key: str,
    *,
    trades: int,
    wins: int,
    losses: int,
    pnl: Decimal,
    gross_win: Decimal,
    gross_loss: Decimal,
    largest_win: Decimal | None,
    largest_loss: Decimal | None,
    max_consecutive_losses: int,
) -> GroupStats:
    """Derive a group's figures from its sums (computed here or by a database)."""
    n = trades
    avg_win = gross_win / wins if wins else None
    avg_loss = gross_loss / losses if losses else None
    expectancy = None
    if n:
        expectancy = Decimal(wins) / n * (avg_win or ZERO) + Decimal(losses) / n * (
            avg_loss or ZERO
        )
    return GroupStats(
        key=key,
        trades=n,
        wins=wins,
        losses=losses,
        win_rate=_round(Decimal(wins) / n) if n else None,
        pnl=pnl,
        avg_pnl=_round(pnl / n) if n else None,
        avg_win=None if avg_win is None else _round(avg_win),
        avg_loss=None if avg_loss is None else _round(avg_loss),
        profit_factor=_round(gross_win / -gross_loss) if losses else None,
        expectancy=None if expectancy is None else _round(expectancy),
        largest_win=largest_win if wins else None,
        largest_loss=largest_loss if losses else None,
        max_consecutive_losses=max_consecutive_losses,
    )


def summarize(pnls: Iterable[Decimal], key: str = "all") -> GroupStats:
    """Figures of one group: ``pnls`` are net P&L of closed trades in exit-time order."""
    acc = Accumulator()
    for pnl in pnls:
        acc.add(pnl)
    return acc.stats(key)


def accumulate(rows: Iterable[tuple[Any, Decimal]]) -> dict[Any, Accumulator]:
    """Running sums per key from ``(key, pnl)`` rows in exit-time order."""
    accs: dict[Any, Accumulator] = {}
    for key, pnl in rows:
        acc = accs.get(key)
        if acc is None:
            acc = accs[key] = Accumulator()
        acc.add(pnl)
    return accs


def group_stats(
    rows: Iterable[tuple[str, Decimal]], order: Sequence[str] | None = None
) -> list[GroupStats]:
    """Figures per key from ``(key, pnl)`` rows in exit-time order.

    Groups come in ``order`` when given (keys outside it follow, sorted), else sorted.
    """
    accs = accumulate(rows)
    return [accs[k].stats(k) for k in ordered_keys(accs, order)]


def ordered_keys(keys: Iterable[str], order: Sequence[str] | None = None) -> list[str]:
    """``keys`` in ``order`` when given (keys outside it follow, sorted), else sorted."""
    rank = {k: i for i, k in enumerate(order or ())}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


LOSS, NOT_LOSS = "L", "-"


def longest_loss_run(outcomes: str) -> int:
    """The longest run of losses in a string of outcomes in exit-time order.

    One character a trade: ``LOSS`` (``L``) for a loss, ``NOT_LOSS`` (``-``) for a win or
    a break-even (which end a run), as a database can aggregate them.
    """
    return max(map(len, outcomes.split(NOT_LOSS)))


def weekday_key(ts: datetime) -> str:
    """``Mon`` .. ``Sun`` of a (UTC) time."""
    return WEEKDAYS[ts.weekday()]


def hour_key(ts: datetime) -> str:
    """``00`` .. ``23``: the (UTC) hour."""
    return HOURS[ts.hour]


def holding_bucket(seconds: float | None) -> str:
    """The holding-time bucket of a duration in seconds."""
    value = seconds or 0
    for name, upper in HOLDING_BUCKETS:
        if value < upper:
            return name
    return HOLDING_BUCKETS[-1][0]


KEY_ORDERS: dict[str, Sequence[str]] = {
    "weekday": WEEKDAYS,
    "hour": HOURS,
    "holding": tuple(name for name, _ in HOLDING_BUCKETS),
}


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """What grouping needs of a closed trade."""

    symbol: str
    side: str
    entry_time: datetime
    exit_time: datetime
    holding_seconds: float | None
    pnl: Decimal
    tags: Sequence[str] = ()


KEYERS: dict[str, Callable[[ClosedTrade], Iterable[str]]] = {
    "tag": lambda t: t.tags,
    "symbol": lambda t: (t.symbol,),
    "side": lambda t: (t.side,),
    "weekday": lambda t: (weekday_key(t.entry_time),),
    "hour": lambda t: (hour_key(t.entry_time),),
    "holding": lambda t: (holding_bucket(t.holding_seconds),),
}


def analyze(trades: Iterable[ClosedTrade], group_by: str) -> list[GroupStats]:
    """Group closed trades (any order) by ``group_by`` (one of ``GROUPINGS``).

    Weekday and hour are those of the entry (UTC). A trade with several tags counts in
    each of its tags' groups; an untagged trade in none.

    Raises:
        ValueError: unknown ``group_by``.
    """
    if group_by not in KEYERS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    keyer = KEYERS[group_by]
    ordered = sorted(trades, key=lambda t: t.exit_time)
    rows = ((key, t.pnl) for t in ordered for key in keyer(t))
    return group_stats(rows, KEY_ORDERS.get(group_by))


@dataclass(frozen=True, slots=True)
class DailyPnl:
    """Realized P&L of one (UTC exit) day, with the running total."""

    date: date
    pnl: Decimal
    trades: int
    cumulative_pnl: Decimal


def daily_series(rows: Iterable[tuple[date, Decimal]]) -> list[DailyPnl]:
    """Sum ``(exit date, pnl)`` rows per day, ascending, with the cumulative P&L."""
    days: dict[date, list[Any]] = {}
    for day, pnl in rows:
        cell = days.setdefault(day, [ZERO, 0])
        cell[0] += pnl
        cell[1] += 1
    out: list[DailyPnl] = []
    running = ZERO
    for day in sorted(days):
        pnl, count = days[day]
        running += pnl
        out.append(DailyPnl(date=day, pnl=pnl, trades=count, cumulative_pnl=running))
    return out
