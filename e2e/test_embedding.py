"""Embedding options and the JS API, as a site owner uses them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .stack import Stack
from .widget_page import W, last_reply, open_chat, send, wait_reply

pytestmark = pytest.mark.e2e
INLINE = "repchat-chat"


def test_the_queue_snippet_api_inline_mode_and_host_handlers(page: Page, stack: Stack):
    page.goto(f"{stack.host}/api")
    panel = page.locator(f"{INLINE} .panel")
    expect(panel).to_be_visible()
    expect(page.locator(f"{INLINE} .launcher")).to_have_count(0)
    expect(page.locator(f"{INLINE} textarea")).not_to_be_focused()  # an inline embed never grabs focus
    expect(page.locator(f"{INLINE} .send")).to_have_attribute("aria-label", "Enviar")
    before = len(stack.emulator.journal("message"))
    page.evaluate("RepChat.send('I want to talk to sales')")
    expect(page.locator(f"{INLINE} .msg.bot").last).not_to_have_attribute("aria-busy", "true", timeout=15_000)
    page.wait_for_function("window.__events.some((e) => e[0] === 'command')")
    events = page.evaluate("window.__events")
    assert ["message", "user"] in events and ["message", "assistant"] in events
    assert ["handled", "contact"] in events and ["command", "open_modal", "executed"] in events
    assert page.evaluate("document.getElementById('contact') === null")
    sent = stack.emulator.journal("message")[before]["uiContext"]
    assert sent["plan"] == "team" and sent["cartValue"] == 120
    page.evaluate("RepChat.destroy()")
    expect(page.locator(INLINE)).to_have_count(0)
    assert page.evaluate("window.RepChat === undefined")


def test_shift_enter_adds_a_line_and_enter_sends(page: Page, stack: Stack):
    page.goto(f"{stack.host}/")
    open_chat(page)
    box = page.locator(f"{W} textarea")
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Enter")
    expect(page.locator(f"{W} .msg.user").last).to_have_text("first line\nsecond line")
    expect(box).to_have_value("")
    wait_reply(page)


def test_scroll_and_highlight_stay_in_the_host_document(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "Show me the FAQ")
    expect(page.locator(f"{W} .note").last).to_have_text("Scrolled to “Frequently asked questions”", timeout=15_000)
    assert page.evaluate("document.getElementById('faq').getBoundingClientRect().top < innerHeight")
    page.goto(f"{stack.bff}/pricing")
    send(page, "Which plan do you recommend?")
    expect(page.locator(".plan-team")).to_have_attribute("data-repchat-highlight", "", timeout=15_000)
    expect(page.locator(f"{W} .note").last).to_have_text("Highlighted “Team”")


def test_server_commands_are_reported_and_blocked_ones_said(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    reports = len(stack.emulator.journal("command"))
    send(page, "I want to talk to sales [[fault: server-commands]]")
    expect(page.locator("dialog#contact")).to_be_visible(timeout=15_000)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    reported = stack.emulator.journal("command")[reports:]
    assert [(entry["command"]["type"], entry["result"]) for entry in reported] == [("open_modal", "executed")]
    send(page, "I want to talk to sales [[fault: hostile-commands]]")
    notes = page.locator(f"{W} .note")
    expect(notes.filter(has_text="Correction: that step could not be done")).to_have_count(1, timeout=15_000)
    expect(page).to_have_url(f"{stack.bff}/demo")


def test_full_screen_mode_opens_at_once(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?mode=fullscreen")
    panel = page.locator(f"{W} .panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["width"] >= 1279 and box["height"] >= 799
    send(page, "hello")
    assert wait_reply(page)
    assert last_reply(page)
