"""Fixtures for the real widget bundle in a real Chromium, against real servers on loopback.

The stack and the browser choice live in stack.py (shared with
benchmarks/widget.py); the page helpers in widget_page.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, sync_playwright

from tests.servers import API_KEY

from .stack import CHROMIUM_ARGS, Stack, chromium_executable, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_executable(playwright), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack(token_gap=0.01) as running:
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser context whose every request and response is scanned for the upstream API key."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    leaks: list[str] = []

    def scan(request: Request) -> None:
        response = request.response()
        seen = [str(request.headers), request.post_data or "", str(response.headers) if response else ""]
        try:
            body = response.body() if response else b""
        except Exception:  # a body the browser did not keep (aborted streams): its bytes were never shown
            body = b""
        if any(API_KEY in text for text in seen) or API_KEY.encode() in body:
            leaks.append(request.url)

    context.on("requestfinished", scan)
    yield context
    context.close()
    assert not leaks, f"the upstream API key reached the browser: {leaks}"


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"
