"""Trade state: the order ticket, orders, positions, account, activity log and chart.

The dashboard shows the account summary and positions from this state too. One
background task per session (`run_trading_stream`) keeps it live: it subscribes to the
quotes of the positions and of the ticket's symbol, marks P&L to them, and refreshes the
account, positions, orders and activities when the API pushes an order, fill or account
message (and every few seconds as a fallback, faster while a new order is working).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Mapping
from decimal import Decimal
from typing import Any

import reflex as rx
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from paperdesk_web.api_client import ApiError, TradingApi, stream_url
from paperdesk_web.states._quotes import QuoteView, quote_view, to_decimal
from paperdesk_web.states._trading import (
    EMPTY_CHART,
    AccountView,
    ActivityRow,
    ChartView,
    Estimate,
    OrderRow,
    PositionRow,
    Ticket,
    account_view,
    activity_row,
    apply_live_price,
    chart_view,
    check_ticket,
    estimate,
    fills_of,
    is_open,
    needs_limit,
    needs_stop,
    order_row,
    order_summary,
    position_row,
    review_text,
)
from paperdesk_web.states.live import (
    AUTH_CLOSE_CODES,
    BACKOFF_MAX,
    BACKOFF_MIN,
    FLUSH_INTERVAL,
    ClientPresence,
    LiveState,
    sync_subscriptions,
)

logger = logging.getLogger(__name__)

TRADING_EVENTS = frozenset({"order", "fill", "account"})
POLL_IDLE = 10.0  # seconds between REST refreshes when the stream is quiet
POLL_WORKING = 1.0  # while an order placed here has not reached a final state
WORKING_WINDOW = 15.0  # how long after placing an order to poll fast
SEARCH_LIMIT = 6
ACTIVITY_LIMIT = 30
BAR_LIMIT = 80
TIMEFRAMES = ("1m", "5m", "1h", "1d")


class TradeState(LiveState):
    """Everything the Trade screen shows; the dashboard borrows the account pieces."""

    # Ticket.
    symbol: rx.Field[str] = rx.field("AAPL")
    symbol_query: rx.Field[str] = rx.field("AAPL")
    symbol_name: rx.Field[str] = rx.field("")
    search_hits: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    side: rx.Field[str] = rx.field("buy")
    order_type: rx.Field[str] = rx.field("market")
    qty: rx.Field[str] = rx.field("")
    limit_price: rx.Field[str] = rx.field("")
    stop_price: rx.Field[str] = rx.field("")
    time_in_force: rx.Field[str] = rx.field("day")
    reviewing: rx.Field[bool] = rx.field(False)
    review_summary: rx.Field[str] = rx.field("")
    confirm_label: rx.Field[str] = rx.field("")
    ticket_error: rx.Field[str] = rx.field("")
    rejection: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)
    est: rx.Field[Estimate] = rx.field(default_factory=lambda: Estimate("—", "—", False))
    focus: rx.Field[QuoteView] = rx.field(default_factory=lambda: QuoteView(symbol="AAPL"))
    # Account and lists.
    account: rx.Field[AccountView] = rx.field(default_factory=AccountView)
    position_rows: rx.Field[list[PositionRow]] = rx.field(default_factory=list)
    open_orders: rx.Field[list[OrderRow]] = rx.field(default_factory=list)
    recent_orders: rx.Field[list[OrderRow]] = rx.field(default_factory=list)
    activity: rx.Field[list[ActivityRow]] = rx.field(default_factory=list)
    trade_error: rx.Field[str] = rx.field("")
    account_loaded: rx.Field[bool] = rx.field(False)
    # Chart.
    timeframe: rx.Field[str] = rx.field("5m")
    chart: rx.Field[ChartView] = rx.field(default_factory=lambda: EMPTY_CHART)
    chart_message: rx.Field[str] = rx.field("")

    _account: dict[str, Any] = {}
    _positions: list[dict[str, Any]] = []
    _orders: list[dict[str, Any]] = []
    _bars: list[dict[str, str]] = []
    _prices: dict[str, Decimal] = {}
    _focus_quote: dict[str, Any] = {}
    _review_body: dict[str, str] = {}
    _working_until: float = 0.0
    _tgen: int = 0
    _refresh_due: bool = False

    def trading_api(self) -> TradingApi:
        return TradingApi(self.token)

    # Derived views.
    def _ticket(self) -> Ticket:
        return Ticket(
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            qty=self.qty,
            limit_price=self.limit_price,
            stop_price=self.stop_price,
            time_in_force=self.time_in_force,
        )

    def _held_qty(self, symbol: str) -> Any:
        for position in self._positions:
            if position.get("symbol") == symbol:
                return position.get("qty")
        return None

    def _refresh_views(self) -> None:
        currency = str(self._account.get("currency") or "USD")
        self.account = account_view(self._account, self._positions, self._prices)
        self.position_rows = [position_row(p, self._prices, currency) for p in self._positions]
        self._refresh_estimate()

    def _refresh_estimate(self) -> None:
        self.est = estimate(
            self._ticket(),
            self._focus_quote,
            self._account.get("buying_power"),
            self._held_qty(self.symbol),
            str(self._account.get("currency") or "USD"),
        )

    def _refresh_chart(self) -> None:
        bars = apply_live_price(self._bars, self._prices.get(self.symbol))
        self.chart = chart_view(bars, fills_of(self._orders, self.symbol), self.timeframe)
        self.chart_message = "" if self._bars else f"No bars for {self.symbol} yet"

    def _set_orders(self, orders: list[dict[str, Any]]) -> None:
        self._orders = orders
        self.open_orders = [order_row(o) for o in orders if is_open(o)]
        self.recent_orders = [order_row(o) for o in orders if not is_open(o)][:20]

    def _apply_stream_quotes(self, quotes: Mapping[str, Mapping[str, Any]]) -> None:
        prices = dict(self._prices)
        for symbol, data in quotes.items():
            if (price := to_decimal(data.get("price"))) is not None:
                prices[symbol] = price
            if symbol == self.symbol:
                self._focus_quote = dict(data)
                self.focus = quote_view(data)
        self._prices = prices
        self._refresh_views()
        if self.symbol in quotes:
            self._refresh_chart()

    def _wanted_symbols(self) -> set[str]:
        wanted = {str(p.get("symbol")) for p in self._positions if p.get("symbol")}
        if self.symbol:
            wanted.add(self.symbol)
        return wanted

    async def _fetch_trading(self) -> tuple[Any, ...]:
        """Read account, positions, orders and activities (outside the state lock)."""
        api = self.trading_api()
        results = await asyncio.gather(
            api.account(),
            api.positions(),
            api.list_orders("all"),
            api.activities(),
            return_exceptions=True,
        )
        return tuple(results)

    def _apply_trading(self, results: tuple[Any, ...]) -> None:
        account, positions, orders, activities = results
        errors = [r for r in results[:3] if isinstance(r, ApiError)]
        if isinstance(account, dict):
            self._account = dict(account)
        if isinstance(positions, list):
            self._positions = [dict(p) for p in positions]
        if isinstance(orders, list):
            self._set_orders([dict(o) for o in orders])
        if isinstance(activities, list):
            self.activity = [activity_row(a, i) for i, a in enumerate(activities[:ACTIVITY_LIMIT])]
        self.trade_error = errors[0].message if errors else ""
        self.account_loaded = True
        self._refresh_views()
        self._refresh_chart()

    async def _load_bars(self) -> None:
        try:
            bars = await self.trading_api().bars(self.symbol, self.timeframe, BAR_LIMIT)
        except ApiError as exc:
            self._bars = []
            self._refresh_chart()
            self.chart_message = exc.message
            return
        self._bars = [{k: str(v) for k, v in bar.items()} for bar in bars]
        self._refresh_chart()

    async def _load_focus_quote(self) -> None:
        try:
            data = await self.trading_api().quote(self.symbol)
        except ApiError:
            self.focus = QuoteView(symbol=self.symbol)
            self._focus_quote = {}
            return
        self._apply_stream_quotes({self.symbol: data})

    # Loading.
    @rx.event
    async def load_account(self) -> None:
        """On-load of the dashboard: account summary and positions."""
        if not self.token:
            return
        self._apply_trading(await self._fetch_trading())

    @rx.event
    async def load_trade(self) -> None:
        """On-load of the Trade page: everything, plus the chart and quote of the symbol."""
        if not self.token:
            return
        self._apply_trading(await self._fetch_trading())
        await self._load_focus_quote()
        await self._load_bars()

    # Ticket fields.
    @rx.event
    async def search_symbol(self, query: str) -> AsyncGenerator[None]:
        """Type-ahead of the ticket's symbol field."""
        self.symbol_query = query
        text = query.strip()
        if not text or text.upper() == self.symbol:
            self.search_hits = []
            return
        yield
        try:
            found = await self.trading_api().search_instruments(text)
        except ApiError as exc:
            self.ticket_error = exc.message
            return
        if self.symbol_query.strip() != text:
            return
        self.search_hits = [
            {"symbol": str(hit["symbol"]), "name": str(hit.get("name") or "")}
            for hit in found[:SEARCH_LIMIT]
        ]

    @rx.event
    async def choose_symbol(self, symbol: str) -> AsyncGenerator[None]:
        """Pick the ticket's instrument: its live quote and chart follow."""
        name = next((h["name"] for h in self.search_hits if h["symbol"] == symbol), "")
        self.symbol = symbol.upper()
        self.symbol_query = self.symbol
        self.symbol_name = name
        self.search_hits = []
        self.reviewing = False
        self.ticket_error = ""
        self.rejection = ""
        self.focus = QuoteView(symbol=self.symbol)
        self._focus_quote = {}
        yield
        await self._load_focus_quote()
        await self._load_bars()
        self._refresh_estimate()

    @rx.event
    def symbol_key(self, key: str) -> Any:
        """Enter in the symbol field picks the first result (or the typed symbol)."""
        if key != "Enter":
            return None
        if self.search_hits:
            return TradeState.choose_symbol(self.search_hits[0]["symbol"])  # type: ignore[operator]
        typed = self.symbol_query.strip().upper()
        if typed and typed != self.symbol:
            return TradeState.choose_symbol(typed)  # type: ignore[operator]
        return None

    def _edited(self) -> None:
        self.reviewing = False
        self.ticket_error = ""
        self.rejection = ""
        self._refresh_estimate()

    @rx.event
    def set_side(self, side: str | list[str]) -> None:
        """Buy or sell."""
        value = side[0] if isinstance(side, list) else side
        if value in ("buy", "sell"):
            self.side = value
        self._edited()

    @rx.event
    def set_order_type(self, order_type: str) -> None:
        """Market, limit, stop or stop limit; prefill a limit price from the quote."""
        self.order_type = order_type
        price = self._prices.get(self.symbol)
        if needs_limit(order_type) and not self.limit_price and price is not None:
            self.limit_price = f"{price:.2f}"
        if needs_stop(order_type) and not self.stop_price and price is not None:
            self.stop_price = f"{price:.2f}"
        self._edited()

    @rx.event
    def set_qty(self, value: str) -> None:
        """Quantity."""
        self.qty = value
        self._edited()

    @rx.event
    def set_limit_price(self, value: str) -> None:
        """Limit price."""
        self.limit_price = value
        self._edited()

    @rx.event
    def set_stop_price(self, value: str) -> None:
        """Stop price."""
        self.stop_price = value
        self._edited()

    @rx.event
    def set_time_in_force(self, value: str) -> None:
        """Day, GTC, IOC or FOK."""
        self.time_in_force = value
        self._edited()

    # Review and submit.
    @rx.event
    def review(self) -> None:
        """Check the ticket and show the confirmation step."""
        self.notice = ""
        self.rejection = ""
        body, problem = check_ticket(self._ticket())
        if body is None:
            self.ticket_error = problem
            self.reviewing = False
            return
        self.ticket_error = ""
        body["client_order_id"] = uuid.uuid4().hex  # a double click places one order
        self._review_body = body
        self.review_summary = order_summary(body)
        self.confirm_label = review_text(body)
        self.reviewing = True
        self._refresh_estimate()

    @rx.event
    def edit_order(self) -> None:
        """Back from the confirmation to the ticket."""
        self.reviewing = False

    @rx.event
    async def confirm(self) -> AsyncGenerator[None]:
        """Place the reviewed order; a risk rejection shows its reason inline."""
        if not self.reviewing or not self._review_body or self.submitting:
            return
        self.submitting = True
        yield
        body = dict(self._review_body)
        try:
            order = await self.trading_api().place_order(body)
        except ApiError as exc:
            self.submitting = False
            self.reviewing = False
            if exc.code == "risk_rejected" or exc.status == 422:
                self.rejection = exc.message
            else:
                self.ticket_error = exc.message
            self._apply_trading(await self._fetch_trading())
            return
        self.submitting = False
        self.reviewing = False
        self._review_body = {}
        status = str(order.get("status") or "")
        summary = order_summary(body)
        if status == "filled":
            self.notice = f"Filled: {summary}"
        elif status == "rejected":
            self.rejection = str(order.get("reject_reason") or "Order rejected")
        else:
            self.notice = f"Submitted: {summary}"
        self._working_until = time.monotonic() + WORKING_WINDOW
        self._apply_trading(await self._fetch_trading())

    @rx.event
    async def cancel_order(self, order_id: str) -> None:
        """Cancel a working order."""
        try:
            await self.trading_api().cancel_order(order_id)
            self.trade_error = ""
        except ApiError as exc:
            self.trade_error = exc.message
        self._apply_trading(await self._fetch_trading())

    @rx.event
    async def close_position(self, symbol: str) -> None:
        """Close a position at the market."""
        try:
            await self.trading_api().close_position(symbol)
            self.trade_error = ""
            self.notice = f"Closing {symbol}"
        except ApiError as exc:
            self.trade_error = exc.message
        self._working_until = time.monotonic() + WORKING_WINDOW
        self._apply_trading(await self._fetch_trading())

    @rx.event
    async def set_timeframe(self, timeframe: str | list[str]) -> None:
        """Change the chart's bar size."""
        if isinstance(timeframe, list):
            timeframe = timeframe[0] if timeframe else ""
        if timeframe in TIMEFRAMES:
            self.timeframe = timeframe
            await self._load_bars()

    # Live updates.
    @rx.event(background=True)
    async def run_trading_stream(self) -> None:
        """Stream quotes and trading events for this session (the newest call takes over)."""
        async with self:
            if not self.token:
                return
            self._tgen += 1
            gen = self._tgen
            token = self.token
            client_token = self.router.session.client_token
        backoff = BACKOFF_MIN
        while True:
            try:
                async with websockets.connect(
                    stream_url(token), open_timeout=5, ping_interval=20, ping_timeout=20
                ) as ws:
                    backoff = BACKOFF_MIN
                    if not await self._trading_pump(ws, gen, token, client_token):
                        return
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    return
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code in AUTH_CLOSE_CODES:
                    return
            except (OSError, TimeoutError, WebSocketException) as exc:
                logger.debug("trading stream dropped: %r", exc)
            async with self:
                if self._tgen != gen or self.token != token:
                    return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _trading_pump(
        self, ws: websockets.ClientConnection, gen: int, token: str, client_token: str
    ) -> bool:
        """Relay one connection; False when the session is over, True to reconnect."""
        quotes: dict[str, Mapping[str, Any]] = {}
        arrived = asyncio.Event()
        events: list[str] = []

        async def read() -> None:
            async for raw in ws:
                with contextlib.suppress(ValueError):
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        continue
                    kind = message.get("type")
                    data = message.get("data")
                    if kind == "quote" and isinstance(data, dict) and data.get("symbol"):
                        quotes[str(data["symbol"])] = data
                        arrived.set()
                    elif kind in TRADING_EVENTS:
                        events.append(str(kind))
                        arrived.set()

        reader = asyncio.create_task(read())
        subscribed: set[str] = set()
        last_flush = 0.0
        last_poll = time.monotonic()
        presence = ClientPresence(client_token)
        try:
            while True:
                if not reader.done():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(arrived.wait(), timeout=0.5)
                if reader.done():
                    exc = reader.exception()
                    refused = isinstance(exc, ConnectionClosed) and (
                        exc.rcvd is not None and exc.rcvd.code in AUTH_CLOSE_CODES
                    )
                    return not refused  # reconnect unless the token was refused
                if (delay := last_flush + FLUSH_INTERVAL - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
                arrived.clear()
                batch = dict(quotes)
                quotes.clear()
                had_events = bool(events)
                events.clear()
                async with self:
                    if self._tgen != gen or self.token != token:
                        return False
                    if batch:
                        self._apply_stream_quotes(batch)
                    wanted = self._wanted_symbols()
                    poll_every = (
                        POLL_WORKING if time.monotonic() < self._working_until else POLL_IDLE
                    )
                last_flush = time.monotonic()
                if had_events or time.monotonic() - last_poll >= poll_every:
                    last_poll = time.monotonic()
                    results = await self._fetch_trading()
                    async with self:
                        if self._tgen != gen:
                            return False
                        self._apply_trading(results)
                        wanted = self._wanted_symbols()
                if wanted != subscribed:
                    subscribed = await sync_subscriptions(ws, wanted, subscribed)
                if presence.gone():
                    return False
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
