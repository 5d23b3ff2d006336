"""Celery tasks for backtests (``backtests.run``) and parameter sweeps (``backtests.sweep``).

The API validates a run, commits it as ``queued`` and sends the task with the run's id;
tasks read the config from the database, so a redelivered message simply runs again.

* Progress (0..1) goes to the task state and to ``BacktestRun.progress``.
* Large sweeps split into chunks (a chord) that any worker process may take; the merge
  step concatenates them in grid order, so the result does not depend on the split.
* While a task executes it keeps a short-lived Redis lease; the API marks a ``running``
  run whose lease is gone as failed (the worker died), so no run stays stuck running.
  A child process that dies mid-task is requeued (``reject_on_worker_lost``) and retried.
* Cancel: the API sets a Redis flag and revokes the task; tasks stop at the next batch,
  and every status write is conditional on the run still being ``running``.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import redis
import strategy_engine as se
from celery import Task, chord, group
from celery.signals import worker_init, worker_process_init
from paperdesk_core import backtests as bt
from paperdesk_core.bus import redis_client
from paperdesk_core.clock import utc_now
from paperdesk_core.db import get_engine, session_scope
from paperdesk_core.db.models import BacktestRun
from sqlalchemy import update

from paperdesk_workers.celery_app import celery_app

log = logging.getLogger(__name__)

CHUNK_SIZE = 400  # combinations per chunk task; smaller sweeps run in one task
MAX_CHUNKS = 16
BATCH = 100  # combinations between cancel checks
REPORT_EVERY_S = 0.2
# Fault injection for tests and demos: seconds a run waits (cancelably) before computing.
FAULT_DELAY_S = float(os.environ.get("PAPERDESK_BACKTEST_FAULT_DELAY_S", "0") or 0)
LEASE_TTL_S = float(os.environ.get("PAPERDESK_BACKTEST_LEASE_TTL_S", "30") or 30)


_clients: dict[int, redis.Redis] = {}


def _redis() -> redis.Redis:
    # One pool per process: a forked child must not reuse its parent's sockets.
    client = _clients.get(os.getpid())
    if client is None:
        client = _clients[os.getpid()] = redis_client()
    return client


class Canceled(Exception):
    """The run was canceled while this task executed."""


# ---------------------------------------------------------------- database transitions


def _start(run_id: str) -> dict[str, Any] | None:
    """Mark the run running (one more attempt); None when there is nothing to do."""
    with session_scope() as session:
        run = session.get(BacktestRun, uuid.UUID(run_id))
        if run is None or run.status in bt.TERMINAL_STATUSES:
            return None
        run.status = bt.RUNNING
        run.attempts = (run.attempts or 0) + 1
        run.progress = 0.0
        run.started_at = run.started_at or utc_now()
        return dict(run.config)


def _set(run_id: str, *, statuses: Sequence[str] = (bt.RUNNING,), **values: Any) -> bool:
    with session_scope() as session:
        res = session.execute(
            update(BacktestRun)
            .where(BacktestRun.id == uuid.UUID(run_id), BacktestRun.status.in_(statuses))
            .values(**values)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def _fail(run_id: str, error: str) -> None:
    _set(
        run_id,
        statuses=(bt.QUEUED, bt.RUNNING),
        status=bt.FAILED,
        error=error[:2000],
        finished_at=utc_now(),
    )


def _check_cancel(run_id: str) -> None:
    if _redis().exists(bt.cancel_key(run_id)):
        raise Canceled(run_id)


def _report(task: Task[Any, Any], run_id: str, progress: float) -> None:
    """Publish progress (task state and database) and honour a cancel request."""
    _check_cancel(run_id)
    p = round(min(max(progress, 0.0), 1.0), 4)
    if task.request.id:
        task.update_state(state="PROGRESS", meta={"run_id": run_id, "progress": p})
    with session_scope() as session:  # chunks report concurrently: only ever move forward
        session.execute(
            update(BacktestRun)
            .where(
                BacktestRun.id == uuid.UUID(run_id),
                BacktestRun.status == bt.RUNNING,
                BacktestRun.progress < p,
            )
            .values(progress=p)
        )


def _fault_delay(run_id: str) -> None:
    deadline = time.monotonic() + FAULT_DELAY_S
    while time.monotonic() < deadline:
        _check_cancel(run_id)
        time.sleep(0.1)


@contextmanager
def _lease(run_id: str) -> Iterator[None]:
    """Keep ``bt:lease:<id>`` alive while the block runs (the API's liveness signal)."""
    client = _redis()
    key, owner = bt.lease_key(run_id), f"{socket.gethostname()}:{os.getpid()}"
    ttl_ms = int(LEASE_TTL_S * 1000)
    client.set(key, owner, px=ttl_ms)
    stop = threading.Event()

    def _beat() -> None:
        while not stop.wait(LEASE_TTL_S / 3):
            try:
                client.set(key, owner, px=ttl_ms)
            except Exception:  # noqa: S112  (Redis may blink; the next beat retries)
                continue

    beat = threading.Thread(target=_beat, daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=1)
        # Left to expire rather than deleted: another chunk of the same sweep may hold it.
        client.pexpire(key, ttl_ms)


# ---------------------------------------------------------------- engine plumbing


def _bars(config: Mapping[str, Any]) -> pd.DataFrame:
    start, end = bt.resolve_range(config.get("start"), config.get("end"))
    return bt.load_backtest_bars(config["symbol"], config["timeframe"], start, end)


def _costs(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "initial_cash": float(config["initial_cash"]),
        "fees": float(config["fees"]),
        "slippage": float(config["slippage"]),
        "execution": config["execution"],
        "fractional": bool(config["fractional"]),
    }


def _equity_frame(result: se.BacktestResult, bars: pd.DataFrame, cash: float) -> pd.DataFrame:
    close = bars["Close"].to_numpy(dtype=np.float64)
    # Buy and hold from the first close, without costs: a reference line for the chart.
    benchmark = cash * close / close[0] if len(close) else close
    return pd.DataFrame(
        {
            "t": pd.DatetimeIndex(result.equity.index),
            "equity": result.equity.to_numpy(),
            "drawdown": result.drawdown.to_numpy(),
            "benchmark": benchmark,
        }
    )


def _save_curves(
    run_id: str, config: Mapping[str, Any], params: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    bars = _bars(config)
    costs = _costs(config)
    result = se.run_backtest(bars, config["strategy"], params, **costs)
    directory = bt.results_dir(run_id)
    bt.write_results(directory, _equity_frame(result, bars, costs["initial_cash"]), result.trades)
    return dict(result.metrics), str(directory)


def _sort_key(objective: str) -> Any:
    def key(row: Mapping[str, Any]) -> float:
        v = row.get(objective)
        return float(v) if isinstance(v, int | float) and math.isfinite(v) else -math.inf

    return key


# ---------------------------------------------------------------- tasks


@celery_app.task(name=bt.TASK_RUN, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_backtest(self: Task[Any, Any], run_id: str) -> dict[str, Any]:
    """Run one backtest and persist metrics (DB) and curves/trades (Parquet)."""
    with _lease(run_id):  # taken before the run shows "running", so the API never reaps it
        config = _start(run_id)
        if config is None:
            return {"run_id": run_id, "skipped": True}
        try:
            _report(self, run_id, 0.05)
            _fault_delay(run_id)
            _report(self, run_id, 0.3)
            metrics, path = _save_curves(run_id, config, config["params"])
            _report(self, run_id, 0.9)
            _set(
                run_id,
                status=bt.SUCCEEDED,
                progress=1.0,
                metrics=metrics,
                result_path=path,
                finished_at=utc_now(),
            )
        except Canceled:
            return {"run_id": run_id, "canceled": True}
        except Exception as exc:
            log.exception("backtest %s failed", run_id)
            _fail(run_id, f"{type(exc).__name__}: {exc}")
            return {"run_id": run_id, "error": str(exc)}
    return {"run_id": run_id, "status": bt.SUCCEEDED}


def _valid_combos(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    strategy = se.get_strategy(config["strategy"])
    out = []
    for combo in se.expand_grid(config["params"]):
        try:
            strategy.parse_params(combo)
        except se.ParamsError:
            continue
        out.append(combo)
    return out


def _run_rows(
    task: Task[Any, Any], run_id: str, config: Mapping[str, Any], combos: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Backtest ``combos`` in batches, adding to the sweep's shared progress counter."""
    bars = se.Bars(_bars(config))  # one indicator cache for every batch
    costs = _costs(config)
    client = _redis()
    total = int(config.get("_combos") or len(combos)) or 1
    rows: list[dict[str, Any]] = []
    last = time.monotonic()
    for i in range(0, len(combos), BATCH):
        part = combos[i : i + BATCH]
        rows += se.run_sweep(bars, config["strategy"], part, **costs)
        done = int(client.incrby(bt.done_key(run_id), len(part)))  # type: ignore[arg-type]
        # Cancel is checked every batch; progress is written at most every REPORT_EVERY_S.
        if time.monotonic() - last >= REPORT_EVERY_S or i + BATCH >= len(combos):
            _report(task, run_id, 0.95 * done / total)
            last = time.monotonic()
        else:
            _check_cancel(run_id)
    return rows


def _chunk_info(index: int, size: int, seconds: float) -> dict[str, Any]:
    return {
        "index": index,
        "size": size,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "seconds": round(seconds, 4),
    }


@celery_app.task(name=bt.TASK_SWEEP, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_sweep(self: Task[Any, Any], run_id: str) -> dict[str, Any]:
    """Run a parameter sweep: inline when small, else as a chord of chunk tasks."""
    with _lease(run_id):
        config = _start(run_id)
        if config is None:
            return {"run_id": run_id, "skipped": True}
        try:
            combos = _valid_combos(config)
            config = {**config, "_combos": len(combos)}
            client = _redis()
            client.set(bt.done_key(run_id), 0, ex=24 * 3600)
            _report(self, run_id, 0.01)
            _fault_delay(run_id)
            n_chunks = min(MAX_CHUNKS, math.ceil(len(combos) / CHUNK_SIZE))
            if n_chunks <= 1:
                t0 = time.perf_counter()
                rows = _run_rows(self, run_id, config, combos)
                part = {**_chunk_info(0, len(combos), time.perf_counter() - t0), "rows": rows}
                _merge(run_id, config, [part])
                return {"run_id": run_id, "chunks": 1}
            size = math.ceil(len(combos) / n_chunks)
            parts = [combos[i : i + size] for i in range(0, len(combos), size)]
            chord(
                group(
                    sweep_chunk.s(run_id, i, config, part, len(combos))
                    for i, part in enumerate(parts)
                ),
                sweep_merge.s(run_id, config),
            ).apply_async()
            return {"run_id": run_id, "chunks": len(parts)}
        except Canceled:
            return {"run_id": run_id, "canceled": True}
        except Exception as exc:
            log.exception("sweep %s failed", run_id)
            _fail(run_id, f"{type(exc).__name__}: {exc}")
            return {"run_id": run_id, "error": str(exc)}


@celery_app.task(
    name="backtests.sweep_chunk", bind=True, acks_late=True, reject_on_worker_lost=True
)
def sweep_chunk(
    self: Task[Any, Any],
    run_id: str,
    index: int,
    config: dict[str, Any],
    combos: list[dict[str, Any]],
    total: int,
) -> dict[str, Any]:
    """Backtest one slice of a sweep's grid; the merge step orders slices by ``index``."""
    t0 = time.perf_counter()
    with _lease(run_id):
        try:
            _check_cancel(run_id)
            rows = _run_rows(self, run_id, {**config, "_combos": total}, combos)
        except Canceled:
            return {"index": index, "canceled": True}
        except Exception as exc:
            log.exception("sweep %s chunk %d failed", run_id, index)
            _fail(run_id, f"chunk {index}: {type(exc).__name__}: {exc}")
            return {"index": index, "error": str(exc)}
    return {**_chunk_info(index, len(combos), time.perf_counter() - t0), "rows": rows}


@celery_app.task(name="backtests.sweep_merge", acks_late=True, reject_on_worker_lost=True)
def sweep_merge(parts: list[dict[str, Any]], run_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """Concatenate the chunks in grid order, pick the best row and persist the sweep."""
    if any("rows" not in p for p in parts):
        return {"run_id": run_id, "merged": False}
    try:
        _merge(run_id, config, parts)
    except Exception as exc:
        log.exception("sweep %s merge failed", run_id)
        _fail(run_id, f"merge: {type(exc).__name__}: {exc}")
        return {"run_id": run_id, "error": str(exc)}
    return {"run_id": run_id, "merged": True}


def _merge(run_id: str, config: Mapping[str, Any], parts: list[dict[str, Any]]) -> None:
    parts = sorted(parts, key=lambda p: int(p["index"]))
    rows = [row for p in parts for row in p["rows"]]
    objective = str(config.get("objective") or "sharpe")
    best = max(rows, key=_sort_key(objective)) if rows else None
    metrics: dict[str, Any] | None = None
    path: str | None = None
    if best is not None:
        params = {k: best[k] for k in se.expand_grid(config["params"])[0]}
        metrics, path = _save_curves(run_id, config, params)
    _set(
        run_id,
        status=bt.SUCCEEDED,
        progress=1.0,
        grid=rows,
        best=best,
        metrics=metrics,
        result_path=path,
        chunks=[{k: v for k, v in p.items() if k != "rows"} for p in parts],
        finished_at=utc_now(),
    )


# ---------------------------------------------------------------- worker start-up


def warm_up() -> float:
    """Compile (or load from numba's disk cache) the engine's kernels; return seconds."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    index = pd.date_range("2020-01-01", periods=300, freq="D", tz="UTC")
    bars = pd.DataFrame(
        {"Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close, "Volume": 1.0},
        index=index,
    )
    for name in ("sma_cross", "buy_and_hold"):
        if name in se.STRATEGIES:
            se.run_backtest(bars, name, {})
    se.run_sweep(bars, "sma_cross", [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 30}])
    return time.perf_counter() - t0


@worker_init.connect
def _warm_before_fork(**_kw: Any) -> None:
    # In the main process, before the pool forks: every child inherits compiled kernels.
    try:
        log.info("backtest engine warm in %.2fs", warm_up())
    except Exception:
        log.exception("backtest engine warm-up failed")


@worker_process_init.connect
def _fresh_connections(**_kw: Any) -> None:
    # A forked child must not share the parent's pooled database connections.
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=False)
