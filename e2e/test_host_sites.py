"""The owner's real site, in Chromium: body swaps, a cookie banner, owner styles, phones (issue 18)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from bff.emulator.composer import long_reply

from .stack import Stack
from .widget_page import W, ask, open_chat, send, shadow, wait_reply

pytestmark = pytest.mark.e2e
SLOW = "Which integrations do you have? [[fault: words=120, gap=0.03]]"  # a reply that streams for seconds


def words(text: str) -> list[str]:
    """The words of a reply, as markdown source or as shown (no emphasis marks, list markers or headings' #)."""
    return [word for word in re.sub(r"[*`#]", "", text).split() if not re.fullmatch(r"-|\d+\.", word)]


def next_page(page: Page, site: str, n: int) -> None:
    """Follow the site's own link, as a visitor would; the site swaps its body without a page load."""
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"page {n}$"))
    expect(page).to_have_url(re.compile(f"/sites/{site}/{n}$"))


@pytest.mark.parametrize("site", ["turbo", "spa"])
def test_the_chat_survives_five_navigations_of_a_site_that_swaps_its_body(page: Page, stack: Stack, site: str):
    page.goto(f"{stack.host}/sites/{site}/1")
    page.evaluate("window.__sameDocument = true")  # gone if any navigation were a full page load
    open_chat(page)
    first = ask(page, "Is there a free trial?")
    before = len(stack.emulator.journal("message"))
    send(page, SLOW)
    expect(page.locator(f"{W} .stop")).to_be_visible()  # the reply is streaming
    next_page(page, site, 2)
    if site == "turbo":
        # A Turbo refresh morphs the page in place (turbo-refresh-method=morph).
        page.evaluate("Turbo.visit(location.href, {action: 'replace'})")
        page.wait_for_function("document.documentElement.hasAttribute('data-turbo-preview') === false")
    for n in range(3, 7):
        next_page(page, site, n)
    assert page.evaluate("window.__sameDocument") is True
    # One widget, still open, with the whole conversation; the reply that was streaming finished.
    expect(page.locator(W)).to_have_count(1)
    expect(page.locator(f"{W} .panel")).to_be_visible()
    shown = wait_reply(page, timeout=30_000)
    assert words(shown) == words(long_reply(120))  # every token, none twice
    expect(page.locator(f"{W} .msg.user")).to_have_count(2)
    assert page.locator(f"{W} .msg.bot").nth(-2).inner_text() == first
    expect(page.locator(f"{W} .msg.error")).to_have_count(0)
    # Page context follows the URL the site is on now.
    ask(page, "Do you offer onboarding?")
    sent = stack.emulator.journal("message")[before + 1]
    assert sent["uiContext"]["currentPage"] == f"/sites/{site}/6"


def test_the_launcher_rises_above_a_cookie_banner_and_comes_back_when_it_goes(page: Page, stack: Stack):
    page.goto(f"{stack.host}/sites/banner")
    launcher, banner = page.locator(f"{W} .launcher"), page.locator("#consent")
    expect(launcher).to_be_visible()
    height = page.viewport_size["height"]
    banner_top = banner.bounding_box()["y"]
    page.wait_for_function(
        f"() => document.querySelector('{W}').shadowRoot.querySelector('.launcher').getBoundingClientRect().bottom"
        f" <= {banner_top}"
    )
    page.locator("#accept").click()  # the banner's own button is not under the launcher
    page.wait_for_function(
        f"() => document.querySelector('{W}').shadowRoot.querySelector('.launcher').getBoundingClientRect().bottom"
        f" === {height - 20}"
    )
    open_chat(page)
    box = page.locator(f"{W} .panel").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height


def test_owners_place_and_style_the_widget_with_documented_properties_and_parts(page: Page, stack: Stack):
    page.goto(f"{stack.host}/sites/styled")
    launcher = page.locator(f"{W} .launcher")
    expect(launcher).to_be_visible()
    viewport, box = page.viewport_size, launcher.bounding_box()
    assert round(viewport["height"] - (box["y"] + box["height"])) == 90
    assert round(viewport["width"] - (box["x"] + box["width"])) == 40
    assert page.locator(W).evaluate("host => getComputedStyle(host).zIndex") == "10"
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(1, 2, 3)"
    open_chat(page)
    ask(page, "```\nprint('hi')\n```\n\n[[fault: echo]]")
    styled = {
        "header": "rgb(4, 5, 6)", "composer": "rgb(7, 8, 9)", "bubble": "rgb(10, 11, 12)", "code": "rgb(13, 14, 15)",
    }
    for part, color in styled.items():
        element = page.locator(f"{W} [part~='{part}']").last
        assert element.evaluate("e => getComputedStyle(e).outlineColor") == color, part


def test_a_larger_panel_on_desktops_that_stays_larger(page: Page, stack: Stack):
    page.goto(f"{stack.host}/?site=expand")
    open_chat(page)
    panel, grow = page.locator(f"{W} .panel"), page.get_by_role("button", name="Larger panel")
    width = panel.bounding_box()["width"]
    expect(grow).to_have_attribute("aria-pressed", "false")
    grow.click()
    expect(grow).to_have_attribute("aria-pressed", "true")
    assert panel.bounding_box()["width"] == min(760, page.viewport_size["width"] - 40) > width
    page.reload()
    open_chat(page)
    expect(page.get_by_role("button", name="Larger panel")).to_have_attribute("aria-pressed", "true")
    assert page.locator(f"{W} .panel").bounding_box()["width"] > width
    page.get_by_role("button", name="Larger panel").click()
    assert page.locator(f"{W} .panel").bounding_box()["width"] == width


@pytest.fixture
def phone(browser: Browser, playwright: Playwright) -> Iterator[Page]:
    context = browser.new_context(**playwright.devices["Pixel 7"])
    yield context.new_page()
    context.close()


def test_on_a_phone_the_keyboard_waits_for_a_tap_on_the_composer(phone: Page, stack: Stack):
    page = phone
    page.goto(f"{stack.host}/?site=touch")
    page.locator(f"{W}[data-ready]").wait_for(state="attached")
    page.locator(f"{W} .launcher").tap()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    textarea = page.locator(f"{W} textarea")
    expect(textarea).not_to_be_focused()  # the greeting is readable, no keyboard over it
    assert shadow(page, "root.activeElement && root.activeElement.getAttribute('role')") == "log"
    expect(page.get_by_role("button", name="Larger panel")).to_be_hidden()  # the panel is the whole screen
    textarea.tap()
    expect(textarea).to_be_focused()
    assert textarea.evaluate("e => getComputedStyle(e).fontSize") == "16px"  # no zoom on focus
