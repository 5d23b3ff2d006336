"""Pages: one route per module; importing this package registers them all."""

from paperdesk_web.pages import (
    analytics,
    backtest,
    dashboard,
    journal,
    login,
    signup,
    trade,
)

__all__ = ["analytics", "backtest", "dashboard", "journal", "login", "signup", "trade"]
