"""The README's deployment section, run as written: `repchat check`, `repchat serve` behind nginx, a real site.

The emulator stands in for the upstream (with the owner's profile file), the
nginx in front is deploy/nginx.conf, and the owner's site is a plain page on
another loopback origin with the README's script tag. Everything else is the
README's own commands, parsed from it like the curl examples are.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, expect

from bff.dev.processes import clean_env, free_port, listening_socket
from bff.dev.server import BackgroundServer
from tests.processes import KEY, emulator_process, nginx_proxy, redis_server

from .stack import host_page, url_of
from .widget_page import W, open_chat, replies, send, wait_reply

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PROFILE_DOC = (ROOT / "docs" / "profiles.md").read_text()


def readme_deploy_block() -> str:
    block = README.split("<!-- readme-deploy:start -->", 1)[1].split("<!-- readme-deploy:end -->", 1)[0]
    return block.replace("```sh", "").replace("```", "")


@dataclass
class Deployment:
    public: str  # https, through nginx
    site: str  # the owner's site, another origin
    log: Path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("deploy")
    profiles = work / "profiles"
    profiles.mkdir()
    # The owner's profile: the minimal one docs/profiles.md shows.
    (profiles / "ada.toml").write_text(PROFILE_DOC.split("## A minimal profile", 1)[1].split("```toml", 1)[1]
                                       .split("```", 1)[0])
    bff_port = free_port()  # the README's command names a port
    site_sock = listening_socket("127.0.0.2")  # the owner's site: another origin
    site_url = url_of(site_sock)
    with redis_server() as (redis_url, _), emulator_process(gap=0.01, profiles_dir=str(profiles)) as upstream, \
            nginx_proxy([f"http://127.0.0.1:{bff_port}"], work) as public:
        # The owner's site: its page loads widget.js from the public URL (through nginx).
        site = BackgroundServer(host_page(public), sock=site_sock)
        site.start()
        script = readme_deploy_block()
        for placeholder, value in {
            "https://api.pingrep.com": upstream, "your-upstream-api-key": KEY, "https://chat.example.com": public,
            "https://www.example.com": site_url, "/etc/repchat/profiles": str(profiles),
            "redis://127.0.0.1:6379/0": redis_url, "--port 8000": f"--port {bff_port}",
        }.items():
            assert placeholder in script, f"the README's deployment section no longer has {placeholder}"
            script = script.replace(placeholder, value)
        log = work / "repchat.log"
        with open(log, "w") as out:
            shell = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", f'repchat() {{ "{sys.executable}" -m bff.cli "$@"; }}\n{script}'],
                env=clean_env(log_format="plain"), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=work,
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert shell.poll() is None and time.monotonic() < deadline, log.read_text()
                try:
                    if httpx.get(f"{public}/readyz", verify=False, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            yield Deployment(public, site_url, log)
        finally:
            os.killpg(shell.pid, signal.SIGTERM)
            shell.wait(30)
            site.stop()


def test_repchat_check_passes_before_serve_starts(deployment: Deployment):
    output = deployment.log.read_text()
    checklist = output.split("repchat check:", 1)[1].split("ready for `repchat serve`", 1)[0]
    lines = [line.strip() for line in checklist.splitlines()[1:] if line.strip()]
    assert lines and all(line.startswith("ok ") for line in lines), checklist
    assert "ready for `repchat serve`, 0 warning(s)" in output
    assert output.index("ready for") < output.index("serving on")
    assert "WARNING repchat.check" not in output


def test_the_script_tag_chats_from_the_allowed_site(browser: Browser, deployment: Deployment):
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    warnings = console_warnings(page)
    page.goto(f"{deployment.site}/?site=www")
    open_chat(page)
    before = replies(page)
    send(page, "What can you help me with?")
    assert wait_reply(page, after=before)
    assert not warnings, warnings
    context.close()


def test_the_doctor_finds_the_production_setup_clear(browser: Browser, deployment: Deployment):
    """RepChat.diagnose() on the owner's site, through deploy/nginx.conf: live, uncompressed events, all clear."""
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{deployment.site}/?site=www")
    page.wait_for_function("window.RepChat && window.RepChat.version")
    report = page.evaluate("RepChat.diagnose()")
    context.close()
    assert [item for item in report["findings"] if item["status"] != "ok"] == []
    assert report["ok"] and len(report["findings"]) == 10


