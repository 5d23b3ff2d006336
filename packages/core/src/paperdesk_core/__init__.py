"""PaperDesk shared core: settings, models, event contracts and the trading domain."""

from paperdesk_core.config import Settings, get_settings

__all__ = ["Settings", "get_settings"]
