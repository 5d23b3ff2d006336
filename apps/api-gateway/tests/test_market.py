from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from paperdesk_core.universe import DEFAULT_UNIVERSE


def test_instruments_lists_the_universe(client: TestClient, auth: dict[str, str]) -> None:
    r = client.get("/api/v1/instruments", headers=auth)
    assert r.status_code == 200
    rows = r.json()
    symbols = {row["symbol"] for row in rows}
    assert {spec.symbol for spec in DEFAULT_UNIVERSE} <= symbols
    aapl = next(row for row in rows if row["symbol"] == "AAPL")
    assert aapl["name"] == "Apple Inc."
    assert aapl["asset_class"] == "equity"
    assert aapl["source"] == "sim"
    assert aapl["exchange"] == "NASDAQ"
    assert aapl["tick_size"] == "0.01"
    assert [row["symbol"] for row in rows] == sorted(symbols)


@pytest.mark.parametrize(
    ("q", "expected", "absent"),
    [
        ("aapl", {"AAPL"}, {"MSFT"}),
        ("APPLE", {"AAPL"}, {"MSFT"}),
        ("us dollar", {"BTCUSD", "ETHUSD", "EURUSD", "GBPUSD"}, {"AAPL", "SPY"}),
        ("trust", {"SPY", "QQQ"}, {"AAPL"}),
        ("%", set(), {"AAPL", "MSFT"}),  # LIKE wildcards are literal
        ("_", set(), {"AAPL"}),
    ],
)
def test_instrument_search(
    client: TestClient, auth: dict[str, str], q: str, expected: set[str], absent: set[str]
) -> None:
    r = client.get("/api/v1/instruments", params={"q": q}, headers=auth)
    assert r.status_code == 200
    symbols = {row["symbol"] for row in r.json()}
    assert expected <= symbols
    assert not (absent & symbols)


def test_quote_of_a_symbol(
    client: TestClient,
    auth: dict[str, str],
    make_instrument: Callable[..., str],
    publish: Callable[..., None],
) -> None:
    sym = make_instrument()
    publish(sym, "101.25", bid="101.20", ask="101.30", prev_close="100")
    r = client.get(f"/api/v1/quotes/{sym.lower()}", headers=auth)
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["symbol"] == sym
    assert q["price"] == "101.25"
    assert q["bid"] == "101.20"
    assert q["ask"] == "101.30"
    assert q["source"] == "sim"
    assert q["prev_close"] == "100"
    assert Decimal(q["change"]) == Decimal("1.25")
    assert Decimal(q["change_pct"]) == Decimal("1.25")
    ts = datetime.fromisoformat(q["ts"].replace("Z", "+00:00"))
    assert ts.tzinfo is not None
    assert abs((datetime.now(UTC) - ts).total_seconds()) < 60

    publish(sym, "99.5")
    assert client.get(f"/api/v1/quotes/{sym}", headers=auth).json()["price"] == "99.5"


def test_quote_404s(
    client: TestClient, auth: dict[str, str], make_instrument: Callable[..., str]
) -> None:
    r = client.get("/api/v1/quotes/NOPE123", headers=auth)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "unknown_symbol"
    sym = make_instrument()
    r = client.get(f"/api/v1/quotes/{sym}", headers=auth)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "no_quote"
    for weird in ["%00", "a" * 300, "..%2F..%2Fetc", "%F0%9F%92%A5"]:
        assert client.get(f"/api/v1/quotes/{weird}", headers=auth).status_code == 404


def test_quotes_of_several_symbols(
    client: TestClient,
    auth: dict[str, str],
    make_instrument: Callable[..., str],
    publish: Callable[..., None],
) -> None:
    a, b, silent = make_instrument(), make_instrument(), make_instrument()
    publish(a, "10")
    publish(b, "20")
    r = client.get("/api/v1/quotes", params={"symbols": f"{b},{a.lower()},{silent}"}, headers=auth)
    assert r.status_code == 200, r.text
    assert [(q["symbol"], q["price"]) for q in r.json()] == [(b, "20"), (a, "10")]

    r = client.get("/api/v1/quotes", params={"symbols": f"{a},NOPE123"}, headers=auth)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "unknown_symbol"

    everything = client.get("/api/v1/quotes", headers=auth)
    assert everything.status_code == 200
    assert {a, b} <= {q["symbol"] for q in everything.json()}


def _bars(client: TestClient, auth: dict[str, str], symbol: str, **params: Any) -> Any:
    return client.get(f"/api/v1/bars/{symbol}", params=params, headers=auth)


@pytest.mark.parametrize("timeframe", ["1m", "5m", "1h", "1d"])
def test_bars(client: TestClient, auth: dict[str, str], timeframe: str) -> None:
    r = _bars(client, auth, "AAPL", timeframe=timeframe, limit=5)
    assert r.status_code == 200, r.text
    bars = r.json()
    assert 0 < len(bars) <= 5
    for bar in bars:
        assert set(bar) == {"t", "o", "h", "l", "c", "v"}
        o, h, low, c = (Decimal(bar[k]) for k in "ohlc")
        assert low <= min(o, c) <= max(o, c) <= h
        assert Decimal(bar["v"]) >= 0
        datetime.fromisoformat(bar["t"].replace("Z", "+00:00"))
    times = [bar["t"] for bar in bars]
    assert times == sorted(times)


def test_bars_time_range(client: TestClient, auth: dict[str, str]) -> None:
    all_bars = _bars(client, auth, "MSFT", timeframe="1d", limit=30).json()
    assert len(all_bars) >= 3
    start, end = all_bars[1]["t"], all_bars[-2]["t"]
    r = _bars(client, auth, "MSFT", timeframe="1d", start=start, end=end)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    assert all(parse(start) <= parse(b["t"]) <= parse(end) for b in got)


def test_bars_bad_input(client: TestClient, auth: dict[str, str]) -> None:
    r = _bars(client, auth, "NOPE123")
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "unknown_symbol"
    assert _bars(client, auth, "AAPL", timeframe="7m").status_code == 422
    assert _bars(client, auth, "AAPL", limit=0).status_code == 422
    assert _bars(client, auth, "AAPL", start="yesterday").status_code == 422
    r = _bars(client, auth, "AAPL", start="2024-02-01T00:00:00Z", end="2024-01-01T00:00:00Z")
    assert r.status_code == 422


def test_bars_of_an_instrument_without_history_is_empty(
    client: TestClient, auth: dict[str, str], make_instrument: Callable[..., str]
) -> None:
    r = _bars(client, auth, make_instrument(), timeframe="1d")
    assert r.status_code == 200
    assert r.json() == []
