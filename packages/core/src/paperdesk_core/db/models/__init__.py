"""SQLAlchemy models shared by the API and the workers."""

from paperdesk_core.db.models.account import Account
from paperdesk_core.db.models.backtest import BacktestRun
from paperdesk_core.db.models.instrument import Instrument
from paperdesk_core.db.models.journal import Trade, TradeJournal, TradeTag
from paperdesk_core.db.models.order import (
    CashActivity,
    Fill,
    Order,
    Position,
    RiskDecision,
    RiskLimits,
)
from paperdesk_core.db.models.user import User
from paperdesk_core.db.models.watchlist import Watchlist, WatchlistItem

__all__ = [
    "Account",
    "BacktestRun",
    "CashActivity",
    "Fill",
    "Instrument",
    "Order",
    "Position",
    "RiskDecision",
    "RiskLimits",
    "Trade",
    "TradeJournal",
    "TradeTag",
    "User",
    "Watchlist",
    "WatchlistItem",
]
