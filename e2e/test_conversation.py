"""A conversation that behaves like a good chat UI, at desktop and phone size (issue 15).

Honest page actions, scrolling, nothing lost, modes, and the basics
(timestamps, a new conversation, copying an answer), each as a visitor meets
them in Chromium against the BFF and the emulator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from bff.emulator.scenario import Scenario

from .stack import Stack, running_stack
from .widget_page import W, axe_violations, last_reply, open_chat, send, shadow, wait_reply

pytestmark = pytest.mark.e2e
SLOW = "[[fault: words=400, gap=0.02]]"  # a long reply that takes seconds to stream


@pytest.fixture(params=["desktop", "phone"])
def visitor(request, browser: Browser, playwright: Playwright) -> Iterator[Page]:
    """A visitor's tab at desktop size or on a phone (Pixel 7), failing on any uncaught page error."""
    options = {"viewport": {"width": 1280, "height": 800}} if request.param == "desktop" else playwright.devices["Pixel 7"]
    # axe is injected as a script, which the landing page's own CSP would refuse (test_quality has the CSP tests).
    context = browser.new_context(**options, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def asked_on(page: Page, url: str, question: str) -> str:
    """Open the chat on `url`, ask `question`, and return the finished reply."""
    page.goto(url)
    open_chat(page)
    send(page, question)
    return wait_reply(page)


def notes(page: Page) -> list[str]:
    return page.locator(f"{W} .note").all_inner_texts()


def seed_transcript(page: Page, stack: Stack, site: str, pairs: int = 15) -> None:
    """A long stored conversation for `site`, so the log scrolls (the page must be on the host's origin)."""
    answer = " ".join(["This answer is long enough to take a few lines in the chat log."] * 4)
    messages = []
    for n in range(pairs):
        messages += [{"role": "user", "text": f"Question {n}?", "time": 0},
                     {"role": "bot", "text": f"{answer} ({n})", "status": "done"}]
    state = {"token": "", "expiresAt": "", "messages": messages, "scanSent": False}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [f"repchat:v1:{stack.bff}:{site}", json.dumps(state)])
    page.reload()


def streaming_below_history(page: Page, stack: Stack, site: str, scroll_to: int | None = None) -> None:
    """A long conversation on screen (scrolled to `scroll_to` first, if given) and a slow reply streaming in."""
    page.goto(f"{stack.host}/?site={site}")
    seed_transcript(page, stack, site)
    open_chat(page)
    if scroll_to is not None:
        shadow(page, f"root.querySelector('.log').scrollTop = {scroll_to}")
    send(page, f"Tell me about integrations {SLOW}")
    expect(page.locator(f"{W} .msg.bot").last).not_to_be_empty(timeout=10_000)


LOG_BOX = """(selector) => {
  const root = document.querySelector('repchat-widget').shadowRoot;
  const log = root.querySelector('.log').getBoundingClientRect();
  const nodes = root.querySelectorAll(selector);
  const box = nodes[nodes.length - 1].getBoundingClientRect();
  // Whole, or for an element taller than the log (a long reply), its newest lines at the bottom
  // (above the log's bottom padding).
  const whole = box.top >= log.top - 1 && box.bottom <= log.bottom + 1;
  return whole || (box.top < log.top && box.bottom <= log.bottom + 1 && box.bottom >= log.bottom - 48);
}"""


def in_view(page: Page, selector: str) -> bool:
    """Whether the last element matching `selector` shows inside the log's visible area (its end, if taller)."""
    return page.evaluate(LOG_BOX, selector)


# 1. Honest page actions


def test_fill_the_contact_form_from_the_home_page(visitor: Page, stack: Stack):
    page = visitor
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "Please fill in the contact form for me: my name is Ana, my email is ana@lima.example")
    # The form lives on /contact: the chat takes the visitor there and fills it once that page has loaded.
    expect(page).to_have_url(f"{stack.bff}/contact", timeout=15_000)
    expect(page.locator("#contact-form [name=name]")).to_have_value("Ana", timeout=10_000)
    expect(page.locator("#contact-form [name=email]")).to_have_value("ana@lima.example")
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(page.locator(f"{W} .note").last).to_have_text("Filled in your work email and name on the contact form")
    said = notes(page)
    assert "Opened the contact page" in said
    assert not [n for n in said if "Correction" in n or "#" in n or "Blocked" in n], said
    assert "taking you there" in last_reply(page).inner_text()
    # The pending action ran once: coming back to the page does not fill the form again.
    page.goto(f"{stack.bff}/contact")
    open_chat(page)
    page.wait_for_timeout(500)
    expect(page.locator("#contact-form [name=name]")).to_have_value("")


