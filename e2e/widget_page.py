"""Driving the widget in a page as a visitor does: open it, send, wait for the reply."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

W = "repchat-widget"


def open_chat(page: Page) -> None:
    """Open the chat as a visitor would, unless it reopened by itself (it remembers being open)."""
    page.locator(f"{W}[data-ready]").wait_for(state="attached")
    if not page.locator(f"{W} .panel").is_visible():
        page.locator(f"{W} .launcher").click()
    expect(page.locator(f"{W} .panel")).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.locator(f"{W} textarea")
    box.fill(text)
    box.press("Enter")


def last_reply(page: Page) -> Locator:
    return page.locator(f"{W} .msg.bot").last


def replies(page: Page) -> int:
    return page.locator(f"{W} .msg.bot").count()


def wait_reply(page: Page, timeout: float = 15_000, after: int | None = None) -> str:
    """The text of the newest reply once it has finished (the one after `after` replies, if given)."""
    if after is not None:
        expect(page.locator(f"{W} .msg.bot")).to_have_count(after + 1, timeout=timeout)
    reply = last_reply(page)
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=timeout)
    expect(page.locator(f"{W} .stop")).to_be_hidden(timeout=timeout)
    return reply.inner_text()


def ask(page: Page, text: str) -> str:
    """Send a message and wait for its own reply, whatever replies came before."""
    shown = replies(page)
    send(page, text)
    return wait_reply(page, after=shown)
