"""Markdown replies in Chromium: tables, nested lists, code in lists and the copy button, in light, dark and Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from .stack import Stack
from .widget_page import W, axe_violations, last_reply, open_chat, save_shot, send, wait_reply

pytestmark = pytest.mark.e2e

# What a model writes when asked to compare plans and explain a setup.
REPLY = """### Plans compared

| Plan | Price | Seats | Events per month | Support | Data retention |
|:-----|------:|:-----:|------------------|---------|----------------|
| Starter | $0 | 1 | 10,000 | Community forum | 30 days |
| Team | $49 | 10 | 1,000,000 | Email, next business day | 1 year |

What you get:

- Funnels
    - by step
    - by week
- ~~Spreadsheets~~ Dashboards

1. Install the library:

   ```sh
   npm install @lumen/track --save
   ```

2. Call `track()` where it matters. See [the docs](https://docs.example/setup_(v2)) or www.example.com.
"""
CODE = "npm install @lumen/track --save\n"
VARIANTS = {
    "light": {"query": "theme=light", "copied": "Copied"},
    "dark": {"query": "theme=dark", "copied": "Copied"},
    "ar": {"query": "lang=ar", "copied": "تم النسخ"},
}


def echo(page: Page, url: str, markdown: str) -> Locator:
    """Open the chat at `url`, have the emulator reply with `markdown`, and return that reply."""
    page.goto(url)
    open_chat(page)
    send(page, markdown + " [[fault: echo]]")
    wait_reply(page)
    return last_reply(page)


def show_reply(page: Page, stack: Stack, variant: str) -> Locator:
    return echo(page, f"{stack.host}/?site=md-{variant}&{VARIANTS[variant]['query']}", REPLY)


@pytest.fixture
def clipboard_context(context: BrowserContext, stack: Stack) -> BrowserContext:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.host)
    return context


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_tables_nested_lists_and_code_in_a_list(clipboard_context: BrowserContext, stack: Stack, variant: str):
    page = clipboard_context.new_page()
    reply = show_reply(page, stack, variant)

    # The table, with its alignment, scrolls sideways inside the bubble instead of widening it.
    table = reply.locator(".table")
    expect(table.locator("th")).to_have_text(["Plan", "Price", "Seats", "Events per month", "Support", "Data retention"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("td").nth(1)).to_have_css("text-align", "right")
    sizes = table.evaluate("(el) => [el.scrollWidth, el.clientWidth, el.closest('.msg').getBoundingClientRect().right,"
                           " el.closest('.log').getBoundingClientRect().right]")
    assert sizes[0] > sizes[1], f"a wide table scrolls sideways: {sizes}"
    assert sizes[2] <= sizes[3] + 1, f"the bubble stays inside the log: {sizes}"

    # Nested lists stay nested; a code block inside a numbered step keeps the numbering.
    expect(reply.locator("ul > li > ul > li")).to_have_text(["by step", "by week"])
    expect(reply.locator("del")).to_have_text("Spreadsheets")
    steps = reply.locator("ol > li")
    expect(steps).to_have_count(2)
    expect(steps.first.locator(".code-lang")).to_have_text("sh")
    expect(steps.first.locator("pre code")).to_have_text(CODE)
    expect(steps.nth(1).locator("a").first).to_have_attribute("href", "https://docs.example/setup_(v2)")
    expect(steps.nth(1).locator("a").nth(1)).to_have_attribute("href", "http://www.example.com")
    expect(reply.locator(".code")).to_have_css("direction", "ltr")

    # The copy button copies the code and says so, to the eye and to screen readers.
    button = steps.first.locator("button.copy")
    button.click()
    expect(button).to_have_text(VARIANTS[variant]["copied"])
    expect(page.locator(f"{W} [aria-live=polite]")).to_have_text(VARIANTS[variant]["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == CODE

    violations = axe_violations(page)
    assert violations == [], violations
    save_shot(page, f"widget-markdown-{variant}.png")
    page.close()


def test_copy_falls_back_when_the_clipboard_api_refuses(clipboard_context: BrowserContext, stack: Stack):
    page = clipboard_context.new_page()
    # As inside an iframe without clipboard permission: writeText rejects.
    page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));")
    button = show_reply(page, stack, "light").locator("button.copy")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == CODE
    page.close()


def test_markdown_under_a_strict_csp_reports_no_violation(page: Page, stack: Stack):
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    reply = echo(page, f"{stack.host}/csp?site=md-csp", REPLY + "\n![chart](https://images.example/chart.png)")
    expect(reply.locator("table")).to_be_visible()
    expect(reply.locator("img")).to_have_count(0)  # no image host listed: a link to it
    expect(reply.locator("a", has_text="chart")).to_have_attribute("href", "https://images.example/chart.png")
    expect(reply.locator("th").first).to_have_css("font-weight", "600")
    assert page.evaluate("window.__violations") == []


def test_images_show_only_from_hosts_the_owner_lists(page: Page, stack: Stack):
    reply = echo(page, f"{stack.host}/?site=md-images&image-hosts=images.example",
                 "![chart](https://images.example/chart.png) and ![pixel](https://tracker.example/p.gif)")
    image = reply.locator("img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("src", "https://images.example/chart.png")
    expect(image).to_have_attribute("alt", "chart")
    expect(image).to_have_attribute("referrerpolicy", "no-referrer")
    expect(reply.locator("a", has_text="pixel")).to_have_attribute("href", "https://tracker.example/p.gif")


def test_a_link_whose_text_names_another_site_shows_where_it_goes(page: Page, stack: Stack):
    reply = echo(page, f"{stack.host}/?site=md-links", "Log in at [https://bank.example/login](https://evil.example/login). <b>bold?</b>")
    expect(reply.locator("a")).to_have_text("https://evil.example/login")
    expect(reply.locator("b")).to_have_count(0)
    expect(reply).to_contain_text("<b>bold?</b>")
