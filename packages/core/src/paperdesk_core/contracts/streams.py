"""Stream names, consumer groups and Redis key builders: the only place they are spelled."""

from __future__ import annotations

from enum import StrEnum

# Streams
ORDERS_ACCEPTED = "orders.accepted"
ORDERS_EVENTS = "orders.events"
PORTFOLIO_UPDATED = "portfolio.updated"
# Cancel requests from the API to the fill engine (the DB row is already canceled).
ORDERS_CANCELED = "orders.canceled"
DEAD_LETTER_PREFIX = "dlq:"

# Consumer groups
GROUP_FILLS = "fills"
GROUP_API = "api"


class EventType(StrEnum):
    """Event names on the wire: dotted lowercase, past tense."""

    MARKET_TICK = "market.tick"
    MARKET_TICKS = "market.ticks"
    ORDER_ACCEPTED = "order.accepted"
    ORDER_UPDATED = "order.updated"
    ORDER_FILLED = "order.filled"
    ACCOUNT_UPDATED = "account.updated"


def market_trades(source: str) -> str:
    """Stream of trades/ticks from one market-data source: ``md:<source>:trades``."""
    return f"md:{source}:trades"


def dead_letter(stream: str) -> str:
    """Dead-letter stream for messages of ``stream`` that failed validation or handling."""
    return f"{DEAD_LETTER_PREFIX}{stream}"


def quote_key(symbol: str) -> str:
    """Hash holding the latest quote of a symbol: ``md:quote:<SYMBOL>``."""
    return f"md:quote:{symbol.upper()}"


def quote_channel(symbol: str) -> str:
    """Pub/sub channel announcing each new quote of a symbol (for WebSocket fan-out)."""
    return f"md:quotes:{symbol.upper()}"


QUOTES_CHANNEL_PATTERN = "md:quotes:*"


def spark_key(symbol: str) -> str:
    """List of recent prices of a symbol for sparklines (newest last)."""
    return f"md:spark:{symbol.upper()}"


def prev_close_key(symbol: str) -> str:
    """The previous session's close of a symbol."""
    return f"md:prevclose:{symbol.upper()}"


def feed_heartbeat_key(source: str) -> str:
    """Timestamp (ns) of the last tick a feed published."""
    return f"md:{source}:heartbeat"


def worker_heartbeat_key(name: str) -> str:
    """Set by each worker with a TTL; /readyz looks for any."""
    return f"hb:worker:{name}"


WORKER_HEARTBEAT_PATTERN = "hb:worker:*"


def login_failures_key(email: str) -> str:
    """Counter of recent failed logins for an email."""
    return f"auth:fail:{email.lower()}"
