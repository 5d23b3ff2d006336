"""Backtests: validate before enqueueing, reuse identical results, reap lost runs."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis
import strategy_engine as se
from paperdesk_core import backtests as bt
from paperdesk_core.clock import utc_now
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import BacktestRun, User
from paperdesk_core.marketdata.bars import UnknownSymbol
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from paperdesk_api.errors import Invalid, NotFound
from paperdesk_api.modules.backtests import _celery, schemas
from paperdesk_api.modules.backtests.repository import BacktestRunRepository

log = logging.getLogger(__name__)

MAX_GRID = 50_000  # combinations per sweep
MAX_AXIS = 10_000  # values per swept parameter


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _dec(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _is_sweep(params: Mapping[str, Any]) -> bool:
    return any(isinstance(v, dict | list) for v in params.values())


def _axis_len(name: str, spec: Any) -> int:
    if isinstance(spec, list):
        if not spec:
            raise Invalid(f"{name}: an empty list of values", code="invalid_params")
        return len(spec)
    if not isinstance(spec, dict):
        return 1
    extra = set(spec) - {"start", "stop", "step"}
    nums = [spec.get(k, 1) for k in ("start", "stop", "step")]
    if (
        extra
        or "start" not in spec
        or "stop" not in spec
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in nums)
        or not all(math.isfinite(n) for n in nums)
    ):
        raise Invalid(
            f'{name}: a range is {{"start","stop","step"}} with numbers', code="invalid_params"
        )
    start, stop, step = nums
    span: float = (stop - start) / step if step else -1.0
    if span < 0:
        raise Invalid(f"{name}: bad range {spec}", code="invalid_params")
    return math.floor(span + 1e-9) + 1


class BacktestService:
    # ------------------------------------------------------------------ strategies
    def strategies(self) -> list[dict[str, Any]]:
        return se.list_strategies()

    # ------------------------------------------------------------------ validation
    def _params(
        self, strategy: se.Strategy[Any], params: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        if not _is_sweep(params):
            try:
                parsed = strategy.parse_params(params)
            except se.ParamsError as exc:
                raise Invalid(str(exc), code="invalid_params") from None
            return "single", parsed.model_dump(mode="json")
        size = 1
        for name, spec in params.items():
            n = _axis_len(name, spec)
            if n > MAX_AXIS:
                raise Invalid(f"{name}: more than {MAX_AXIS} values", code="invalid_params")
            size *= n
        if size > MAX_GRID:
            raise Invalid(
                f"the sweep has {size} combinations; at most {MAX_GRID}", code="invalid_params"
            )
        first_error: str | None = None
        valid = 0
        for combo in se.expand_grid(params):
            try:
                strategy.parse_params(combo)
                valid += 1
            except se.ParamsError as exc:
                first_error = first_error or str(exc)
        if not valid:
            raise Invalid(first_error or "no valid combination", code="invalid_params")
        return "sweep", params

    def prepare(self, payload: schemas.BacktestCreate) -> tuple[str, dict[str, Any], str]:
        """Validate a request; return its kind, canonical config and cache hash.

        Raises:
            Invalid: unknown_strategy, invalid_params, invalid_objective or empty_range.
            NotFound: unknown_symbol.
        """
        try:
            strategy = se.get_strategy(payload.strategy)
        except se.UnknownStrategyError as exc:
            raise Invalid(str(exc), code="unknown_strategy") from None
        kind, params = self._params(strategy, payload.params)
        if payload.objective not in se.METRIC_NAMES:
            raise Invalid(
                f"objective must be one of {', '.join(se.METRIC_NAMES)}", code="invalid_objective"
            )
        config: dict[str, Any] = {
            "strategy": strategy.name,
            "params": params,
            "symbol": payload.symbol,
            "start": _iso(payload.start),
            "end": _iso(payload.end),
            "timeframe": payload.timeframe,
            "initial_cash": _dec(payload.initial_cash),
            "fees": _dec(payload.fees),
            "slippage": _dec(payload.slippage),
            "execution": payload.execution,
            "fractional": payload.fractional,
            "objective": payload.objective,
        }
        start, end = bt.resolve_range(config["start"], config["end"])
        if start is not None and end is not None and start >= end:
            raise Invalid("start must be before end", code="empty_range")
        try:
            bars = bt.load_backtest_bars(payload.symbol, payload.timeframe, start, end)
        except UnknownSymbol as exc:
            raise NotFound(str(exc), code="unknown_symbol") from None
        if bars.empty:
            raise Invalid(
                f"no {payload.timeframe} bars for {payload.symbol} between "
                f"{config['start'] or 'the beginning'} and {config['end'] or 'now'}",
                code="empty_range",
            )
        digest = bt.config_hash(
            {**config, "interface_version": se.INTERFACE_VERSION}, bt.bars_fingerprint(bars)
        )
        return kind, config, digest

    # ------------------------------------------------------------------ commands
    def create(
        self, session: Session, user: User, payload: schemas.BacktestCreate
    ) -> tuple[BacktestRun, bool]:
        """Create a run; reuse an identical finished one, else enqueue after the commit."""
        kind, config, digest = self.prepare(payload)
        repo = BacktestRunRepository.from_session(session)
        prior = repo.find_succeeded(digest)
        now = utc_now()
        if prior is not None:  # deterministic: an identical config gives identical results
            run = BacktestRun(
                user_id=user.id,
                kind=kind,
                status=bt.SUCCEEDED,
                progress=1.0,
                config=config,
                config_hash=digest,
                metrics=prior.metrics,
                grid=prior.grid,
                best=prior.best,
                chunks=prior.chunks,
                result_path=prior.result_path,
                started_at=now,
                finished_at=now,
            )
            repo.add(run, flush=True)
            return run, True
        run = BacktestRun(
            user_id=user.id,
            kind=kind,
            status=bt.QUEUED,
            progress=0.0,
            config=config,
            config_hash=digest,
            task_id=str(uuid.uuid4()),
        )
        repo.add(run, flush=True)
        self._enqueue_after_commit(session, run)
        return run, False

    def _enqueue_after_commit(self, session: Session, run: BacktestRun) -> None:
        task = bt.TASK_SWEEP if run.kind == "sweep" else bt.TASK_RUN
        run_id, task_id = str(run.id), str(run.task_id)

        def _send(_session: Session) -> None:
            try:
                _celery.send(task, run_id, task_id)
            except Exception as exc:  # the run exists: fail it rather than leave it queued
                log.exception("could not enqueue backtest %s", run_id)
                with session_scope() as s:
                    s.execute(
                        update(BacktestRun)
                        .where(BacktestRun.id == uuid.UUID(run_id))
                        .values(status=bt.FAILED, error=f"could not enqueue: {exc}")
                    )

        event.listen(session, "after_commit", _send, once=True)

    def cancel(
        self, session: Session, client: redis.Redis, user: User, run_id: uuid.UUID
    ) -> BacktestRun:
        """Cancel a queued or running run (idempotent; a finished run is left as it is)."""
        run = self._get(session, user, run_id)
        if run.status in bt.TERMINAL_STATUSES:
            return run
        client.set(bt.cancel_key(run.id), "1", ex=24 * 3600)
        run.status = bt.CANCELED
        run.finished_at = utc_now()
        run.error = "canceled"
        session.flush()
        if run.task_id:
            try:
                _celery.revoke(run.task_id)
            except Exception:  # the flag alone stops it at the next batch
                log.warning("could not revoke task %s", run.task_id, exc_info=True)
        return run

    # ------------------------------------------------------------------ queries
    def _get(self, session: Session, user: User, run_id: uuid.UUID) -> BacktestRun:
        run = BacktestRunRepository.from_session(session).get_for_user(user.id, run_id)
        if run is None:  # another user's run is indistinguishable from none
            raise NotFound("backtest not found")
        return run

    def _reap(self, session: Session, client: redis.Redis, runs: Sequence[BacktestRun]) -> None:
        """Fail running runs whose worker stopped renewing its lease (it died)."""
        for run in runs:
            if run.status == bt.RUNNING and not client.exists(bt.lease_key(run.id)):
                res = session.execute(
                    update(BacktestRun)
                    .where(BacktestRun.id == run.id, BacktestRun.status == bt.RUNNING)
                    .values(
                        status=bt.FAILED,
                        error="worker lost: the process running this backtest stopped "
                        "(no heartbeat); submit it again",
                        finished_at=utc_now(),
                    )
                )
                if res.rowcount:  # type: ignore[attr-defined]
                    session.refresh(run)

    def get(
        self, session: Session, client: redis.Redis, user: User, run_id: uuid.UUID
    ) -> BacktestRun:
        run = self._get(session, user, run_id)
        self._reap(session, client, [run])
        return run

    def list_for_user(
        self, session: Session, client: redis.Redis, user: User, limit: int
    ) -> Sequence[BacktestRun]:
        runs = BacktestRunRepository.from_session(session).list_for_user(user.id, limit)
        self._reap(session, client, runs)
        return runs

    def _records(self, run: BacktestRun, name: str) -> list[dict[str, Any]]:
        if not run.result_path:
            return []
        return bt.read_records(Path(run.result_path) / name)

    def equity(self, session: Session, user: User, run_id: uuid.UUID) -> list[dict[str, Any]]:
        """``[{"t","equity","drawdown","benchmark"}]`` (the best params' curve for sweeps)."""
        return self._records(self._get(session, user, run_id), bt.EQUITY_FILE)

    def trades(self, session: Session, user: User, run_id: uuid.UUID) -> list[dict[str, Any]]:
        """The run's round trips (the best params' for sweeps)."""
        return self._records(self._get(session, user, run_id), bt.TRADES_FILE)


backtest = BacktestService()
