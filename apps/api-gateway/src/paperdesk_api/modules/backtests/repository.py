"""Backtest run queries, scoped to their owner (the result cache is global)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from paperdesk_core.backtests import SUCCEEDED
from paperdesk_core.db.models import BacktestRun
from sqlalchemy import select

from paperdesk_api.kit.repository import RepositoryBase


class BacktestRunRepository(RepositoryBase[BacktestRun]):
    model = BacktestRun

    def get_for_user(self, user_id: uuid.UUID, run_id: uuid.UUID) -> BacktestRun | None:
        stmt = select(BacktestRun).where(BacktestRun.id == run_id, BacktestRun.user_id == user_id)
        return self.session.scalars(stmt).first()

    def list_for_user(self, user_id: uuid.UUID, limit: int) -> Sequence[BacktestRun]:
        stmt = (
            select(BacktestRun)
            .where(BacktestRun.user_id == user_id)
            .order_by(BacktestRun.created_at.desc(), BacktestRun.id.desc())
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def find_succeeded(self, config_hash: str) -> BacktestRun | None:
        """The newest succeeded run of an identical config (any user: results are pure)."""
        stmt = (
            select(BacktestRun)
            .where(BacktestRun.config_hash == config_hash, BacktestRun.status == SUCCEEDED)
            .order_by(BacktestRun.finished_at.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).first()
