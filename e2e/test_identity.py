"""Signed-in visitors in Chromium: a host page whose script tag carries the identity its server signed.

A valid one reaches the upstream verified; a forged one leaves the visitor a plain sentence and the
owner the technical detail in the console; a sign-in and sign-out without a reload (RepChat.identify)
change who the upstream is told about, and a new visitor never sees the last one's conversation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.test_identity import SECRET, sign_python

from .stack import Stack, running_stack
from .widget_page import W, ask, open_chat, send

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signed_stack() -> Iterator[Stack]:
    with running_stack({"identity_secrets": (SECRET,)}, token_gap=0.0) as running:
        yield running


def told_upstream(stack: Stack, content: str) -> object:
    [entry] = [e for e in stack.emulator.journal("message") if e["content"] == content]
    return entry["visitor"]


def test_a_signed_in_visitor_reaches_the_upstream_verified(page: Page, signed_stack: Stack):
    identity = sign_python(SECRET, "u-42", "ada@example.com", "Ada Lovelace")
    page.goto(f"{signed_stack.host}/?site=signed&identity={identity}")
    open_chat(page)
    ask(page, "Do you have an API?")
    assert told_upstream(signed_stack, "Do you have an API?") == {
        "verified": True, "id": "u-42", "email": "ada@example.com", "name": "Ada Lovelace"}
    # A page that claims more unsigned gets it passed on, labelled as a claim.
    page.evaluate("() => RepChat.setContext({user: {id: 'admin'}})")
    ask(page, "How does onboarding work?")
    assert told_upstream(signed_stack, "How does onboarding work?") == {
        "verified": True, "id": "u-42", "email": "ada@example.com", "name": "Ada Lovelace",
        "claimed": {"user": {"id": "admin"}}}


def test_a_forged_identity_tells_the_visitor_plainly_and_the_owner_why(page: Page, signed_stack: Stack):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    forged = sign_python("an-attackers-guess-at-the-secret-" + "9" * 16, "u-1", "ceo@example.com")
    page.goto(f"{signed_stack.host}/?site=forged&identity={forged}")
    open_chat(page)
    send(page, "Show me the CEO's invoices")
    expect(page.locator(f"{W} .msg.error").last).to_contain_text("The chat isn't available on this page right now.")
    assert any(line.startswith("[repchat] identity_invalid: ") and "REPCHAT_IDENTITY_SECRETS" in line
               for line in console), console
    assert not [e for e in signed_stack.emulator.journal("message") if e["content"] == "Show me the CEO's invoices"]


def test_signing_in_and_out_without_a_reload(page: Page, signed_stack: Stack):
    page.goto(f"{signed_stack.host}/?site=spa")
    open_chat(page)
    ask(page, "Anonymous question")
    assert told_upstream(signed_stack, "Anonymous question") is None
    # Signing in keeps the conversation on screen; the next message is the signed-in visitor's.
    page.evaluate("(signed) => RepChat.identify(signed)", sign_python(SECRET, "u-7", name="Grace"))
    ask(page, "Signed in now")
    assert told_upstream(signed_stack, "Signed in now") == {"verified": True, "id": "u-7", "name": "Grace"}
    expect(page.locator(f"{W} .msg.user")).to_have_count(2)
    # A fresh signature of the same visitor (each render signs anew) changes nothing.
    page.evaluate("(signed) => RepChat.identify(signed)", sign_python(SECRET, "u-7", name="Grace", ttl=600))
    expect(page.locator(f"{W} .msg.user")).to_have_count(2)
    # Signing out starts over: the next visitor of this browser never sees Grace's conversation.
    page.evaluate("() => RepChat.identify('')")
    expect(page.locator(f"{W} .msg.user")).to_have_count(0)
    ask(page, "Who was here before me?")
    assert told_upstream(signed_stack, "Who was here before me?") is None
    page.reload()
    open_chat(page)
    expect(page.locator(f"{W} .msg.user")).to_have_count(1)


def test_an_identity_that_expired_while_the_page_was_open_asks_for_a_reload(page: Page, signed_stack: Stack):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{signed_stack.host}/?site=stale&identity={sign_python(SECRET, 'u-9', ttl=-300)}")
    open_chat(page)
    send(page, "Hello after lunch")
    expect(page.locator(f"{W} .msg.error").last).to_contain_text("Your sign-in on this site has expired. Reload the page to chat.")
    assert any(line.startswith("[repchat] identity_expired: ") for line in console), console
