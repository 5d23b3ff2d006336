"""Round trips from fills, MAE/MFE and analytics against hand-computed and reference values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperdesk_core.journal import (
    ClosedTrade,
    JournalFill,
    Trip,
    analyze,
    apply_fill,
    build_trips,
    daily_series,
    excursions,
    figures,
    holding_bucket,
    summarize,
    trade_id_for,
)
from paperdesk_core.trading import Fill, Ledger, OrderSide

D = Decimal
ACCOUNT = uuid.UUID("00000000-0000-0000-0000-0000000000aa")
T0 = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)


def jf(
    side: str, qty: str, px: str, fee: str = "0", minute: int = 0, sym: str = "AAPL"
) -> JournalFill:
    return JournalFill(
        fill_id=uuid.uuid4(),
        symbol=sym,
        side=side,
        qty=D(qty),
        price=D(px),
        commission=D(fee),
        ts=T0 + timedelta(minutes=minute),
    )


def test_scale_in_and_partial_exits_with_fees() -> None:
    fills = [
        jf("buy", "10", "100", "1", 0),
        jf("buy", "10", "110", "1", 1),
        jf("sell", "5", "120", "0.5", 2),
    ]
    (trip,) = build_trips(ACCOUNT, fills)
    f = figures(trip)
    assert f.status == "open"
    assert f.side == "long"
    assert f.open_qty == D(15)
    assert f.gross_pnl == D(100)  # FIFO: 5 * (120 - 100)
    assert f.realized_pnl == D("97.5")  # minus every fee paid so far
    assert trip.unrealized(D(105)) == D(5) * 5 + D(10) * -5  # lots 5@100, 10@110

    closed, current = apply_fill(ACCOUNT, trip, jf("sell", "15", "105", "1.5", 90))
    assert current is None
    assert closed is trip
    f = figures(trip)
    assert f.status == "closed"
    assert f.qty == D(20)
    assert f.entry_price == D(105)
    assert f.exit_price == D("108.75")
    assert f.gross_pnl == D(75)
    assert f.fees == D(4)
    assert f.pnl == D(71)
    assert f.pnl_pct is not None
    assert f.pnl_pct.quantize(D("0.0001")) == D("3.3810")
    assert f.holding_seconds == 90 * 60
    assert f.id == trade_id_for(ACCOUNT, fills[0].fill_id)
    assert f.fill_count == 4


def test_short_round_trip() -> None:
    (trip,) = build_trips(ACCOUNT, [jf("sell", "10", "50", "1"), jf("buy", "10", "45", "1", 5)])
    f = figures(trip)
    assert (f.side, f.status, f.gross_pnl, f.fees, f.pnl) == ("short", "closed", 50, 2, 48)
    assert f.entry_price == 50
    assert f.exit_price == 45
    assert f.pnl_pct == D("9.6")


def test_flip_closes_one_trade_and_opens_the_next_at_the_flip_fill() -> None:
    opening = jf("buy", "10", "100", "1", 0)
    flip = jf("sell", "30", "110", "3", 1)
    first, second = build_trips(ACCOUNT, [opening, flip, jf("buy", "20", "100", "2", 2)])
    a, b = figures(first), figures(second)
    assert (a.side, a.status, a.qty, a.gross_pnl, a.fees, a.pnl) == (
        "long",
        "closed",
        10,
        100,
        2,
        98,
    )
    assert a.exit_time == flip.ts
    assert (b.side, b.status, b.qty, b.entry_price) == ("short", "closed", 20, 110)
    assert b.entry_time == flip.ts
    assert (b.gross_pnl, b.fees, b.pnl) == (200, 4, 196)
    assert b.id == trade_id_for(ACCOUNT, flip.fill_id)
    assert a.id != b.id


def test_flip_fee_split_keeps_every_cent() -> None:
    trips = build_trips(ACCOUNT, [jf("buy", "1", "10", "0"), jf("sell", "3", "11", "0.01")])
    assert sum(t.fees for t in trips) == D("0.01")
    assert trips[0].fees == D("0.0033333333")


def test_symbols_are_separate_and_bad_fills_raise() -> None:
    trips = build_trips(
        ACCOUNT, [jf("buy", "1", "10"), jf("buy", "2", "20", sym="MSFT"), jf("sell", "1", "12")]
    )
    assert [(t.symbol, t.is_open) for t in trips] == [("AAPL", False), ("MSFT", True)]
    with pytest.raises(ValueError, match="must be > 0"):
        apply_fill(ACCOUNT, None, jf("buy", "0", "10"))
    with pytest.raises(ValueError, match="not AAPL"):
        apply_fill(ACCOUNT, trips[0], jf("sell", "1", "10", sym="MSFT"))


def _bars(rows: list[tuple[int, float, float]]) -> pd.DataFrame:
    index = pd.DatetimeIndex([T0 + timedelta(minutes=m) for m, _, _ in rows])
    return pd.DataFrame(
        {"High": [h for _, h, _ in rows], "Low": [lo for _, _, lo in rows]}, index=index
    )


def test_mae_mfe_follow_the_position_through_the_bars() -> None:
    trips = build_trips(
        ACCOUNT,
        [
            jf("buy", "10", "100", minute=0),
            jf("buy", "10", "100", minute=2),
            jf("sell", "20", "103", minute=4),
        ],
    )
    bars = _bars(
        [(-1, 200, 1), (0, 101, 99), (1, 102, 97), (2, 104, 98), (3, 105, 99), (5, 300, 1)]
    )
    mae, mfe = excursions(1, trips[0].path, bars) or (None, None)
    # minute 0-1: 10 shares (low 97 -> -30, high 102 -> +20); minute 2-3: 20 shares
    # (low 98 -> -40, high 105 -> +100); minute 4 has no bar, minute 5 is after the exit.
    assert mae == D("-40.0000")
    assert mfe == D("100.0000")
    short = build_trips(ACCOUNT, [jf("sell", "1", "100"), jf("buy", "1", "100", minute=1)])[0]
    assert excursions(-1, short.path, bars) == (D("-1.0000"), D("1.0000"))
    assert excursions(1, trips[0].path, bars.iloc[:0]) is None
    assert excursions(1, trips[0].path, _bars([(10, 1, 1)])) is None


# -- properties ---------------------------------------------------------------------------
fill_st = st.tuples(
    st.sampled_from(("AAPL", "BTCUSD")),
    st.sampled_from(("buy", "sell")),
    st.integers(1, 30),
    st.integers(9000, 11000),
    st.integers(0, 150),
)


def _fills(raw: list[tuple[str, str, int, int, int]]) -> list[JournalFill]:
    return [
        JournalFill(
            uuid.uuid4(), sym, side, D(q), D(c) / 100, D(fee) / 100, T0 + timedelta(seconds=i)
        )
        for i, (sym, side, q, c, fee) in enumerate(raw)
    ]


def _ledger(fills: list[JournalFill]) -> Ledger:
    return Ledger.replay(
        Fill(
            fill_id=f.fill_id,
            order_id=f.fill_id,
            account_id=ACCOUNT,
            symbol=f.symbol,
            side=OrderSide(f.side),
            last_qty=f.qty,
            last_px=f.price,
            commission=f.commission,
            ts_event=0,
            ts=f.ts,
        )
        for f in fills
    )


def _flatten(fills: list[JournalFill]) -> list[JournalFill]:
    pos: dict[str, Decimal] = {}
    for f in fills:
        pos[f.symbol] = pos.get(f.symbol, D(0)) + f.signed_qty
    out = list(fills)
    for sym, q in pos.items():
        if q:
            out.append(jf("sell" if q > 0 else "buy", str(abs(q)), "100.37", "0.25", 10_000, sym))
    return out


TOL = D("1e-12")


@settings(max_examples=150, deadline=None)
@given(st.lists(fill_st, max_size=60))
def test_sum_of_trade_pnl_equals_ledger_realized_pnl(
    raw: list[tuple[str, str, int, int, int]],
) -> None:
    fills = _flatten(_fills(raw))
    trips = build_trips(ACCOUNT, fills)
    assert all(not t.is_open for t in trips)
    total = sum((figures(t).pnl for t in trips), D(0))
    assert abs(total - _ledger(fills).realized_pnl) < TOL
    assert sum((t.fees for t in trips), D(0)) == sum((f.commission for f in fills), D(0))


@settings(max_examples=150, deadline=None)
@given(st.lists(fill_st, max_size=60), st.integers(9000, 11000))
def test_open_trades_realized_plus_unrealized_match_the_ledger(
    raw: list[tuple[str, str, int, int, int]], mark_cents: int
) -> None:
    fills = _fills(raw)
    mark = D(mark_cents) / 100
    trips = build_trips(ACCOUNT, fills)
    ours = sum((figures(t).realized_pnl + t.unrealized(mark) for t in trips), D(0))
    ledger = _ledger(fills)
    theirs = ledger.realized_pnl + ledger.unrealized_pnl(dict.fromkeys(("AAPL", "BTCUSD"), mark))
    assert abs(ours - theirs) < TOL
    open_qty = {t.symbol: t.open_qty * t.direction for t in trips if t.is_open}
    assert open_qty == {p.symbol: p.qty for p in ledger.open_positions()}


@settings(max_examples=100, deadline=None)
@given(st.lists(fill_st, max_size=60))
def test_fill_by_fill_through_saved_state_equals_rebuild(
    raw: list[tuple[str, str, int, int, int]],
) -> None:
    fills = _fills(raw)
    saved: dict[str, dict[str, object]] = {}
    done: list[Trip] = []
    for f in fills:
        state = saved.get(f.symbol)
        trip = None if state is None else Trip.from_state(ACCOUNT, f.symbol, state)
        closed, current = apply_fill(ACCOUNT, trip, f)
        if closed is not None:
            done.append(closed)
        if current is None:
            saved.pop(f.symbol, None)
        else:
            saved[f.symbol] = current.to_state()
    done.extend(Trip.from_state(ACCOUNT, s, st_) for s, st_ in saved.items())
    incremental = sorted((figures(t) for t in done), key=lambda f: str(f.id))
    rebuilt = sorted((figures(t) for t in build_trips(ACCOUNT, fills)), key=lambda f: str(f.id))
    assert incremental == rebuilt


# -- analytics against a pandas reference -------------------------------------------------
trade_st = st.tuples(
    st.integers(-50_000, 50_000),
    st.integers(0, 24 * 14 * 60),
    st.integers(0, 3 * 86_400),
    st.sampled_from(("AAPL", "MSFT", "SPY")),
    st.sampled_from(("long", "short")),
    st.lists(st.sampled_from(("breakout", "fade", "news")), max_size=2, unique=True),
)


def _reference(df: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for k, g in df.sort_values("exit_time", kind="stable").groupby(key, sort=True):
        p = g["pnl"].astype(float)
        wins, losses = p[p > 0], p[p < 0]
        is_loss = (p < 0).astype(int).to_numpy()
        runs = pd.Series(is_loss).groupby((is_loss == 0).cumsum()).sum()
        out[str(k)] = {
            "trades": len(p),
            "win_rate": len(wins) / len(p),
            "pnl": p.sum(),
            "avg_pnl": p.mean(),
            "avg_win": wins.mean() if len(wins) else None,
            "avg_loss": losses.mean() if len(losses) else None,
            "profit_factor": wins.sum() / -losses.sum() if len(losses) else None,
            "expectancy": (
                len(wins) * (wins.mean() if len(wins) else 0)
                + len(losses) * (losses.mean() if len(losses) else 0)
            )
            / len(p),
            "largest_win": wins.max() if len(wins) else None,
            "largest_loss": losses.min() if len(losses) else None,
            "max_consecutive_losses": int(runs.max()) if len(runs) else 0,
        }
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(trade_st, min_size=1, max_size=80),
    st.sampled_from(("tag", "symbol", "side", "weekday", "hour", "holding")),
)
def test_analytics_match_a_pandas_reference(
    raw: list[tuple[int, int, int, str, str, list[str]]], group_by: str
) -> None:
    trades = [
        ClosedTrade(
            symbol=sym,
            side=side,
            entry_time=T0 + timedelta(minutes=m),
            exit_time=T0 + timedelta(minutes=m, seconds=h),
            holding_seconds=h,
            pnl=D(c) / 100,
            tags=tags,
        )
        for c, m, h, sym, side, tags in raw
    ]
    df = pd.DataFrame(
        {
            "pnl": [t.pnl for t in trades],
            "exit_time": [t.exit_time for t in trades],
            "symbol": [t.symbol for t in trades],
            "side": [t.side for t in trades],
            "weekday": [t.entry_time.strftime("%a") for t in trades],
            "hour": [f"{t.entry_time.hour:02d}" for t in trades],
            "holding": pd.cut(
                np.array([t.holding_seconds for t in trades], dtype=float),
                [-1, 59.999, 299.999, 1799.999, 7199.999, 86_399.999, np.inf],
                labels=["<1m", "1-5m", "5-30m", "30m-2h", "2h-1d", ">1d"],
            ).astype(str),
            "tag": [list(t.tags) for t in trades],
        }
    )
    if group_by == "tag":
        df = df.explode("tag").dropna(subset=["tag"])
    ref = _reference(df, group_by)
    ours = {g.key: g.as_dict() for g in analyze(trades, group_by)}
    assert set(ours) == set(ref)
    for key, expected in ref.items():
        got = ours[key]
        for name, value in expected.items():
            if value is None:
                assert got[name] is None, (key, name)
            else:
                assert float(got[name]) == pytest.approx(value, abs=1e-4), (key, name)


def test_summary_daily_and_buckets() -> None:
    s = summarize([D(10), D(-5), D(-5), D(0), D(-1), D(20)])
    assert (s.trades, s.wins, s.losses, s.max_consecutive_losses) == (6, 2, 3, 2)
    assert s.pnl == D(19)
    assert s.profit_factor == D("2.7273")
    assert s.win_rate == D("0.3333")
    assert summarize([]).win_rate is None
    d1, d2 = T0.date(), (T0 + timedelta(days=2)).date()
    series = daily_series([(d2, D(5)), (d1, D(-2)), (d1, D(3))])
    assert [(x.date, x.pnl, x.trades, x.cumulative_pnl) for x in series] == [
        (d1, D(1), 2, D(1)),
        (d2, D(5), 1, D(6)),
    ]
    assert [holding_bucket(s) for s in (0, 59, 60, 299, 1800, 7199, 86_399, 86_400, None)] == [
        "<1m",
        "<1m",
        "1-5m",
        "1-5m",
        "30m-2h",
        "30m-2h",
        "2h-1d",
        ">1d",
        "<1m",
    ]
    with pytest.raises(ValueError, match="group_by"):
        analyze([], "month")


def test_trade_id_is_uuid5_of_the_opening_fill() -> None:
    for _ in range(50):
        account, fill = uuid.uuid4(), uuid.uuid4()
        tid = trade_id_for(account, fill)
        assert tid == uuid.uuid5(account, str(fill))
        assert (str(tid), tid.version, hash(tid)) == (
            str(uuid.uuid5(account, str(fill))),
            5,
            hash(uuid.uuid5(account, str(fill))),
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(fill_st, max_size=40))
def test_copy_rows_hold_the_same_values_as_the_orm_rows(
    raw: list[tuple[str, str, int, int, int]],
) -> None:
    import json

    from paperdesk_core.journal.store import _COPY_COLUMNS, _copy_line, trade_values

    now = datetime(2025, 2, 1, tzinfo=UTC)
    for trip in build_trips(ACCOUNT, _fills(raw)):
        kept = (D("-1.5"), D("2.25"), now) if not trip.is_open else None
        line = _copy_line(trip, str(ACCOUNT), now.isoformat(), kept)
        assert line.endswith("\n")
        fields = dict(zip(_COPY_COLUMNS, line[:-1].split("\t"), strict=True))
        values = trade_values(trip, now)
        if kept is not None:
            values.update(mae=kept[0], mfe=kept[1], excursions_at=kept[2])
        for column, expected in values.items():
            text = fields[column]
            if expected is None:
                assert text == "\\N", column
            elif column == "state":
                assert json.loads(text) == expected
            elif isinstance(expected, Decimal):
                assert D(text) == expected, column
            elif isinstance(expected, datetime):
                assert datetime.fromisoformat(text) == expected, column
            else:
                assert text == str(expected), column


def _seed_fills(fills: list[JournalFill]) -> uuid.UUID:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Account, Order, User
    from paperdesk_core.db.models import Fill as FillRow

    with session_scope() as s:
        user = User(email=f"j-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        s.add(user)
        s.flush()
        account = Account(user_id=user.id)
        s.add(account)
        s.flush()
        order = Order(account_id=account.id, symbol="AAPL", side="buy", type="market",
                      time_in_force="day", qty=D(1), status="filled")  # fmt: skip
        s.add(order)
        s.flush()
        s.add_all(
            FillRow(
                id=f.fill_id,
                order_id=order.id,
                account_id=account.id,
                symbol=f.symbol,
                side=f.side,
                last_qty=f.qty,
                last_px=f.price,
                commission=f.commission,
                ts=f.ts,
            )
            for f in fills
        )
        return account.id


def test_rebuild_in_many_copy_chunks_equals_the_pure_build(
    paperdesk_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select, update

    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Trade
    from paperdesk_core.journal import store

    rng = np.random.default_rng(3)
    raw = [
        (str(rng.choice(["AAPL", "MSFT"])), str(rng.choice(["buy", "sell"])),
         int(rng.integers(1, 30)), int(rng.integers(9000, 11000)), int(rng.integers(0, 150)))
        for _ in range(300)
    ]  # fmt: skip
    fills = _fills(raw)
    account_id = _seed_fills(fills)
    monkeypatch.setattr(store._CopyWriter, "CHUNK", 7)  # many COPY statements
    expected = {f.id: f for f in map(figures, build_trips(account_id, fills))}
    with session_scope() as s:
        assert store.rebuild_account(s, account_id) == len(expected)
    with session_scope() as s:
        rows = s.scalars(select(Trade).where(Trade.account_id == account_id)).all()
        assert {r.id for r in rows} == set(expected)
        for r in rows:
            f = expected[r.id]
            assert (r.status, r.qty, r.pnl, r.fill_count) == (f.status, f.qty, f.pnl, f.fill_count)

    # A chunk the server refuses (an imported trade holds a built trade's id): the error
    # reaches the caller, nothing of the rebuild stays, and the connection is usable.
    clash = sorted(expected.values(), key=lambda f: f.entry_time)[len(expected) // 2]
    with session_scope() as s:
        if s.connection().dialect.name != "postgresql":
            return  # the COPY writer is PostgreSQL's
        s.execute(update(Trade).where(Trade.id == clash.id).values(source="import"))
    with pytest.raises(Exception, match="duplicate key"), session_scope() as s:
        store.rebuild_account(s, account_id)
    with session_scope() as s:
        kept = s.scalars(select(Trade.source).where(Trade.account_id == account_id)).all()
        assert len(kept) == len(expected)
        assert kept.count("import") == 1


class _StubCopy:
    def __init__(self, sink: list[str], fail: bool) -> None:
        self.sink, self.fail = sink, fail

    def __enter__(self) -> _StubCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, chunk: str) -> None:
        if self.fail:
            raise RuntimeError("server refused the chunk")
        self.sink.append(chunk)


class _StubRaw:
    """The part of a psycopg connection the COPY writer uses."""

    def __init__(self, fail: bool = False) -> None:
        self.chunks: list[str] = []
        self.fail = fail

    def cursor(self) -> _StubRaw:
        return self

    def __enter__(self) -> _StubRaw:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def copy(self, sql: str) -> _StubCopy:
        assert sql.startswith("COPY trades (")
        return _StubCopy(self.chunks, self.fail)


def test_copy_writers_shorten_the_switch_interval_while_they_run() -> None:
    import sys

    from paperdesk_core.journal import store

    default = sys.getswitchinterval()
    fills = [jf("buy", "1", "10", minute=0), jf("sell", "1", "11", minute=1)]
    (trip,) = build_trips(ACCOUNT, fills)
    raw = _StubRaw()
    first = store._CopyWriter(raw, ACCOUNT, {})
    second = store._CopyWriter(_StubRaw(), ACCOUNT, {})
    assert sys.getswitchinterval() == pytest.approx(store.SENDER_SWITCH_INTERVAL)
    first(trip)
    first.close()
    first.abort()  # idempotent: restores once
    assert len(raw.chunks) == 1
    assert sys.getswitchinterval() == pytest.approx(store.SENDER_SWITCH_INTERVAL)
    second.close()
    assert sys.getswitchinterval() == pytest.approx(default)

    failing = store._CopyWriter(_StubRaw(fail=True), ACCOUNT, {})
    failing(trip)
    with pytest.raises(RuntimeError, match="refused"):
        failing.close()
    assert sys.getswitchinterval() == pytest.approx(default)
