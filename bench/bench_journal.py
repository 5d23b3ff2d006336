"""Trade journal: rebuilding trades from 100,000 fills, and analytics by tag over 10,000 trades.

- Pure domain rebuild: ``build_trips`` + ``figures`` over 100,000 generated fills
  (10 symbols, scale-ins, partial exits, flips, fees). Target < 2 s.
- Database rebuild: the same fills stored in a fresh PostgreSQL database, then
  ``rebuild_account`` (read the fill log, build, bulk-insert the trades) and commit.
- ``GET /api/v1/analytics?group_by=tag`` over 10,000 closed trades (1-3 tags each, seeded
  directly in the database), timed through the real app in-process (FastAPI TestClient,
  auth and session dependencies included). Target p95 < 100 ms on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paperdesk_core.journal import JournalFill, build_trips, figures
from paperdesk_core.journal.trades import bulk_build
from paperdesk_core.redis_server import EmbeddedRedis
from paperdesk_core.testing import clear_caches, migrate
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

FILLS = 100_000
TRADES = 10_000
REQUESTS = 200
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
    t0 = time.perf_counter()
    with session_scope() as s:
        n = rebuild_account(s, account_id)
    return {"fills": len(fills), "trades": n, "rebuild_s": round(time.perf_counter() - t0, 3)}


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


def _analytics() -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from paperdesk_api.app import create_app
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Account, User
    from sqlalchemy import select

    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with TestClient(create_app()) as client:
        r = client.post(
            "/api/v1/auth/register", json={"email": email, "password": "bench-password"}
        )
        r.raise_for_status()
        r = client.post(
            "/api/v1/auth/login", data={"username": email, "password": "bench-password"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        with session_scope() as s:
            account_id = s.scalar(
                select(Account.id).join(User, User.id == Account.user_id).where(User.email == email)
            )
        assert account_id is not None
        _seed_trades(account_id, TRADES)
        url = "/api/v1/analytics?group_by=tag"
        for _ in range(10):
            client.get(url, headers=headers).raise_for_status()
        lat = []
        for _ in range(REQUESTS):
            t0 = time.perf_counter()
            r = client.get(url, headers=headers)
            lat.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        groups = r.json()
    lat.sort()
    return {
        "trades": TRADES,
        "groups": len(groups),
        "tagged_rows": sum(g["trades"] for g in groups),
        "requests": REQUESTS,
        "via": "in-process FastAPI TestClient (real app, auth and DB session per request)",
        "p50_ms": round(statistics.median(lat), 2),
        "p95_ms": round(lat[int(len(lat) * 0.95) - 1], 2),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
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
    own_redis = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:  # the app's auth rate limits need a Redis: an embedded one
        own_redis = EmbeddedRedis()
        redis_url = own_redis.start()
    keys = ("DATABASE_URL", "REDIS_URL", "PAPERDESK_SECRET_KEY")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "PAPERDESK_SECRET_KEY": "bench-secret"}
    )
    clear_caches()
    try:
        migrate(db_url)
        db = _db_rebuild(fills)
        analytics = _analytics()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        clear_caches()
        if own_redis is not None:
            own_redis.stop()
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