def test_nginx_passes_the_widget_on_compressed_as_the_bff_made_it(deployment: Deployment):
    plain = httpx.get(f"{deployment.public}/widget.js", verify=False, headers={"Accept-Encoding": "identity"})
    for coding in ("br", "gzip"):
        with httpx.stream("GET", f"{deployment.public}/widget.js", verify=False,
                          headers={"Accept-Encoding": coding}) as response:
            raw = b"".join(response.iter_raw())
            assert response.headers["content-encoding"] == coding
        assert len(raw) < len(plain.content) / 2
    assert httpx.get(f"{deployment.public}/widget.js", verify=False, headers={"Accept-Encoding": "br"}).content == plain.content


def test_a_qr_landing_page_chats_at_phone_size(browser: Browser, playwright: Playwright, deployment: Deployment):
    context = browser.new_context(**playwright.devices["Pixel 7"], ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{deployment.public}/r/ada?src=qr&c=flyer")
    panel = page.locator(f"{W} .panel")
    expect(panel).to_be_visible()
    assert panel.bounding_box()["width"] >= page.viewport_size["width"] - 1
    expect(page.locator(f"{W} h2")).to_have_text("Ada Lovelace")
    before = replies(page)
    page.locator(f"{W} .chip", has_text="What does it cost?").tap()
    reply = wait_reply(page, after=before)
    assert reply and "isn't available" not in reply
    context.close()


def test_the_demo_company_is_not_published(deployment: Deployment):
    with httpx.Client(verify=False) as http:
        for path in ("/demo", "/pricing", "/contact", "/r/maya"):
            assert http.get(f"{deployment.public}{path}").status_code == 404, path
        assert http.get(f"{deployment.public}/r/ada").status_code == 200


def console_warnings(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if message.type == "warning" else None)
    return found


def test_a_site_left_out_of_the_allowed_origins_learns_why(browser: Browser, deployment: Deployment):
    """The visitor reads a plain sentence; the console and the BFF's log say which setting to change, once."""
    sock = listening_socket("127.0.0.3")
    origin = url_of(sock)
    stray = BackgroundServer(host_page(deployment.public), sock=sock)
    stray.start()
    try:
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        warnings = console_warnings(page)
        page.goto(f"{origin}/?site=stray")
        open_chat(page)
        for attempt in ("Hello?", "Anyone?"):
            send(page, attempt)
            expect(page.locator(f"{W} .msg.bot").last).to_have_text(
                re.compile("The chat isn't available on this page right now."), timeout=10_000)
        page.reload()
        open_chat(page)
        send(page, "Still there?")
        expect(page.locator(f"{W} .msg.bot").last).to_contain_text("isn't available", timeout=10_000)
        context.close()
    finally:
        stray.stop()
    mine = [line for line in warnings if "origin_not_allowed" in line]
    assert len(mine) == 2, warnings  # once per page load
    assert f"The origin {origin} may not use this chat: add it to REPCHAT_ALLOWED_ORIGINS" in mine[0]
    logged = [line for line in deployment.log.read_text().splitlines() if f"from origin {origin}:" in line]
    assert len(logged) == 1 and "not in REPCHAT_ALLOWED_ORIGINS" in logged[0], logged


def test_a_bad_data_site_is_reported_at_load_and_the_chat_still_works(browser: Browser, deployment: Deployment):
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    warnings = console_warnings(page)
    page.goto(f"{deployment.site}/?site=My%20Shop")
    page.locator(f"{W}[data-ready]").wait_for(state="attached")
    assert any('data-site "My Shop"' in line for line in warnings), warnings  # before any message
    open_chat(page)
    before = replies(page)
    send(page, "Do you have a free trial?")
    assert "isn't available" not in wait_reply(page, after=before)
    context.close()
