"""Driving the widget in a page as a visitor does: open it, send, wait for the reply."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .stack import ARTIFACTS

W = "repchat-widget"
AXE = Path(__file__).resolve().parent.parent / "widget" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def shadow(page: Page, expression: str):
    """Evaluate `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(f"() => {{ const root = document.querySelector('{W}').shadowRoot; return {expression}; }}")


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, the widget's shadow DOM included."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => (await axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
           })).violations.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def save_shot(page: Page, name: str) -> None:
    """A screenshot in e2e/artifacts; with REPCHAT_UPDATE_SCREENSHOTS also the README's copy in docs/screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    if SHOTS.is_dir() and os.environ.get("REPCHAT_UPDATE_SCREENSHOTS"):
        shutil.copy(ARTIFACTS / name, SHOTS / name)


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
