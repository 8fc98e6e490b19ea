"""`repchat check --site URL` against a real local page server, and `repchat snippet`.

Each of the owner's pages below is served for real on loopback; the check
fetches it as a browser would and must name what is wrong with it, and the
fix, in plain words, and exit non-zero; a page pasted as `repchat snippet`
says passes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bff.csp import allows
from bff.dev.processes import clean_env
from bff.dev.server import BackgroundServer

BFF = "https://chat.example.com"
TAG = f'<script src="{BFF}/widget.js" data-site="shop" async></script>'
GOOD_CSP = f"default-src 'self'; script-src 'self' {BFF}; connect-src 'self' {BFF}; style-src 'self'"
VECTORS = json.loads((Path(__file__).parent / "csp-vectors.json").read_text())["cases"]


def html(body: str, head: str = "", headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><head><title>Shop</title>{head}</head><body><h1>Shop</h1>{body}</body></html>",
                        headers=headers)


PAGES = {
    "/good": lambda: html(TAG, headers={"Content-Security-Policy": GOOD_CSP}),
    "/open": lambda: html(TAG),
    "/no-connect": lambda: html(TAG, headers={"Content-Security-Policy": f"default-src 'self'; script-src 'self' {BFF}"}),
    "/meta-csp": lambda: html(TAG, head=f'<meta http-equiv="Content-Security-Policy" content="script-src \'self\'; connect-src {BFF}">'),
    "/nonce": lambda: html(TAG.replace(" async", ' nonce="r4nd0m" async'), headers={
        "Content-Security-Policy": f"script-src 'nonce-r4nd0m' 'strict-dynamic'; connect-src {BFF}"}),
    "/no-nonce": lambda: html(TAG, headers={"Content-Security-Policy": f"script-src 'nonce-r4nd0m' 'strict-dynamic' {BFF}; connect-src {BFF}"}),
    "/one-file": lambda: html(TAG, headers={"Content-Security-Policy": f"script-src {BFF}/widget.js; connect-src {BFF}"}),
    "/other-bff": lambda: html('<script src="https://widgets.other.example/widget.js" async></script>'),
    "/no-tag": lambda: html("<p>No chat here.</p>"),
    "/bad-site": lambda: html(TAG.replace('"shop"', '"my shop!"')),
    "/gone": lambda: HTMLResponse("<h1>Not found</h1>", status_code=404),
}


def page_server() -> Starlette:
    async def page(request: Request) -> Response:
        return PAGES[request.url.path]()

    async def moved(request: Request) -> Response:
        return RedirectResponse("/good", status_code=301)

    return Starlette(routes=[*(Route(path, page) for path in PAGES), Route("/moved", moved)])


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = BackgroundServer(page_server())
    yield server.start()
    server.stop()


def repchat(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"REPCHAT_PUBLIC_URL": BFF, "REPCHAT_ALLOWED_ORIGINS": "https://www.example.com,http://127.0.0.1:*"} | env
    return subprocess.run([sys.executable, "-m", "bff.cli", *args], env=clean_env() | settings,
                          capture_output=True, text=True, timeout=60)


def check(url: str, **env: str) -> tuple[int, list[str]]:
    done = repchat("check", "--site", url, **env)
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


def failures(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip().startswith("FAIL")]


@pytest.mark.parametrize(("policy", "kind", "url", "page", "allowed"), VECTORS)
def test_csp_source_lists_match_as_browsers_do(policy: str, kind: str, url: str, page: str, allowed: bool):
    # The same cases run against the embed doctor's matcher (widget/test/doctor.test.js).
    assert allows([policy], kind, url, page).allowed is allowed


def test_a_page_set_up_as_the_snippet_says_passes(site: str):
    status, lines = check(f"{site}/good")
    assert status == 0, lines
    assert lines[0] == f"repchat check --site: {site}/good against this BFF ({BFF})"
    assert all(line.split()[0] == "ok" for line in lines[1:-1]), lines
    text = "\n".join(lines)
    assert f"{site} is allowed" in text and f"the page loads {BFF}/widget.js (data-site 'shop')" in text
    assert "script-src lets the widget load widget.js" in text and "connect-src lets the widget reach the BFF" in text
    assert "script-src lets the widget load its conversation UI (from /widget/)" in text
    assert lines[-1].startswith("the page is ready for the chat")
    # A page with no policy at all needs nothing; one that redirects is followed.
    assert check(f"{site}/open")[0] == 0
    status, lines = check(f"{site}/moved")
    assert status == 0 and f"(redirected from {site}/moved)" in lines[1]


def test_a_csp_without_the_bff_in_connect_src_is_named_with_the_line_to_add(site: str):
    status, lines = check(f"{site}/no-connect")
    assert status == 1
    assert failures(lines) == [
        "FAIL  page CSP        the page's policy (default-src 'self') does not let the widget reach the BFF (chat and "
        f"replies): add {BFF} to it, i.e. \"connect-src {BFF}\""
    ]
    assert lines[-1].startswith("not ready: 1 problem(s) on the page")


def test_a_meta_policy_counts_and_strict_dynamic_needs_the_tags_nonce(site: str):
    status, lines = check(f"{site}/meta-csp")
    assert status == 1 and len(failures(lines)) == 1
    assert f"(script-src 'self') does not let the widget load widget.js: add {BFF} to it" in failures(lines)[0]
    assert check(f"{site}/nonce")[0] == 0
    status, lines = check(f"{site}/no-nonce")
    assert status == 1 and "(script-src 'nonce-r4nd0m' 'strict-dynamic'" in failures(lines)[0]
    assert len(failures(lines)) == 1  # what a nonce'd widget.js adds is trusted: only the tag itself lacks it


def test_a_policy_that_allows_widget_js_alone_blocks_the_scripts_it_loads(site: str):
    status, lines = check(f"{site}/one-file")
    assert status == 1
    assert failures(lines) == [
        f"FAIL  page CSP        the page's policy (script-src {BFF}/widget.js) does not let the widget load its conversation "
        f"UI (from /widget/): add {BFF} to it, i.e. \"script-src {BFF}\""
    ]


def test_an_origin_the_bff_does_not_allow_is_named_with_the_setting(site: str):
    status, lines = check(f"{site}/good", REPCHAT_ALLOWED_ORIGINS="https://www.example.com")
    assert status == 1
    assert failures(lines) == [
        f"FAIL  site origin     {site} is not in REPCHAT_ALLOWED_ORIGINS: the BFF refuses its chats; "
        f"set REPCHAT_ALLOWED_ORIGINS=https://www.example.com,{site}"
    ]


def test_a_missing_or_foreign_script_tag_is_named_with_the_tag_to_paste(site: str):
    status, lines = check(f"{site}/no-tag")
    assert status == 1
    assert failures(lines)[0].startswith(f"FAIL  script tag      the page has no <script src=\".../widget.js\">: paste "
                                    f"{TAG.replace('shop', 'default')} before </body>")
    status, lines = check(f"{site}/bad-site")
    assert status == 1 and "the script tag's data-site 'my shop!' is not 1 to 64 letters" in failures(lines)[0]
    status, lines = check(f"{site}/other-bff")
    assert status == 1
    assert "the page's widget.js comes from https://widgets.other.example/widget.js, not this BFF" in failures(lines)[0]


def test_a_page_that_cannot_be_had_or_no_public_url_is_a_plain_failure(site: str):
    status, lines = check(f"{site}/gone")
    assert status == 1 and failures(lines) == [f"FAIL  page            {site}/gone answered 404: give the address of a page that shows the chat"]
    status, lines = check("http://127.0.0.1:9/")
    assert status == 1 and "could not be fetched (ConnectError" in failures(lines)[0]
    status, lines = check("shop.example")
    assert status == 1 and "'shop.example' is not an http(s) URL" in failures(lines)[0]
    status, lines = check(f"{site}/good", REPCHAT_PUBLIC_URL="")
    assert status == 1 and "REPCHAT_PUBLIC_URL is not set" in failures(lines)[0]


def test_snippet_prints_the_tag_the_csp_lines_and_the_origin_setting():
    done = repchat("snippet", "--site", "shop", "--origin", "https://shop.example/", REPCHAT_DEMO_SITE="true")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("# 1. Paste into every page of https://shop.example that shows the chat, before </body>; its chats "
                        "speak for profile 'demo' (REPCHAT_PROFILE_ID; --profile for another):")
    assert lines[1] == TAG
    assert lines[5:7] == [f"script-src {BFF}", f"connect-src {BFF}"]
    assert lines[8:10] == ["# 3. On the BFF, allow https://shop.example (then restart it):",
                           "REPCHAT_ALLOWED_ORIGINS=https://www.example.com,http://127.0.0.1:*,https://shop.example"]


def test_snippet_follows_the_configuration_and_refuses_what_would_not_work(site: str):
    done = repchat("snippet", "--origin", "https://www.example.com", "--profile", "maya", "--public-url", "https://help.example.org/chat",
                   REPCHAT_DEMO_SITE="true")
    assert done.returncode == 0, done.stderr
    assert '<script src="https://help.example.org/chat/widget.js" data-site="default" data-profile="maya" async></script>' in done.stdout
    assert "connect-src https://help.example.org\n" in done.stdout
    assert "# 3. The BFF already allows https://www.example.com" in done.stdout
    refusals = {
        ("--origin", "shop.example"): "'shop.example' is not an origin",
        ("--origin", "https://shop.example", "--site", "my shop"): "--site 'my shop' must be 1 to 64 letters",
        ("--origin", "https://shop.example", "--profile", "nobody"): "--profile 'nobody' is not a configured profile (demo)",
        ("--origin", "http://localhost:*"): "--origin must be one site's origin, not a pattern",
    }
    for args, words in refusals.items():
        done = repchat("snippet", *args, REPCHAT_DEMO_SITE="true")
        assert done.returncode == 2 and words in done.stderr and not done.stdout, (args, done.stderr)
    done = repchat("snippet", "--origin", "https://shop.example", REPCHAT_PUBLIC_URL="")
    assert done.returncode == 2 and "give --public-url or set REPCHAT_PUBLIC_URL" in done.stderr
