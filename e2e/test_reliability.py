"""Faults and attacks, seen by a visitor in Chromium: nothing lost, nothing run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bff.app import create_app
from bff.dev.processes import listening_socket
from bff.dev.server import BackgroundServer
from tests.servers import RunningEmulator, bff_settings, start_emulator
from tests.faults import FAULTS, Fault

from .stack import host_page, url_of
from .proxy import CuttableProxy
from .widget_page import W, last_reply, open_chat, replies, send, wait_reply

pytestmark = pytest.mark.e2e


@dataclass
class Rig:
    emulator: RunningEmulator
    host: str  # a page whose widget reaches the BFF through a proxy the test can cut
    dead_host: str  # a page whose BFF cannot reach any upstream
    proxy: CuttableProxy


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    emulator = start_emulator(token_gap=0.01)
    bff_sock, host_sock, dead_sock, dead_host_sock = (listening_socket() for _ in range(4))
    proxy = CuttableProxy(bff_sock.getsockname()[1])
    proxy_url = proxy.start()
    origins = (url_of(host_sock), url_of(dead_host_sock))
    strict = bff_settings(emulator.url, read_timeout=1.0, max_frame_bytes=64 * 1024, allowed_origins=origins)
    dead = bff_settings("http://127.0.0.1:9", connect_timeout=0.5, allowed_origins=origins)
    servers = [
        BackgroundServer(create_app(strict), sock=bff_sock),
        BackgroundServer(host_page(proxy_url), sock=host_sock),
        BackgroundServer(create_app(dead), sock=dead_sock),
        BackgroundServer(host_page(url_of(dead_sock)), sock=dead_host_sock),
    ]
    for server in servers:
        server.start()
    yield Rig(emulator, servers[1].url, servers[3].url, proxy)
    proxy.stop()
    for server in servers:
        server.stop()
    emulator.server.stop()


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_the_visitor_sees_each_fault_and_keeps_the_message(page: Page, rig: Rig, fault: Fault):
    page.goto(f"{rig.dead_host if fault.name == 'connection refused' else rig.host}/?site=fault-{FAULTS.index(fault)}")
    open_chat(page)
    shown = replies(page)
    message = f"Which integrations do you have? [[fault: {fault.spec}]]" if fault.spec else "Which integrations?"
    send(page, message)
    if not fault.code:
        assert "Segment" in wait_reply(page, after=shown)
        return
    bubble = page.locator(f"{W} .msg.bot").nth(shown)
    expect(bubble).to_contain_text(fault.widget, timeout=15_000)
    expect(bubble.locator(".retry")).to_be_visible()
    expect(page.locator(f"{W} .msg.user").last).to_have_text(message)
    page.reload()
    expect(page.locator(f"{W} .msg.user").last).to_have_text(message)  # still there after a reload


def test_a_network_drop_mid_reply_resumes_without_loss_or_repeat(page: Page, rig: Rig):
    before = len(rig.emulator.journal("message"))
    page.goto(f"{rig.host}/?site=drop")
    open_chat(page)
    send(page, "Which integrations do you have? [[fault: gap=0.06]]")
    expect(last_reply(page)).to_contain_text("Lumen connects", timeout=10_000)
    rig.proxy.cut()
    text = wait_reply(page)
    assert text.startswith("Lumen connects to") and text.endswith("webhooks.")
    assert text.count("Lumen") == 1 and "interrupted" not in text
    assert len(rig.emulator.journal("message")) == before + 1
    assert rig.emulator.journal("message")[before]["outcome"] == "completed"


XSS = json.loads((Path(__file__).resolve().parent.parent / "tests" / "xss-vectors.json").read_text())
SAFE_TAGS = {"DIV", "P", "STRONG", "EM", "CODE", "PRE", "A", "BR", "UL", "OL", "LI", "H3", "H4", "H5", "H6",
             "BLOCKQUOTE", "HR", "SPAN", "BUTTON", "DETAILS", "SUMMARY", "SVG", "PATH", "I", "SECTION",
             "HEADER", "H2", "FORM", "LABEL", "TEXTAREA", "TIME"}
AUDIT = """() => {
  const root = document.querySelector('repchat-widget').shadowRoot;
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    if (!%s.includes(el.tagName.toUpperCase())) bad.push('tag ' + el.tagName);
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) bad.push('handler ' + attr.name);
      if (attr.name === 'href' && !/^(https?:|mailto:|tel:|\\/[^/]|#)/i.test(attr.value)) bad.push('href ' + attr.value);
      if (attr.name === 'src' || attr.name === 'style' && el.closest('.log')) bad.push(attr.name + ' on ' + el.tagName);
    }
  }
  return bad;
}"""


def test_hostile_model_output_never_runs_and_shows_as_text(page: Page, rig: Rig):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{rig.host}/?site=xss")
    open_chat(page)
    for start in range(0, len(XSS), 10):
        batch = XSS[start : start + 10]
        shown = replies(page)
        # Echoed back as model output, split into 5-character tokens and 1-byte network chunks.
        send(page, "\n\n".join(batch) + " [[fault: echo,split=1]]")
        text = wait_reply(page, after=shown)
        for vector in batch:
            if vector.startswith("<") and not any(mark in vector for mark in "*_[]`\\"):
                assert vector in text, vector
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.evaluate(AUDIT % json.dumps(sorted(SAFE_TAGS))) == []
    assert page.evaluate("document.querySelectorAll('script').length") == 1, "no script was added to the page"


def test_hostile_commands_are_blocked_and_said(page: Page, rig: Rig):
    page.goto(f"{rig.host}/?site=commands")
    open_chat(page)
    send(page, "I want to talk to sales [[fault: hostile-commands]]")
    # Four refused by the BFF's allowlist (one correction), and open_modal refused by the widget:
    # this page has no such dialog and no contact page to link, so the chat's own contact card
    # stands in. No selector or command name reaches the visitor.
    notes = page.locator(f"{W} .note")
    expect(notes.filter(has_text="Correction:")).to_have_count(2, timeout=10_000)
    expect(notes.filter(has_text="that window is not on this page")).to_have_count(1)
    expect(page.locator(f"{W} form.lead")).to_be_visible()
    assert not re.search(r"#|fill_form|open_modal|navigate|javascript", " ".join(notes.all_inner_texts()))
    assert page.url.startswith(rig.host)
