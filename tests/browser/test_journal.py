"""Journal and Analytics against the real stack: tag, annotate and rate a trade in Chromium,
then see its tag's P&L in the analytics.

Two round trips (a market buy then a market sell, twice) go in through the API; the fill
engine fills them on the sim feed's next ticks and the API builds the trades from the fills.
"""

from __future__ import annotations

import re
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.stack_process import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PASSWORD = "paper-trader-1"
SYMBOL = "AAPL"
NOTE = "Clean **breakout** above the morning high; sized small."


def _sign_up(page: Page, web: str, email: str) -> None:
    page.goto(f"{web}/signup")
    page.get_by_label("Display name").fill("Jo Journal")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{web}/")


class Api:
    """The few API calls the test makes itself, as the signed-up user."""

    def __init__(self, base: str, email: str) -> None:
        answer = httpx.post(
            f"{base}/api/v1/auth/login",
            data={"username": email, "password": PASSWORD},
            timeout=10,
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        self.client = httpx.Client(
            base_url=f"{base}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def get(self, path: str, **params: str) -> Any:
        answer = self.client.get(path, params=params)
        answer.raise_for_status()
        return answer.json()

    def market(self, side: str, qty: str) -> None:
        """Place a market order and wait until it has filled completely."""
        body = {
            "symbol": SYMBOL,
            "side": side,
            "type": "market",
            "qty": qty,
            "time_in_force": "day",
            "client_order_id": uuid.uuid4().hex,
        }
        answer = self.client.post("/orders", json=body)
        answer.raise_for_status()
        order = answer.json()
        deadline = time.monotonic() + 30
        while order["status"] != "filled":
            assert order["status"] not in ("rejected", "canceled", "expired"), order
            assert time.monotonic() < deadline, f"order not filled: {order}"
            time.sleep(0.3)
            order = self.get(f"/orders/{order['id']}")

    def closed_trades(self, count: int) -> list[dict[str, Any]]:
        """Wait until the API has built `count` closed trades from the fills; newest first."""
        deadline = time.monotonic() + 30
        while True:
            trades = self.get("/trades", sort="-entry_time")
            closed = [t for t in trades if t["status"] == "closed"]
            if len(closed) >= count:
                return closed
            assert time.monotonic() < deadline, f"trades not built: {trades}"
            time.sleep(0.5)


def _pnl_text(value: str) -> str:
    """The page's signed money: `+$1,234.50`, `-$0.40`, `$0.00`."""
    number = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"${abs(number):,.2f}"
    return f"+{text}" if number > 0 else f"-{text}" if number < 0 else text


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("combobox", name=label)).to_have_text(option)


def test_journal_and_analytics(web_stack: RunningStack, page: Page, screenshots: Path) -> None:
    web = str(web_stack.web_url)
    email = f"journal-{uuid.uuid4().hex[:10]}@example.com"
    _sign_up(page, web, email)
    api = Api(web_stack.api_url, email)

    # A new user sees what to do on both screens.
    page.get_by_role("link", name="Journal").first.click()
    page.wait_for_url(f"{web}/journal")
    expect(page.get_by_text("Your journal is empty")).to_be_visible()
    expect(page.get_by_text("Place a trade on the Trade screen")).to_be_visible()
    page.get_by_role("link", name="Analytics").first.click()
    page.wait_for_url(f"{web}/analytics")
    expect(page.get_by_text("No closed trades to measure yet")).to_be_visible()

    # Two round trips through the API, filled on the sim feed.
    for qty in ("10", "5"):
        api.market("buy", qty)
        api.market("sell", qty)
    newest, older = api.closed_trades(2)[:2]

    # Before any tagging the analytics count both trades but have no "breakout" row.
    page.reload()
    summary = page.get_by_role("region", name="Summary")
    expect(summary.get_by_role("group", name="Trades", exact=True)).to_contain_text("2")
    breakdown = page.get_by_role("region", name="Breakdown")
    expect(breakdown).to_contain_text("No tagged trades yet")
    expect(breakdown.get_by_role("rowheader", name="breakout")).to_have_count(0)

    # The journal lists both trades, newest first.
    page.get_by_role("link", name="Journal").first.click()
    page.wait_for_url(f"{web}/journal")
    rows = page.get_by_test_id("trade-row")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first.get_by_label(re.compile("^P&L of "))).to_have_text(_pnl_text(newest["pnl"]))

    # Tag the older trade through the inline editor.
    target = rows.nth(1)
    expect(target.get_by_label(re.compile("^P&L of "))).to_have_text(_pnl_text(older["pnl"]))
    # The open editor only: a closed one stays in the page while it fades out, and typing
    # into it would move the focus out of the one just opened (which closes it).
    editor = page.locator("[role=dialog][data-state=open]").get_by_label("New tag")
    target.get_by_role("button", name=re.compile("^Add tag to ")).click()
    editor.fill("breakout")
    editor.press("Enter")
    expect(target.get_by_test_id("trade-tag")).to_have_text("breakout")

    # The other trade's editor suggests the tag already in use (autocomplete).
    first.get_by_role("button", name=re.compile("^Add tag to ")).click()
    editor.fill("br")
    expect(page.get_by_role("button", name="Use tag breakout")).to_be_visible()
    editor.fill("fade")
    editor.press("Enter")
    expect(first.get_by_test_id("trade-tag")).to_have_text("fade")

    # The side panel: chart with entry and exit, notes with preview, rating, planned stop.
    target.get_by_role("button", name=re.compile("^Review ")).click()
    panel = page.get_by_role("region", name="Trade details")
    expect(panel.get_by_role("heading", name=SYMBOL)).to_be_visible()
    chart = panel.get_by_test_id("trade-chart")
    expect(chart.locator(".pd-fill-buy")).to_have_count(1)
    expect(chart.locator(".pd-fill-sell")).to_have_count(1)
    page.get_by_label("Notes (Markdown)").fill(NOTE)
    expect(panel.get_by_test_id("notes-preview").locator("strong")).to_have_text("breakout")
    page.get_by_role("button", name="Rate 4 out of 5").click()
    stop = (Decimal(older["entry_price"]) - Decimal(1)).quantize(Decimal("0.01"))
    page.get_by_label("Planned stop").fill(str(stop))
    page.get_by_label("Setup").fill("Opening range breakout")
    page.get_by_role("button", name="Save journal").click()
    expect(panel.get_by_role("status")).to_contain_text("Saved")
    expect(panel.get_by_role("group", name="R-multiple")).to_contain_text(re.compile(r"R$"))
    expect(target.get_by_label(re.compile("^Rating of "))).to_have_text("★★★★☆")
    saved = api.get(f"/trades/{older['id']}")
    assert saved["tags"] == ["breakout"]
    assert saved["notes"] == NOTE
    assert saved["rating"] == 4
    assert Decimal(saved["planned_stop"]) == stop
    assert saved["setup"] == "Opening range breakout"
    assert saved["r_multiple"] is not None
    page.set_viewport_size({"width": 1360, "height": 1160})
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshots / "journal.png"))
    page.set_viewport_size({"width": 1360, "height": 860})

    # Analytics grouped by tag show the breakout trade's P&L.
    page.get_by_role("link", name="Analytics").first.click()
    page.wait_for_url(f"{web}/analytics")
    _choose(page, "Group by", "Symbol")
    breakdown = page.get_by_role("region", name="Breakdown")
    expect(breakdown.get_by_role("rowheader", name=SYMBOL)).to_be_visible()
    _choose(page, "Group by", "Tag")
    expect(breakdown.get_by_role("rowheader", name="breakout")).to_be_visible()
    expect(breakdown.get_by_label("Net P&L of breakout")).to_have_text(_pnl_text(older["pnl"]))
    expect(breakdown.get_by_label("Net P&L of fade")).to_have_text(_pnl_text(newest["pnl"]))
    expect(summary.get_by_role("group", name="Trades", exact=True)).to_contain_text("2")
    total = Decimal(older["pnl"]) + Decimal(newest["pnl"])
    expect(summary.get_by_role("group", name="Net P&L", exact=True)).to_contain_text(
        _pnl_text(str(total))
    )
    expect(page.get_by_test_id("calendar-day").first).to_be_visible()

    # Filtering by the tag narrows the summary to the one trade.
    page.get_by_label("Tag", exact=True).fill("breakout")
    expect(summary.get_by_role("group", name="Trades", exact=True)).to_contain_text("1")
    page.get_by_role("button", name="Clear filters").click()
    expect(summary.get_by_role("group", name="Trades", exact=True)).to_contain_text("2")
    page.set_viewport_size({"width": 1360, "height": 1500})
    page.wait_for_timeout(800)  # let the charts settle into the screenshot
    page.screenshot(path=str(screenshots / "analytics.png"))
