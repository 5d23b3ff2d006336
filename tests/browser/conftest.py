"""Browser tests: the real stack (`paperdesk up`, web UI included) and system Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.stack_process import RunningStack, private_redis_url, running_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The whole stack on free ports; DATABASE_URL passes through when set.

    With REDIS_URL set it gets a logical database of its own on that server (it lives all
    session, beside the stacks and workers of other modules, whose orders and backtest
    runs it must not take); without, `paperdesk up` starts its own embedded Redis.
    """
    env: dict[str, str] = {}
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        env["REDIS_URL"] = private_redis_url(redis_url)
    with running_stack(tmp_path_factory.mktemp("browser-stack"), env=env) as stack:
        assert stack.web_url is not None
        yield stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "system Chromium is not installed: run `make browser` (apt-get install -y chromium)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    context.set_default_timeout(15_000)
    # Assertions wait as long as actions: the full suite loads both cores (CI once saw a
    # type-ahead suggestion arrive after expect's default 5 s).
    expect.set_options(timeout=15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
