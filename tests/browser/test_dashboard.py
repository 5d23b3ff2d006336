"""The web UI against the real stack: accounts, watchlists and live prices in Chromium."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.stack_process import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PASSWORD = "paper-trader-1"
PRICE = re.compile(r"\d")
# Records, for every change of a price on screen, how old the shown quote is (ms).
WATCH_LATENCY = """(selector) => {
  window.__latencies = [];
  const el = document.querySelector(selector);
  new MutationObserver(() => {
    const ts = el.getAttribute("data-ts");
    if (ts) window.__latencies.push(Date.now() - Date.parse(ts));
  }).observe(el, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def _email() -> str:
    return f"web-{uuid.uuid4().hex[:10]}@example.com"


def _sign_up(page: Page, web: str, email: str) -> None:
    page.goto(f"{web}/signup")
    page.get_by_label("Display name").fill("Ada Trader")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{web}/")


def _log_in(page: Page, web: str, email: str, password: str) -> None:
    page.goto(f"{web}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _add_symbol(page: Page, symbol: str) -> None:
    page.get_by_label("Search instruments").fill(symbol)
    page.get_by_role("button", name=f"Add {symbol}", exact=True).click()
    expect(page.get_by_label(f"{symbol} last price")).to_have_text(PRICE)


def _wait_for_change(page: Page, symbol: str, timeout: float = 10.0) -> tuple[str, str]:
    price = page.get_by_label(f"{symbol} last price")
    first = price.inner_text()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = price.inner_text()
        if now != first:
            return first, now
    return first, first


def test_wrong_password_is_reported_inline(
    web_stack: RunningStack, page: Page, screenshots: Path
) -> None:
    email = _email()
    answer = httpx.post(
        f"{web_stack.api_url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Bob"},
    )
    assert answer.status_code == 201, answer.text

    page.goto(f"{web_stack.web_url}/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.screenshot(path=str(screenshots / "login.png"))

    _log_in(page, str(web_stack.web_url), email, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password")
    assert page.url.rstrip("/").endswith("/login")

    page.goto(f"{web_stack.web_url}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Email already registered")


def test_live_watchlist(web_stack: RunningStack, page: Page, screenshots: Path) -> None:
    web = str(web_stack.web_url)
    email = _email()

    # An anonymous visit lands on the login page.
    page.goto(f"{web}/")
    page.wait_for_url(re.compile(r"/login/?$"))

    # Sign up (logs in), log out, log in again.
    _sign_up(page, web, email)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/?$"))
    _log_in(page, web, email, PASSWORD)
    page.wait_for_url(f"{web}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Ada Trader")).to_be_visible()
    expect(page.get_by_role("status", name=re.compile("^Connection"))).to_have_text("Live")

    # Create a watchlist and add a symbol found by the type-ahead search.
    page.get_by_role("button", name="New watchlist").click()
    page.get_by_label("Watchlist name").fill("Tech")
    page.get_by_role("button", name="Create watchlist").click()
    expect(page.get_by_role("combobox", name="Watchlist")).to_have_text("Tech")
    page.get_by_label("Search instruments").fill("App")
    expect(page.get_by_role("button", name="Add AAPL", exact=True)).to_be_visible()
    page.get_by_role("button", name="Add AAPL", exact=True).click()
    tile = page.get_by_role("group", name="AAPL quote")
    expect(tile).to_be_visible()
    expect(tile.get_by_text("SIM · synthetic")).to_be_visible()
    expect(page.get_by_label("AAPL last price")).to_have_text(PRICE)

    # The price moves on screen without a reload.
    first, second = _wait_for_change(page, "AAPL")
    assert first != second, f"AAPL stayed at {first}"

    # Tick-to-screen latency of the shown quotes (the sim ticks every symbol at 4 Hz).
    page.evaluate(WATCH_LATENCY, '[data-testid="price-AAPL"]')
    for symbol in ("BTCUSD", "EURUSD", "SPY"):
        _add_symbol(page, symbol)
    time.sleep(8)
    latencies = sorted(page.evaluate("window.__latencies"))
    assert len(latencies) >= 10, f"only {len(latencies)} updates in 8 s"
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"tick-to-screen: n={len(latencies)} p50={latencies[len(latencies) // 2]} ms p95={p95} ms"
    )
    assert p95 < 1000, latencies

    page.screenshot(path=str(screenshots / "dashboard.png"))

    # A reload keeps the session and the selection, and the prices keep moving.
    page.reload()
    expect(page.get_by_role("combobox", name="Watchlist")).to_have_text("Tech")
    expect(page.get_by_label("AAPL last price")).to_have_text(PRICE)
    first, second = _wait_for_change(page, "AAPL")
    assert first != second, f"AAPL stayed at {first} after a reload"

    # So do they after a visit to another screen (each page load restarts the stream).
    page.get_by_role("link", name="Journal").first.click()
    page.wait_for_url(f"{web}/journal")
    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url(f"{web}/")
    first, second = _wait_for_change(page, "AAPL")
    assert first != second, f"AAPL stayed at {first} after visiting the journal"
    expect(page.get_by_role("status", name=re.compile("^Connection"))).to_have_text("Live")

    # Rename, remove a symbol, delete the watchlist.
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New name").fill("Tech leaders")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("combobox", name="Watchlist")).to_have_text("Tech leaders")

    page.get_by_role("button", name="Remove AAPL").click()
    expect(page.get_by_role("group", name="AAPL quote")).to_have_count(0)
    expect(page.get_by_role("group", name="BTCUSD quote")).to_be_visible()

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete watchlist").click()
    expect(page.get_by_text("Create your first watchlist")).to_be_visible()
