"""The embed doctor (`RepChat.diagnose()`, data-doctor) on owners' pages that break chat widgets.

Each test builds the broken site for real: a reverse proxy that holds the
event stream until it ends, one that gzips it, a page whose CSP leaves the
BFF out of connect-src, an origin the BFF does not allow, a cookie banner
over the launcher; and the doctor must name that cause, with its fix. On the
demo site it reports all clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bff.app import create_app
from bff.dev.processes import free_port, listening_socket
from bff.dev.server import BackgroundServer
from tests.processes import nginx_server
from tests.servers import bff_settings, start_emulator

from .proxy import holding_proxy
from .stack import url_of
from .test_quality import axe_violations

pytestmark = pytest.mark.e2e


def owner_pages() -> Starlette:
    """An owner's pages; `?via=URL` is where the script tag loads widget.js from (the BFF, or a proxy before it)."""

    def page(request: Request, head: str = "", body: str = "", headers: dict[str, str] | None = None,
             viewport: str = '<meta name="viewport" content="width=device-width, initial-scale=1">') -> HTMLResponse:
        via = request.query_params["via"]
        doctor = " data-doctor" if "doctor" in request.query_params else ""
        doctor += ' data-yield="false"' if "stay" in request.query_params else ""  # the launcher keeps its corner
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Owner's page</title>
{viewport}{head}</head>
<body><h1>Owner's page</h1><p>Content.</p>{body}
<script src="{via}/widget.js" data-site="doctor"{doctor} async></script></body></html>""",
            headers=headers,
        )

    async def plain(request: Request) -> HTMLResponse:
        return page(request)

    async def strict(request: Request) -> HTMLResponse:
        # Scripts from the BFF are allowed, connections only to the page's own origin: a common slip.
        via = request.query_params["via"]
        return page(request, headers={"Content-Security-Policy": f"default-src 'self'; script-src 'self' {via}; connect-src 'self'"})

    async def bff_only(request: Request) -> HTMLResponse:
        # Connections to the BFF and nowhere else, not even the page's own origin.
        via = request.query_params["via"]
        return page(request, headers={"Content-Security-Policy": f"default-src 'self'; script-src 'self' {via}; connect-src {via}"})

    async def banner(request: Request) -> HTMLResponse:
        style = ("<style>#cookie-banner{position:fixed;left:0;right:0;bottom:0;height:140px;z-index:2147483647;"
                 "background:#0f172a;color:#fff;padding:16px}</style>")
        return page(request, head=style, body='<div id="cookie-banner" class="consent">We use cookies. <button>Accept</button></div>')

    async def turbo(request: Request) -> HTMLResponse:
        # A Rails page with Turbo Drive (its meta tags), and, as many older sites, no viewport.
        return page(request, head='<meta name="turbo-cache-control" content="no-preview">', viewport="")

    return Starlette(routes=[Route("/", plain), Route("/strict", strict), Route("/bff-only", bff_only), Route("/banner", banner), Route("/turbo", turbo)])


@dataclass
class Sites:
    bff: str
    pages: str  # allowed by the BFF
    refused: str  # the same pages on an origin the BFF does not allow
    holding: str  # a proxy before the BFF that holds each response until it ends
    gzipping: str  # one that also gzips it


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    emulator = start_emulator(token_gap=0.01)
    bff_sock, pages_sock = listening_socket(), listening_socket()
    bff, pages = url_of(bff_sock), url_of(pages_sock)
    # Only pages on 127.0.0.1 are allowed: the same server as http://localhost:PORT is another origin.
    settings = bff_settings(emulator.url, public_url=bff, allowed_origins=(bff, pages))
    servers = [
        BackgroundServer(create_app(settings), sock=bff_sock),
        BackgroundServer(owner_pages(), sock=pages_sock),
        BackgroundServer(holding_proxy(bff)),
        BackgroundServer(holding_proxy(bff, compress=True)),
    ]
    urls = [server.start() for server in servers]
    try:
        yield Sites(bff, pages, pages.replace("127.0.0.1", "localhost"), urls[2], urls[3])
    finally:
        for server in (*reversed(servers), emulator.server):
            server.stop()


def diagnose(page: Page, url: str) -> dict[str, Any]:
    """Open `url` and run the doctor as an owner would in the console; the report, findings by id."""
    page.goto(url)
    page.wait_for_function("window.RepChat && window.RepChat.version")
    report: dict[str, Any] = page.evaluate("RepChat.diagnose()")
    report["by"] = {item["id"]: item for item in report["findings"]}
    return report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["status"] for item in report["findings"]}


@pytest.fixture(scope="module")
def nginx(sites: Sites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's nginx before the BFF, as sites the doctor is for have it: /gzipped/ compresses event streams
    (still flushed per event, as the BFF's X-Accel-Buffering: no asks); /buffered/ also ignores that header
    (proxy_buffering on), and then its gzip holds the whole stream. (proxy_buffering on alone, measured here,
    still passes each event on as it comes.)"""
    work, port = tmp_path_factory.mktemp("nginx"), free_port()
    bff = sites.bff.removeprefix("http://")
    common = f"proxy_pass http://{bff}/; proxy_http_version 1.1; proxy_set_header Connection \"\";"
    gzip = "gzip on; gzip_types text/event-stream; gzip_min_length 0; gzip_proxied any;"
    server = f"""server {{ listen 127.0.0.1:{port};
    location /gzipped/ {{ {common} {gzip} }}
    location /buffered/ {{ {common} {gzip} proxy_buffering on; proxy_ignore_headers X-Accel-Buffering; }}
  }}"""
    with nginx_server(work, port, server) as url:
        yield url


