"""Analytics events in Chromium: a real conversation on a host page that asked for them (data-analytics),
read back from window.dataLayer, exactly, and free of anything the visitor said or typed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from .stack import Stack
from .test_leads import ADA, card, fill_card
from .widget_page import W, ask, open_chat

pytestmark = pytest.mark.e2e

QUESTION = "Could you call me back about the Pro plan?"


def events(page: Page, source: str = "window.dataLayer") -> list[dict]:
    return list(page.evaluate(f"() => JSON.parse(JSON.stringify({source} || []))"))


def test_a_conversation_pushes_its_events_and_nothing_personal(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=analytics&analytics=dataLayer")
    page.wait_for_function("() => window.RepChat && window.RepChat.version")
    page.evaluate("() => { window.heard = []; RepChat.on('analytics', (event) => window.heard.push(event)); }")
    open_chat(page)
    reply = ask(page, QUESTION)  # the Representative offers its contact card (collect_contact)
    fill_card(page, ADA)
    card(page).get_by_role("button", name="Send my details").click()
    expect(card(page)).to_have_count(0)
    rating = page.locator(f"{W} .rate").last
    rating.get_by_role("button", name="Helpful", exact=True).click()
    expect(rating.get_by_role("status")).to_have_text("Thanks for your feedback.")
    page.locator(f"{W} .close").click()
    expect(page.locator(f"{W} .panel")).to_be_hidden()

    pushed = events(page)
    site = {"site": "analytics"}
    finished = pushed[2]["repchat"]
    assert isinstance(finished.get("durationMs"), int) and 0 <= finished["durationMs"] < 15_000
    assert pushed == [
        {"event": "repchat_opened", "repchat": site},
        {"event": "repchat_message_sent", "repchat": {**site, "characters": len(QUESTION)}},
        {"event": "repchat_reply_finished",
         "repchat": {**site, "characters": finished["characters"], "durationMs": finished["durationMs"]}},
        {"event": "repchat_command_run", "repchat": {**site, "commandType": "collect_contact", "result": "executed"}},
        {"event": "repchat_lead_sent", "repchat": site},
        {"event": "repchat_rating", "repchat": {**site, "rating": "up"}},
        {"event": "repchat_closed", "repchat": site},
    ]
    assert 0 < finished["characters"] <= len(reply) + 20  # the reply's length (markdown marks removed on screen)
    assert events(page, "window.heard") == pushed, "RepChat.on('analytics') hears the same events"
    said = json.dumps(pushed)
    for private in (QUESTION, reply[:20], *ADA.values(), "@", "Ada", "Pro plan"):
        assert private not in said, private


def test_without_data_analytics_nothing_is_pushed(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=quiet")
    open_chat(page)
    ask(page, "Hello there")
    assert page.evaluate("() => window.dataLayer") is None


def test_a_conversation_reopened_on_the_next_page_is_no_new_opening(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=reopened&analytics=")  # an empty data-analytics means dataLayer
    open_chat(page)
    assert [event["event"] for event in events(page)] == ["repchat_opened"]
    page.reload()
    expect(page.locator(f"{W} .panel")).to_be_visible()  # the widget reopened it by itself
    page.locator(f"{W} .close").click()
    assert [event["event"] for event in events(page)] == ["repchat_closed"]
