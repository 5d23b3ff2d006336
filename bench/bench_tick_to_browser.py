"""Tick to browser: how old each sim quote is when its price changes on the dashboard.

Starts the whole stack (`paperdesk up`), logs in through the UI in system Chromium with a
watchlist of four symbols ticking at 4 Hz each, and records, for every price change on
screen, ``now - quote.ts`` in the page. Target: p95 under 1 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_dashboard import WATCH_LATENCY
from tests.stack_process import running_stack

SYMBOLS = ("AAPL", "BTCUSD", "EURUSD", "SPY")
SECONDS = 20


def run() -> dict[str, Any]:
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-pass-1"
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        api, web = stack.api_url, str(stack.web_url)
        httpx.post(f"{api}/api/v1/auth/register", json={"email": email, "password": password})
        token = httpx.post(
            f"{api}/api/v1/auth/login", data={"username": email, "password": password}
        ).json()["access_token"]
        httpx.post(
            f"{api}/api/v1/watchlists",
            json={"name": "Bench", "symbols": list(SYMBOLS)},
            headers={"Authorization": f"Bearer {token}"},
        ).raise_for_status()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{web}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{web}/")
            page.get_by_label("AAPL last price").wait_for()
            time.sleep(2)
            lat: list[float] = []
            for sym in SYMBOLS:
                page.evaluate(WATCH_LATENCY, f'[data-testid="price-{sym}"]')
                time.sleep(SECONDS / len(SYMBOLS))
                lat += page.evaluate("window.__latencies")
            browser.close()
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "updates": len(lat),
        "updates_per_s_per_symbol": round(len(lat) / SECONDS, 2),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "max_ms": round(lat[-1], 1),
        "target_p95_ms": 1000,
        "met": q[94] < 1000,
    }