def test_the_demo_site_is_all_clear_and_the_console_says_so(page: Page, sites: Sites):
    said: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    report = diagnose(page, f"{sites.bff}/demo")
    assert report["ok"], report["findings"]
    assert set(statuses(report).values()) == {"ok"}, statuses(report)
    assert set(statuses(report)) == {
        "origin", "csp-script", "csp-connect", "styles", "stream-live", "stream-compressed",
        "launcher-visible", "launcher-keyboard", "viewport", "body-swap",
    }
    assert "The page's Content-Security-Policy header allows connections" in report["by"]["csp-connect"]["detail"]
    assert "arrived uncompressed" in report["by"]["stream-compressed"]["detail"]
    assert any(text.startswith("repchat doctor: all clear on " + f"{sites.bff}/demo") for text in said), said
    # The doctor is its own script, loaded only when asked, from a content-named URL.
    assert page.evaluate("performance.getEntriesByType('resource').some((e) => /\\/widget\\/doctor\\.[0-9a-f]{16}\\.js$/.test(e.name))")


def test_a_proxy_that_holds_the_stream_is_named_with_its_fix(page: Page, sites: Sites):
    report = diagnose(page, f"{sites.pages}/?via={sites.holding}")
    live = report["by"]["stream-live"]
    assert not report["ok"] and live["status"] == "fail"
    assert "held the stream and sent it at once" in live["detail"]
    assert "proxy_buffering off" in live["fix"] and "X-Accel-Buffering" in live["fix"] and "no-transform" in live["fix"]
    assert report["by"]["stream-compressed"]["status"] == "ok"
    assert statuses(report)["origin"] == "ok"


def test_a_proxy_that_gzips_the_stream_is_named_as_the_cause(page: Page, sites: Sites):
    report = diagnose(page, f"{sites.pages}/?via={sites.gzipping}")
    packed, live = report["by"]["stream-compressed"], report["by"]["stream-live"]
    assert packed["status"] == "fail" and "reached this page compressed" in packed["detail"]
    assert "gzip off" in packed["fix"] and "Cloudflare" in packed["fix"]
    assert live["status"] == "fail" and "compressed on the way" in live["detail"]


