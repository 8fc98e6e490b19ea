"""The widget's collector against the shared redaction vectors, in Chromium.

The same vectors (tests/redaction-vectors.json) drive the BFF's cleaner in
tests/security/test_redaction.py. Here a checkout page holds a field for every
secret name, fields hidden by CSS while their form stays visible, and
ordinary fields; what the widget sends is read off the wire, and what the
upstream finally receives from the emulator's journal.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bff.app import create_app
from bff.dev.processes import listening_socket
from bff.dev.server import BackgroundServer
from tests.security.vectors import VECTORS, batches
from tests.servers import RunningEmulator, bff_settings

from .stack import Stack, url_of
from .widget_page import open_chat, send, wait_reply

pytestmark = pytest.mark.e2e
SECRET_QUERY = "&".join(f"{name}=q{i}" for i, name in enumerate(VECTORS["secret_params"]))
KEPT_QUERY = "&".join(f"{name}=k{i}" for i, name in enumerate(VECTORS["kept_params"]))


def checkout_page(bff: str, kept: dict[str, str]) -> str:
    """Every secret name, every CSS-hidden field, then the fields the widget may read."""
    def field(name: str, value: str, style: str = "") -> str:
        attr = f' style="{style}"' if style else ""
        return f'<label>{html.escape(name)} <input name="{html.escape(name)}" value="{html.escape(value)}"{attr}></label>\n'

    fields = [field(name, f"secret-{i}") for i, name in enumerate(VECTORS["secret_names"])]
    for i, hidden in enumerate(VECTORS["hidden_styles"]):
        if "field" in hidden:
            fields.append(field(f"hidden{i}", f"invisible-{i}", hidden["field"]))
        else:
            fields.append(f'<div style="{hidden["wrapper"]}">{field(f"hidden{i}", f"invisible-{i}")}</div>')
    fields += [field(name, value) for name, value in kept.items()]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout</title></head>
<body><h1>Checkout</h1><form id="pay">{''.join(fields)}</form>
<script src="{bff}/widget.js" data-site="checkout" async></script></body></html>"""


@dataclass
class Shop:
    """A checkout page on its own origin, whose fields a test sets, embedding a BFF."""

    url: str
    bff: str
    emulator: RunningEmulator
    kept: dict[str, str]


@pytest.fixture(scope="module")
def shop(stack: Stack) -> Iterator[Shop]:
    bff_sock, shop_sock = listening_socket(), listening_socket()
    bff_url, shop_url = url_of(bff_sock), url_of(shop_sock)
    running = Shop(shop_url, bff_url, stack.emulator, {})

    async def checkout(request: Request) -> HTMLResponse:
        return HTMLResponse(checkout_page(bff_url, running.kept))

    settings = bff_settings(stack.emulator.url, public_url=bff_url, allowed_origins=(shop_url,))
    servers = [BackgroundServer(create_app(settings), sock=bff_sock),
               BackgroundServer(Starlette(routes=[Route("/checkout", checkout)]), sock=shop_sock)]
    for server in servers:
        server.start()
    yield running
    for server in servers:
        server.stop()


def sent_and_received(page: Page, stack: Shop, kept: dict[str, str]) -> tuple[dict, dict]:
    """What the widget put on the wire, and what the upstream was given, for one message."""
    stack.kept = kept
    url = f"{stack.url}/checkout?{SECRET_QUERY}&{KEPT_QUERY}"
    page.goto(url)
    open_chat(page)
    before = len(stack.emulator.journal("message"))
    with page.expect_request(lambda request: request.url.endswith("/v1/messages")) as request:
        send(page, "Is there a free trial?")
    wait_reply(page)
    return json.loads(request.value.post_data or "{}"), stack.emulator.journal("message")[before]


KEPT = [
    *[{name: f"ordinary-{i}" for i, name in enumerate(names)} for names in batches(VECTORS["ordinary_names"], 20)],
    {f"note{i}": value for i, value in enumerate(VECTORS["card_values"])},
]


@pytest.mark.parametrize("kept", KEPT, ids=["ordinary-a", "ordinary-b", "cards"])
def test_the_widget_never_reads_secret_or_hidden_fields(page: Page, shop: Shop, kept: dict[str, str]):
    sent, received = sent_and_received(page, shop, kept)
    wire = json.dumps(sent, ensure_ascii=False)
    assert "secret-" not in wire, [name for name, value in sent["uiContext"]["formData"].items() if "secret-" in value]
    assert "invisible-" not in wire
    assert sent["uiContext"]["formData"] == kept
    query = sent["uiContext"]["currentPage"].split("?", 1)[1]
    assert query == KEPT_QUERY
    assert sent["scanContext"]["pageUrl"] == f"{shop.url}/checkout?{KEPT_QUERY}"
    upstream = json.dumps(received["uiContext"], ensure_ascii=False)
    assert "1111" not in upstream and "4444" not in upstream and "0005" not in upstream
