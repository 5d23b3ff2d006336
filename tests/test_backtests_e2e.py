"""Backtests end to end: the real API and a real Celery worker (concurrency 2) on the
test database and Redis. Submit, watch progress, read results, sweep chunks, cache reuse."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.stack_process import RunningStack, running_stack

pytestmark = pytest.mark.e2e

GOOG = {
    "strategy": "sma_cross",
    "params": {"fast": 10, "slow": 20},
    "symbol": "GOOG",
    "start": "2004-08-19",
    "end": "2013-03-01",
    "timeframe": "1d",
    "initial_cash": "10000",
    "fees": "0.002",
    "execution": "next_open",
    "fractional": True,
}
SWEEP = {"fast": {"start": 5, "stop": 50, "step": 1}, "slow": {"start": 10, "stop": 200, "step": 5}}


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> Iterator[RunningStack]:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    with running_stack(tmp_path_factory.mktemp("bt-stack"), only="api,workers", env=env) as s:
        yield s


@pytest.fixture(scope="module")
def headers(stack: RunningStack) -> dict[str, str]:
    email = f"bt-{uuid.uuid4().hex[:8]}@example.com"
    api = stack.api_url
    r = httpx.post(f"{api}/api/v1/auth/register", json={"email": email, "password": "s3cret-pass"})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api}/api/v1/auth/login", data={"username": email, "password": "s3cret-pass"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def wait_done(
    api: str, headers: dict[str, str], run_id: str, timeout: float = 120
) -> tuple[dict[str, Any], list[float]]:
    """Poll a run until it is finished; return its body and the progress values seen."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{api}/api/v1/backtests/{run_id}", headers=headers, timeout=10).json()
        seen.append(float(body["progress"]))
        if body["status"] in ("succeeded", "failed", "canceled"):
            return body, seen
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} not finished in {timeout}s: {body}")


def _goog_bars() -> Any:
    from paperdesk_core.backtests import load_backtest_bars, resolve_range

    start, end = resolve_range(GOOG["start"], GOOG["end"])  # type: ignore[arg-type]
    return load_backtest_bars("GOOG", "1d", start, end)


def test_single_backtest_matches_the_engine_in_process(
    stack: RunningStack, headers: dict[str, str]
) -> None:
    from strategy_engine import run_backtest

    api = stack.api_url
    # A configuration no other test of this session ran: the result cache is global.
    cash = 10_000 + uuid.uuid4().int % 10_000
    config = {**GOOG, "initial_cash": str(cash)}
    r = httpx.post(f"{api}/api/v1/backtests", json=config, headers=headers, timeout=30)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued", r.json()
    body, progress = wait_done(api, headers, r.json()["id"])
    assert body["status"] == "succeeded", body
    assert progress == sorted(progress)  # never goes backwards
    assert progress[-1] == 1.0
    assert body["kind"] == "single"
    assert body["error"] is None
    assert body["finished_at"] is not None

    bars = _goog_bars()
    assert len(bars) == 2148  # the real shipped GOOG daily bars, not the sim history
    expected = run_backtest(
        bars, "sma_cross", {"fast": 10, "slow": 20}, initial_cash=cash, fees=0.002
    )
    assert body["metrics"]["final_equity"] == expected.metrics["final_equity"]
    assert body["metrics"] == expected.metrics

    curve = httpx.get(f"{api}/api/v1/backtests/{body['id']}/equity", headers=headers).json()
    assert len(curve) == 2148
    assert curve[0]["t"] == "2004-08-19T00:00:00Z"
    assert curve[-1]["equity"] == expected.metrics["final_equity"]
    assert curve[-1]["benchmark"] == pytest.approx(
        cash * bars["Close"].iloc[-1] / bars["Close"].iloc[0]
    )
    trades = httpx.get(f"{api}/api/v1/backtests/{body['id']}/trades", headers=headers).json()
    assert len(trades) == len(expected.trades)
    assert trades[0]["entry_price"] == expected.trade_records()[0]["entry_price"]


def test_identical_config_reuses_the_cached_result(
    stack: RunningStack, headers: dict[str, str]
) -> None:
    api = stack.api_url
    first = httpx.post(
        f"{api}/api/v1/backtests", json={**GOOG, "initial_cash": "5000"}, headers=headers
    )
    done, _ = wait_done(api, headers, first.json()["id"])
    again = httpx.post(
        f"{api}/api/v1/backtests", json={**GOOG, "initial_cash": "5000.0"}, headers=headers
    ).json()
    assert again["status"] == "succeeded"
    assert again["cached"] is True
    copy = httpx.get(f"{api}/api/v1/backtests/{again['id']}", headers=headers).json()
    assert copy["metrics"] == done["metrics"]
    assert copy["attempts"] == 0  # no worker ran it
    curve = httpx.get(f"{api}/api/v1/backtests/{again['id']}/equity", headers=headers).json()
    assert curve[-1]["equity"] == done["metrics"]["final_equity"]


def test_sweep_split_into_chunks_gives_the_one_process_grid(
    stack: RunningStack, headers: dict[str, str]
) -> None:
    from strategy_engine import expand_grid, run_sweep

    api = stack.api_url
    r = httpx.post(f"{api}/api/v1/backtests", json={**GOOG, "params": SWEEP}, headers=headers)
    assert r.status_code == 202, r.text
    body, progress = wait_done(api, headers, r.json()["id"])
    assert body["status"] == "succeeded", body
    assert progress == sorted(progress)

    combos = [p for p in expand_grid(SWEEP) if p["fast"] < p["slow"]]
    assert len(combos) == 1605
    expected = run_sweep(_goog_bars(), "sma_cross", combos, fees=0.002)  # one process
    assert body["grid"] == expected
    best = max(expected, key=lambda row: row["sharpe"] if row["sharpe"] is not None else -1e300)
    assert body["best"] == best
    assert body["metrics"]["sharpe"] == best["sharpe"]

    chunks = body["chunks"]
    assert len(chunks) > 1
    assert sum(c["size"] for c in chunks) == 1605
    # The stack's worker has two pool processes; the chunks were shared between them.
    assert len({c["pid"] for c in chunks}) >= 2, chunks


def test_runs_are_listed_newest_first(stack: RunningStack, headers: dict[str, str]) -> None:
    runs = httpx.get(f"{stack.api_url}/api/v1/backtests?limit=2", headers=headers).json()
    assert len(runs) == 2
    assert runs[0]["created_at"] >= runs[1]["created_at"]
    assert runs[0]["kind"] == "sweep"


def test_stack_log_has_no_tracebacks(stack: RunningStack) -> None:
    assert "Traceback" not in stack.log(), stack.log()


def test_cli_prints_progress_and_metrics(stack: RunningStack, headers: dict[str, str]) -> None:
    from paperdesk_api.cli import app
    from typer.testing import CliRunner

    args = [
        "backtest", "run", "--strategy", "sma_cross", "--symbol", "GOOG",
        "--params", '{"fast":12,"slow":30}', "--start", "2004-08-19", "--end", "2013-03-01",
        "--api-url", stack.api_url,
    ]  # fmt: skip
    token = headers["Authorization"].removeprefix("Bearer ")
    result = CliRunner().invoke(app, args, env={"PAPERDESK_TOKEN": token})
    assert result.exit_code == 0, result.output
    assert "succeeded 100.0%" in result.output
    assert '"final_equity"' in result.output
