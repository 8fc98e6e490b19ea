"""Widget quality: accessibility, strict CSP, themes, languages, tabs, compaction, attention."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from bff.emulator.scenario import Scenario

from .stack import Stack, running_stack
from .widget_page import W, ask, axe_violations, last_reply, open_chat, replies, save_shot, send, shadow, wait_reply

pytestmark = pytest.mark.e2e
ACCENT = "rgb(37, 99, 235)"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(page: Page, stack: Stack, scheme: str):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{stack.host}/?site=axe-{scheme}")
    open_chat(page)
    send(page, "Do you have an API?")
    wait_reply(page)
    stack.emulator.emulator.scenario = Scenario().updated("status=502")
    try:
        send(page, "And a Ruby library?")
        expect(page.locator(f"{W} .msg.error")).to_be_visible()
    finally:
        stack.emulator.emulator.scenario = Scenario()
    violations = axe_violations(page)
    assert violations == [], violations
    save_shot(page, f"widget-{scheme}.png")


def test_keyboard_only(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=keyboard")
    page.keyboard.press("Tab")
    assert shadow(page, "root.activeElement && root.activeElement.className") == "launcher"
    outline = shadow(page, "getComputedStyle(root.activeElement).outlineStyle")
    assert outline == "solid", "the focused launcher shows a focus ring"
    page.keyboard.press("Enter")
    expect(page.locator(f"{W} .panel")).to_be_visible()
    assert shadow(page, "root.activeElement.id") == "rc-input"
    page.keyboard.type("Is there a free trial?")
    page.keyboard.press("Enter")
    assert "14-day free trial" in wait_reply(page)
    # Every control is reachable: Shift+Tab walks back through the log to the close button.
    seen = set()
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        seen.add(shadow(page, "root.activeElement && (root.activeElement.className || root.activeElement.tagName)"))
    assert {"close", "log"} <= seen
    page.keyboard.press("Escape")
    expect(page.locator(f"{W} .panel")).to_be_hidden()
    assert shadow(page, "root.activeElement.className") == "launcher"


def test_a_strict_csp_page_reports_no_violation_and_the_chat_works(page: Page, stack: Stack):
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(f"{stack.host}/csp?site=csp&lang=es")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    launcher = page.locator(f"{W} .launcher")
    expect(launcher).to_have_css("background-color", ACCENT)
    open_chat(page)
    expect(page.locator(f"{W} .send")).to_have_attribute("aria-label", "Enviar")  # translations load under the CSP
    send(page, "Which integrations do you have? [[fault: gap=0.01]]")
    assert "Segment" in wait_reply(page)
    expect(last_reply(page).locator("strong").first).to_have_css("font-weight", "700")
    expect(page.locator(f"{W} textarea")).to_have_css("font-size", "16px")
    assert page.evaluate("window.__violations") == []


def test_dark_mode_follows_the_system_and_the_attribute_forces_it(page: Page, stack: Stack):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{stack.host}/?site=dark")
    open_chat(page)
    expect(page.locator(f"{W} .panel")).to_have_css("background-color", "rgb(15, 23, 42)")
    page.goto(f"{stack.host}/?site=dark&theme=light")
    open_chat(page)
    expect(page.locator(f"{W} .panel")).to_have_css("background-color", "rgb(255, 255, 255)")
    page.emulate_media(color_scheme="light")
    page.goto(f"{stack.host}/?site=dark&theme=dark")
    open_chat(page)
    expect(page.locator(f"{W} .panel")).to_have_css("background-color", "rgb(15, 23, 42)")


def test_right_to_left_pages_mirror_the_layout(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=rtl&dir=rtl&lang=ar")
    launcher = page.locator(f"{W} .launcher")
    expect(launcher).to_have_attribute("aria-label", "افتح الدردشة")
    assert launcher.bounding_box()["x"] < 100, "the launcher sits on the left of a right-to-left page"
    open_chat(page)
    send(page, "hello")
    wait_reply(page)
    viewport = page.viewport_size
    panel = page.locator(f"{W} .panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= viewport["width"]
    user = page.locator(f"{W} .msg.user").last.bounding_box()
    bot = last_reply(page).bounding_box()
    assert user["x"] < bot["x"], "the visitor's bubbles sit on the left in right-to-left"
    assert shadow(page, "getComputedStyle(root.querySelector('.log')).direction") == "rtl"
    # Each bubble takes its own text's direction: English stays left-to-right
    # (its punctuation where it belongs), Arabic right-to-left.
    assert shadow(page, "[...root.querySelectorAll('.msg')].every((m) => m.getAttribute('dir') === 'auto')")
    assert shadow(page, "root.querySelector('.msg.user').matches(':dir(ltr)')"), "an English message in an Arabic widget"
    assert shadow(page, "[...root.querySelectorAll('.msg.bot')].pop().matches(':dir(ltr)')")
    ask(page, "مرحبا، ما هي الأسعار؟")
    assert shadow(page, "[...root.querySelectorAll('.msg.user')].pop().matches(':dir(rtl)')")
    # The send arrow points the way text goes.
    assert shadow(page, "getComputedStyle(root.querySelector('.send svg')).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
    save_shot(page, "widget-rtl.png")


def test_a_second_language_by_attribute_and_by_browser(browser, stack: Stack):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    try:
        page.goto(f"{stack.host}/?site=lang")
        expect(page.locator(f"{W} .launcher")).to_have_attribute("aria-label", "Chat öffnen")
        page.goto(f"{stack.host}/?site=lang&lang=es")
        open_chat(page)
        expect(page.locator(f"{W} textarea")).to_have_attribute("placeholder", "Escribe un mensaje…")
        expect(page.locator(f"{W} .foot")).to_have_text("Las respuestas las genera una IA y pueden contener errores.")
    finally:
        context.close()


def test_two_tabs_share_one_conversation_and_one_stream(context: BrowserContext, stack: Stack):
    first, second = context.new_page(), context.new_page()
    streams = {first: 0, second: 0}
    for tab in (first, second):
        tab.on("request", lambda request, tab=tab: streams.__setitem__(tab, streams[tab] + request.url.endswith("/v1/messages")))
        tab.goto(f"{stack.host}/?site=tabs")
        open_chat(tab)
    shown = replies(second)
    send(first, "Which integrations do you have? [[fault: gap=0.03]]")
    expect(second.locator(f"{W} .msg.user").last).to_have_text("Which integrations do you have? [[fault: gap=0.03]]")
    expect(second.locator(f"{W} .stop")).to_be_visible()  # the other tab shows the reply is being written
    partial = second.locator(f"{W} .msg.bot").nth(shown)
    expect(partial).to_contain_text("Lumen connects", timeout=10_000)
    assert partial.get_attribute("aria-busy") == "true", "tokens arrive in the other tab while streaming"
    final = wait_reply(first)
    expect(partial).to_have_text(final)
    expect(second.locator(f"{W} .stop")).to_be_hidden()
    assert streams == {first: 1, second: 0}, "only the sending tab holds the network stream"
    send(second, "Is there a free trial?")
    expect(first.locator(f"{W} .msg.bot").last).to_contain_text("14-day free trial", timeout=10_000)
    wait_reply(second)
    assert streams == {first: 1, second: 1}
    first.reload()
    expect(first.locator(f"{W} .msg.user")).to_have_count(2)


def test_stop_from_the_other_tab(context: BrowserContext, stack: Stack):
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        tab.goto(f"{stack.host}/?site=tabstop")
        open_chat(tab)
    send(first, "Which integrations do you have? [[fault: gap=0.2]]")
    expect(second.locator(f"{W} .stop")).to_be_visible()
    second.locator(f"{W} .stop").click()
    # Each tab says who stopped it: the writer was stopped from elsewhere, the other tab's visitor pressed Stop.
    expect(first.locator(f"{W} .msg.bot").last).to_contain_text("This reply was stopped in another tab.")
    expect(second.locator(f"{W} .msg.bot").last).to_contain_text("You stopped this reply.")
    expect(second.locator(f"{W} textarea")).to_be_focused()


@pytest.fixture(scope="module")
def small_window() -> Iterator[Stack]:
    """A stack whose upstream has a small context window, so compaction comes soon."""
    with running_stack(token_gap=0.0, max_tokens=600) as running:
        yield running


def test_automatic_compaction_shows_the_recap(page: Page, small_window: Stack):
    page.goto(f"{small_window.host}/?site=compact")
    open_chat(page)
    for question in ("Which integrations?", "Is it secure?", "Do you have an API?"):
        ask(page, question)
        page.wait_for_timeout(200)
    recap = page.locator(f"{W} details.recap")
    expect(recap).to_have_count(1, timeout=10_000)
    expect(recap.locator("summary")).to_have_text("Earlier messages were summarized")
    expect(recap.locator(".msg")).to_be_hidden()  # collapsed until asked for
    recap.locator("summary").click()
    expect(recap.locator(".msg")).to_contain_text('Recap so far: the visitor asked "Which integrations?"')
    usage = page.evaluate("RepChat.contextUsage()")
    assert usage["percentUsed"] < 80 and usage["maxTokens"] == 600
    assert [e["kind"] for e in small_window.emulator.journal() if e["kind"] == "compact"] == ["compact"]
    page.reload()
    expect(page.locator(f"{W} details.recap")).to_have_count(1)


def test_manual_compaction_from_the_host(page: Page, small_window: Stack):
    page.goto(f"{small_window.host}/?site=manual&compact-at=0")
    open_chat(page)
    for question in ("hello", "Which integrations?", "Is it secure?"):
        ask(page, question)
    page.wait_for_timeout(200)
    assert page.evaluate("RepChat.compact()") is True
    expect(page.locator(f"{W} details.recap")).to_have_count(1)


def test_greeting_preview_and_unread_badge(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=attention&preview=0.5")
    preview = page.locator(f"{W} .preview")
    expect(preview).to_be_visible(timeout=5000)
    expect(preview.locator(".teaser")).to_have_text("Hi! How can I help you today?")
    preview.locator(".teaser").click()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(preview).to_have_count(0)
    send(page, "Which integrations do you have? [[fault: gap=0.05]]")
    page.keyboard.press("Escape")
    badge = page.locator(f"{W} .badge")
    expect(badge).to_have_text("1", timeout=15_000)
    expect(page.locator(f"{W} .launcher")).to_have_attribute("aria-label", "Open chat (1 new)")
    open_chat(page)
    expect(badge).to_be_hidden()


def test_the_preview_stays_dismissed(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=dismiss&preview=0.3")
    page.locator(f"{W} .preview .dismiss").click()
    page.reload()
    page.wait_for_timeout(1000)
    expect(page.locator(f"{W} .preview")).to_have_count(0)


def test_replies_are_announced_once_when_complete(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=announce")
    open_chat(page)
    page.evaluate(
        """() => {
          const live = document.querySelector('repchat-widget').shadowRoot.querySelector('[aria-live=polite]');
          window.__announcements = [];
          new MutationObserver(() => live.textContent && window.__announcements.push(live.textContent))
            .observe(live, {childList: true, characterData: true, subtree: true});
        }"""
    )
    send(page, "Is there a free trial? [[fault: gap=0.02]]")
    wait_reply(page)
    page.wait_for_timeout(300)
    announcements = page.evaluate("window.__announcements")
    assert len(announcements) == 1 and announcements[0].startswith("The Representative replied: Every paid plan")
    assert shadow(page, "root.querySelector('.log').getAttribute('aria-live')") is None, "the log itself is not live"


def test_phone_screenshot_and_viewport_sizing(browser, stack: Stack, playwright):
    context = browser.new_context(**playwright.devices["iPhone 13"])
    page = context.new_page()
    try:
        page.goto(f"{stack.bff}/demo")
        page.locator(f"{W} .launcher").tap()
        height = page.evaluate("Math.round(visualViewport.height) + 'px'")
        assert page.locator(W).evaluate("e => e.style.getPropertyValue('--rc-vh')") == height
        send(page, "Which integrations do you have?")
        wait_reply(page)
        save_shot(page, "widget-phone.png")
    finally:
        context.close()