def test_a_qr_landing_page_keeps_the_chat_and_offers_links(visitor: Page, stack: Stack):
    page = visitor
    page.goto(f"{stack.bff}/r/maya?src=qr")
    expect(page.locator(f"{W} .panel")).to_be_visible()
    send(page, "What does it cost?")
    card = page.locator(f"{W} a.card").last
    expect(card).to_have_text("Open pricing in a new tab", timeout=15_000)
    expect(card).to_have_attribute("href", f"{stack.bff}/pricing")
    expect(card).to_have_attribute("target", "_blank")
    assert "linked below" in wait_reply(page) and "I've opened" not in last_reply(page).inner_text()
    send(page, "I want to talk to sales")
    expect(page.locator(f"{W} a.card")).to_have_count(2, timeout=15_000)
    expect(page.locator(f"{W} a.card").last).to_have_text("Open contact in a new tab")
    assert "I've opened" not in wait_reply(page)
    assert page.url.startswith(f"{stack.bff}/r/maya"), "the visitor never leaves the chat page"
    assert not [n for n in notes(page) if "Correction" in n or "Blocked" in n]
    with page.context.expect_page() as opened:
        page.locator(f"{W} a.card").last.click()
    new_tab = opened.value
    new_tab.wait_for_load_state()
    assert new_tab.url == f"{stack.bff}/contact"
    new_tab.close()
    assert axe_violations(page) == []


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_a_claimed_action_that_could_not_run_is_corrected(visitor: Page, stack: Stack, direction: str):
    page = visitor
    rtl = direction == "rtl"
    # The reply says it opened the sales dialog, but this plain page has none.
    asked_on(page, f"{stack.host}/?site=correct-{direction}" + ("&dir=rtl&lang=ar" if rtl else ""), "I want to talk to sales")
    expected = "تصحيح: هذه النافذة غير موجودة" if rtl else "Correction: that window is not on this page, so nothing was opened."
    expect(page.locator(f"{W} .note").last).to_contain_text(expected, timeout=10_000)
    assert not re.search(r"#|open_modal|contact\b", " ".join(notes(page)))


