"""Market-data sources: sim, replay, finnhub (live ticks); yahoo, alphavantage (history)."""

from paperdesk_ingestion.sources.base import Capabilities, HistorySource, Source, TickSource

__all__ = ["Capabilities", "HistorySource", "Source", "TickSource"]
