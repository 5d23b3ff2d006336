"""HTTP client for the PaperDesk API: the web app's only way to reach data.

Every call is async (Reflex event handlers run on the backend's event loop) and raises
`ApiError` with a message fit for a person when the API answers with an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, cast
from urllib.parse import quote, urlencode

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)

# Messages the UI shows for well-known error codes; the API's own text is the fallback.
_CODE_MESSAGES = {
    "email_taken": "Email already registered",
    "invalid_credentials": "Invalid email or password",
    "unknown_symbol": "Unknown symbol",
}


class User(TypedDict):
    id: str
    email: str
    display_name: NotRequired[str | None]


class Quote(TypedDict):
    symbol: str
    price: str
    bid: NotRequired[str | None]
    ask: NotRequired[str | None]
    ts: NotRequired[str | None]
    source: NotRequired[str | None]
    prev_close: NotRequired[str | None]
    change: NotRequired[str | None]
    change_pct: NotRequired[str | None]


class WatchlistItem(TypedDict):
    symbol: str
    quote: Quote | None
    name: NotRequired[str]
    spark: NotRequired[list[str]]


class Watchlist(TypedDict):
    id: str
    name: str
    items: list[WatchlistItem]


class Instrument(TypedDict):
    symbol: str
    name: str
    asset_class: NotRequired[str]
    source: NotRequired[str]


class Strategy(TypedDict):
    name: str
    title: str
    description: str
    params_schema: dict[str, Any]


class BacktestRun(TypedDict):
    id: str
    status: str
    progress: NotRequired[float | None]
    config: NotRequired[dict[str, Any]]
    metrics: NotRequired[dict[str, Any] | None]
    error: NotRequired[Any]
    grid: NotRequired[list[dict[str, Any]] | None]
    best: NotRequired[dict[str, Any] | None]
    kind: NotRequired[str]
    created_at: NotRequired[str]


class ApiError(Exception):
    """An error answer (or no answer) from the API."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def api_url() -> str:
    """Return the API base URL from PAPERDESK_API_URL (without a trailing slash)."""
    return os.environ.get("PAPERDESK_API_URL", DEFAULT_API_URL).rstrip("/")


def stream_url(token: str, base_url: str | None = None) -> str:
    """Return the WebSocket URL of the API stream for a token."""
    base = (base_url or api_url()).rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return f"{base}{API_PREFIX}/stream?{urlencode({'token': token})}"


def _validation_message(errors: list[Any]) -> str:
    """Turn FastAPI's validation list into one sentence."""
    for error in errors:
        if not isinstance(error, dict):
            continue
        loc = [str(part) for part in error.get("loc", [])]
        if "password" in loc:
            return "Password must be at least 8 characters"
        if "email" in loc or "username" in loc:
            return "Enter a valid email address"
        if msg := error.get("msg"):
            field = loc[-1] if loc else ""
            return f"{field}: {msg}" if field else str(msg)
    return "The request was not valid"


