"""The fill engine keeps the journal's trades in step: incremental == rebuild from fills."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Account, Instrument, Order, Position, Trade, User
from paperdesk_core.journal.store import rebuild_account
from paperdesk_core.trading import Fill, OrderSide, fill_id_for
from sqlalchemy import delete, select

from paperdesk_workers.fill_engine import apply_fill

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
COLUMNS = [
    "id",
    "symbol",
    "side",
    "status",
    "source",
    "qty",
    "open_qty",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "gross_pnl",
    "fees",
    "realized_pnl",
    "pnl",
    "pnl_pct",
    "holding_seconds",
    "fill_count",
    "opening_fill_id",
    "state",
]


@pytest.fixture
def account(paperdesk_env: dict[str, str]) -> tuple[uuid.UUID, str]:
    sym = f"ZJ{uuid.uuid4().hex[:8].upper()}"
    with session_scope() as s:
        s.add(Instrument(symbol=sym, name="Journal Test", asset_class="equity", calendar="24/7"))
        user = User(email=f"{uuid.uuid4().hex}@x.test", password_hash="x")
        s.add(user)
        s.flush()
        acct = Account(user_id=user.id)
        s.add(acct)
        s.flush()
        return acct.id, sym


def _make_fill(
    account_id: uuid.UUID, sym: str, side: str, qty: str, px: str, fee: str, i: int
) -> Fill:
    """An order row and its (not yet applied) fill at minute ``i``."""
    with session_scope() as s:
        order = Order(
            account_id=account_id,
            symbol=sym,
            side=side,
            type="market",
            time_in_force="day",
            qty=Decimal(qty),
            status="new",
        )
        s.add(order)
        s.flush()
        order_id = order.id
    return Fill(
        fill_id=fill_id_for(order_id, Decimal(0)),
        order_id=order_id,
        account_id=account_id,
        symbol=sym,
        side=OrderSide(side),
        last_qty=Decimal(qty),
        last_px=Decimal(px),
        commission=Decimal(fee),
        ts_event=0,
        ts=T0 + timedelta(minutes=i),
    )


def _apply(fill: Fill) -> None:
    with session_scope() as s:
        assert apply_fill(s, fill) is not None


def _fill(account_id: uuid.UUID, sym: str, side: str, qty: str, px: str, fee: str, i: int) -> None:
    _apply(_make_fill(account_id, sym, side, qty, px, fee, i))


def _snapshot(account_id: uuid.UUID) -> list[dict[str, Any]]:
    with session_scope() as s:
        rows = s.scalars(select(Trade).where(Trade.account_id == account_id).order_by(Trade.id))
        return [{c: getattr(r, c) for c in COLUMNS} for r in rows]


def test_fills_update_trades_like_a_rebuild(account: tuple[uuid.UUID, str]) -> None:
    account_id, sym = account
    script = [
        ("buy", "10", "100", "1"),
        ("buy", "5", "102", "0.5"),
        ("sell", "8", "105", "0.8"),
        ("sell", "17", "101", "1.7"),  # flips to short 10
        ("buy", "10", "99", "1"),
        ("buy", "3", "100", "0.3"),  # open long 3
    ]
    for i, (side, qty, px, fee) in enumerate(script):
        _fill(account_id, sym, side, qty, px, fee, i)
    trades = _snapshot(account_id)
    assert [(t["side"], t["status"]) for t in sorted(trades, key=lambda t: t["entry_time"])] == [
        ("long", "closed"),
        ("short", "closed"),
        ("long", "open"),
    ]
    first = min(trades, key=lambda t: t["entry_time"])
    # entries 10@100 + 5@102, exits 8@105 + 7@101; fees 1 + 0.5 + 0.8 + 0.7
    assert first["gross_pnl"] == Decimal(840 + 707 - 1510)
    assert first["fees"] == Decimal("3.0")
    with session_scope() as s:
        position = s.get(Position, (account_id, sym))
        assert position is not None
        assert position.qty == 3
        rebuild_account(s, account_id)
    again = _snapshot(account_id)
    for a, b in zip(again, trades, strict=True):
        assert {k: (v, b[k]) for k, v in a.items() if v != b[k]} == {}


def test_random_fills_incremental_equals_rebuild_and_heals(
    account: tuple[uuid.UUID, str],
) -> None:
    account_id, sym = account
    rng = random.Random(5)
    for i in range(40):
        side = rng.choice(("buy", "sell"))
        qty, px, fee = rng.randint(1, 20), rng.randint(9500, 10500) / 100, rng.randint(0, 50) / 100
        _fill(account_id, sym, side, str(qty), str(px), str(fee), i)
    incremental = _snapshot(account_id)
    with session_scope() as s:
        rebuild_account(s, account_id)
    assert _snapshot(account_id) == incremental
    # Trades lost (e.g. an account from before the journal): the next fill rebuilds them.
    with session_scope() as s:
        s.execute(delete(Trade).where(Trade.account_id == account_id))
    _fill(account_id, sym, "buy", "1", "100", "0", 41)
    healed = _snapshot(account_id)
    with session_scope() as s:
        rebuild_account(s, account_id)
    assert _snapshot(account_id) == healed
    assert sum(t["fill_count"] for t in healed) >= 41


@pytest.mark.parametrize(
    "pair",
    [
        # A partial exit and a flip: in id order the flip closes the trade, else the exit.
        (("sell", "10", "105"), ("sell", "5", "110")),
        # A close and a new entry: in id order the position never goes flat, else it does.
        (("sell", "10", "105"), ("buy", "5", "101")),
    ],
)
def test_same_timestamp_fills_out_of_id_order_equal_a_rebuild(
    account: tuple[uuid.UUID, str],
    pair: tuple[tuple[str, str, str], tuple[str, str, str]],
) -> None:
    account_id, sym = account
    _fill(account_id, sym, "buy", "10", "100", "0", 0)
    made = [_make_fill(account_id, sym, *spec, "0.1", 1) for spec in pair]
    # Both fills at the same timestamp, arriving highest id first: the journal's order
    # (ts, then id) applies them the other way round.
    for fill in sorted(made, key=lambda f: f.fill_id, reverse=True):
        _apply(fill)
    incremental = _snapshot(account_id)
    with session_scope() as s:
        rebuild_account(s, account_id)
    assert _snapshot(account_id) == incremental
    # A later fill continues from the rebuilt state, still equal to a rebuild.
    _fill(account_id, sym, "buy", "2", "99", "0", 2)
    incremental = _snapshot(account_id)
    with session_scope() as s:
        rebuild_account(s, account_id)
    assert _snapshot(account_id) == incremental
