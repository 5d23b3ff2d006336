"""Trade journal: rebuilding trades from 100,000 fills, and analytics by tag over 10,000 trades.

- Pure domain rebuild: ``build_trips`` + ``figures`` over 100,000 generated fills
  (10 symbols, scale-ins, partial exits, flips, fees). Target < 2 s.
- Database rebuild: the same fills stored in a fresh PostgreSQL database, then
  ``rebuild_account`` (read the fill log, build, bulk-insert the trades) and commit.
- ``GET /api/v1/analytics?group_by=tag`` over 10,000 closed trades (1-3 tags each, seeded
  directly in the database), timed end to end over HTTP: ``paperdesk up --only api`` on
  the bench's own PostgreSQL database (and its own embedded Redis), 300 sequential
  requests on one keep-alive client after a warm-up. Target p95 < 100 ms on PostgreSQL.
  The other groupings, the summary and the daily series are timed too (fewer requests).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from paperdesk_core.journal import JournalFill, build_trips, figures
from paperdesk_core.journal.trades import bulk_build
from paperdesk_core.testing import clear_caches, migrate
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

FILLS = 100_000
TRADES = 10_000
REQUESTS = 300
OTHER_REQUESTS = 40
OTHER_ENDPOINTS = {
    **{f"group_by={g}": f"/analytics?group_by={g}" for g in ("symbol", "side", "weekday",
                                                              "hour", "holding")},
    "group_by=tag&symbol=SYM3": "/analytics?group_by=tag&symbol=SYM3",
    "summary": "/analytics/summary",
    "daily": "/analytics/daily",
}  # fmt: skip
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
TAGS = ("breakout", "fade", "news", "gap", "trend", "reversal", "scalp", "swing", "A+", "late")


def _fills(n: int, seed: int = 7) -> list[JournalFill]:
    rng = random.Random(seed)
    symbols = [f"SYM{i}" for i in range(10)]
    pos = dict.fromkeys(symbols, 0)
    out: list[JournalFill] = []
    for i in range(n):
        sym = rng.choice(symbols)
        p = pos[sym]
        # Lean towards closing: trips of a few fills, some flips.
        side = (
            ("sell" if p > 0 else "buy")
            if p and rng.random() < 0.6
            else rng.choice(("buy", "sell"))
        )
        qty = rng.randint(1, 50)
        pos[sym] = p + (qty if side == "buy" else -qty)
        px = Decimal(rng.randint(9_000, 11_000)) / 100
        fee = Decimal(rng.randint(0, 200)) / 100
        out.append(
            JournalFill(uuid.uuid4(), sym, side, Decimal(qty), px, fee, T0 + timedelta(seconds=i))
        )
    return out


def _pure(fills: list[JournalFill]) -> dict[str, Any]:
    account = uuid.uuid4()
    best = float("inf")
    trips = []
    for _ in range(3):
        t0 = time.perf_counter()
        with bulk_build():  # as rebuild_account does
            trips = build_trips(account, fills)
            rows = [figures(t) for t in trips]
        best = min(best, time.perf_counter() - t0)
    return {"fills": len(fills), "trades": len(rows), "rebuild_s": round(best, 3)}


def _seed_account(session: Any) -> tuple[uuid.UUID, uuid.UUID]:
    from paperdesk_core.db.models import Account, Order, User

    user = User(email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
    session.add(user)
    session.flush()
    account = Account(user_id=user.id)
    session.add(account)
    session.flush()
    order = Order(account_id=account.id, symbol="SYM0", side="buy", type="market",
                  time_in_force="day", qty=Decimal(1), status="filled")  # fmt: skip
    session.add(order)
    session.flush()
    return account.id, order.id


def _db_rebuild(fills: list[JournalFill]) -> dict[str, Any]:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Fill
    from paperdesk_core.journal.store import rebuild_account

    with session_scope() as s:
        account_id, order_id = _seed_account(s)
        rows = [
            {
                "id": f.fill_id,
                "order_id": order_id,
                "account_id": account_id,
                "symbol": f.symbol,
                "side": f.side,
                "last_qty": f.qty,
                "last_px": f.price,
                "commission": f.commission,
                "ts": f.ts,
            }
            for f in fills
        ]
        s.execute(insert(Fill), rows)
    # The figure: the first rebuild (no trades yet). Two more replace the trades the one
    # before wrote (delete 41k rows first); reported alongside.
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        with session_scope() as s:
            n = rebuild_account(s, account_id)
        runs.append(round(time.perf_counter() - t0, 3))
    return {
        "fills": len(fills),
        "trades": n,
        "rebuild_s": runs[0],
        "replacing_existing_s": runs[1:],
    }


def _seed_trades(account_id: uuid.UUID, n: int) -> None:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Trade, TradeTag

    rng = random.Random(11)
    trades, tags = [], []
    for i in range(n):
        entry = T0 + timedelta(minutes=37 * i)
        hold = rng.randint(10, 20_000)
        pnl = Decimal(rng.randint(-50_000, 60_000)) / 100
        tid = uuid.uuid4()
        trades.append(
            {
                "id": tid,
                "account_id": account_id,
                "symbol": f"SYM{i % 10}",
                "side": rng.choice(("long", "short")),
                "status": "closed",
                "source": "fills",
                "qty": Decimal(10),
                "open_qty": Decimal(0),
                "entry_time": entry,
                "entry_price": Decimal(100),
                "exit_time": entry + timedelta(seconds=hold),
                "exit_price": Decimal(100) + pnl / 10,
                "gross_pnl": pnl + 1,
                "fees": Decimal(1),
                "realized_pnl": pnl,
                "pnl": pnl,
                "pnl_pct": pnl / 10,
                "holding_seconds": hold,
                "fill_count": 2,
                "updated_at": entry,
            }
        )
        for tag in rng.sample(TAGS, rng.randint(1, 3)):
            tags.append({"trade_id": tid, "tag": tag, "account_id": account_id})
    with session_scope() as s:
        s.execute(insert(Trade), trades)
        s.execute(insert(TradeTag), tags)
        s.execute(text("ANALYZE trades"))
        s.execute(text("ANALYZE trade_tags"))


def _timed(client: httpx.Client, url: str, n: int, warmup: int = 10) -> tuple[list[float], Any]:
    """``n`` sequential GETs after ``warmup`` ones: latencies (ms, sorted), last body."""
    for _ in range(warmup):
        client.get(url).raise_for_status()
    lat = []
    r = None
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url)
        lat.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    lat.sort()
    assert r is not None
    return lat, r.json()


def _pct(lat: list[float], q: int) -> float:
    return round(lat[max(0, -(-len(lat) * q // 100) - 1)], 2)  # nearest-rank percentile


def _analytics(db_url: str) -> dict[str, Any]:
    """Time the analytics endpoints through ``paperdesk up --only api`` (a real uvicorn)."""
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Account, User
    from sqlalchemy import select

    from tests.stack_process import running_stack

    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    # No REDIS_URL: `paperdesk up` starts its own embedded Redis.
    saved_redis = os.environ.pop("REDIS_URL", None)
    tmp = tempfile.mkdtemp(prefix="bench-journal-")  # kept on failure: stack.log
    try:
        with running_stack(Path(tmp), only="api", env={"DATABASE_URL": db_url}) as stack:
            api = f"{stack.api_url}/api/v1"
            with httpx.Client(base_url=api, timeout=30) as client:
                creds = {"email": email, "password": "bench-password"}
                client.post("/auth/register", json=creds).raise_for_status()
                r = client.post(
                    "/auth/login", data={"username": email, "password": "bench-password"}
                )
                r.raise_for_status()
                client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
                with session_scope() as s:
                    account_id = s.scalar(
                        select(Account.id)
                        .join(User, User.id == Account.user_id)
                        .where(User.email == email)
                    )
                assert account_id is not None
                _seed_trades(account_id, TRADES)
                lat, groups = _timed(client, "/analytics?group_by=tag", REQUESTS)
                others = {}
                for name, url in OTHER_ENDPOINTS.items():
                    other, _ = _timed(client, url, OTHER_REQUESTS, warmup=3)
                    others[name] = {"p50_ms": _pct(other, 50), "p95_ms": _pct(other, 95)}
    finally:
        if saved_redis is not None:
            os.environ["REDIS_URL"] = saved_redis
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "trades": TRADES,
        "groups": len(groups),
        "tagged_rows": sum(g["trades"] for g in groups),
        "requests": REQUESTS,
        "via": "HTTP to `paperdesk up --only api` (uvicorn), one keep-alive httpx.Client",
        "p50_ms": _pct(lat, 50),
        "p95_ms": _pct(lat, 95),
        "p99_ms": _pct(lat, 99),
        "max_ms": round(lat[-1], 2),
        "other_endpoints": others,
    }


def run() -> dict[str, Any]:
    fills = _fills(FILLS)
    pure = _pure(fills)
    base = os.environ.get("BENCH_PG_URL") or PG_DEFAULT
    name = f"pd_bench_journal_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(base).set(database=name).render_as_string(hide_password=False)
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = db_url
    clear_caches()
    try:
        migrate(db_url)
        db = _db_rebuild(fills)
        analytics = _analytics(db_url)
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        clear_caches()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {
        "pure_rebuild": pure,
        "db_rebuild_postgres": db,
        "analytics_by_tag_postgres": analytics,
        "targets": {"rebuild_100k_fills_s": 2.0, "analytics_p95_ms": 100},
        "met": {
            "pure_rebuild": pure["rebuild_s"] < 2.0,
            "db_rebuild": db["rebuild_s"] < 2.0,
            "analytics_p95": analytics["p95_ms"] < 100,
        },
    }
