"""Round trips ("trades") built from an account's fills, FIFO per symbol.

A trade starts when a symbol's position leaves zero and ends when it returns to zero:

- Fills in the trade's direction are entries (scale-ins); fills against it are exits
  (partial exits allowed). Exits are matched FIFO against the entry lots, which fixes the
  realized P&L of an open trade's partial exits; a closed trade's gross P&L is
  ``direction * (exit notional - entry notional)`` whatever the matching.
- A fill larger than the open position flips it: the part that flattens closes this
  trade, the rest opens the next one at the same fill price. The flip fill's commission
  is split pro rata by quantity (rounded to 10 places; the remainder goes to the new
  trade, so no commission is lost).
- ``fees`` are all commission of the trade's fills; ``pnl`` (net) is ``gross - fees``.
  For open trades ``realized_pnl`` is the FIFO-realized gross minus every fee paid so
  far, so over any fill log the open and closed trades' realized P&L add up to the
  ledger's realized P&L once the positions are flat, and realized + unrealized at a mark
  always equals the ledger's.
- A trade's id is ``uuid5(account_id, str(opening_fill_id))``: rebuilding from the fill
  log gives the same ids, so journal data keyed by them survives rebuilds.

The builder keeps its exact state in a JSON-able dict (``Trip.to_state``), so the
database can continue a trip fill by fill and give the same result as a full rebuild.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from hashlib import sha1
from typing import Any, NamedTuple

from paperdesk_core.clock import as_utc

ZERO = Decimal(0)
HUNDRED = Decimal(100)
FEE_STEP = Decimal("1e-10")


class JournalFill(NamedTuple):
    """The part of a fill the journal needs (``side`` is ``buy`` or ``sell``).

    A named tuple: a rebuild makes one per stored fill, and a tuple is the cheapest.
    """

    fill_id: uuid.UUID
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    commission: Decimal
    ts: datetime

    @property
    def signed_qty(self) -> Decimal:
        """``qty`` for buys, ``-qty`` for sells."""
        return self.qty if self.side == "buy" else -self.qty


# uuid5's version and variant bits, applied to the SHA-1 digest as ``uuid.UUID`` does.
_UUID5_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID5_SET = (0x8000 << 48) | (5 << 76)
_UNKNOWN = uuid.SafeUUID.unknown  # an enum member lookup costs more than the hash


def trade_id_for(account_id: uuid.UUID, opening_fill_id: uuid.UUID) -> uuid.UUID:
    """Return the deterministic id of the trade opened by ``opening_fill_id``.

    Equal to ``uuid.uuid5(account_id, str(opening_fill_id))``, without ``UUID.__init__``'s
    argument checks (a rebuild makes tens of thousands).
    """
    out = object.__new__(uuid.UUID)
    object.__setattr__(out, "int", _uuid5_int(account_id, str(opening_fill_id)))
    object.__setattr__(out, "is_safe", _UNKNOWN)
    return out


def trade_id_text(account_id: uuid.UUID, opening_fill_text: str) -> str:
    """``str(trade_id_for(account_id, UUID(opening_fill_text)))``, without UUID objects.

    ``opening_fill_text`` is the opening fill id in its canonical text form.
    """
    # The digest's hex with uuid5's version nibble and variant bits set in place: no int.
    h = sha1(_namespace(account_id) + opening_fill_text.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


# The first hex digit of a uuid's 4th group with the RFC 4122 variant bits (10xx) applied.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


@lru_cache(maxsize=64)
def _namespace(account_id: uuid.UUID) -> bytes:
    return account_id.bytes


def _uuid5_int(account_id: uuid.UUID, name: str) -> int:
    digest = sha1(_namespace(account_id) + name.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:16]) & _UUID5_CLEAR | _UUID5_SET


def _s(value: Decimal) -> str:
    # Canonical text: equal values give equal state, whatever scale the inputs carried.
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


@dataclass(slots=True)
class Trip:
    """One round trip in progress or done, with its exact accumulators."""

    account_id: uuid.UUID
    symbol: str
    direction: int  # 1 long, -1 short
    opening_fill_id: uuid.UUID
    entry_time: datetime
    lots: deque[list[Decimal]] = field(default_factory=deque)  # FIFO [qty, price]
    open_qty: Decimal = ZERO
    max_qty: Decimal = ZERO
    entry_qty: Decimal = ZERO
    entry_notional: Decimal = ZERO
    exit_qty: Decimal = ZERO
    exit_notional: Decimal = ZERO
    fees: Decimal = ZERO
    realized_gross: Decimal = ZERO
    exit_time: datetime | None = None
    last_time: datetime | None = None
    fill_count: int = 0
    cost: Decimal = ZERO  # sum of qty * price over the open lots
    # (epoch seconds, open qty, open cost) after each fill: the position path for MAE/MFE
    # (qty and cost are floats once read back from a saved state).
    path: list[tuple[float, Decimal | float, Decimal | float]] = field(default_factory=list)
    last_fill_id: uuid.UUID | None = None  # with last_time: the journal order of the last fill

    @property
    def id(self) -> uuid.UUID:
        """The deterministic trade id."""
        return trade_id_for(self.account_id, self.opening_fill_id)

    @property
    def is_open(self) -> bool:
        """True while the position is not flat."""
        return self.open_qty != ZERO

    @property
    def side(self) -> str:
        """``long`` or ``short``."""
        return "long" if self.direction > 0 else "short"

    @property
    def open_cost(self) -> Decimal:
        """Sum of ``qty * price`` over the lots still open."""
        return self.cost

    @property
    def last_key(self) -> tuple[datetime, uuid.UUID] | None:
        """``(ts, fill id)`` of the last fill applied: fills are applied in that order."""
        if self.last_time is None or self.last_fill_id is None:
            return None
        return self.last_time, self.last_fill_id

    def add_entry(self, qty: Decimal, price: Decimal, fee: Decimal, ts: datetime) -> None:
        """Add ``qty`` at ``price`` in the trade's direction."""
        notional = qty * price
        self.lots.append([qty, price])
        self.open_qty += qty
        if self.open_qty > self.max_qty:
            self.max_qty = self.open_qty
        self.entry_qty += qty
        self.entry_notional += notional
        self.cost += notional
        self.fees += fee
        self.fill_count += 1
        self.last_time = ts
        self.path.append((ts.timestamp(), self.open_qty, self.cost))

    def add_exit(self, qty: Decimal, price: Decimal, fee: Decimal, ts: datetime) -> None:
        """Close ``qty`` (at most the open quantity) at ``price``, FIFO."""
        remaining = qty
        lots = self.lots
        realized = ZERO
        cost = self.cost
        while remaining:
            lot = lots[0]
            lot_qty, lot_price = lot
            if remaining < lot_qty:
                realized += remaining * (price - lot_price)
                cost -= remaining * lot_price
                lot[0] = lot_qty - remaining
                break
            realized += lot_qty * (price - lot_price)
            cost -= lot_qty * lot_price
            remaining -= lot_qty
            lots.popleft()
        self.realized_gross += realized if self.direction > 0 else -realized
        self.cost = cost
        self.open_qty -= qty
        self.exit_qty += qty
        self.exit_notional += qty * price
        self.fees += fee
        if not self.open_qty:
            self.exit_time = ts
        self.fill_count += 1
        self.last_time = ts
        self.path.append((ts.timestamp(), self.open_qty, cost))

    def unrealized(self, price: Decimal) -> Decimal:
        """Unrealized gross P&L of the open lots at ``price``."""
        return sum((q * (price - p) for q, p in self.lots), ZERO) * self.direction

    # -- state -------------------------------------------------------------------------
    def path_state(self) -> list[list[float]]:
        """The position path as JSON-able floats (what MAE/MFE use; canonical by value)."""
        return [[t, float(q), float(c)] for t, q, c in self.path]

    def to_state(self) -> dict[str, Any]:
        """The exact state as JSON-able data (decimals as strings, the path as floats).

        A closed trip is never continued: its state is only the direction and the
        position path (what MAE/MFE need), which keeps a full rebuild cheap.
        """
        if not self.open_qty:
            return {"direction": self.direction, "path": self.path_state()}
        return {
            "direction": self.direction,
            "opening_fill_id": str(self.opening_fill_id),
            "entry_time": self.entry_time.isoformat(),
            "lots": [[_s(q), _s(p)] for q, p in self.lots],
            "open_qty": _s(self.open_qty),
            "max_qty": _s(self.max_qty),
            "entry_qty": _s(self.entry_qty),
            "entry_notional": _s(self.entry_notional),
            "exit_qty": _s(self.exit_qty),
            "exit_notional": _s(self.exit_notional),
            "fees": _s(self.fees),
            "realized_gross": _s(self.realized_gross),
            "exit_time": None if self.exit_time is None else self.exit_time.isoformat(),
            "last_time": None if self.last_time is None else self.last_time.isoformat(),
            "last_fill_id": None if self.last_fill_id is None else str(self.last_fill_id),
            "fill_count": self.fill_count,
            "path": self.path_state(),
        }

    def state_json(self) -> str:
        """``to_state`` as JSON text; a closed trip's without a generic encoder pass."""
        if self.open_qty:
            return json.dumps(self.to_state())
        points = ",".join([f"[{t!r},{float(q)!r},{float(c)!r}]" for t, q, c in self.path])
        return f'{{"direction":{self.direction},"path":[{points}]}}'

    @staticmethod
    def path_from_state(state: Mapping[str, Any]) -> tuple[int, list[tuple[float, float, float]]]:
        """``(direction, path)`` of any saved state, open or closed (for MAE/MFE)."""
        return int(state["direction"]), _path(state)

    @classmethod
    def from_state(cls, account_id: uuid.UUID, symbol: str, state: Mapping[str, Any]) -> Trip:
        """Rebuild an open trip from ``to_state`` output."""

        def _ts(key: str) -> datetime | None:
            raw = state.get(key)
            return None if raw is None else datetime.fromisoformat(raw)

        entry_time = _ts("entry_time")
        if entry_time is None:
            raise ValueError("trip state without entry_time")
        last_fill = state.get("last_fill_id")
        return cls(
            account_id=account_id,
            symbol=symbol,
            direction=int(state["direction"]),
            opening_fill_id=uuid.UUID(state["opening_fill_id"]),
            entry_time=entry_time,
            lots=deque([Decimal(q), Decimal(p)] for q, p in state["lots"]),
            open_qty=Decimal(state["open_qty"]),
            max_qty=Decimal(state["max_qty"]),
            entry_qty=Decimal(state["entry_qty"]),
            entry_notional=Decimal(state["entry_notional"]),
            exit_qty=Decimal(state["exit_qty"]),
            exit_notional=Decimal(state["exit_notional"]),
            fees=Decimal(state["fees"]),
            realized_gross=Decimal(state["realized_gross"]),
            exit_time=_ts("exit_time"),
            last_time=_ts("last_time"),
            fill_count=int(state["fill_count"]),
            path=list(_path(state)),
            cost=sum((Decimal(q) * Decimal(p) for q, p in state["lots"]), ZERO),
            last_fill_id=None if last_fill is None else uuid.UUID(last_fill),
        )