def test_a_csp_without_the_bff_in_connect_src_is_named(page: Page, sites: Sites):
    report = diagnose(page, f"{sites.pages}/strict?via={sites.bff}")
    connect = report["by"]["csp-connect"]
    assert connect["status"] == "fail"
    assert "header blocks connections to " + sites.bff in connect["detail"] and "connect-src" in connect["detail"]
    assert f"Add {sites.bff} to connect-src" in connect["fix"]
    assert report["by"]["csp-script"]["status"] == "ok" and report["by"]["styles"]["status"] == "ok"
    assert report["by"]["origin"]["status"] == "skip"


def test_a_policy_that_keeps_the_doctor_from_reading_the_page_still_gets_an_answer(page: Page, sites: Sites):
    # The doctor reads the page's CSP header by fetching the page; this policy forbids that, not the chat.
    report = diagnose(page, f"{sites.pages}/bff-only?via={sites.bff}")
    assert report["ok"], report["findings"]
    connect = report["by"]["csp-connect"]["detail"]
    assert connect == f"The page's Content-Security-Policy header could not be read, so what the browser did is the answer: connections to {sites.bff} work."


def test_an_origin_the_bff_does_not_allow_is_named_with_the_setting(page: Page, sites: Sites):
    report = diagnose(page, f"{sites.refused}/?via={sites.bff}")
    origin = report["by"]["origin"]
    assert origin["status"] == "fail" and sites.refused in origin["detail"]
    assert f"Add {sites.refused} to REPCHAT_ALLOWED_ORIGINS" in origin["fix"]
    assert report["by"]["stream-live"]["status"] == "skip"


def test_a_cookie_banner_over_the_launcher_is_named(page: Page, sites: Sites):
    # The owner keeps the launcher in its corner (data-yield="false"), under the banner.
    report = diagnose(page, f"{sites.pages}/banner?via={sites.bff}&stay")
    covered = report["by"]["launcher-visible"]
    assert covered["status"] == "fail" and "covered by div#cookie-banner.consent" in covered["detail"]
    assert "--rc-z" in covered["fix"] and "--rc-bottom" in covered["fix"]
    assert report["by"]["launcher-keyboard"]["status"] == "ok"
    assert [key for key, value in statuses(report).items() if value != "ok"] == ["launcher-visible"]


def test_by_default_the_launcher_rises_above_the_banner_and_the_doctor_finds_it_clear(page: Page, sites: Sites):
    page.goto(f"{sites.pages}/banner?via={sites.bff}")
    page.wait_for_function(
        "() => document.querySelector('repchat-widget').shadowRoot.querySelector('.launcher').getBoundingClientRect().bottom"
        " <= document.getElementById('cookie-banner').getBoundingClientRect().top"
    )
    report: dict[str, Any] = page.evaluate("RepChat.diagnose()")
    assert {item["id"]: item["status"] for item in report["findings"]}["launcher-visible"] == "ok"


def test_data_doctor_shows_the_report_on_the_page_accessibly(page: Page, sites: Sites):
    page.goto(f"{sites.pages}/?via={sites.bff}&doctor")
    region = page.get_by_role("region", name="repchat doctor")
    expect(region).to_be_visible(timeout=15_000)
    expect(region.get_by_role("status")).to_have_text("All clear: 10 checks passed.")
    expect(region.locator("li[data-status=ok]")).to_have_count(10)
    close = region.get_by_role("button", name="Close the report")
    expect(close).to_be_focused()
    assert axe_violations(page) == []
    close.click()
    expect(region).to_have_count(0)


def test_the_url_flag_shows_problems_on_the_page(page: Page, sites: Sites):
    page.goto(f"{sites.pages}/banner?via={sites.bff}&stay#repchat-doctor")
    region = page.get_by_role("region", name="repchat doctor")
    expect(region.get_by_role("status")).to_have_text("1 problem(s) found. Each says what to change.", timeout=15_000)
    problem = region.locator("li[data-status=fail]")
    expect(problem).to_contain_text("Problem")
    expect(problem).to_contain_text("covered by div#cookie-banner.consent")
    expect(problem).to_contain_text("Fix: Stack the launcher above it")