def test_a_host_modal_minimises_the_chat_and_gives_it_back(visitor: Page, stack: Stack):
    page = visitor
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "I want to talk to sales")
    expect(page.locator("dialog#contact")).to_be_visible(timeout=15_000)
    # A modal dialog makes the rest of the page inert: the chat steps aside instead of sitting dead behind it.
    expect(page.locator(f"{W} .panel")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#contact")).to_be_hidden()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(page.locator(f"{W} .note").last).to_have_text("Opened “Talk to sales”")
    send(page, "Is there a free trial?")
    assert "14-day free trial" in wait_reply(page, after=2)


# 2. Scrolling like a good chat


def test_sending_while_scrolled_up_brings_the_message_and_reply_into_view(visitor: Page, stack: Stack):
    page = visitor
    streaming_below_history(page, stack, "scroll-send", scroll_to=0)
    expect(page.locator(f"{W} .msg.user").last).to_have_text(f"Tell me about integrations {SLOW}")
    assert in_view(page, ".msg.user")
    page.wait_for_timeout(300)
    assert in_view(page, ".msg.bot"), "the reply streams in view"
    page.locator(f"{W} .stop").click()
    wait_reply(page)


def test_reading_above_while_streaming_never_moves_the_view(visitor: Page, stack: Stack):
    page = visitor
    streaming_below_history(page, stack, "scroll-read")
    shadow(page, "root.querySelector('.log').scrollTop = 200")
    jump = page.locator(f"{W} .jump")
    expect(jump).to_be_visible()
    expect(page.locator(f"{W} [aria-live=polite]")).to_have_text("New messages below")
    seen = set()
    for _ in range(10):
        page.wait_for_timeout(100)
        seen.add(shadow(page, "root.querySelector('.log').scrollTop"))
    assert seen == {200}, f"the view moved while the visitor read above: {seen}"
    assert axe_violations(page) == []
    # Once the reply is taller than the log, going down must show its newest lines.
    page.wait_for_function(
        "() => { const root = document.querySelector('repchat-widget').shadowRoot;"
        " const bots = root.querySelectorAll('.msg.bot');"
        " return bots[bots.length - 1].offsetHeight > root.querySelector('.log').clientHeight; }",
        timeout=10_000,
    )
    # Keyboard: one Shift+Tab from the composer reaches the button; Enter goes down and back to typing.
    page.locator(f"{W} textarea").focus()
    page.keyboard.press("Shift+Tab")
    assert shadow(page, "root.activeElement.className") == "jump"
    page.keyboard.press("Enter")
    expect(jump).to_be_hidden()
    expect(page.locator(f"{W} textarea")).to_be_focused()
    assert in_view(page, ".msg.bot")
    page.locator(f"{W} .stop").click()
    wait_reply(page)


def test_stop_keeps_focus_in_the_composer_and_retry_in_view(visitor: Page, stack: Stack):
    page = visitor
    streaming_below_history(page, stack, "stop-focus")
    page.locator(f"{W} .stop").focus()
    page.keyboard.press("Enter")
    expect(last_reply(page)).to_contain_text("You stopped this reply.")
    expect(page.locator(f"{W} textarea")).to_be_focused()
    expect(page.locator(f"{W} .retry").last).to_be_visible()
    assert in_view(page, ".retry"), "Retry shows inside the visible log"


def test_a_stale_retry_asks_again_at_the_end(visitor: Page, stack: Stack):
    page = visitor
    page.goto(f"{stack.host}/?site=stale-retry")
    open_chat(page)
    stack.emulator.emulator.scenario = Scenario().updated("status=502")
    try:
        send(page, "Do you have an API?")
        expect(page.locator(f"{W} .msg.error")).to_be_visible(timeout=10_000)
    finally:
        stack.emulator.emulator.scenario = Scenario()
    send(page, "Is there a free trial?")
    assert "14-day free trial" in wait_reply(page)
    page.locator(f"{W} .msg.error .retry").click()
    # The earlier question is asked again below the later answer, and its answer comes last.
    expect(page.locator(f"{W} .msg.user")).to_have_count(3)
    expect(page.locator(f"{W} .msg.user").last).to_have_text("Do you have an API?")
    assert "API" in wait_reply(page)
    order = shadow(page, "[...root.querySelectorAll('.msg')].map((m) => m.className).slice(-2)")
    assert order == ["msg user", "msg bot"], order
    expect(page.locator(f"{W} .msg.error")).to_have_count(0)


# 3. Nothing lost, nothing silent


@pytest.fixture(scope="module")
def short_messages() -> Iterator[Stack]:
    """A BFF whose message limit is 300 characters, which its session response announces."""
    with running_stack(bff_options={"max_message_chars": 300}, token_gap=0.0) as running:
        yield running


def test_the_limit_comes_from_the_bff_and_longer_text_is_refused_not_cut(visitor: Page, short_messages: Stack):
    page, stack = visitor, short_messages
    page.goto(f"{stack.host}/?site=limit")
    open_chat(page)
    box = page.locator(f"{W} textarea")
    count = page.locator(f"{W} .count")
    box.fill("a" * 100)
    expect(count).to_be_hidden()
    box.fill("a" * 250)
    expect(count).to_have_text("250 / 300")  # near the BFF's limit, not the default 4,000
    long_text = "b" * 320
    box.fill(long_text)
    refusal = "320 characters: the limit is 300. Shorten your message to send it."
    expect(count).to_have_text(refusal)
    expect(box).to_have_attribute("aria-invalid", "")
    expect(page.locator(f"{W} [aria-live=polite]")).to_have_text(refusal)
    assert axe_violations(page) == []
    messages = len(stack.emulator.journal("message"))
    box.press("Enter")
    page.wait_for_timeout(300)
    expect(page.locator(f"{W} .msg.user")).to_have_count(0)
    expect(box).to_have_value(long_text)  # every word kept, none sent
    assert len(stack.emulator.journal("message")) == messages
    box.fill("Is there a free trial?")
    expect(count).to_be_hidden()
    box.press("Enter")
    assert "14-day free trial" in wait_reply(page, after=1)


def test_stop_in_another_tab_is_reported_as_such(visitor: Page, stack: Stack):
    first = visitor
    second = first.context.new_page()
    for tab in (first, second):
        tab.goto(f"{stack.host}/?site=tabstop2")
        open_chat(tab)
    send(first, f"Tell me about integrations {SLOW}")
    expect(second.locator(f"{W} .stop")).to_be_visible()
    second.locator(f"{W} .stop").click()
    expect(first.locator(f"{W} .msg.bot").last).to_contain_text("This reply was stopped in another tab.")
    expect(second.locator(f"{W} .msg.bot").last).to_contain_text("You stopped this reply.")
    expect(second.locator(f"{W} textarea")).to_be_focused()


# 4. Modes


@pytest.mark.parametrize(
    ("query", "height"),
    [("height=500&width=420", 500), ("height=200&width=420", 360), ("width=420", 620), ("height=500&dir=rtl", 500)],
    ids=["container", "minimum", "no-height", "rtl"],
)
def test_inline_fills_its_container(visitor: Page, stack: Stack, query: str, height: int):
    page = visitor
    page.goto(f"{stack.host}/inline?{query}")
    chat = page.locator("repchat-chat[data-ready]")
    panel = page.locator("repchat-chat .panel")
    expect(panel).to_be_visible()
    box, container = panel.bounding_box(), page.locator("#box").bounding_box()
    assert abs(box["height"] - height) <= 1, (box, query)
    width = 420 if "width" in query else container["width"]
    assert abs(box["width"] - width) <= 1, (box, container)
    assert chat.bounding_box()["height"] == box["height"]
    # The composer and the foot fit inside: nothing spills out of the container's box.
    composer = page.locator("repchat-chat textarea").bounding_box()
    assert composer["y"] + composer["height"] <= box["y"] + box["height"]


# 5. Expected basics


def test_timestamps_and_copy_on_each_answer(visitor: Page, stack: Stack):
    page = visitor
    asked_on(page, f"{stack.host}/?site=basics", "Which integrations do you have?")
    stamps = page.locator(f"{W} .meta time")
    expect(stamps).to_have_count(2)  # the question and the answer
    stamp = stamps.last
    expect(stamp.locator("[aria-hidden=true]")).to_have_text("now")
    exact = page.evaluate(
        "(iso) => new Intl.DateTimeFormat('en', {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(iso))",
        stamp.get_attribute("datetime"),
    )
    expect(stamp).to_have_attribute("title", exact)  # on hover
    expect(stamp.locator(".sr")).to_have_text(exact)  # for screen readers
    copy = page.locator(f"{W} .meta .copy").last
    expect(copy).to_have_accessible_name("Copy this answer")
    copy.click()
    expect(copy).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "**" in copied and "Segment" in copied, "the markdown source, not the rendered text"
    assert copied == shadow(page, "JSON.parse(localStorage.getItem(Object.keys(localStorage)[0])).messages.at(-1).text")


def test_timestamps_are_localised_and_relative(visitor: Page, stack: Stack):
    page = visitor
    page.goto(f"{stack.host}/?site=stamps&lang=es")
    two_days_ago = page.evaluate("Date.now() - 2 * 86400000")
    state = {"token": "", "expiresAt": "", "scanSent": False, "messages": [
        {"role": "user", "text": "Hola", "time": two_days_ago},
        {"role": "bot", "text": "¡Hola!", "status": "done", "time": two_days_ago},
    ]}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [f"repchat:v1:{stack.bff}:stamps", json.dumps(state)])
    page.reload()
    open_chat(page)
    expect(page.locator(f"{W} .meta time [aria-hidden=true]").first).to_have_text("anteayer")
    expect(page.locator(f"{W} .meta .copy")).to_have_text("Copiar")


