"""The Backtest screen against the real stack: build, run, read results, sweep, history."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.stack_process import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PASSWORD = "paper-trader-1"
PERCENT = re.compile(r"[+-]?\d[\d,]*\.\d\d%")
RUN_TIMEOUT = 120_000  # ms: queueing plus the run on a busy 2-core box


def _sign_up(page: Page, web: str) -> None:
    page.goto(f"{web}/signup")
    page.get_by_label("Display name").fill("Quant Ada")
    page.get_by_label("Email").fill(f"bt-{uuid.uuid4().hex[:10]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{web}/")


def _screenshot(page: Page, path: Path) -> None:
    """The whole page at once: a viewport as tall as the page keeps the sidebar whole."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1360, "height": height})
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1360, "height": 860})


def _fill(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    expect(field).to_have_value(value)


def test_backtest_and_sweep(web_stack: RunningStack, page: Page, screenshots: Path) -> None:
    web = str(web_stack.web_url)
    _sign_up(page, web)
    page.goto(f"{web}/backtest")
    expect(page.get_by_role("heading", name="New backtest")).to_be_visible()
    strategy = page.get_by_role("combobox", name="Strategy")
    expect(strategy).to_have_text("SMA crossover", timeout=30_000)
    expect(page.get_by_text("Enters when the fast SMA of the close crosses above")).to_be_visible()

    # Build the run in the form.
    symbol = page.get_by_label("Symbol", exact=True)
    symbol.fill("GO")
    page.get_by_role("button", name="Use GOOG").click()
    expect(symbol).to_have_value("GOOG")
    _fill(page, "Start date", "2004-08-19")
    _fill(page, "End date", "2013-03-01")
    _fill(page, "Fees (fraction)", "0.002")
    _fill(page, "Initial cash", "10000")

    # Inline validation: a fast window of 0 is refused before anything is sent.
    _fill(page, "Fast", "0")
    page.get_by_role("button", name="Run backtest").click()
    expect(page.get_by_role("alert").filter(has_text="Must be at least 1")).to_be_visible()
    _fill(page, "Fast", "10")
    expect(page.get_by_role("alert").filter(has_text="Must be at least 1")).to_have_count(0)
    _fill(page, "Slow", "20")

    page.get_by_role("button", name="Run backtest").click()
    results = page.get_by_role("region", name="Backtest results")
    expect(results).to_be_visible(timeout=RUN_TIMEOUT)
    expect(results.get_by_role("heading", name="SMA crossover · GOOG")).to_be_visible()
    expect(page.get_by_role("group", name="Total return")).to_contain_text(PERCENT)
    expect(page.get_by_role("group", name="Buy & hold")).to_contain_text(PERCENT)
    expect(page.get_by_role("group", name="Sharpe")).to_contain_text(re.compile(r"\d\.\d\d"))
    trades = int(page.get_by_role("group", name="Trades").inner_text().split()[-1])
    assert trades > 10

    equity = page.get_by_role("img", name="Equity chart")
    expect(equity.locator(".recharts-line-curve").first).to_be_visible()
    expect(equity.locator(".recharts-line-curve")).to_have_count(2)  # strategy + buy & hold
    price = page.get_by_role("img", name="Price chart with trade markers")
    expect(price.locator(".recharts-line-dot").first).to_be_visible()
    table = page.get_by_role("table", name="Trades")
    expect(table.get_by_role("row").nth(trades)).to_be_attached()
    rows = table.get_by_role("row").count() - 1  # an open trade at the end is listed too
    assert rows in (trades, trades + 1)
    _screenshot(page, screenshots / "backtest.png")

    # A small sweep over fast x slow shows a heatmap with the best cell marked.
    page.get_by_role("switch", name="Sweep Fast").click()
    _fill(page, "Fast start", "5")
    _fill(page, "Fast stop", "20")
    _fill(page, "Fast step", "5")
    page.get_by_role("switch", name="Sweep Slow").click()
    _fill(page, "Slow start", "30")
    _fill(page, "Slow stop", "90")
    _fill(page, "Slow step", "30")
    page.get_by_role("button", name="Run sweep (12 runs)").click()
    heatmap = page.get_by_role("table", name="Sweep heatmap")
    expect(heatmap).to_be_visible(timeout=RUN_TIMEOUT)
    expect(heatmap.get_by_role("cell")).to_have_count(12)
    expect(heatmap.locator('[data-best="true"]')).to_have_count(1)
    expect(page.get_by_label("Best combination")).to_contain_text("fast=")
    page.get_by_role("combobox", name="Metric").click()
    page.get_by_role("option", name="Total return").click()
    expect(heatmap.get_by_role("cell").first).to_contain_text(PERCENT)
    _screenshot(page, screenshots / "backtest-sweep.png")

    # History: both runs are listed; Edit puts a past run back into the form.
    history = page.get_by_role("table", name="Run history")
    expect(history.get_by_role("row")).to_have_count(3)
    page.get_by_role("button", name=re.compile(r"^Edit sma_cross · GOOG")).last.click()
    expect(page.get_by_role("switch", name="Sweep Fast")).not_to_be_checked()
    expect(page.get_by_label("Fast", exact=True)).to_have_value("10")
    expect(page.get_by_label("Fees (fraction)")).to_have_value("0.002")

    # Re-run the single run from the history.
    page.get_by_role("button", name=re.compile(r"^Re-run sma_cross · GOOG")).last.click()
    expect(history.get_by_role("row")).to_have_count(4, timeout=RUN_TIMEOUT)
    expect(page.get_by_role("img", name="Equity chart")).to_be_visible(timeout=RUN_TIMEOUT)

    # The two single runs side by side.
    page.get_by_role("combobox", name="Run A").click()
    page.get_by_role("option").first.click()
    page.get_by_role("combobox", name="Run B").click()
    page.get_by_role("option").last.click()
    page.get_by_role("button", name="Compare runs").click()
    comparison = page.get_by_role("table", name="Run comparison")
    expect(comparison).to_be_visible()
    expect(comparison.get_by_role("row", name=re.compile("Sharpe"))).to_be_visible()