def test_a_body_swap_and_a_missing_viewport_are_reported_as_they_are(page: Page, sites: Sites):
    page.goto(f"{sites.pages}/turbo?via={sites.bff}")
    page.wait_for_function("window.RepChat && window.RepChat.version")
    # What Turbo Drive does on a link click: the next page's <body> replaces this one.
    page.evaluate("""() => {
        const next = document.createElement('body');
        next.append(Object.assign(document.createElement('h1'), {textContent: 'Next page'}));
        document.body.replaceWith(next);
    }""")
    attached = page.evaluate("() => new Promise((done) => setTimeout(() => done(!!document.querySelector('repchat-widget')), 100))")
    report = page.evaluate("RepChat.diagnose(true)")
    by = {item["id"]: item for item in report["findings"]}
    swap = by["body-swap"]
    assert "This page navigates with Turbo (Hotwire), which replaces <body>." in swap["detail"]
    # Whether or not this version re-attaches after a swap, the report says what is true of the page.
    assert swap["status"] == ("ok" if attached else "fail"), (attached, swap)
    if not attached:
        assert "no longer in the page" in swap["detail"] and "turbo-visit-control" in swap["fix"]
        assert by["launcher-visible"]["status"] == "skip"
    viewport = by["viewport"]
    assert viewport["status"] == "fail" and "no viewport meta tag" in viewport["detail"]
    assert viewport["fix"] == 'Add <meta name="viewport" content="width=device-width, initial-scale=1"> to the page\'s <head>.'
    # Shown on the page even when the widget's own element is gone.
    region = page.get_by_role("region", name="repchat doctor")
    expect(region).to_be_visible()
    expect(region.locator("li[data-check=viewport]")).to_contain_text("Fix: Add <meta name=\"viewport\"")


def test_nginx_holding_and_gzipping_the_stream_is_named_with_both_fixes(page: Page, sites: Sites, nginx: str):
    report = diagnose(page, f"{sites.pages}/?via={nginx}/buffered")
    live, packed = report["by"]["stream-live"], report["by"]["stream-compressed"]
    assert live["status"] == "fail" and "compressed on the way" in live["detail"], live
    assert "gzip off" in live["fix"] and "proxy_buffering off" in live["fix"]
    assert packed["status"] == "fail" and "reached this page compressed" in packed["detail"]
    assert report["by"]["origin"]["status"] == "ok"


def test_nginx_gzipping_a_stream_it_still_flushes_is_a_warning(page: Page, sites: Sites, nginx: str):
    report = diagnose(page, f"{sites.pages}/?via={nginx}/gzipped")
    live, packed = report["by"]["stream-live"], report["by"]["stream-compressed"]
    assert live["status"] == "ok", live
    assert packed["status"] == "warn" and "reached this page compressed" in packed["detail"], packed
    assert "gzip off" in packed["fix"]
    assert report["ok"]  # a warning, not a problem: replies still stream


def test_a_launcher_a_modal_library_made_inert_is_named(page: Page, sites: Sites):
    page.goto(f"{sites.pages}/?via={sites.bff}")
    page.wait_for_function("window.RepChat && window.RepChat.version")
    # What a modal library does to everything outside its dialog, the widget included.
    page.evaluate("document.querySelector('repchat-widget').inert = true")
    report = page.evaluate("RepChat.diagnose()")
    keys = next(item for item in report["findings"] if item["id"] == "launcher-keyboard")
    assert keys["status"] == "fail"
    assert keys["detail"] == "The widget's element is inert: keyboards and screen readers cannot reach the launcher."
    assert "outside elements a dialog or a menu makes inert" in keys["fix"]