def test_a_new_conversation_is_confirmed_and_starts_afresh(visitor: Page, stack: Stack):
    page = visitor
    asked_on(page, f"{stack.host}/?site=fresh", "Is there a free trial?")
    key = f"repchat:v1:{stack.bff}:fresh"
    token = json.loads(page.evaluate("(key) => localStorage.getItem(key)", key))["token"]
    fresh = page.locator(f"{W} button.new")
    expect(fresh).to_have_accessible_name("New conversation")
    fresh.click()
    confirm = page.locator(f"{W} .confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Start a new conversation? This one will be cleared from this device.")
    assert shadow(page, "root.activeElement.textContent") == "Start new"
    assert axe_violations(page) == []
    page.keyboard.press("Escape")  # changed their mind
    expect(confirm).to_be_hidden()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(page.locator(f"{W} .msg.user")).to_have_count(1)
    fresh.click()
    page.locator(f"{W} .confirm button", has_text="Start new").click()
    expect(page.locator(f"{W} .msg.user")).to_have_count(0)
    expect(page.locator(f"{W} .msg.bot")).to_have_count(1)  # the greeting
    expect(page.locator(f"{W} textarea")).to_be_focused()
    assert page.evaluate("(key) => localStorage.getItem(key)", key) is None, "the stored transcript is cleared"
    sessions = len(stack.emulator.journal("session"))
    send(page, "Do you have an API?")
    wait_reply(page, after=1)
    assert len(stack.emulator.journal("session")) == sessions + 1
    assert json.loads(page.evaluate("(key) => localStorage.getItem(key)", key))["token"] != token
    page.reload()
    open_chat(page)
    expect(page.locator(f"{W} .msg.user")).to_have_count(1)
