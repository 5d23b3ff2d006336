"""The Trade screen against the real stack: place, fill, cancel and get rejected in Chromium."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.stack_process import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PASSWORD = "paper-trader-1"
MONEY = re.compile(r"^[+-]?\$[\d,]+\.\d{2}$")
PRICE = re.compile(r"\d")


def _sign_up(page: Page, web: str, email: str) -> None:
    page.goto(f"{web}/signup")
    page.get_by_label("Display name").fill("Tess Trader")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{web}/")


def _token(api: str, email: str) -> str:
    answer = httpx.post(
        f"{api}/api/v1/auth/login", data={"username": email, "password": PASSWORD}, timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _price(page: Page) -> Decimal:
    text = page.get_by_label("AAPL live price").inner_text()
    return Decimal(text.replace(",", ""))


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("combobox", name=label)).to_have_text(option)


def _place(page: Page, qty: str, confirm: str) -> None:
    page.get_by_label("Quantity").fill(qty)
    expect(page.get_by_test_id("ticket-estimate")).to_have_text(MONEY)
    page.get_by_role("button", name="Review order").click()
    page.get_by_role("button", name=confirm, exact=True).click()


def test_trade_screen(web_stack: RunningStack, page: Page, screenshots: Path) -> None:
    web = str(web_stack.web_url)
    email = f"trade-{uuid.uuid4().hex[:10]}@example.com"
    _sign_up(page, web, email)
    token = _token(web_stack.api_url, email)

    # The dashboard shows the fresh account.
    summary = page.get_by_role("region", name="Account summary")
    expect(summary.get_by_label("Equity")).to_have_text("$100,000.00")
    expect(page.get_by_text("No open positions.")).to_be_visible()

    page.get_by_role("link", name="Trade").first.click()
    page.wait_for_url(f"{web}/trade")
    expect(page.get_by_role("heading", name="Trade")).to_be_visible()
    expect(summary.get_by_label("Buying power")).to_have_text("$100,000.00")
    expect(page.get_by_label("AAPL live price")).to_have_text(PRICE)
    expect(page.get_by_test_id("price-chart").locator("rect").first).to_be_attached()

    # Every ticket field has a visible label; price fields appear only for their types.
    for label in ("Symbol", "Quantity"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_label("Limit price")).to_have_count(0)
    expect(page.get_by_label("Stop price")).to_have_count(0)

    # 1. A market buy fills and the position shows live P&L.
    _place(page, "10", "Confirm buy 10 AAPL")
    positions = page.get_by_role("region", name="Positions")
    expect(positions.get_by_role("rowheader", name="AAPL")).to_be_visible(timeout=20_000)
    pnl = page.get_by_label("AAPL unrealized P&L")
    expect(pnl).to_have_text(MONEY)
    first = pnl.inner_text()
    deadline = time.monotonic() + 15
    while pnl.inner_text() == first and time.monotonic() < deadline:
        time.sleep(0.3)
    assert pnl.inner_text() != first, f"P&L stayed at {first}"
    expect(summary.get_by_label("Cash")).not_to_have_text("$100,000.00")
    page.get_by_role("tab", name="Activity").click()
    log = page.get_by_role("log", name="Activity log")
    expect(log).to_contain_text(re.compile(r"Buy \d+ AAPL @ [\d,]+\.\d{2}"))  # may fill in parts
    page.get_by_role("tab", name=re.compile("^Open orders")).click()
    # The fill is marked on the chart.
    expect(page.get_by_test_id("price-chart").locator(".pd-fill-buy")).to_have_count(1)

    # 2. A limit buy below the market works as an open order until canceled.
    _choose(page, "Order type", "Limit")
    expect(page.get_by_label("Stop price")).to_have_count(0)
    limit = (_price(page) * Decimal("0.93")).quantize(Decimal("0.01"))
    page.get_by_label("Limit price").fill(str(limit))
    _choose(page, "Time in force", "GTC")
    _place(page, "2", "Confirm buy 2 AAPL")
    cancel = page.get_by_role("button", name="Cancel buy 2 AAPL limit order")
    expect(cancel).to_be_visible()
    open_orders = page.get_by_role("region", name="Open orders")
    expect(open_orders).to_contain_text(f"{limit:,.2f}")
    expect(open_orders).to_contain_text("Working")
    page.wait_for_timeout(1500)  # let the live P&L settle into the screenshot
    page.set_viewport_size({"width": 1360, "height": 940})
    page.screenshot(path=str(screenshots / "trade.png"))
    page.set_viewport_size({"width": 1360, "height": 860})
    cancel.click()
    expect(cancel).to_have_count(0)
    expect(page.get_by_text("No working orders.")).to_be_visible()
    page.get_by_role("tab", name="Order history").click()
    expect(page.get_by_role("region", name="Order history")).to_contain_text("Canceled")
    page.get_by_role("tab", name=re.compile("^Open orders")).click()

    # 3. An order beyond the buying power is rejected with the risk gate's reason.
    _choose(page, "Order type", "Market")
    expect(page.get_by_label("Limit price")).to_have_count(0)
    qty = str(int(Decimal(150_000) / _price(page)) + 1)
    _place(page, qty, f"Confirm buy {int(qty):,} AAPL")
    alert = page.get_by_test_id("ticket-rejection")
    expect(alert).to_contain_text("Order rejected:")
    rejected = httpx.get(
        f"{web_stack.api_url}/api/v1/orders",
        params={"status": "rejected"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert rejected, "the rejected order is not recorded"
    reason = rejected[0]["reject_reason"]
    assert reason
    expect(alert).to_contain_text(reason)
    # The position is untouched and still one row.
    expect(positions.get_by_role("row")).to_have_count(2)

    # The dashboard shows the position too.
    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url(f"{web}/")
    expect(page.get_by_label("AAPL unrealized P&L")).to_have_text(MONEY)
