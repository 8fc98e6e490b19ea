"""The e2e stack, shared by the browser tests and benchmarks/widget.py: the emulator, a BFF
serving the demo site, a plain host page on another origin, and the Chromium to drive them.

The browser is chosen in one place: REPCHAT_CHROMIUM if set, else the
browser Playwright installed itself, else the system's Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from bff.app import create_app
from bff.dev.processes import listening_socket
from bff.dev.server import BackgroundServer
from tests.servers import RunningEmulator, bff_settings, start_emulator

from .sites import sites

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def chromium_executable(playwright: Playwright) -> str | None:
    """REPCHAT_CHROMIUM, else Playwright's own browser if installed, else the system's."""
    override = os.environ.get("REPCHAT_CHROMIUM")
    if override:
        return override
    if Path(playwright.chromium.executable_path).exists():
        return None  # Playwright finds its own
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine: install one or set REPCHAT_CHROMIUM")


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@dataclass
class Stack:
    """An emulator, a BFF serving the demo site, and a plain host page on another origin."""

    emulator: RunningEmulator
    bff: str
    host: str


def host_page(bff: str) -> Starlette:
    """A site owner's plain page on another origin, with the README's script tag pasted in."""

    async def page(request) -> HTMLResponse:
        """The plain page; query parameters become the script tag's data-* attributes."""
        params = request.query_params
        title = params.get("title", "A plain page")
        names = ("mode", "lang", "theme", "preview", "compact-at", "image-hosts", "analytics", "identity")
        attrs = "".join(f' data-{name}="{params[name]}"' for name in names if name in params)
        html_attrs = ' dir="rtl" lang="ar"' if params.get("dir") == "rtl" else ' lang="en"'
        body = f"""<!doctype html><html{html_attrs}><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Plain host page</h1><p id="para">Some content.</p>
<script src="{bff}/widget.js" data-site="{params.get('site', 'plain')}"{attrs} async></script></body></html>"""
        headers = {}
        if request.url.path == "/csp":
            headers["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'self' {bff}; style-src 'self'; connect-src {bff}"
            )
        return HTMLResponse(body, headers=headers)

    async def api_page(request) -> HTMLResponse:
        # The README's queue snippet, loaded from a file as a strict-CSP page would.
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API page</title>
<script src="/queue.js"></script></head>
<body><h1>Host page using the JS API</h1><div id="promo" hidden data-repchat-modal="promo">Promo!</div>
<section><h2>Inline</h2><repchat-chat></repchat-chat></section>
<script src="{bff}/widget.js" data-site="api" data-lang="es" async></script></body></html>"""
        )

    async def inline_page(request) -> HTMLResponse:
        """An inline chat in a container of the size the query asks for (none: the container has no height)."""
        params = request.query_params
        size = "".join(f"{side}:{int(params[side])}px;" for side in ("height", "width") if side in params)
        sheet = f"<style>#box{{{size}}}</style>" if size else ""
        html_attrs = ' dir="rtl" lang="ar"' if params.get("dir") == "rtl" else ' lang="en"'
        return HTMLResponse(
            f"""<!doctype html><html{html_attrs}><head><meta charset="utf-8"><title>Inline page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{sheet}</head>
<body><h1>Host page with an inline chat</h1><div id="box"><repchat-chat></repchat-chat></div>
<script src="{bff}/widget.js" data-site="{params.get('site', 'inline')}" async></script></body></html>"""
        )

    async def queue_js(request) -> Response:
        readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
        snippet = readme.split("window.RepChat = window.RepChat ||", 1)[1].split("</script>", 1)[0]
        calls = (
            "window.__events = [];"
            "RepChat.on('message', (m) => window.__events.push(['message', m.role]));"
            "RepChat.on('command', (c) => window.__events.push(['command', c.command.type, c.result]));"
            "RepChat.registerCommand('open_modal', (c) => { window.__events.push(['handled', c.id]); return true; });"
            "RepChat.setContext({plan: 'team', cartValue: 120});"
        )
        return Response("window.RepChat = window.RepChat ||" + snippet + calls, media_type="text/javascript")

    return Starlette(
        routes=[
            Route("/", page), Route("/csp", page), Route("/api", api_page), Route("/inline", inline_page),
            Route("/queue.js", queue_js), Mount("/sites", sites(bff)),
        ]
    )


@contextmanager
def running_stack(bff_options: dict[str, Any] | None = None, **emulator_options: Any) -> Iterator[Stack]:
    """An emulator, a BFF (with `bff_options` as settings) serving the demo site, and a plain host page
    on another origin, all started."""
    emulator = start_emulator(**emulator_options)
    bff_sock, host_sock = listening_socket(), listening_socket()
    bff_url, host_url = url_of(bff_sock), url_of(host_sock)
    settings = bff_settings(
        emulator.url, public_url=bff_url, allowed_origins=(bff_url, host_url), **(bff_options or {})
    )
    servers = [BackgroundServer(create_app(settings), sock=bff_sock), BackgroundServer(host_page(bff_url), sock=host_sock)]
    for server in servers:
        server.start()
    try:
        yield Stack(emulator, bff_url, servers[1].url)
    finally:
        for server in (*reversed(servers), emulator.server):
            server.stop()
