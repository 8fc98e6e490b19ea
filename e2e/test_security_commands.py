"""Commands the owner would sign off, in Chromium: what the widget does with the ones that pass the BFF."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .stack import Stack
from .widget_page import W, open_chat, send, wait_reply

pytestmark = pytest.mark.e2e
FILL = "Please fill the form, my email is ana@lima.example and my name is Ana Lima"


def test_fill_form_never_overwrites_what_the_visitor_typed(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/contact")
    page.fill("#contact-form [name=name]", "Bea Typed")
    open_chat(page)
    send(page, FILL)
    expect(page.locator("#contact-form [name=email]")).to_have_value("ana@lima.example", timeout=15_000)
    expect(page.locator("#contact-form [name=name]")).to_have_value("Bea Typed")
    expect(page.locator(f"{W} .note").last).to_have_text("Filled in your work email on the contact form")


def test_fill_form_never_touches_a_field_the_visitor_cannot_see(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/contact")
    page.locator("#contact-form [name=email]").evaluate("field => { field.style.opacity = '0'; }")
    open_chat(page)
    send(page, FILL)
    expect(page.locator("#contact-form [name=name]")).to_have_value("Ana Lima", timeout=15_000)
    assert page.locator("#contact-form [name=email]").input_value() == ""


def test_open_modal_opens_only_a_modal_the_owner_marked(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    page.evaluate("document.getElementById('contact').removeAttribute('data-repchat-modal')")
    open_chat(page)
    send(page, "I want to talk to sales")
    wait_reply(page)
    expect(page.locator(f"{W} .note").last).to_have_text(
        "Correction: that window is not on this page, so nothing was opened.", timeout=15_000)
    assert page.evaluate("document.getElementById('contact').open") is False
