from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.sources.alphavantage import (
    AlphaVantageError,
    AlphaVantageRateLimited,
    AlphaVantageSource,
)

INTRADAY = {
    "Meta Data": {
        "1. Information": "Intraday (1min) open, high, low, close prices and volume",
        "2. Symbol": "IBM",
        "3. Last Refreshed": "2024-01-05 19:59:00",
        "4. Interval": "1min",
        "5. Output Size": "Compact",
        "6. Time Zone": "US/Eastern",
    },
    "Time Series (1min)": {
        "2024-01-05 19:59:00": {"1. open": "159.1500", "2. high": "159.2000",
                                "3. low": "159.1000", "4. close": "159.1600", "5. volume": "125"},
        "2024-01-05 19:58:00": {"1. open": "159.1000", "2. high": "159.1500",
                                "3. low": "159.0500", "4. close": "159.1500", "5. volume": "37"},
    },
}  # fmt: skip
NOTE = {
    "Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls "
    "per minute and 500 calls per day."
}


@pytest.fixture
def server(fake_http):
    state = {"limited": False}

    def handler(path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        assert path == "/query"
        if q.get("apikey") != ["demo"]:
            return 200, {"Error Message": "the parameter apikey is invalid or missing."}
        if state["limited"]:
            return 200, NOTE
        if q.get("function") != ["TIME_SERIES_INTRADAY"] or q.get("interval") != ["1min"]:
            return 200, {"Error Message": "Invalid API call."}
        if q["symbol"] == ["BAD"]:
            return 200, {
                "Error Message": "Invalid API call. Please retry or visit the documentation."
            }
        return 200, INTRADAY

    srv = fake_http(handler)
    srv.state = state
    return srv


def test_intraday_parsed_to_utc_and_cached(server, tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    av = AlphaVantageSource("demo", url=f"{server.url}/query", store=store)
    df = av.intraday("IBM", "1m")
    assert list(df.index) == [
        pd.Timestamp("2024-01-06 00:58", tz="UTC"),
        pd.Timestamp("2024-01-06 00:59", tz="UTC"),
    ]
    assert df["Close"].tolist() == [159.15, 159.16]
    assert df["Volume"].tolist() == [37.0, 125.0]
    _path, query = server.requests[0]
    assert query["symbol"] == ["IBM"]
    assert query["outputsize"] == ["compact"]
    assert store.cache_path("alphavantage", "IBM", "1m").exists()
    # Fresh cache: no second request.
    again = av.intraday("IBM", "1m")
    assert len(server.requests) == 1
    pd.testing.assert_frame_equal(
        again[df.columns.tolist()], df, check_freq=False, check_index_type=False
    )


def test_rate_limit_note_serves_cache_or_raises(server, tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    av = AlphaVantageSource("demo", url=f"{server.url}/query", store=store)
    av.intraday("IBM", "1m")
    server.state["limited"] = True
    cached = av.intraday("IBM", "1m", refresh=True)
    assert len(server.requests) == 2
    assert len(cached) == 2
    with pytest.raises(AlphaVantageRateLimited, match="call frequency"):
        av.intraday("MSFT", "1m")


def test_error_message_raises(server, tmp_path: Path) -> None:
    av = AlphaVantageSource("demo", url=f"{server.url}/query", store=ParquetStore(tmp_path))
    with pytest.raises(AlphaVantageError, match="Invalid API call"):
        av.intraday("BAD", "1m")
    with pytest.raises(AlphaVantageError, match="apikey"):
        AlphaVantageSource(
            "wrong", url=f"{server.url}/query", store=ParquetStore(tmp_path)
        ).intraday("IBM")
    with pytest.raises(ValueError, match="timeframe"):
        av.intraday("IBM", "2h")
    assert av.has["cached"]
    assert av.has["needs_api_key"]
    assert not av.has["streaming"]
