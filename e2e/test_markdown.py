"""Markdown replies in Chromium: tables, nested lists, code in lists and the copy button, in light, dark and Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .conftest import Stack
from .test_quality import axe_violations, save_shot
from .test_widget import W, last_reply, open_chat, send, wait_reply

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


def show_reply(page: Page, stack: Stack, variant: str) -> None:
    page.goto(f"{stack.host}/?site=md-{variant}&{VARIANTS[variant]['query']}")
    open_chat(page)
    send(page, REPLY + " [[fault: echo]]")
    wait_reply(page)


@pytest.fixture
def clipboard_context(context: BrowserContext, stack: Stack) -> BrowserContext:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.host)
    return context


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_tables_nested_lists_and_code_in_a_list(clipboard_context: BrowserContext, stack: Stack, variant: str):
    page = clipboard_context.new_page()
    show_reply(page, stack, variant)
    reply = last_reply(page)

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
    show_reply(page, stack, "light")
    button = last_reply(page).locator("button.copy")
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
    page.goto(f"{stack.host}/csp?site=md-csp")
    open_chat(page)
    send(page, REPLY + "\n![chart](https://images.example/chart.png) [[fault: echo]]")
    wait_reply(page)
    reply = last_reply(page)
    expect(reply.locator("table")).to_be_visible()
    expect(reply.locator("img")).to_have_count(0)  # no image host listed: a link to it
    expect(reply.locator("a", has_text="chart")).to_have_attribute("href", "https://images.example/chart.png")
    expect(reply.locator("th").first).to_have_css("font-weight", "600")
    assert page.evaluate("window.__violations") == []
