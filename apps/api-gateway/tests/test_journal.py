"""Journal API: trades from fills, journal edits, tags, analytics, CSV, isolation."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Account, Order, Trade
from paperdesk_core.db.models import Fill as FillRow
from paperdesk_core.journal import JournalFill
from paperdesk_core.journal.store import rebuild_account, record_fill
from sqlalchemy import select

API = "/api/v1"
T0 = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)  # a Monday
D = Decimal


class Trader:
    """A user with an account; fills go through the core journal hook like the fill engine's."""

    def __init__(self, client: TestClient, user: dict[str, Any]) -> None:
        self.client = client
        self.headers: dict[str, str] = user["headers"]
        with session_scope() as s:
            acct = s.scalar(select(Account).where(Account.user_id == uuid.UUID(user["id"])))
            assert acct is not None
            self.account_id = acct.id
        self.position: dict[str, Decimal] = {}

    def fill(
        self, symbol: str, side: str, qty: str, px: str, fee: str = "0", minutes: float = 0
    ) -> uuid.UUID:
        ts = T0 + timedelta(minutes=minutes)
        with session_scope() as s:
            order = Order(
                account_id=self.account_id,
                symbol=symbol,
                side=side,
                type="market",
                time_in_force="day",
                qty=D(qty),
                status="filled",
                filled_qty=D(qty),
                filled_avg_price=D(px),
            )
            s.add(order)
            s.flush()
            acct = s.get(Account, self.account_id)
            assert acct is not None
            jf = JournalFill(uuid.uuid4(), symbol, side, D(qty), D(px), D(fee), ts)
            s.add(
                FillRow(
                    id=jf.fill_id,
                    order_id=order.id,
                    account_id=self.account_id,
                    symbol=symbol,
                    side=side,
                    last_qty=jf.qty,
                    last_px=jf.price,
                    commission=jf.commission,
                    ts=ts,
                    journal_epoch=acct.journal_epoch,
                )
            )
            s.flush()
            before = self.position.get(symbol, D(0))
            record_fill(s, self.account_id, jf, before)
            self.position[symbol] = before + jf.signed_qty
        return jf.fill_id

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(f"{API}{path}", params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def trades(self, **params: Any) -> list[dict[str, Any]]:
        return self.get("/trades", **params)  # type: ignore[no-any-return]

    def patch(self, trade_id: str, body: dict[str, Any]) -> Any:
        return self.client.patch(f"{API}/trades/{trade_id}", json=body, headers=self.headers)


@pytest.fixture
def trader(client: TestClient, make_user: Callable[[], dict[str, Any]]) -> Trader:
    return Trader(client, make_user())


@pytest.fixture
def other(client: TestClient, make_user: Callable[[], dict[str, Any]]) -> Trader:
    return Trader(client, make_user())


@pytest.fixture
def sym(make_instrument: Callable[..., str]) -> str:
    return make_instrument()


def test_trades_follow_fills_with_live_pnl(
    trader: Trader, sym: str, publish: Callable[..., None]
) -> None:
    assert trader.trades() == []
    trader.fill(sym, "buy", "10", "100", "1")
    trader.fill(sym, "sell", "4", "110", "0.4", minutes=5)
    publish(sym, "105")
    (t,) = trader.trades()
    assert (t["status"], t["side"], t["qty"], t["entry_price"]) == ("open", "long", "10", "100")
    assert t["realized_pnl"] == "38.6"  # 4 * 10 - 1.4 fees
    assert t["unrealized_pnl"] == "30"  # 6 * (105 - 100)
    assert t["pnl"] == "68.6"
    assert t["exit_time"] is None
    assert t["holding_seconds"] is None
    assert t["source"] == "fills"
    assert (t["tags"], t["notes"], t["rating"], t["r_multiple"]) == ([], "", None, None)

    trader.fill(sym, "sell", "6", "120", "0.6", minutes=65)
    (t,) = trader.trades()
    assert t["status"] == "closed"
    assert (t["exit_price"], t["gross_pnl"], t["fees"], t["pnl"]) == ("116", "160", "2", "158")
    assert t["pnl_pct"] == "15.8"
    assert t["holding_seconds"] == 3900
    assert t["unrealized_pnl"] is None
    assert t["entry_time"] == "2025-01-06T14:30:00Z"
    assert t["exit_time"] == "2025-01-06T15:35:00Z"
    assert t["mae"] is None  # no market data for this symbol
    assert trader.get(f"/trades/{t['id']}") == t


def test_short_flip_sort_and_filters(trader: Trader, sym: str, make_instrument: Any) -> None:
    other_sym = make_instrument()
    trader.fill(sym, "sell", "5", "50", minutes=0)
    trader.fill(sym, "buy", "8", "40", minutes=10)  # closes the short (+50), opens long 3
    trader.fill(sym, "sell", "3", "38", minutes=20)  # long loses 6
    trader.fill(other_sym, "buy", "1", "10", minutes=30)
    rows = trader.trades(sort="entry_time")
    assert [(r["symbol"], r["side"], r["status"], r["pnl"]) for r in rows] == [
        (sym, "short", "closed", "50"),
        (sym, "long", "closed", "-6"),
        (other_sym, "long", "open", "0"),
    ]
    assert [r["pnl"] for r in trader.trades(sort="-pnl")] == ["50", "0", "-6"]
    assert [r["pnl"] for r in trader.trades(outcome="win")] == ["50"]
    assert [r["pnl"] for r in trader.trades(outcome="loss")] == ["-6"]
    assert [r["symbol"] for r in trader.trades(outcome="open")] == [other_sym]
    assert len(trader.trades(symbol=sym.lower())) == 2
    assert len(trader.trades(**{"from": "2025-01-06T14:45:00Z"})) == 2
    assert len(trader.trades(to="2025-01-05")) == 0
    assert len(trader.trades(limit=1, offset=1)) == 1
    for params, code in [
        ({"from": "yesterday"}, "invalid_time"),
        ({"from": "2025-01-07", "to": "2025-01-06"}, "invalid_range"),
    ]:
        r = trader.client.get(f"{API}/trades", params=params, headers=trader.headers)
        assert r.status_code == 422
        assert r.json()["detail"]["code"] == code
    r = trader.client.get(f"{API}/trades", params={"sort": "id"}, headers=trader.headers)
    assert r.status_code == 422


def test_journal_fields_and_validation(trader: Trader, sym: str) -> None:
    trader.fill(sym, "buy", "10", "100", "1")
    trader.fill(sym, "sell", "10", "116", "1", minutes=3)
    (t,) = trader.trades()
    r = trader.patch(
        t["id"],
        {
            "tags": ["breakout", " breakout ", "A+"],
            "notes": "# Plan\nheld *well*",
            "rating": 5,
            "planned_stop": "95",
            "setup": "opening range",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tags"] == ["A+", "breakout"]
    assert body["notes"] == "# Plan\nheld *well*"
    assert (body["rating"], body["planned_stop"], body["setup"]) == (5, "95", "opening range")
    assert body["r_multiple"] == "3.16"  # pnl (116 - 100) * 10 - 2 = 158; risk (100 - 95) * 10
    r = trader.patch(t["id"], {"rating": None, "tags": ["fade"]})
    assert r.status_code == 200
    assert (r.json()["rating"], r.json()["tags"], r.json()["notes"]) == (
        None,
        ["fade"],
        "# Plan\nheld *well*",
    )
    for bad in (
        {"rating": 6},
        {"rating": 0},
        {"planned_stop": "-1"},
        {"planned_stop": "NaN"},
        {"tags": [""]},
        {"tags": ["a;b"]},
        {"notes": "x\x00y"},
        {"setup": "s" * 101},
    ):
        r = trader.patch(t["id"], bad)
        assert r.status_code == 422, (bad, r.text)
    assert trader.patch(str(uuid.uuid4()), {"rating": 1}).status_code == 404
    assert trader.patch("not-a-uuid", {"rating": 1}).status_code == 422


def test_each_user_sees_only_their_own_trades(trader: Trader, other: Trader, sym: str) -> None:
    trader.fill(sym, "buy", "1", "10")
    trader.fill(sym, "sell", "1", "11", minutes=1)
    (t,) = trader.trades()
    trader.patch(t["id"], {"tags": ["mine"]})
    assert other.trades() == []
    c, h = other.client, other.headers
    r = c.get(f"{API}/trades/{t['id']}", headers=h)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "trade_not_found"
    assert other.patch(t["id"], {"notes": "x"}).status_code == 404
    r = c.post(f"{API}/trades/bulk-tag", json={"trade_ids": [t["id"]], "add": ["x"]}, headers=h)
    assert r.status_code == 404
    assert other.get("/tags") == []
    assert other.get("/analytics", group_by="symbol") == []
    assert other.get("/analytics/summary")["trades"] == 0
    assert c.patch(f"{API}/tags/mine", json={"name": "theirs"}, headers=h).status_code == 404
    assert "mine" not in c.get(f"{API}/trades/export.csv", headers=h).text
    assert c.get(f"{API}/trades", headers={}).status_code == 401
    assert trader.get("/tags") == [{"name": "mine", "count": 1}]


def test_bulk_tag_autocomplete_rename_and_merge(trader: Trader, sym: str) -> None:
    for i in range(3):
        trader.fill(sym, "buy", "1", "10", minutes=2 * i)
        trader.fill(sym, "sell", "1", "11", minutes=2 * i + 1)
    ids = [t["id"] for t in trader.trades(sort="entry_time")]
    bulk = trader.client.post(
        f"{API}/trades/bulk-tag",
        json={"trade_ids": ids, "add": ["Breakout", "news"], "remove": []},
        headers=trader.headers,
    )
    assert bulk.json() == {"updated": 3}
    trader.client.post(
        f"{API}/trades/bulk-tag",
        json={"trade_ids": ids[:1], "add": ["breakdown"], "remove": ["news"]},
        headers=trader.headers,
    )
    assert trader.get("/tags") == [
        {"name": "Breakout", "count": 3},
        {"name": "news", "count": 2},
        {"name": "breakdown", "count": 1},
    ]
    assert [t["name"] for t in trader.get("/tags", prefix="br")] == ["Breakout", "breakdown"]
    assert trader.get("/tags", prefix="%") == []
    # Merge: the first trade has both tags, the others only "news".
    r = trader.client.patch(f"{API}/tags/news", json={"name": "breakdown"}, headers=trader.headers)
    assert r.json() == {"name": "breakdown", "count": 3}
    r = trader.client.patch(f"{API}/tags/Breakout", json={"name": "orb"}, headers=trader.headers)
    assert r.json() == {"name": "orb", "count": 3}
    assert {t["name"]: t["count"] for t in trader.get("/tags")} == {"breakdown": 3, "orb": 3}
    assert trader.trades(tag="orb")[0]["tags"] == ["breakdown", "orb"]
    r = trader.client.patch(f"{API}/tags/nope", json={"name": "x"}, headers=trader.headers)
    assert r.status_code == 404
    r = trader.client.post(
        f"{API}/trades/bulk-tag", json={"trade_ids": [], "add": ["x"]}, headers=trader.headers
    )
    assert r.status_code == 422


def _closed(trader: Trader, sym: str, pnls: list[int], *, start: float = 0) -> list[str]:
    ids = []
    for i, p in enumerate(pnls):
        m = start + i * 60 * 25  # one trade a day-ish, entries at different hours
        trader.fill(sym, "buy", "1", "100", "0.5", minutes=m)
        trader.fill(sym, "sell", "1", str(100 + p), "0.5", minutes=m + 3 + i)
        ids.append(str(trader.trades(sort="-entry_time", limit=1)[0]["id"]))
    return ids


def test_analytics_by_tag_summary_and_daily(
    trader: Trader, sym: str, make_instrument: Any, publish: Callable[..., None]
) -> None:
    ids = _closed(trader, sym, [10, -5, -3, 8, 0])
    for trade_id, tags in zip(ids, [["a"], ["a", "b"], ["b"], ["a"], []], strict=True):
        if tags:
            assert trader.patch(trade_id, {"tags": tags}).status_code == 200
    rows = {r["key"]: r for r in trader.get("/analytics", group_by="tag")}
    a = rows["a"]  # net pnl 9, -6, 7
    assert (a["trades"], a["pnl"], a["win_rate"], a["max_consecutive_losses"]) == (
        3,
        "10",
        "0.6667",
        1,
    )
    assert (a["avg_win"], a["avg_loss"], a["largest_win"], a["largest_loss"]) == (
        "8",
        "-6",
        "9",
        "-6",
    )
    assert a["profit_factor"] == "2.6667"
    assert a["expectancy"] == a["avg_pnl"] == "3.3333"
    b = rows["b"]  # -6, -4
    assert (b["trades"], b["pnl"], b["win_rate"], b["max_consecutive_losses"]) == (2, "-10", "0", 2)
    assert (b["avg_win"], b["profit_factor"], b["largest_win"]) == (None, "0", None)

    s = trader.get("/analytics/summary")
    assert (s["key"], s["trades"], s["pnl"], s["fees"], s["open_trades"]) == ("all", 5, "5", "5", 0)
    assert s["max_consecutive_losses"] == 2  # 9, -6, -4, 7, -1
    assert trader.get("/analytics/summary", tag="b")["pnl"] == "-10"

    other_sym = make_instrument()
    trader.fill(other_sym, "buy", "2", "10", "0.1", minutes=9000)
    publish(other_sym, "12")
    s = trader.get("/analytics/summary")
    assert (s["open_trades"], s["unrealized_pnl"], s["fees"]) == (1, "4", "5.1")

    daily = trader.get("/analytics/daily")
    assert [d["pnl"] for d in daily] == ["9", "-6", "-4", "7", "-1"]
    assert daily[-1]["cumulative_pnl"] == "5"
    assert daily[0]["date"] == "2025-01-06"
    assert all(d["trades"] == 1 for d in daily)
    assert [
        d["pnl"]
        for d in trader.get("/analytics/daily", **{"from": "2025-01-07", "to": "2025-01-08"})
    ] == ["-6", "-4"]

    by_weekday = {r["key"]: r["trades"] for r in trader.get("/analytics", group_by="weekday")}
    assert by_weekday == {"Mon": 1, "Tue": 1, "Wed": 1, "Thu": 1, "Fri": 1}
    hours = [r["key"] for r in trader.get("/analytics", group_by="hour")]
    assert hours == sorted(hours)
    assert [r["key"] for r in trader.get("/analytics", group_by="holding")] == ["1-5m", "5-30m"]
    sides = trader.get("/analytics", group_by="side")
    assert [(r["key"], r["trades"]) for r in sides] == [("long", 5)]
    r = trader.client.get(f"{API}/analytics", params={"group_by": "month"}, headers=trader.headers)
    assert r.status_code == 422


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


CORE = ("symbol", "side", "status", "qty", "entry_time", "entry_price", "exit_time", "exit_price",
        "pnl", "gross_pnl", "fees", "pnl_pct", "holding_seconds", "tags", "notes", "rating",
        "planned_stop", "r_multiple", "setup")  # fmt: skip


def test_csv_export_import_round_trip(trader: Trader, other: Trader, sym: str) -> None:
    _closed(trader, sym, [4, -2])
    trader.fill(sym, "buy", "3", "100", minutes=20_000)  # an open trade
    first, second, _open = [t["id"] for t in trader.trades(sort="entry_time")]
    trader.patch(first, {"tags": ["x", "y"], "notes": 'multi\nline, "quoted"', "rating": 4})
    trader.patch(second, {"planned_stop": "99", "setup": "s1"})
    r = trader.client.get(f"{API}/trades/export.csv", headers=trader.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    exported = r.text
    rows = _csv_rows(exported)
    assert list(rows[0]) == [
        "id", "symbol", "side", "status", "qty", "entry_time", "entry_price", "exit_time",
        "exit_price", "pnl", "gross_pnl", "fees", "pnl_pct", "holding_seconds", "mae", "mfe",
        "tags", "notes", "rating", "planned_stop", "r_multiple", "setup",
    ]  # fmt: skip
    assert rows[0]["tags"] == "x;y"
    assert rows[0]["notes"] == 'multi\nline, "quoted"'

    # Into another account: every row becomes an imported trade with the same figures.
    post = other.client.post(
        f"{API}/trades/import.csv",
        content=exported,
        headers={**other.headers, "Content-Type": "text/csv"},
    )
    assert post.status_code == 200, post.text
    assert post.json() == {"created": 3, "updated": 0}
    again = _csv_rows(other.client.get(f"{API}/trades/export.csv", headers=other.headers).text)
    assert [{k: r[k] for k in CORE} for r in again] == [{k: r[k] for k in CORE} for r in rows]
    assert {r["id"] for r in again}.isdisjoint({r["id"] for r in rows})
    assert {t["source"] for t in other.trades()} == {"import"}

    # Back into the first account: known ids update the journal fields only.
    edited = exported.replace("x;y", "z")
    post = trader.client.post(
        f"{API}/trades/import.csv",
        content=edited,
        headers={**trader.headers, "Content-Type": "text/csv"},
    )
    assert post.json() == {"created": 0, "updated": 3}
    assert trader.get(f"/trades/{first}")["tags"] == ["z"]
    # Re-importing the other account's own export updates, creates nothing.
    own = other.client.get(f"{API}/trades/export.csv", headers=other.headers).text
    post = other.client.post(f"{API}/trades/import.csv", content=own, headers=other.headers)
    assert post.json() == {"created": 0, "updated": 3}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("id,symbol,side,qty,entry_time,entry_price\n,AAPL,long,1,2025-01-06T14:30:00Z,10\n,AAPL,sideways,1,2025-01-06T14:30:00Z,10\n", 3, "side"),
        ("id,symbol,side,qty,entry_time,entry_price\n,AAPL,long,abc,2025-01-06T14:30:00Z,10\n", 2, "qty"),
        ("id,symbol,side,qty,entry_time,entry_price\n,AAPL,long,1,yesterday,10\n", 2, "entry_time"),
        ("id,symbol,side,qty,entry_time,entry_price,rating\n,AAPL,long,1,2025-01-06T14:30:00Z,10,9\n", 2, "rating"),
        ("id,symbol\nnot-a-uuid,AAPL\n", 2, "UUID"),
        ("symbol,side\nAAPL,long\n", 1, "header"),
        ("id,symbol,side,qty,entry_time,entry_price\n,AAPL,long\n", 2, "needs"),
        ("id,symbol,side,qty,entry_time,entry_price,exit_time\n,AAPL,long,1,2025-01-06T14:30:00Z,10,2025-01-06T15:00:00Z\n", 2, "together"),
    ],
)  # fmt: skip
def test_bad_csv_names_the_line_and_writes_nothing(
    trader: Trader, text: str, line: int, words: str
) -> None:
    r = trader.client.post(
        f"{API}/trades/import.csv",
        content=text,
        headers={**trader.headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["code"] == "invalid_csv"
    assert detail["message"].startswith(f"line {line}:")
    assert words in detail["message"]
    assert trader.trades() == []


def test_binary_upload_is_rejected(trader: Trader) -> None:
    r = trader.client.post(
        f"{API}/trades/import.csv", content=b"\xff\xfe\x00", headers=trader.headers
    )
    assert r.status_code == 422


def test_rebuild_keeps_journal_data(trader: Trader, sym: str) -> None:
    _closed(trader, sym, [3, -1, 2])
    trades = trader.trades(sort="entry_time")
    trader.patch(trades[1]["id"], {"tags": ["kept"], "notes": "still here", "rating": 2})
    with session_scope() as s:
        s.query(Trade).filter(Trade.account_id == trader.account_id).delete()
    assert trader.trades() == []
    with session_scope() as s:
        assert rebuild_account(s, trader.account_id) == 3
    assert trader.trades(sort="entry_time") == [
        {**t, "tags": ["kept"], "notes": "still here", "rating": 2} if i == 1 else t
        for i, t in enumerate(trades)
    ]


def test_account_reset_starts_a_fresh_journal(
    trader: Trader, sym: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperdesk_core.journal import store

    trader.fill(sym, "buy", "10", "100", "1")
    trader.fill(sym, "sell", "10", "110", "1", minutes=5)
    trader.fill(sym, "buy", "3", "105", minutes=6)  # still open at the reset
    old = trader.trades(sort="entry_time")
    assert [t["status"] for t in old] == ["closed", "open"]
    assert trader.patch(old[0]["id"], {"tags": ["before"], "notes": "n"}).status_code == 200

    r = trader.client.post(f"{API}/account/reset", headers=trader.headers)
    assert r.status_code == 200, r.text
    trader.position = {}
    assert trader.trades() == []
    assert trader.get("/tags") == []
    # The account's realized P&L restarts too: fees of the fills before the reset are gone.
    assert D(trader.get("/account")["realized_pnl"]) == 0

    rebuilds: list[str] = []
    real = store.rebuild_symbol

    def counted(session: Any, account_id: uuid.UUID, symbol: str) -> int:
        rebuilds.append(symbol)
        return real(session, account_id, symbol)

    monkeypatch.setattr(store, "rebuild_symbol", counted)
    trader.fill(sym, "sell", "2", "120", "0.5", minutes=60)
    trader.fill(sym, "buy", "2", "118", "0.5", minutes=61)
    trader.fill(sym, "buy", "4", "119", minutes=62)
    assert rebuilds == []  # the fresh journal continues fill by fill
    after = trader.trades(sort="entry_time")
    assert [(t["side"], t["status"], t["pnl"]) for t in after] == [
        ("short", "closed", "3"),
        ("long", "open", "0"),
    ]
    with session_scope() as s:
        assert rebuild_account(s, trader.account_id) == 2
    assert trader.trades(sort="entry_time") == after
