from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperdesk_core.db.base import Base, IdMixin, TimestampMixin


class BacktestRun(IdMixin, TimestampMixin, Base):
    """A backtest or a parameter sweep; metrics here, curves and trades in Parquet."""

    __tablename__ = "backtest_runs"
    __table_args__ = (Index("ix_backtest_runs_user_created", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), default="single")  # single | sweep
    status: Mapped[str] = mapped_column(String(12), default="queued")  # ... | canceled
    progress: Mapped[float] = mapped_column(default=0.0)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    config_hash: Mapped[str] = mapped_column(String(64), index=True)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    grid: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    best: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    task_id: Mapped[str | None] = mapped_column(String(64), default=None)
    result_path: Mapped[str | None] = mapped_column(String(500), default=None)
    # Sweeps: one entry per chunk ({"index","size","pid","host","seconds"}), for audits.
    chunks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    attempts: Mapped[int] = mapped_column(default=0)  # > 1 when a lost worker's run was retried
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
