from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

WL = "/api/v1/watchlists"


def test_watchlist_crud_with_quotes(
    client: TestClient,
    auth: dict[str, str],
    make_instrument: Callable[..., str],
    publish: Callable[..., None],
) -> None:
    a = make_instrument("Alpha Corp")
    b = make_instrument("Beta Corp")
    c = make_instrument("Gamma Corp")
    for price in ("10", "10.5", "11"):
        publish(a, price, spark=True, prev_close="10")
    publish(b, "20", bid="19.9", ask="20.1")

    r = client.post(WL, json={"name": "  Tech  ", "symbols": [b, a.lower()]}, headers=auth)
    assert r.status_code == 201, r.text
    wl = r.json()
    assert wl["name"] == "Tech"
    assert [(i["symbol"], i["position"]) for i in wl["items"]] == [(b, 0), (a, 1)]
    item_b, item_a = wl["items"]
    assert item_b["quote"]["price"] == "20"
    assert item_b["quote"]["bid"] == "19.9"
    assert item_b["name"] == "Beta Corp"
    assert item_a["quote"]["price"] == "11"
    assert item_a["quote"]["change"] == "1"
    assert item_a["spark"] == ["10", "10.5", "11"]
    wl_id = wl["id"]

    # add an item (no quote yet), then read it back in order
    r = client.post(f"{WL}/{wl_id}/items", json={"symbol": c}, headers=auth)
    assert r.status_code == 201, r.text
    assert [i["symbol"] for i in r.json()["items"]] == [b, a, c]
    assert r.json()["items"][2]["quote"] is None
    assert r.json()["items"][2]["spark"] == []

    got = client.get(f"{WL}/{wl_id}", headers=auth)
    assert got.status_code == 200
    assert [i["symbol"] for i in got.json()["items"]] == [b, a, c]

    listed = client.get(WL, headers=auth)
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [wl_id]

    # rename and reorder (keeping, dropping and adding symbols in one PATCH)
    r = client.patch(f"{WL}/{wl_id}", json={"name": "Renamed", "symbols": [c, b]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed"
    assert [(i["symbol"], i["position"]) for i in r.json()["items"]] == [(c, 0), (b, 1)]
    r = client.patch(f"{WL}/{wl_id}", json={"symbols": [a, c, b]}, headers=auth)
    assert [i["symbol"] for i in r.json()["items"]] == [a, c, b]
    assert r.json()["name"] == "Renamed"

    # remove an item
    r = client.delete(f"{WL}/{wl_id}/items/{c.lower()}", headers=auth)
    assert r.status_code == 200, r.text
    assert [i["symbol"] for i in r.json()["items"]] == [a, b]
    r = client.delete(f"{WL}/{wl_id}/items/{c}", headers=auth)
    assert r.status_code == 404

    # delete the watchlist
    assert client.delete(f"{WL}/{wl_id}", headers=auth).status_code == 204
    assert client.get(f"{WL}/{wl_id}", headers=auth).status_code == 404
    assert client.get(WL, headers=auth).json() == []


def test_watchlist_item_errors(
    client: TestClient, auth: dict[str, str], make_instrument: Callable[..., str]
) -> None:
    sym = make_instrument()
    wl_id = client.post(WL, json={"name": "W", "symbols": [sym]}, headers=auth).json()["id"]
    r = client.post(f"{WL}/{wl_id}/items", json={"symbol": sym}, headers=auth)
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "duplicate_symbol"
    r = client.post(f"{WL}/{wl_id}/items", json={"symbol": "NOPE123"}, headers=auth)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "unknown_symbol"
    r = client.post(WL, json={"name": "X", "symbols": ["AAPL", "NOPE123"]}, headers=auth)
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "unknown_symbol"
    r = client.patch(f"{WL}/{wl_id}", json={"symbols": ["NOPE123"]}, headers=auth)
    assert r.status_code == 404
    # the failed PATCH changed nothing
    items = client.get(f"{WL}/{wl_id}", headers=auth).json()["items"]
    assert [i["symbol"] for i in items] == [sym]
    # duplicates in a create list collapse
    r = client.post(WL, json={"name": "D", "symbols": ["AAPL", "aapl"]}, headers=auth)
    assert r.status_code == 201
    assert [i["symbol"] for i in r.json()["items"]] == ["AAPL"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "bad\x00name"},
        {},
        {"name": "ok", "symbols": "AAPL"},
        {"name": "ok", "symbols": ["A A"]},
        {"name": "ok", "symbols": ["\x00"]},
        {"name": 5},
    ],
)
def test_invalid_watchlist_bodies_are_422(
    client: TestClient, auth: dict[str, str], body: dict[str, Any]
) -> None:
    r = client.post(WL, json=body, headers=auth)
    assert r.status_code == 422, r.text


def test_rename_validation(client: TestClient, auth: dict[str, str]) -> None:
    wl_id = client.post(WL, json={"name": "W"}, headers=auth).json()["id"]
    assert client.patch(f"{WL}/{wl_id}", json={"name": ""}, headers=auth).status_code == 422
    assert client.patch(f"{WL}/{wl_id}", json={"name": "y" * 101}, headers=auth).status_code == 422
    assert client.patch(f"{WL}/{wl_id}", json={"name": "y" * 100}, headers=auth).status_code == 200


def test_malformed_and_missing_ids(client: TestClient, auth: dict[str, str]) -> None:
    for path in [f"{WL}/not-a-uuid", f"{WL}/123", f"{WL}/%00"]:
        r = client.get(path, headers=auth)
        assert r.status_code in (404, 422), path
    missing = uuid.uuid4()
    assert client.get(f"{WL}/{missing}", headers=auth).status_code == 404
    assert client.patch(f"{WL}/{missing}", json={"name": "n"}, headers=auth).status_code == 404
    assert client.delete(f"{WL}/{missing}", headers=auth).status_code == 404
    r = client.post(f"{WL}/{missing}/items", json={"symbol": "AAPL"}, headers=auth)
    assert r.status_code == 404
    r = client.post(f"{WL}/not-a-uuid/items", json={"symbol": "AAPL"}, headers=auth)
    assert r.status_code == 422


def test_users_see_only_their_own_watchlists(
    client: TestClient, make_user: Callable[[], dict[str, Any]]
) -> None:
    alice, bob = make_user()["headers"], make_user()["headers"]
    wl = client.post(WL, json={"name": "Alice's", "symbols": ["AAPL"]}, headers=alice).json()
    wl_id = wl["id"]
    assert client.get(WL, headers=bob).json() == []
    for method, path, body in [
        ("GET", f"{WL}/{wl_id}", None),
        ("PATCH", f"{WL}/{wl_id}", {"name": "mine now"}),
        ("POST", f"{WL}/{wl_id}/items", {"symbol": "MSFT"}),
        ("DELETE", f"{WL}/{wl_id}/items/AAPL", None),
        ("DELETE", f"{WL}/{wl_id}", None),
    ]:
        r = client.request(method, path, json=body, headers=bob)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["detail"]["code"] == "not_found"
    still = client.get(f"{WL}/{wl_id}", headers=alice).json()
    assert still["name"] == "Alice's"
    assert [i["symbol"] for i in still["items"]] == ["AAPL"]
