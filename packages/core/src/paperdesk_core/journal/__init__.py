"""Trade journal: round trips from fills, MAE/MFE and analytics (pure domain)."""

from paperdesk_core.journal.analytics import (
    GROUPINGS,
    HOLDING_BUCKETS,
    WEEKDAYS,
    ClosedTrade,
    DailyPnl,
    GroupStats,
    analyze,
    daily_series,
    group_stats,
    holding_bucket,
    hour_key,
    summarize,
    weekday_key,
)
from paperdesk_core.journal.excursions import excursions
from paperdesk_core.journal.trades import (
    JournalFill,
    TradeFigures,
    Trip,
    apply_fill,
    build_trips,
    figures,
    pnl_pct,
    trade_id_for,
)

__all__ = [
    "GROUPINGS",
    "HOLDING_BUCKETS",
    "WEEKDAYS",
    "ClosedTrade",
    "DailyPnl",
    "GroupStats",
    "JournalFill",
    "TradeFigures",
    "Trip",
    "analyze",
    "apply_fill",
    "build_trips",
    "daily_series",
    "excursions",
    "figures",
    "group_stats",
    "holding_bucket",
    "hour_key",
    "pnl_pct",
    "summarize",
    "trade_id_for",
    "weekday_key",
]
