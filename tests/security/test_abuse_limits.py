"""Nobody can burn the upstream's quota or the worker's reply slots.

Every route that reaches the upstream is limited per visitor and per address;
IPv6 addresses count by network (a /64 by default); readiness asks the
upstream at most once per few seconds; resumes are limited; replies at once
are capped per address, and a reply whose browser went away still counts
until it is released. Addresses come from `X-Forwarded-For` through a
trusted proxy, as behind nginx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bff.app import create_app
from bff.ratelimit import address_key
from bff.dev.server import BackgroundServer
from tests.servers import ORIGIN, Chat, RunningEmulator, bff_settings


@pytest.fixture
def behind_proxy(emulator: RunningEmulator) -> Iterator[Callable[..., str]]:
    """A BFF that takes the visitor's address from X-Forwarded-For sent by 127.0.0.1 (its nginx)."""
    servers: list[BackgroundServer] = []

    def make(upstream_url: str | None = None, **overrides: Any) -> str:
        app = create_app(bff_settings(upstream_url or emulator.url, **overrides))
        server = BackgroundServer(app, proxy_headers=True, forwarded_allow_ips="127.0.0.1")
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


def visitor(url: str, address: str) -> Chat:
    chat = Chat(url)
    chat.client.headers["X-Forwarded-For"] = address
    return chat


def test_ipv6_addresses_are_grouped_by_a_configurable_prefix():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("2001:db8:1:2::1", 48) == address_key("2001:db8:1:ff::1", 48) == "2001:db8:1::/48"
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7") == "192.0.2.7"


def test_one_ipv6_subscriber_cannot_pass_the_session_limit_by_changing_address(behind_proxy):
    url = behind_proxy(rate_sessions_per_ip="5/minute")
    statuses = [visitor(url, f"2001:db8:7:7::{n:x}").start().status_code for n in range(1, 8)]
    assert statuses == [201] * 5 + [429] * 2
    assert visitor(url, "2001:db8:7:8::1").start().status_code == 201  # the next /64 is someone else


@pytest.mark.parametrize("rule", ["rate_calls_per_visitor", "rate_calls_per_ip"])
def test_context_usage_and_command_reports_are_limited(behind_proxy, rule):
    url = behind_proxy(**{rule: "4/minute"})
    chats = [visitor(url, "198.51.100.4"), visitor(url, "198.51.100.4")]
    for chat in chats:
        assert chat.start().status_code == 201
    sent = json.loads(chats[0].events("What does it cost? [[fault: server-commands]]")[-1].data)["commands"][0]
    calls = [
        lambda chat: chat.client.get(f"{chat.url}/v1/context-usage", headers=chat.headers()),
        lambda chat: chat.post("/v1/commands", {"command": sent, "result": "executed"}),
    ]
    statuses = [calls[n % 2](chats[0]).status_code for n in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
    other = calls[0](chats[1])
    # Per visitor, the other visitor behind the same address still gets through; per address, not.
    assert other.status_code == (200 if rule == "rate_calls_per_visitor" else 429)
    refused = calls[0](chats[0])
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1


def test_readiness_asks_the_upstream_at_most_once_per_few_seconds(behind_proxy):
    asked = []

    async def health(request: Request) -> JSONResponse:
        asked.append(1)
        return JSONResponse({"ok": True})

    upstream = BackgroundServer(Starlette(routes=[Route("/health", health)]))
    try:
        url = behind_proxy(upstream.start(), ready_cache_seconds=30)
        with httpx.Client() as client:
            answers = [client.get(f"{url}/readyz").status_code for _ in range(150)]
        assert answers == [200] * 150 and len(asked) == 1
    finally:
        upstream.stop()


def test_resumes_are_limited(behind_proxy):
    url = behind_proxy(rate_resumes_per_visitor="3/minute")
    chat = visitor(url, "198.51.100.9")
    chat.start()
    events = chat.events("What does it cost?")
    last = events[-1].id
    statuses = [chat.post("/v1/messages", {}, **{"Last-Event-ID": last}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def abandon_reply(chat: Chat) -> None:
    """Start a slow reply and go away after its first event (the BFF keeps it for a reconnect)."""
    body = {"content": "What does it cost? [[fault: gap=0.3]]"}
    with chat.client.stream("POST", f"{chat.url}/v1/messages", json=body, headers=chat.headers()) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data:"):
                break


def test_abandoned_replies_count_against_the_address_until_released(behind_proxy):
    url = behind_proxy(max_streams_per_address=3, max_streams_per_visitor=2, resume_grace=30)
    hoarders = [visitor(url, "203.0.113.5") for _ in range(3)]
    for chat in hoarders:
        chat.start()
        abandon_reply(chat)
    next_one = visitor(url, "203.0.113.5")
    next_one.start()
    refused = next_one.post("/v1/messages", {"content": "hi"})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_streams"
    elsewhere = visitor(url, "192.0.2.44")
    elsewhere.start()
    assert elsewhere.events("hi")[-1].event == "done"  # the rest of the world is not affected
    assert hoarders[0].post("/v1/stop", {}).json()["stopped"] == 1  # released
    assert next_one.events("hi")[-1].event == "done"