def error_from_response(response: httpx.Response) -> ApiError:
    """Build an `ApiError` from an error response of the API."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    code = ""
    message = ""
    if isinstance(detail, dict):
        code = str(detail.get("code") or "")
        message = str(detail.get("message") or "")
    elif isinstance(detail, list):
        code = "validation_error"
        message = _validation_message(detail)
    elif isinstance(detail, str):
        message = detail
    if code in _CODE_MESSAGES:
        message = _CODE_MESSAGES[code]
    elif status == 409 and not message:
        message = "Already exists"
    if not message:
        message = {
            401: "Please log in again",
            403: "Not allowed",
            404: "Not found",
        }.get(status, f"The API answered {status}")
    return ApiError(message, status=status, code=code)


class ApiClient:
    """A thin async client of the PaperDesk REST API for one user (or anonymous)."""

    def __init__(
        self,
        token: str = "",
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.base_url = (base_url or api_url()).rstrip("/")
        self._transport = transport

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        content: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request and return the response; an error answer raises `ApiError`."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url + API_PREFIX,
                timeout=TIMEOUT,
                transport=self._transport,
            ) as client:
                response = await client.request(
                    method,
                    path,
                    json=json,
                    data=data,
                    params=params,
                    content=content,
                    headers=all_headers,
                )
        except httpx.HTTPError as exc:
            raise ApiError("The PaperDesk API is not reachable", code="unreachable") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request (the keywords of `_send`) and return its JSON answer, if any."""
        response = await self._send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # Auth
    async def register(self, email: str, password: str, display_name: str = "") -> User:
        """Create an account."""
        body = {"email": email, "password": password, "display_name": display_name}
        return cast(User, await self._request("POST", "/auth/register", json=body))

    async def login(self, email: str, password: str) -> str:
        """Log in with the OAuth2 password flow and return the access token."""
        answer = await self._request(
            "POST", "/auth/login", data={"username": email, "password": password}
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise ApiError("The API answered without a token", code="no_token")
        return str(token)

    async def me(self) -> User:
        """Return the logged-in user."""
        return cast(User, await self._request("GET", "/me"))

    # Watchlists
    async def list_watchlists(self) -> list[Watchlist]:
        """Return the user's watchlists with their items."""
        return cast(list[Watchlist], await self._request("GET", "/watchlists"))

    async def get_watchlist(self, watchlist_id: str) -> Watchlist:
        """Return one watchlist with its items, quotes and sparklines."""
        return cast(Watchlist, await self._request("GET", f"/watchlists/{quote(watchlist_id)}"))

    async def create_watchlist(self, name: str, symbols: list[str] | None = None) -> Watchlist:
        """Create a watchlist."""
        body: dict[str, Any] = {"name": name}
        if symbols:
            body["symbols"] = symbols
        return cast(Watchlist, await self._request("POST", "/watchlists", json=body))

    async def rename_watchlist(self, watchlist_id: str, name: str) -> Watchlist:
        """Rename a watchlist."""
        return cast(
            Watchlist,
            await self._request("PATCH", f"/watchlists/{quote(watchlist_id)}", json={"name": name}),
        )

    async def delete_watchlist(self, watchlist_id: str) -> None:
        """Delete a watchlist."""
        await self._request("DELETE", f"/watchlists/{quote(watchlist_id)}")

    async def add_symbol(self, watchlist_id: str, symbol: str) -> Any:
        """Add a symbol to a watchlist."""
        return await self._request(
            "POST", f"/watchlists/{quote(watchlist_id)}/items", json={"symbol": symbol}
        )

    async def remove_symbol(self, watchlist_id: str, symbol: str) -> None:
        """Remove a symbol from a watchlist."""
        await self._request(
            "DELETE", f"/watchlists/{quote(watchlist_id)}/items/{quote(symbol, safe='')}"
        )

    # Market data
    async def search_instruments(self, query: str) -> list[Instrument]:
        """Return instruments matching a query (symbol or name)."""
        return cast(
            list[Instrument], await self._request("GET", "/instruments", params={"q": query})
        )

    async def quotes(self, symbols: list[str]) -> list[Quote]:
        """Return the latest quotes of some symbols."""
        if not symbols:
            return []
        answer = await self._request("GET", "/quotes", params={"symbols": ",".join(symbols)})
        if isinstance(answer, dict):  # tolerate a {symbol: quote} mapping
            return cast(list[Quote], [q for q in answer.values() if isinstance(q, dict)])
        return cast(list[Quote], answer)


# Trading: orders, account, positions, activities and bars (additions of the Trade screen).
class Order(TypedDict):
    id: str
    symbol: str
    side: str
    type: str
    qty: str
    status: str
    time_in_force: NotRequired[str]
    client_order_id: NotRequired[str | None]
    limit_price: NotRequired[str | None]
    stop_price: NotRequired[str | None]
    filled_qty: NotRequired[str | None]
    filled_avg_price: NotRequired[str | None]
    reject_reason: NotRequired[str | None]
    created_at: NotRequired[str | None]
    updated_at: NotRequired[str | None]
    filled_at: NotRequired[str | None]
    canceled_at: NotRequired[str | None]


class Account(TypedDict):
    id: str
    currency: str
    cash: str
    equity: str
    buying_power: str
    starting_cash: NotRequired[str]
    realized_pnl: NotRequired[str]
    unrealized_pnl: NotRequired[str]
    day_pnl: NotRequired[str]
    trading_status: NotRequired[str]


class Position(TypedDict):
    symbol: str
    qty: str
    avg_entry_price: str
    market_price: NotRequired[str | None]
    market_value: NotRequired[str | None]
    cost_basis: NotRequired[str | None]
    unrealized_pnl: NotRequired[str | None]
    realized_pnl: NotRequired[str | None]


class Bar(TypedDict):
    t: str
    o: str
    h: str
    l: str  # noqa: E741  (the wire name)
    c: str
    v: NotRequired[str]


class TradingApi(ApiClient):
    """The API client with the trading calls (orders, account, positions, bars)."""

    async def place_order(self, order: dict[str, Any]) -> Order:
        """Submit an order; a risk rejection raises `ApiError` with code `risk_rejected`."""
        return cast(Order, await self._request("POST", "/orders", json=order))

    async def list_orders(self, status: str = "all", limit: int = 100) -> list[Order]:
        """Return the user's orders, newest first: open, closed, rejected or all."""
        params = {"status": status, "limit": str(limit)}
        return cast(list[Order], await self._request("GET", "/orders", params=params))

    async def cancel_order(self, order_id: str) -> Order | None:
        """Cancel a working order (409 `not_cancelable` once it is done)."""
        return cast("Order | None", await self._request("DELETE", f"/orders/{quote(order_id)}"))

    async def account(self) -> Account:
        """Return the paper account: cash, equity, buying power, P&L."""
        return cast(Account, await self._request("GET", "/account"))

    async def positions(self) -> list[Position]:
        """Return the open positions."""
        return cast(list[Position], await self._request("GET", "/positions"))

    async def close_position(self, symbol: str) -> Any:
        """Close a position at the market."""
        return await self._request("DELETE", f"/positions/{quote(symbol, safe='')}")

    async def activities(self) -> list[dict[str, Any]]:
        """Return fills and cash events, newest first."""
        answer = await self._request("GET", "/activities")
        if isinstance(answer, dict):  # tolerate a paged {"items": [...]} answer
            answer = answer.get("items") or answer.get("activities") or []
        return cast(list[dict[str, Any]], answer)

    async def bars(self, symbol: str, timeframe: str = "5m", limit: int = 80) -> list[Bar]:
        """Return the latest OHLCV bars of a symbol, oldest first."""
        params = {"timeframe": timeframe, "limit": str(limit)}
        return cast(
            list[Bar],
            await self._request("GET", f"/bars/{quote(symbol, safe='')}", params=params),
        )

    async def quote(self, symbol: str) -> Quote:
        """Return the latest quote of one symbol."""
        return cast(Quote, await self._request("GET", f"/quotes/{quote(symbol, safe='')}"))


class BacktestApi(ApiClient):
    """Strategies, backtests and the historical bars the Backtest page charts."""

    async def list_strategies(self) -> list[Strategy]:
        """Return the strategy library with each strategy's params JSON Schema."""
        return cast(list[Strategy], await self._request("GET", "/strategies"))

    async def create_backtest(self, body: dict[str, Any]) -> BacktestRun:
        """Queue a backtest (or a parameter sweep); answers {"id","status"}."""
        return cast(BacktestRun, await self._request("POST", "/backtests", json=body))

    async def get_backtest(self, backtest_id: str) -> BacktestRun:
        """Return a run: status, progress, config, metrics (and grid/best of a sweep)."""
        return cast(BacktestRun, await self._request("GET", f"/backtests/{quote(backtest_id)}"))

    async def backtest_equity(self, backtest_id: str) -> list[dict[str, Any]]:
        """Return the equity curve [{"t","equity","drawdown","benchmark"?}] of a run."""
        return cast(
            list[dict[str, Any]],
            await self._request("GET", f"/backtests/{quote(backtest_id)}/equity"),
        )

    async def backtest_trades(self, backtest_id: str) -> list[dict[str, Any]]:
        """Return the trades of a run."""
        answer = await self._request("GET", f"/backtests/{quote(backtest_id)}/trades")
        if isinstance(answer, dict):  # tolerate {"items": [...]}
            answer = answer.get("items") or answer.get("trades") or []
        return cast(list[dict[str, Any]], answer)

    async def list_backtests(self, limit: int = 20) -> list[BacktestRun]:
        """Return the caller's runs, newest first."""
        answer = await self._request("GET", "/backtests", params={"limit": str(limit)})
        if isinstance(answer, dict):  # tolerate {"items": [...]}
            answer = answer.get("items") or []
        return cast(list[BacktestRun], answer)

    async def history_bars(
        self, symbol: str, *, timeframe: str = "1d", start: str = "", end: str = "", limit: int = 0
    ) -> list[dict[str, Any]]:
        """Return OHLCV bars [{"t","o","h","l","c","v"}] of a symbol."""
        params = {"timeframe": timeframe}
        if start:
            params["start"] = start
        if end:
            params["end"] = end
        if limit:
            params["limit"] = str(limit)
        return cast(
            list[dict[str, Any]],
            await self._request("GET", f"/bars/{quote(symbol, safe='')}", params=params),
        )


# Journal and analytics (issue 5): round trips built from fills, their journal fields.
class Trade(TypedDict):
    id: str
    symbol: str
    side: str
    status: str
    qty: str
    entry_time: str
    entry_price: str
    exit_time: NotRequired[str | None]
    exit_price: NotRequired[str | None]
    pnl: NotRequired[str | None]
    gross_pnl: NotRequired[str | None]
    fees: NotRequired[str | None]
    pnl_pct: NotRequired[str | None]
    holding_seconds: NotRequired[float | None]
    mae: NotRequired[str | None]
    mfe: NotRequired[str | None]
    unrealized_pnl: NotRequired[str | None]
    realized_pnl: NotRequired[str | None]
    tags: NotRequired[list[str]]
    notes: NotRequired[str]
    rating: NotRequired[int | None]
    planned_stop: NotRequired[str | None]
    r_multiple: NotRequired[str | None]
    setup: NotRequired[str | None]
    source: NotRequired[str]


class TagCount(TypedDict):
    name: str
    count: int


def _query(filters: dict[str, str]) -> dict[str, str]:
    """Drop empty filter values (the API reads an empty `tag=` as a tag named '')."""
    return {key: value for key, value in filters.items() if value}


class JournalApi(ApiClient):
    """Trades, their journal fields, tags, analytics and the CSV export/import."""

    async def list_trades(self, filters: dict[str, str]) -> list[Trade]:
        """Return the round trips: filters symbol, tag, from, to, outcome, sort, limit."""
        return cast(list[Trade], await self._request("GET", "/trades", params=_query(filters)))

    async def get_trade(self, trade_id: str) -> Trade:
        """Return one trade."""
        return cast(Trade, await self._request("GET", f"/trades/{quote(trade_id)}"))

    async def update_trade(self, trade_id: str, changes: dict[str, Any]) -> Trade:
        """Change journal fields: tags, notes, rating, planned_stop, setup."""
        return cast(Trade, await self._request("PATCH", f"/trades/{quote(trade_id)}", json=changes))

    async def bulk_tag(
        self, trade_ids: list[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> int:
        """Add and remove tags on many trades; return how many changed."""
        body = {"trade_ids": trade_ids, "add": list(add), "remove": list(remove)}
        answer = await self._request("POST", "/trades/bulk-tag", json=body)
        return int(answer.get("updated", 0)) if isinstance(answer, dict) else 0

    async def tags(self, prefix: str = "") -> list[TagCount]:
        """Return the tags starting with a prefix, most used first (autocomplete)."""
        return cast(list[TagCount], await self._request("GET", "/tags", params={"prefix": prefix}))

    async def analytics(self, group_by: str, filters: dict[str, str]) -> list[dict[str, Any]]:
        """Return closed-trade statistics grouped by tag, symbol, side, weekday, hour, holding."""
        params = _query({**filters, "group_by": group_by})
        return cast(list[dict[str, Any]], await self._request("GET", "/analytics", params=params))

    async def analytics_summary(self, filters: dict[str, str]) -> dict[str, Any]:
        """Return the overall statistics row (key "all") with open trades and fees."""
        return cast(
            dict[str, Any],
            await self._request("GET", "/analytics/summary", params=_query(filters)),
        )

    async def analytics_daily(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """Return the daily realized P&L series [{"date","pnl","trades","cumulative_pnl"}]."""
        return cast(
            list[dict[str, Any]],
            await self._request("GET", "/analytics/daily", params=_query(filters)),
        )

    async def export_csv(self) -> str:
        """Return every trade with its journal fields as CSV text."""
        response = await self._send("GET", "/trades/export.csv", headers={"Accept": "text/csv"})
        return response.text

    async def import_csv(self, text: str) -> dict[str, int]:
        """Import trades (or journal fields of existing ones) from CSV text."""
        answer = await self._request(
            "POST", "/trades/import.csv", content=text, headers={"Content-Type": "text/csv"}
        )
        return cast(dict[str, int], answer or {})
