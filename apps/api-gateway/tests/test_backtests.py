"""Backtest API: validation before enqueueing, ownership, cache reuse, reaping, cancel.

Celery is the external edge here: ``send``/``revoke`` are replaced by recorders; the
cross-service tests in ``tests/test_backtests_e2e.py`` run a real worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

GOOG = {
    "strategy": "sma_cross",
    "params": {"fast": 10, "slow": 20},
    "symbol": "GOOG",
    "start": "2004-08-19",
    "end": "2013-03-01",
    "timeframe": "1d",
    "initial_cash": "10000",
    "fees": "0.002",
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import BacktestRun

    from paperdesk_api.modules.backtests import _celery

    calls: list[dict[str, Any]] = []

    def fake_send(task_name: str, run_id: str, task_id: str) -> None:
        with session_scope() as s:  # enqueued only after the commit: a new session sees it
            committed = s.get(BacktestRun, uuid.UUID(run_id)) is not None
        calls.append({"task": task_name, "run_id": run_id, "committed": committed})

    monkeypatch.setattr(_celery, "send", fake_send)
    monkeypatch.setattr(_celery, "revoke", lambda task_id: calls.append({"revoke": task_id}))
    return calls


def _post(client: TestClient, auth: dict[str, str], **over: Any) -> Any:
    return client.post("/api/v1/backtests", json={**GOOG, **over}, headers=auth)


def _error(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["detail"]["code"]


def test_strategies_list_has_params_schemas(client: TestClient, auth: dict[str, str]) -> None:
    r = client.get("/api/v1/strategies", headers=auth)
    assert r.status_code == 200
    by_name = {s["name"]: s for s in r.json()}
    assert {"fast", "slow"} <= set(by_name["sma_cross"]["params_schema"]["properties"])
    assert by_name["sma_cross"]["title"]


def test_backtests_need_a_token(client: TestClient) -> None:
    assert client.post("/api/v1/backtests", json=GOOG).status_code == 401
    assert client.get("/api/v1/strategies").status_code == 401


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"strategy": "nope"}, 422, "unknown_strategy"),
        ({"params": {"fast": 30, "slow": 20}}, 422, "invalid_params"),
        ({"params": {"fast": "x"}}, 422, "invalid_params"),
        ({"params": {"fast": {"start": 5}, "slow": 20}}, 422, "invalid_params"),
        ({"params": {"fast": {"start": 5, "stop": 1, "step": 1}}}, 422, "invalid_params"),
        ({"params": {"fast": [30, 40], "slow": [10, 20]}}, 422, "invalid_params"),
        ({"params": {"fast": []}}, 422, "invalid_params"),
        ({"params": {"fast": {"start": 1, "stop": 10**6, "step": 1}}}, 422, "invalid_params"),
        ({"symbol": "NOSUCHSYM"}, 404, "unknown_symbol"),
        ({"start": "1990-01-01", "end": "1990-06-01"}, 422, "empty_range"),
        ({"start": "2010-01-01", "end": "2009-01-01"}, 422, "empty_range"),
        ({"objective": "luck"}, 422, "invalid_objective"),
    ],
)
def test_invalid_requests_are_refused_before_enqueueing(
    client: TestClient,
    auth: dict[str, str],
    sent: list[dict[str, Any]],
    over: dict[str, Any],
    status: int,
    code: str,
) -> None:
    r = _post(client, auth, **over)
    assert _error(r) == (status, code), r.text
    assert r.json()["detail"]["message"]
    assert sent == []


def test_invalid_params_message_comes_from_the_engine(
    client: TestClient, auth: dict[str, str], sent: list[dict[str, Any]]
) -> None:
    r = _post(client, auth, params={"fast": 30, "slow": 20})
    assert "fast (30) must be less than slow (20)" in r.json()["detail"]["message"]


def test_malformed_body_is_a_validation_error(client: TestClient, auth: dict[str, str]) -> None:
    r = _post(client, auth, initial_cash="-5", timeframe="3d")
    assert r.status_code == 422


def test_submit_enqueues_after_commit_and_belongs_to_its_user(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    sent: list[dict[str, Any]],
) -> None:
    alice, bob = make_user(), make_user()
    r = _post(client, alice["headers"])
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued"
    assert sent == [{"task": "backtests.run", "run_id": body["id"], "committed": True}]

    got = client.get(f"/api/v1/backtests/{body['id']}", headers=alice["headers"]).json()
    assert got["status"] == "queued"
    assert got["kind"] == "single"
    assert got["progress"] == 0
    assert got["config"]["params"]["fast"] == 10
    assert got["config"]["symbol"] == "GOOG"
    assert got["metrics"] is None

    for path in ("", "/equity", "/trades"):
        assert (
            client.get(f"/api/v1/backtests/{body['id']}{path}", headers=bob["headers"]).status_code
            == 404
        )
    assert (
        client.delete(f"/api/v1/backtests/{body['id']}", headers=bob["headers"]).status_code == 404
    )
    assert client.get("/api/v1/backtests", headers=bob["headers"]).json() == []
    mine = client.get("/api/v1/backtests?limit=5", headers=alice["headers"]).json()
    assert [m["id"] for m in mine] == [body["id"]]
    assert (
        client.get(f"/api/v1/backtests/{body['id']}/equity", headers=alice["headers"]).json() == []
    )


def test_sweep_is_detected_from_ranges_and_lists(
    client: TestClient, auth: dict[str, str], sent: list[dict[str, Any]]
) -> None:
    params = {"fast": {"start": 5, "stop": 50, "step": 1}, "slow": [20, 50, 100]}
    r = _post(client, auth, params=params)
    assert r.status_code == 202, r.text
    assert sent[-1]["task"] == "backtests.sweep"
    got = client.get(f"/api/v1/backtests/{r.json()['id']}", headers=auth).json()
    assert got["kind"] == "sweep"
    assert got["config"]["params"] == params


def test_identical_config_reuses_a_finished_result(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    sent: list[dict[str, Any]],
) -> None:
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import BacktestRun

    first = _post(client, make_user()["headers"], initial_cash="12345").json()
    with session_scope() as s:
        run = s.get(BacktestRun, uuid.UUID(first["id"]))
        assert run is not None
        run.status, run.progress, run.metrics = "succeeded", 1.0, {"final_equity": 42.0}
    other = make_user()
    again = _post(client, other["headers"], initial_cash="12345.00")
    assert again.status_code == 202
    assert again.json()["status"] == "succeeded"
    assert again.json()["cached"] is True
    assert again.json()["id"] != first["id"]
    assert len(sent) == 1  # nothing enqueued for the copy
    got = client.get(f"/api/v1/backtests/{again.json()['id']}", headers=other["headers"]).json()
    assert got["metrics"] == {"final_equity": 42.0}
    # A different config is not a cache hit.
    assert _post(client, other["headers"], initial_cash="12346").json()["status"] == "queued"


def test_cancel_marks_canceled_sets_the_flag_and_revokes(
    client: TestClient, auth: dict[str, str], sent: list[dict[str, Any]], redis_client: Any
) -> None:
    from paperdesk_core.backtests import cancel_key

    run_id = _post(client, auth, initial_cash="777").json()["id"]
    r = client.post(f"/api/v1/backtests/{run_id}/cancel", headers=auth)
    assert r.status_code == 200
    assert r.json()["status"] == "canceled"
    assert redis_client.exists(cancel_key(run_id))
    assert any("revoke" in c for c in sent)
    # Idempotent, and DELETE is the same call.
    assert client.delete(f"/api/v1/backtests/{run_id}", headers=auth).json()["status"] == "canceled"


def test_a_running_run_without_a_live_worker_is_reaped_as_failed(
    client: TestClient, auth: dict[str, str], sent: list[dict[str, Any]], redis_client: Any
) -> None:
    from paperdesk_core.backtests import lease_key
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import BacktestRun

    run_id = _post(client, auth, initial_cash="888").json()["id"]
    with session_scope() as s:
        run = s.get(BacktestRun, uuid.UUID(run_id))
        assert run is not None
        run.status = "running"
    redis_client.set(lease_key(run_id), "host:1", ex=30)
    assert client.get(f"/api/v1/backtests/{run_id}", headers=auth).json()["status"] == "running"
    redis_client.delete(lease_key(run_id))
    got = client.get(f"/api/v1/backtests/{run_id}", headers=auth).json()
    assert got["status"] == "failed"
    assert "worker lost" in got["error"]
