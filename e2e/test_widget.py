"""The widget as a visitor uses it, in Chromium, against the BFF and the emulator."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from bff.emulator.scenario import Scenario
from bff.page_templates import STATIC_DIR
from tests.servers import API_KEY

from .stack import ARTIFACTS, Stack
from .widget_page import W, ask, last_reply, open_chat, send, wait_reply

pytestmark = pytest.mark.e2e


WATCH_RENDERS = """() => {
  const root = document.querySelector('repchat-widget').shadowRoot;
  window.__lengths = [];
  window.__first = null;
  new MutationObserver(() => {
    const bots = root.querySelectorAll('.msg.bot');
    const bubble = bots[bots.length - 1];
    window.__lengths.push(bubble.textContent.length);
    if (!window.__first && bubble.children.length >= 2) window.__first = bubble.firstElementChild;
  }).observe(root, {subtree: true, childList: true, characterData: true});
}"""


def test_a_reply_streams_in_and_renders_markdown(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    expect(page.locator(f"{W} textarea")).to_be_focused()
    page.evaluate(WATCH_RENDERS)
    send(page, "What does it cost? [[fault: gap=0.02]]")
    expect(page.locator(f"{W} .msg.user").last).to_have_text("What does it cost? [[fault: gap=0.02]]")
    expect(page).to_have_url(re.compile(r"/pricing$"), timeout=15_000)


def test_tokens_arrive_one_by_one_and_finished_blocks_stay_put(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/pricing")
    open_chat(page)
    page.evaluate(WATCH_RENDERS)
    send(page, "how much? [[fault: gap=0.02]]")
    text = wait_reply(page)
    assert "Starter" in text and "Enterprise" in text
    lengths = page.evaluate("window.__lengths")
    partial = sorted({n for n in lengths if 0 < n < max(lengths)})
    assert len(partial) >= 10, f"expected many partial renders, saw {partial}"
    kept = page.evaluate("""() => {
      const root = document.querySelector('repchat-widget').shadowRoot;
      const bots = root.querySelectorAll('.msg.bot');
      const bubble = bots[bots.length - 1];
      return window.__first !== null && window.__first.isConnected && bubble.firstElementChild === window.__first;
    }""")
    assert kept, "the first paragraph was rebuilt while later tokens streamed"
    reply = last_reply(page)
    expect(reply.locator("ul > li")).to_have_count(4)
    expect(reply.locator("strong").first).to_have_text("Starter")


def test_navigate_moves_the_page_and_the_chat_follows(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "What does it cost?")
    expect(page).to_have_url(f"{stack.bff}/pricing", timeout=15_000)
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(page.locator(f"{W} .note").last).to_have_text("Opened the pricing page")
    expect(page.locator(f"{W} .msg.user").last).to_have_text("What does it cost?")


def test_open_modal_opens_the_hosts_dialog(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "I want to talk to sales")
    expect(page.locator("dialog#contact")).to_be_visible(timeout=15_000)
    assert page.evaluate("document.getElementById('contact').open")
    expect(page.locator(f"{W} .note").last).to_have_text("Opened “Talk to sales”")


def test_fill_form_fills_ordinary_fields_only(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/contact")
    open_chat(page)
    send(page, "Please fill the form, my email is ana@lima.example and my name is Ana Lima")
    expect(page.locator("#contact-form [name=email]")).to_have_value("ana@lima.example", timeout=15_000)
    expect(page.locator("#contact-form [name=name]")).to_have_value("Ana Lima")
    expect(page.locator("#contact-form [name=account_password]")).to_have_value("")
    expect(page.locator(f"{W} .note").last).to_have_text("Filled in your work email and name on the contact form")


def test_page_context_reaches_upstream_without_secrets(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/contact?plan=team&token=secret123")
    page.fill("#contact-form [name=company]", "Acme")
    page.select_option("#contact-form [name=plan]", "team")
    page.fill("#contact-form [name=phone]", "+1 555 0100")
    page.fill("#contact-form [name=account_password]", "hunter2")
    page.locator("label", has_text="Company").click()
    open_chat(page)
    before = len(stack.emulator.journal("message"))
    send(page, "Is there a free trial?")
    wait_reply(page)
    entry = stack.emulator.journal("message")[before]
    ui = entry["uiContext"]
    assert ui["currentPage"] == "/contact?plan=team"
    assert ui["formData"]["company"] == "Acme" and ui["formData"]["plan"] == "team"
    for secret in ("account_password", "phone", "csrf"):
        assert secret not in ui["formData"]
    assert "Company" in ui["selectedElements"]
    assert entry["scanContext"]["source"] == "web"
    assert entry["scanContext"]["pageUrl"].endswith("/contact?plan=team")


def test_stop_cancels_the_upstream_reply(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    before = len(stack.emulator.journal("message"))
    send(page, "What does it cost? [[fault: gap=0.15]]")
    expect(last_reply(page)).to_contain_text("pricing", timeout=10_000)
    page.locator(f"{W} .stop").click()
    expect(last_reply(page)).to_contain_text("You stopped this reply.")
    entry = stack.emulator.journal("message")[before]
    deadline = time.monotonic() + 5
    while entry["outcome"] == "streaming" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert entry["outcome"] == "cancelled"
    expect(page).to_have_url(f"{stack.bff}/demo")  # a stopped reply runs no commands


def test_an_upstream_fault_shows_an_error_and_retry_resends_once(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "hello")
    wait_reply(page)
    emulator = stack.emulator.emulator
    emulator.scenario = Scenario().updated("status=502")
    try:
        send(page, "Do you have an API?")
        error = page.locator(f"{W} .msg.error")
        expect(error).to_contain_text("The chat isn't answering right now.", timeout=10_000)
        expect(page.locator(f"{W} .msg.user").last).to_have_text("Do you have an API?")
        messages_before_retry = len(stack.emulator.journal("message"))
    finally:
        emulator.scenario = Scenario()
    time.sleep(0.3)
    assert len(stack.emulator.journal("message")) == messages_before_retry, "nothing is re-sent on its own"
    error.locator(".retry").click()
    expect(last_reply(page)).to_contain_text("REST API", timeout=10_000)
    expect(page.locator(f"{W} .msg.error")).to_have_count(0)
    expect(page.locator(f"{W} .msg.user")).to_have_count(2)


def test_a_dropped_stream_is_marked_interrupted(page: Page, stack: Stack):
    page.goto(f"{stack.bff}/demo")
    open_chat(page)
    send(page, "What does it cost? [[fault: drop-after=5]]")
    expect(last_reply(page)).to_contain_text("interrupted", timeout=10_000)
    expect(last_reply(page).locator(".retry")).to_be_visible()
    expect(page).to_have_url(f"{stack.bff}/demo")


def test_reload_keeps_the_transcript(page: Page, stack: Stack):
    page.goto(f"{stack.host}/")
    open_chat(page)
    send(page, "Is there a free trial?")
    first = wait_reply(page)
    page.reload()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(page.locator(f"{W} .msg.user")).to_have_text(["Is there a free trial?"])
    expect(last_reply(page)).to_have_text(first)


def test_a_reload_mid_reply_resumes_the_same_reply(page: Page, stack: Stack):
    before = len(stack.emulator.journal("message"))
    page.goto(f"{stack.host}/")
    open_chat(page)
    send(page, "Which integrations do you have? [[fault: gap=0.05]]")
    expect(last_reply(page)).to_contain_text("Lumen connects", timeout=10_000)
    page.wait_for_timeout(600)  # let the partial reply be saved
    page.reload()
    text = wait_reply(page)
    assert text.startswith("Lumen connects to") and text.endswith("webhooks.")
    assert text.count("Lumen connects") == 1, "nothing shown twice"
    assert "interrupted" not in text
    assert len(stack.emulator.journal("message")) == before + 1, "the reply was generated once"
    assert stack.emulator.journal("message")[before]["outcome"] == "completed"
    expect(page.locator(f"{W} .msg.user")).to_have_count(1)


def test_an_expired_token_is_renewed_and_noted(page: Page, stack: Stack):
    page.goto(f"{stack.host}/")
    open_chat(page)
    send(page, "hello")
    wait_reply(page)
    page.evaluate("""() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('repchat:v1:'));
      const state = JSON.parse(localStorage.getItem(key));
      state.token = state.token.slice(0, -4) + 'AAAA';
      localStorage.setItem(key, JSON.stringify(state));
    }""")
    page.reload()
    send(page, "Is there a free trial?")
    expect(last_reply(page)).to_contain_text("14-day free trial", timeout=10_000)
    expect(page.locator(f"{W} .note")).to_contain_text(["a new one was started"])


def test_embedded_in_a_plain_page_on_another_origin(page: Page, stack: Stack):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{stack.host}/")
    assert not stack.host.startswith(stack.bff)
    open_chat(page)
    send(page, "Which integrations do you have?")
    assert "Segment" in wait_reply(page)
    assert any(url.startswith(f"{stack.bff}/v1/messages") for url in requests)
    expect(page.locator("#para")).to_have_css("font-family", re.compile(".+"))


def test_a_phone_gets_the_chat_full_screen(browser, stack: Stack, playwright):
    context = browser.new_context(**playwright.devices["Pixel 7"])
    page = context.new_page()
    try:
        page.goto(f"{stack.bff}/demo")
        page.locator(f"{W} .launcher").click()
        panel = page.locator(f"{W} .panel")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        viewport = page.viewport_size
        assert box["x"] == 0 and box["y"] == 0
        assert abs(box["width"] - viewport["width"]) <= 1 and abs(box["height"] - viewport["height"]) <= 1
        size = page.locator(f"{W} textarea").evaluate("e => getComputedStyle(e).fontSize")
        assert size == "16px"  # smaller inputs make iOS zoom on focus
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone.png"))
    finally:
        context.close()


def test_the_api_key_never_reaches_the_browser(page: Page, stack: Stack):
    seen: list[bytes] = []

    def record(response):
        seen.append(str(response.headers).encode())
        seen.append((response.request.post_data or "").encode())
        seen.append(str(response.request.headers).encode())
        try:
            seen.append(response.body())
        except Exception:
            pass  # streamed bodies are read through the page below

    page.on("response", record)
    page.goto(f"{stack.bff}/contact")
    open_chat(page)
    send(page, "I want to talk to sales")
    wait_reply(page)
    streamed = page.evaluate("""async (base) => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('repchat:v1:'));
      const token = JSON.parse(localStorage.getItem(key)).token;
      const headers = {authorization: 'Bearer ' + token, 'content-type': 'application/json'};
      const usage = await (await fetch(base + '/v1/context-usage', {headers})).text();
      const reply = await (await fetch(base + '/v1/messages', {method: 'POST', headers, body: JSON.stringify({content: 'hi'})})).text();
      return usage + reply + document.documentElement.outerHTML + JSON.stringify(localStorage);
    }""", stack.bff)
    seen.append(streamed.encode())
    assert len(seen) > 5
    assert not any(API_KEY.encode() in chunk for chunk in seen)


def test_a_chat_that_cannot_load_says_so_and_retry_loads_it(page: Page, stack: Stack):
    """widget.js alone shows the launcher; the conversation UI is a second script, loaded on intent."""
    blocked: list[str] = []

    def block(route) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route("**/widget/chunk.*.js", block)
    page.goto(stack.host)
    launcher = page.locator(f"{W} .launcher")
    launcher.click()
    notice = page.locator(f"{W} [role=alert]")
    expect(notice).to_contain_text("The chat could not load. Check your connection and retry.")
    expect(page.locator(f"{W} .panel")).to_have_count(0)
    assert blocked and all("/widget/chunk." in url for url in blocked)
    assert page.evaluate("getComputedStyle(document.querySelector('repchat-widget').shadowRoot.querySelector('.launcher [data-icon]')).transform") == "none"

    page.unroute("**/widget/chunk.*.js")
    notice.get_by_role("button", name="Retry").click()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(notice).to_have_count(0)
    assert "trial" in ask(page, "Is there a free trial?").lower()

    # Beside a launcher on the left (a right-to-left page), the notice stays on screen.
    page.route("**/widget/chunk.*.js", lambda route: route.abort())
    page.goto(f"{stack.host}/?site=rtl-notice&dir=rtl&lang=ar")
    page.locator(f"{W} .launcher").click()
    box = page.locator(f"{W} [role=alert]").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def test_a_widget_js_from_an_earlier_deploy_gets_the_current_chunk_if_it_fits(page: Page, stack: Stack):
    """A cached widget.js names a chunk the BFF no longer has: it is sent to the current one."""
    current = re.search(r"chunk\.[0-9a-f]{16}\.js", (STATIC_DIR / "widget.js").read_text()).group(0)

    def earlier_widget(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(current, "chunk.0123456789abcdef.js"))

    page.route("**/widget.js", earlier_widget)
    page.goto(stack.host)
    open_chat(page)
    assert "trial" in ask(page, "Is there a free trial?").lower()

    # A chunk whose contract with widget.js changed does not run: the visitor is told.
    def other_contract(route) -> None:
        response = route.fetch()
        body = re.sub(r"contract:(\d+),", lambda m: f"contract:{int(m.group(1)) + 1},", response.text(), count=1)
        assert body != response.text()
        route.fulfill(response=response, body=body)

    page.route("**/widget/chunk.*.js", other_contract)
    page.evaluate("localStorage.clear()")
    page.reload()
    page.locator(f"{W} .launcher").click()
    expect(page.locator(f"{W} [role=alert]")).to_contain_text("The chat could not load.")
    expect(page.locator(f"{W} .panel")).to_have_count(0)


def test_clicking_again_while_the_chat_loads_still_opens_it(page: Page, stack: Stack):
    held: list = []
    page.route("**/widget/chunk.*.js", lambda route: held.append(route))  # held until the visitor has clicked twice
    page.goto(stack.host)
    launcher = page.locator(f"{W} .launcher")
    launcher.click()
    launcher.click()  # the visitor saw nothing happen yet
    while not held:
        page.wait_for_timeout(20)
    expect(page.locator(f"{W} .panel")).to_have_count(0)
    held[0].continue_()
    expect(page.locator(f"{W} .panel")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(launcher).not_to_have_attribute("aria-busy", "true")
