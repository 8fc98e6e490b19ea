"""A process killed mid-reply, seen by a visitor in Chromium: a clear end, a Retry, nothing lost.

Two `repchat serve` processes on one Redis behind nginx (deploy/nginx.conf),
the emulator streaming a long reply slowly; the process writing the reply is
killed with SIGKILL. The widget reconnects through nginx to the survivor,
which replays what the dead process had mirrored and ends the reply with
`interrupted` once the producer's liveness key has lapsed.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bff.dev.processes import Server, listening_socket
from bff.dev.server import BackgroundServer
from tests.processes import RedisServer, bff_pair, emulator_process, nginx_proxy

from .stack import host_page, url_of
from .widget_page import W, last_reply, open_chat, replies, send, wait_reply

pytestmark = pytest.mark.e2e
WINDOW = 2.0


def producing(servers: tuple[Server, Server]) -> Server:
    """The process with a reply in flight, from its own metrics."""
    for server in servers:
        metrics = httpx.get(f"{server.url}/metrics").text
        if "\nrepchat_active_streams 1.0" in metrics:
            return server
    raise AssertionError("no process has a reply in flight")


@dataclass
class Rig:
    page: Page
    host: str  # the plain page, its widget loaded from nginx
    servers: tuple[Server, Server]


@pytest.fixture
def rig(browser: Browser, tmp_path) -> Iterator[Rig]:
    host_sock = listening_socket()
    host_url = url_of(host_sock)
    redis = RedisServer()
    redis.start()
    try:
        with emulator_process() as emulator, bff_pair(
            emulator, redis.url, allowed_origins=host_url, liveness_window=str(WINDOW)
        ) as servers, nginx_proxy([server.url for server in servers], tmp_path) as proxy:
            host = BackgroundServer(host_page(proxy), sock=host_sock)
            host.start()
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            try:
                yield Rig(page, host_url, servers)
            finally:
                context.close()
                host.stop()
            assert not errors, f"uncaught errors in the page: {errors}"
    finally:
        redis.kill()


def test_a_killed_process_ends_the_reply_with_a_retry_and_keeps_the_message(rig: Rig):
    page = rig.page
    page.goto(f"{rig.host}/?site=chaos")
    open_chat(page)
    shown = replies(page)
    message = "What does it cost? [[fault: words=80, gap=0.05]]"
    send(page, message)
    bubble = page.locator(f"{W} .msg.bot").nth(shown)
    expect(bubble).not_to_be_empty(timeout=15_000)
    page.wait_for_function(  # a few tokens in
        "() => document.querySelector('repchat-widget').shadowRoot.querySelectorAll('.msg.bot')[%d]"
        ".innerText.length > 40" % shown, timeout=15_000)
    victim = producing(rig.servers)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(10)
    killed_at = time.monotonic()
    partial = bubble.inner_text()
    # Reconnected through nginx to the survivor: the partial reply stays, then the end is said, with a Retry.
    expect(bubble).to_contain_text("This reply was interrupted.", timeout=(WINDOW + 4) * 1000)
    assert time.monotonic() - killed_at < WINDOW + 4
    expect(bubble.locator(".retry")).to_be_visible()
    assert bubble.inner_text().startswith(partial[:40])
    expect(page.locator(f"{W} .msg.user").last).to_have_text(message)
    expect(page.locator(f"{W} .stop")).to_be_hidden()
    # Retry: the survivor answers the same message in full.
    bubble.locator(".retry").click()
    text = wait_reply(page, timeout=30_000)
    assert "interrupted" not in text and len(text) > 100
    expect(page.locator(f"{W} .msg.user").last).to_have_text(message)
    page.reload()
    expect(page.locator(f"{W} .msg.user").last).to_have_text(message)  # still there after a reload
    assert last_reply(page).inner_text() == text