def _path(state: Mapping[str, Any]) -> list[tuple[float, float, float]]:
    # Floats; states saved before the path was stored as floats hold decimal strings.
    return [(float(t), float(q), float(c)) for t, q, c in state.get("path", [])]


def _split_fee(commission: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    return (commission * part / whole).quantize(FEE_STEP, ROUND_HALF_EVEN)


def _open(account_id: uuid.UUID, fill: JournalFill, qty: Decimal, fee: Decimal) -> Trip:
    ts = as_utc(fill.ts)
    trip = Trip(account_id, fill.symbol, 1 if fill.side == "buy" else -1, fill.fill_id, ts)
    trip.add_entry(qty, fill.price, fee, ts)
    trip.last_fill_id = fill.fill_id
    return trip


def _check(fill: JournalFill) -> None:
    if fill.qty <= ZERO or fill.price <= ZERO or fill.commission < ZERO:
        raise ValueError(f"fill {fill.fill_id}: qty and price must be > 0, commission >= 0")


def apply_fill(
    account_id: uuid.UUID, trip: Trip | None, fill: JournalFill
) -> tuple[Trip | None, Trip | None]:
    """Apply one fill to a symbol's open trip (None when flat).

    Returns ``(closed, open)``: the trip this fill closed (or None) and the trip open
    after it (or None when the position is flat).

    Raises:
        ValueError: non-positive quantity or price, negative commission, or a fill for
            another symbol than the trip's.
    """
    _check(fill)
    if trip is None:
        return None, _open(account_id, fill, fill.qty, fill.commission)
    if trip.symbol != fill.symbol:
        raise ValueError(f"fill {fill.fill_id} is for {fill.symbol}, not {trip.symbol}")
    ts = as_utc(fill.ts)
    same_way = (fill.side == "buy") == (trip.direction > 0)
    if same_way:
        trip.add_entry(fill.qty, fill.price, fill.commission, ts)
        trip.last_fill_id = fill.fill_id
        return None, trip
    if fill.qty <= trip.open_qty:
        trip.add_exit(fill.qty, fill.price, fill.commission, ts)
        trip.last_fill_id = fill.fill_id
        return (trip, None) if not trip.is_open else (None, trip)
    closing = trip.open_qty
    fee_close = _split_fee(fill.commission, closing, fill.qty)
    trip.add_exit(closing, fill.price, fee_close, ts)
    trip.last_fill_id = fill.fill_id
    rest = _open(account_id, fill, fill.qty - closing, fill.commission - fee_close)
    return trip, rest


@contextmanager
def bulk_build() -> Iterator[None]:
    """Pause the cyclic garbage collector while a rebuild allocates.

    Nothing a rebuild makes is cyclic; the collector would only walk every live trip,
    fill and decimal again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_trips(
    account_id: uuid.UUID,
    fills: Iterable[JournalFill],
    on_close: Callable[[Trip], object] | None = None,
) -> list[Trip]:
    """Build every trip (closed and open) of one account from its fills, in opening order.

    With ``on_close``, each trip is handed to it as it closes (it will not change again)
    and only the trips still open are returned: a database rebuild writes closed trips
    while it builds the next ones.

    The same as ``apply_fill`` fill after fill (the property tests hold them equal),
    with its dispatch inlined: a rebuild runs it for every stored fill.
    """
    open_by_symbol: dict[str, Trip] = {}
    trips: list[Trip] = []
    keep = on_close is None
    get = open_by_symbol.get
    with bulk_build():
        for fill in fills:
            fill_id, symbol, side, qty, price, fee, ts = fill
            if qty <= ZERO or price <= ZERO or fee < ZERO:
                _check(fill)
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=UTC)
            trip = get(symbol)
            if trip is None:
                trip = Trip(account_id, symbol, 1 if side == "buy" else -1, fill_id, ts)
                trip.add_entry(qty, price, fee, ts)
                if keep:
                    trips.append(trip)
                open_by_symbol[symbol] = trip
            elif (side == "buy") == (trip.direction > 0):
                trip.add_entry(qty, price, fee, ts)
            elif qty < trip.open_qty:
                trip.add_exit(qty, price, fee, ts)
            elif qty == trip.open_qty:
                trip.add_exit(qty, price, fee, ts)
                del open_by_symbol[symbol]
                if on_close is not None:
                    trip.last_fill_id = fill_id
                    on_close(trip)
            else:
                closing = trip.open_qty
                fee_close = _split_fee(fee, closing, qty)
                trip.add_exit(closing, price, fee_close, ts)
                trip.last_fill_id = fill_id
                if on_close is not None:
                    on_close(trip)
                trip = Trip(account_id, symbol, -trip.direction, fill_id, ts)
                trip.add_entry(qty - closing, price, fee - fee_close, ts)
                if keep:
                    trips.append(trip)
                open_by_symbol[symbol] = trip
            trip.last_fill_id = fill_id
    return trips if keep else list(open_by_symbol.values())


@dataclass(slots=True)  # not frozen: a frozen init costs a setattr call per field
class TradeFigures:
    """The reported figures of a trip (what the trades table stores)."""

    id: uuid.UUID
    symbol: str
    side: str
    status: str
    qty: Decimal
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    gross_pnl: Decimal
    fees: Decimal
    realized_pnl: Decimal
    pnl: Decimal
    pnl_pct: Decimal | None
    holding_seconds: int | None
    open_qty: Decimal
    fill_count: int
    opening_fill_id: uuid.UUID


def figures(trip: Trip) -> TradeFigures:
    """Compute a trip's reported figures (``pnl`` of an open trip is its realized part)."""
    closed = not trip.is_open
    realized = trip.realized_gross - trip.fees
    holding = None
    if closed and trip.exit_time is not None:
        holding = int((trip.exit_time - trip.entry_time).total_seconds())
    return TradeFigures(
        id=trip.id,
        symbol=trip.symbol,
        side=trip.side,
        status="closed" if closed else "open",
        qty=trip.max_qty,
        entry_time=trip.entry_time,
        entry_price=trip.entry_notional / trip.entry_qty,
        exit_time=trip.exit_time if closed else None,
        exit_price=trip.exit_notional / trip.exit_qty if trip.exit_qty else None,
        gross_pnl=trip.realized_gross,
        fees=trip.fees,
        realized_pnl=realized,
        pnl=realized,
        pnl_pct=pnl_pct(realized, trip.entry_notional),
        holding_seconds=holding,
        open_qty=trip.open_qty,
        fill_count=trip.fill_count,
        opening_fill_id=trip.opening_fill_id,
    )


def pnl_pct(pnl: Decimal, entry_cost: Decimal) -> Decimal | None:
    """``pnl / entry_cost * 100`` (None without an entry cost)."""
    return None if entry_cost == ZERO else pnl / entry_cost * HUNDRED
