"""In-memory matching of working orders against market ticks, one book per symbol.

The fill engine keeps a ``MatchingEngine``, adds risk-approved orders, feeds it every tick
and persists the fills it returns (plus the order updates from ``drain_updates``). The
fill prices, liquidity and commission follow ``fill_model.py``; this module decides which
orders are touched and in what order:

1. Untriggered stops whose stop price the tick's trade price reached are triggered
   (``stop`` -> market queue, ``stop_limit`` -> limit ladder with time priority from now).
2. Each side gets its share of the tick's liquidity and spends it on market orders (and
   triggered stops) first in arrival order, then on ``ioc``/``fok`` orders in arrival
   order, then on resting limits by price then time.
3. ``ioc`` orders fill what they can on the first tick after they are added and the rest is
   canceled; ``fok`` orders fill completely on that tick or are canceled with no fill.
4. ``day`` orders expire at the end of their instrument's trading day
   (``calendar.session_close_after``) when ``expire(now)`` is called.

Fill ids are ``uuid5(order id, filled qty before the fill)``, so processing the same tick
against the same order state twice yields the same ids (idempotent replay downstream).

Speed: limits and stops sit in heaps keyed by price (buy limits highest first, sell limits
lowest first, buy stops lowest first, sell stops highest first), so a tick only looks at
the top of each heap and touches only orders that cross. Canceled or replaced entries are
left in the heaps and skipped when they surface; the heaps are rebuilt when such stale
entries outnumber the live ones.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from paperdesk_core.trading._num import ZERO
from paperdesk_core.trading.calendar import session_close_after
from paperdesk_core.trading.fill_model import FillModel
from paperdesk_core.trading.instruments import DEFAULT_INSTRUMENTS, Instrument
from paperdesk_core.trading.orders import (
    IMMEDIATE_TIFS,
    Fill,
    OrderSide,
    OrderType,
    TimeInForce,
    WorkingOrder,
    fill_id_for,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUY = OrderSide.BUY
_SELL = OrderSide.SELL
_Entry = tuple[Decimal, int, WorkingOrder]
_STALE_MIN = 1024


class TickLike(Protocol):
    """What matching reads from a tick (``contracts.MarketTick`` satisfies it)."""

    @property
    def symbol(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def size(self) -> Decimal: ...
    @property
    def bid(self) -> Decimal | None: ...
    @property
    def ask(self) -> Decimal | None: ...
    @property
    def ts_event(self) -> int: ...


class OrderNotFound(KeyError):
    """No working order with that id (never added, or already filled/canceled/expired)."""


class UnknownSymbol(KeyError):
    """The engine has no instrument for the symbol."""


def _ns_to_datetime(ns: int) -> datetime:
    # Integer arithmetic: float seconds would lose the microseconds of recent timestamps.
    return _EPOCH + timedelta(microseconds=ns // 1000)


class OrderBook:
    """Working orders of one symbol and their matching against ticks."""

    def __init__(
        self,
        instrument: Instrument,
        fill_model: FillModel,
        updates: dict[uuid.UUID, WorkingOrder] | None = None,
        index: dict[uuid.UUID, OrderBook] | None = None,
    ) -> None:
        self.instrument = instrument
        self.fill_model = fill_model
        self.orders: dict[uuid.UUID, WorkingOrder] = {}
        self._updates: dict[uuid.UUID, WorkingOrder] = updates if updates is not None else {}
        self._index: dict[uuid.UUID, OrderBook] = index if index is not None else {}
        self._seq = 0
        self._live: dict[uuid.UUID, int] = {}  # order id -> seq of its current heap entry
        self._stale = 0
        self._buy_limits: list[_Entry] = []  # key -limit
        self._sell_limits: list[_Entry] = []  # key limit
        self._buy_stops: list[_Entry] = []  # key stop
        self._sell_stops: list[_Entry] = []  # key -stop
        self._market: dict[uuid.UUID, WorkingOrder] = {}  # FIFO by insertion
        self._immediate: dict[uuid.UUID, WorkingOrder] = {}  # ioc/fok, FIFO

    def __len__(self) -> int:
        return len(self.orders)

    # -- placing ---------------------------------------------------------------------------

    def add(self, order: WorkingOrder) -> None:
        """Start working an open order (also used to reload orders after a restart).

        Raises:
            ValueError: wrong symbol, duplicate id, order not open or nothing left to fill,
                missing prices for its type, or ioc/fok on a stop order.
        """
        if order.symbol != self.instrument.symbol:
            raise ValueError(
                f"order {order.id} is for {order.symbol}, book is {self.instrument.symbol}"
            )
        if order.id in self.orders:
            raise ValueError(f"order {order.id} is already working")
        if not order.is_open or order.remaining_qty <= ZERO:
            raise ValueError(f"order {order.id} is {order.status.value}, not working")
        kind = order.type
        if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) and order.limit_price is None:
            raise ValueError(f"{kind.value} order {order.id} has no limit_price")
        if kind in (OrderType.STOP, OrderType.STOP_LIMIT) and order.stop_price is None:
            raise ValueError(f"{kind.value} order {order.id} has no stop_price")
        if order.tif in IMMEDIATE_TIFS and kind in (OrderType.STOP, OrderType.STOP_LIMIT):
            raise ValueError(f"{order.tif.value} is not supported for {kind.value} orders")
        self.orders[order.id] = order
        self._index[order.id] = self
        self._place(order)

    def _place(self, order: WorkingOrder) -> None:
        kind = order.type
        if order.tif in IMMEDIATE_TIFS:
            self._immediate[order.id] = order
        elif kind is OrderType.MARKET or (kind is OrderType.STOP and order.triggered):
            self._market[order.id] = order
        elif kind is OrderType.LIMIT or order.triggered:
            self._push_limit(order)
        else:
            self._push_stop(order)

    def _push_limit(self, order: WorkingOrder) -> None:
        price = order.limit_price
        assert price is not None
        self._seq += 1
        self._live[order.id] = self._seq
        if order.side is _BUY:
            heapq.heappush(self._buy_limits, (-price, self._seq, order))
        else:
            heapq.heappush(self._sell_limits, (price, self._seq, order))

    def _push_stop(self, order: WorkingOrder) -> None:
        price = order.stop_price
        assert price is not None
        self._seq += 1
        self._live[order.id] = self._seq
        if order.side is _BUY:
            heapq.heappush(self._buy_stops, (price, self._seq, order))
        else:
            heapq.heappush(self._sell_stops, (-price, self._seq, order))

    def _unplace(self, order: WorkingOrder) -> None:
        if self._live.pop(order.id, None) is not None:
            self._stale += 1
            if self._stale > _STALE_MIN and self._stale > len(self._live):
                self._compact()
        self._market.pop(order.id, None)
        self._immediate.pop(order.id, None)

    def _compact(self) -> None:
        live = self._live
        for heap in (self._buy_limits, self._sell_limits, self._buy_stops, self._sell_stops):
            heap[:] = [e for e in heap if live.get(e[2].id) == e[1]]
            heapq.heapify(heap)
        self._stale = 0

    def _remove(self, order: WorkingOrder) -> None:
        del self.orders[order.id]
        self._index.pop(order.id, None)
        self._unplace(order)

    def cancel(self, order_id: uuid.UUID) -> WorkingOrder:
        """Cancel a working order and return it (status ``canceled``).

        Raises:
            OrderNotFound: the order is not working in this book.
        """
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        order.cancel()
        self._remove(order)
        return order

    def remove(self, order_id: uuid.UUID) -> WorkingOrder:
        """Stop working an order without changing its status (it was closed elsewhere).

        Raises:
            OrderNotFound: the order is not working in this book.
        """
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        self._remove(order)
        return order

    def replace(
        self,
        order_id: uuid.UUID,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> WorkingOrder:
        """Amend a working order in place; it keeps its id and fills, and loses time priority.

        Prices must already be valid for the instrument (``orders.validate_order``).

        Raises:
            OrderNotFound: the order is not working in this book.
            ValueError: ``qty`` not above the filled quantity, or a price its type lacks.
        """
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if qty is not None and (not qty.is_finite() or qty <= order.filled_qty):
            raise ValueError(f"new qty must exceed the filled qty {order.filled_qty}")
        if limit_price is not None and (order.limit_price is None or limit_price <= ZERO):
            raise ValueError(f"a {order.type.value} order takes no new limit_price here")
        if stop_price is not None and (order.stop_price is None or stop_price <= ZERO):
            raise ValueError(f"a {order.type.value} order takes no new stop_price here")
        self._unplace(order)
        if qty is not None:
            order.qty = qty
        if limit_price is not None:
            order.limit_price = limit_price
        if stop_price is not None:
            order.stop_price = stop_price
        self._place(order)
        return order

    # -- matching --------------------------------------------------------------------------

    def on_tick(
        self,
        price: Decimal,
        size: Decimal,
        bid: Decimal | None,
        ask: Decimal | None,
        ts_event: int,
    ) -> list[Fill]:
        """Match this tick against the book and return the fills, in execution order."""
        if self._buy_stops and self._buy_stops[0][0] <= price:
            self._trigger(self._buy_stops, price, _BUY)
        if self._sell_stops and -self._sell_stops[0][0] >= price:
            self._trigger(self._sell_stops, price, _SELL)
        buy_ref = ask if ask is not None else price
        sell_ref = bid if bid is not None else price
        buy_cross = bool(self._buy_limits) and -self._buy_limits[0][0] >= buy_ref
        sell_cross = bool(self._sell_limits) and self._sell_limits[0][0] <= sell_ref
        if not (buy_cross or sell_cross or self._market or self._immediate):
            return []
        fills: list[Fill] = []
        ts = _ns_to_datetime(ts_event)
        liquidity = self.fill_model.liquidity(size, self.instrument.lot_size)
        pool = {_BUY: liquidity, _SELL: liquidity}
        ref = {_BUY: buy_ref, _SELL: sell_ref}
        if self._market:
            self._fill_market(list(self._market.values()), pool, ref, ts_event, ts, fills)
        if self._immediate:
            self._fill_immediate(list(self._immediate.values()), pool, ref, ts_event, ts, fills)
        if buy_cross:
            pool[_BUY] = self._fill_limits(
                self._buy_limits, pool[_BUY], buy_ref, ts_event, ts, fills
            )
        if sell_cross:
            pool[_SELL] = self._fill_limits(
                self._sell_limits, pool[_SELL], sell_ref, ts_event, ts, fills
            )
        return fills

    def fill_at_quote(
        self,
        order_id: uuid.UUID,
        price: Decimal,
        size: Decimal,
        bid: Decimal | None,
        ask: Decimal | None,
        ts_event: int,
    ) -> list[Fill]:
        """Fill one market order (or triggered stop) at the latest quote (idle feed).

        Only this order is touched; an ioc/fok market order is then closed as on a tick.

        Raises:
            OrderNotFound: the order is not working in this book.
            ValueError: the order is not a market order or triggered stop.
        """
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if not (
            order.type is OrderType.MARKET or (order.type is OrderType.STOP and order.triggered)
        ):
            raise ValueError(f"order {order_id} is not a market order; it waits for ticks")
        fills: list[Fill] = []
        ts = _ns_to_datetime(ts_event)
        liquidity = self.fill_model.liquidity(size, self.instrument.lot_size)
        pool = {_BUY: liquidity, _SELL: liquidity}
        ref = {
            _BUY: ask if ask is not None else price,
            _SELL: bid if bid is not None else price,
        }
        if order.id in self._immediate:
            self._fill_immediate([order], pool, ref, ts_event, ts, fills)
        else:
            self._fill_market([order], pool, ref, ts_event, ts, fills)
        return fills

    def _trigger(self, heap: list[_Entry], price: Decimal, side: OrderSide) -> None:
        live = self._live
        buy = side is _BUY
        while heap:
            key, seq, order = heap[0]
            if live.get(order.id) != seq:
                heapq.heappop(heap)
                self._stale = max(0, self._stale - 1)
                continue
            if (key > price) if buy else (-key < price):
                break
            heapq.heappop(heap)
            del live[order.id]
            order.triggered = True
            self._updates[order.id] = order
            if order.type is OrderType.STOP:
                self._market[order.id] = order
            else:
                self._push_limit(order)

    def _execute(
        self, order: WorkingOrder, qty: Decimal, px: Decimal, ts_event: int, ts: datetime
    ) -> Fill:
        before = order.filled_qty
        order.apply_fill(qty, px)
        self._updates[order.id] = order
        if not order.is_open:
            self._remove(order)
        return Fill(
            fill_id=fill_id_for(order.id, before),
            order_id=order.id,
            account_id=order.account_id,
            symbol=order.symbol,
            side=order.side,
            last_qty=qty,
            last_px=px,
            commission=self.fill_model.commission(qty, px),
            ts_event=ts_event,
            ts=ts,
            cum_qty=order.filled_qty,
            leaves_qty=order.remaining_qty,
            order_status=order.status,
        )

    def _fill_market(
        self,
        orders: Iterable[WorkingOrder],
        pool: dict[OrderSide, Decimal | None],
        ref: Mapping[OrderSide, Decimal],
        ts_event: int,
        ts: datetime,
        fills: list[Fill],
    ) -> None:
        fm, tick_size = self.fill_model, self.instrument.tick_size
        for order in orders:
            side = order.side
            available = pool[side]
            qty = order.remaining_qty if available is None else min(order.remaining_qty, available)
            if qty <= ZERO:
                continue
            px = fm.market_price(side, ref[side], tick_size)
            fills.append(self._execute(order, qty, px, ts_event, ts))
            if available is not None:
                pool[side] = available - qty

    def _fill_immediate(
        self,
        orders: Iterable[WorkingOrder],
        pool: dict[OrderSide, Decimal | None],
        ref: Mapping[OrderSide, Decimal],
        ts_event: int,
        ts: datetime,
        fills: list[Fill],
    ) -> None:
        fm, tick_size = self.fill_model, self.instrument.tick_size
        for order in orders:
            side = order.side
            reference = ref[side]
            if order.type is OrderType.MARKET:
                px: Decimal | None = fm.market_price(side, reference, tick_size)
            else:
                limit = order.limit_price
                assert limit is not None
                crosses = reference <= limit if side is _BUY else reference >= limit
                px = reference if crosses else None
            available = pool[side]
            remaining = order.remaining_qty
            qty = remaining if available is None else min(remaining, available)
            if order.tif is TimeInForce.FOK and qty < remaining:
                qty = ZERO
            if px is not None and qty > ZERO:
                fills.append(self._execute(order, qty, px, ts_event, ts))
                if available is not None:
                    pool[side] = available - qty
            if order.is_open:
                order.cancel()
                self._updates[order.id] = order
                self._remove(order)

    def _fill_limits(
        self,
        heap: list[_Entry],
        available: Decimal | None,
        reference: Decimal,
        ts_event: int,
        ts: datetime,
        fills: list[Fill],
    ) -> Decimal | None:
        live = self._live
        while heap and (available is None or available > ZERO):
            entry = heap[0]
            _, seq, order = entry
            if live.get(order.id) != seq:
                heapq.heappop(heap)
                self._stale = max(0, self._stale - 1)
                continue
            limit = order.limit_price
            assert limit is not None
            if (limit < reference) if order.side is _BUY else (limit > reference):
                break
            remaining = order.remaining_qty
            qty = remaining if available is None else min(remaining, available)
            heapq.heappop(heap)
            del live[order.id]
            fills.append(self._execute(order, qty, reference, ts_event, ts))
            if available is not None:
                available -= qty
            if order.is_open:  # out of liquidity: keep its place
                live[order.id] = seq
                heapq.heappush(heap, entry)
                break
        return available


class MatchingEngine:
    """Order books for many symbols: route orders and ticks, expire day orders."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS,
        fill_model: FillModel | None = None,
    ) -> None:
        self.instruments = instruments
        self.fill_model = fill_model if fill_model is not None else FillModel()
        self._books: dict[str, OrderBook] = {}
        self._book_of: dict[uuid.UUID, OrderBook] = {}
        self._updates: dict[uuid.UUID, WorkingOrder] = {}
        self._expiries: list[tuple[datetime, int, WorkingOrder]] = []
        self._expiry_seq = 0

    def __len__(self) -> int:
        return sum(len(book) for book in self._books.values())

    def book(self, symbol: str) -> OrderBook:
        """Return (creating it if needed) the book of ``symbol``.

        Raises:
            UnknownSymbol: no instrument for ``symbol``.
        """
        book = self._books.get(symbol)
        if book is None:
            instrument = self.instruments.get(symbol)
            if instrument is None:
                raise UnknownSymbol(symbol)
            book = OrderBook(instrument, self.fill_model, self._updates, self._book_of)
            self._books[symbol] = book
        return book

    def add(self, order: WorkingOrder) -> None:
        """Start working an order; ``day`` orders get their expiry from the calendar.

        Raises:
            UnknownSymbol: no instrument for the order's symbol.
            ValueError: see ``OrderBook.add``; also a naive ``created_at``.
        """
        book = self.book(order.symbol)
        expires_at = None
        if order.tif is TimeInForce.DAY:
            expires_at = session_close_after(book.instrument.calendar, order.created_at)
        book.add(order)
        if expires_at is not None:
            self._expiry_seq += 1
            heapq.heappush(self._expiries, (expires_at, self._expiry_seq, order))

    def get(self, order_id: uuid.UUID) -> WorkingOrder | None:
        """Return the working order with this id, or None."""
        book = self._book_of.get(order_id)
        return book.orders.get(order_id) if book is not None else None

    def open_orders(self, symbol: str | None = None) -> list[WorkingOrder]:
        """Return the working orders (of one symbol, or all)."""
        if symbol is not None:
            book = self._books.get(symbol)
            return list(book.orders.values()) if book is not None else []
        return [o for book in self._books.values() for o in book.orders.values()]

    def _owner(self, order_id: uuid.UUID) -> OrderBook:
        book = self._book_of.get(order_id)
        if book is None:
            raise OrderNotFound(order_id)
        return book

    def cancel(self, order_id: uuid.UUID) -> WorkingOrder:
        """Cancel a working order and return it.

        Raises:
            OrderNotFound: not working (unknown, filled, canceled or expired).
        """
        return self._owner(order_id).cancel(order_id)

    def remove(self, order_id: uuid.UUID) -> WorkingOrder:
        """Stop working an order without changing its status.

        Raises:
            OrderNotFound: not working.
        """
        return self._owner(order_id).remove(order_id)

    def replace(
        self,
        order_id: uuid.UUID,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> WorkingOrder:
        """Amend a working order in place (see ``OrderBook.replace``)."""
        return self._owner(order_id).replace(
            order_id, qty=qty, limit_price=limit_price, stop_price=stop_price
        )

    def on_tick(self, tick: TickLike) -> list[Fill]:
        """Match one tick against its symbol's book and return the fills."""
        book = self._books.get(tick.symbol)
        if book is None or not book.orders:
            return []
        return book.on_tick(tick.price, tick.size, tick.bid, tick.ask, tick.ts_event)

    def fill_at_quote(self, order_id: uuid.UUID, quote: TickLike) -> list[Fill]:
        """Fill a market order at the latest quote when the feed is idle.

        Raises:
            OrderNotFound: the order is not working.
            ValueError: the order is not a market order / triggered stop, or the quote is
                for another symbol.
        """
        book = self._owner(order_id)
        if quote.symbol != book.instrument.symbol:
            raise ValueError(f"quote for {quote.symbol}, order is for {book.instrument.symbol}")
        return book.fill_at_quote(
            order_id, quote.price, quote.size, quote.bid, quote.ask, quote.ts_event
        )

    def expire(self, now: datetime) -> list[WorkingOrder]:
        """Expire the ``day`` orders whose trading day ended at or before ``now``."""
        expired: list[WorkingOrder] = []
        heap = self._expiries
        while heap and heap[0][0] <= now:
            _, _, order = heapq.heappop(heap)
            book = self._book_of.get(order.id)
            if book is None or book.orders.get(order.id) is not order:
                continue
            order.expire()
            book.remove(order.id)
            expired.append(order)
        return expired

    def drain_updates(self) -> list[WorkingOrder]:
        """Return and forget the orders changed by matching since the last call.

        That is fills, ioc/fok cancels and stop triggers; not ``cancel``/``expire``/
        ``replace``, whose callers already hold the order.
        """
        updates = list(self._updates.values())
        self._updates.clear()
        return updates
