from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

import finnhub
import pytest
import websockets

from paperdesk_ingestion.sources.finnhub import (
    FinnhubRest,
    FinnhubSource,
    MalformedMessage,
    backoff_delay,
)


def _trade(sym: str, price: float, t_ms: int, v: float = 10) -> str:
    return json.dumps(
        {"type": "trade", "data": [{"s": sym, "p": price, "t": t_ms, "v": v, "c": None}]}
    )


class FakeFinnhubWS:
    """Speaks Finnhub's trade WebSocket; drops the first connection mid-stream."""

    def __init__(self, n_symbols: int) -> None:
        self.n_symbols = n_symbols
        self.connections: list[dict[str, Any]] = []

    async def handler(self, ws: Any) -> None:
        conn: dict[str, Any] = {"path": ws.request.path, "subscribed": []}
        self.connections.append(conn)
        for _ in range(self.n_symbols):
            conn["subscribed"].append(json.loads(await ws.recv()))
        if len(self.connections) == 1:
            await ws.send(_trade("AAPL", 228.5, 1_700_000_000_000, 100))
            await ws.send("{not json")
            await ws.send(json.dumps({"type": "ping"}))
            await ws.send(
                json.dumps(
                    {
                        "type": "trade",
                        "data": [
                            {
                                "s": "BINANCE:BTCUSDT",
                                "p": 67250.5,
                                "t": 1_700_000_000_500,
                                "v": 0.25,
                            },
                            {"s": "AAPL", "p": 228.51, "t": 1_700_000_000_600, "v": 5},
                        ],
                    }
                )
            )
            await asyncio.sleep(0.2)
            ws.transport.abort()  # drop the connection without a close frame
            return
        await ws.send(_trade("AAPL", 229.0, 1_700_000_001_000))
        await ws.wait_closed()


def test_stream_parses_reconnects_and_resubscribes() -> None:
    async def scenario() -> tuple[FakeFinnhubWS, FinnhubSource, list[Any]]:
        fake = FakeFinnhubWS(n_symbols=2)
        async with websockets.serve(fake.handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            src = FinnhubSource(
                ["AAPL", "BTCUSD"],
                api_key="secret-key",
                ws_url=f"ws://127.0.0.1:{port}",
                backoff_base_s=0.05,
                recv_timeout_s=0.2,
                seed=1,
            )
            stop = asyncio.Event()
            batches = []

            async def consume() -> None:
                async for batch in src.stream(stop):
                    batches.append(batch)
                    if len(batches) == 3:
                        stop.set()

            await asyncio.wait_for(consume(), 20)
        return fake, src, batches

    fake, src, batches = asyncio.run(scenario())
    assert len(fake.connections) == 2
    for conn in fake.connections:
        assert conn["path"] == "/?token=secret-key"
        assert conn["subscribed"] == [
            {"type": "subscribe", "symbol": "AAPL"},
            {"type": "subscribe", "symbol": "BINANCE:BTCUSDT"},
        ]
    assert batches[0].symbol.tolist() == ["AAPL"]
    assert batches[0].ts_event.tolist() == [1_700_000_000_000 * 1_000_000]
    assert batches[1].symbol.tolist() == ["BTCUSD", "AAPL"]  # mapped back to our symbols
    assert batches[1].price.tolist() == [67250.5, 228.51]
    assert batches[2].price.tolist() == [229.0]
    ticks = batches[1].ticks()
    assert ticks[0].source == "finnhub"
    assert ticks[0].size == Decimal("0.25")
    m = src.metrics
    assert (m.malformed, m.pings, m.connects, m.reconnects, m.trades) == (1, 1, 2, 1, 4)


@pytest.mark.parametrize(
    "raw",
    [
        "[1, 2]",
        '{"data": []}',
        '{"type": "trade"}',
        '{"type": "trade", "data": [{"s": "AAPL", "p": "x", "t": 1, "v": 1}]}',
        '{"type": "trade", "data": [{"s": "AAPL", "p": -1, "t": 1, "v": 1}]}',
        '{"type": "trade", "data": [{"p": 1, "t": 1, "v": 1}]}',
        '{"type": "trade", "data": [{"s": "AAPL", "p": 1, "t": 1.5, "v": 1}]}',
        b"\xff\xfe",
    ],
)
def test_malformed_messages_raise(raw: str | bytes) -> None:
    src = FinnhubSource(["AAPL"], api_key="k")
    with pytest.raises(MalformedMessage):
        src.parse(raw)


def test_other_messages_are_ignored() -> None:
    src = FinnhubSource(["AAPL"], api_key="k")
    assert src.parse('{"type": "ping"}') is None
    assert src.parse('{"type": "error", "msg": "Invalid symbol"}') is None
    assert src.parse('{"type": "news", "data": []}') is None
    assert (src.metrics.pings, src.metrics.server_errors, src.metrics.ignored) == (1, 1, 1)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(a, 0.5, 30.0, rng) for a in range(10)]
    assert 0.25 <= delays[0] <= 0.75
    assert 2.0 <= delays[3] <= 6.0
    assert all(d <= 45.0 for d in delays)
    assert delays[9] >= 15.0


def test_rest_quote_against_fake_server(fake_http) -> None:
    def handler(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if query.get("token") != ["rest-key"]:
            return 401, {"error": "Invalid API key"}
        if path != "/api/v1/quote":
            return 404, {"error": "not found"}
        if query["symbol"] == ["AAPL"]:
            return 200, {"c": 228.52, "d": 1.42, "dp": 0.6253, "h": 230.1, "l": 226.9,
                         "o": 227.0, "pc": 227.1, "t": 1_700_000_000}  # fmt: skip
        return 200, {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}

    server = fake_http(handler)
    rest = FinnhubRest("rest-key", f"{server.url}/api/v1")
    q = rest.quote("AAPL")
    assert q.price == Decimal("228.52")
    assert q.prev_close == Decimal("227.1")
    assert q.high == Decimal("230.1")
    assert q.low == Decimal("226.9")
    assert q.ts_event == 1_700_000_000 * 10**9
    with pytest.raises(LookupError):
        rest.quote("NOPE")
    with pytest.raises(finnhub.FinnhubAPIException):
        FinnhubRest("wrong", f"{server.url}/api/v1").quote("AAPL")
    rest.close()
    src = FinnhubSource(["AAPL"], api_key="rest-key", rest_url=f"{server.url}/api/v1")
    assert src.prev_closes() == {"AAPL": Decimal("227.1")}
    assert server.requests[0][0] == "/api/v1/quote"
