"""Scan, land, chat: the QR landing page on phones, in Chromium."""

from __future__ import annotations

import io
import re
import time

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from .stack import ARTIFACTS, Stack
from .widget_page import W, last_reply, replies, send, wait_reply

pytestmark = pytest.mark.e2e


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture(params=["iPhone 13", "Pixel 7"])
def phone(request, browser, playwright):
    context = browser.new_context(**playwright.devices[request.param], accept_downloads=True)
    yield context.new_page()
    context.close()


def test_scan_land_and_chat_on_a_phone(phone, stack: Stack):
    page = phone
    scans_before = len(stack.emulator.journal("scan"))
    messages_before = len(stack.emulator.journal("message"))
    page.goto(f"{stack.bff}/r/maya?src=qr&c=booth-42")
    panel = page.locator(f"{W} .panel")
    expect(panel).to_be_visible()
    box, viewport = panel.bounding_box(), page.viewport_size
    assert (box["x"], box["y"]) == (0, 0)
    assert abs(box["width"] - viewport["width"]) <= 1 and abs(box["height"] - viewport["height"]) <= 1
    expect(page.locator(f"{W} h2")).to_have_text("Maya Okafor")
    expect(page.locator(f"{W} textarea")).not_to_be_focused()  # no keyboard popping over the greeting
    assert page.locator(f"{W} textarea").evaluate("e => getComputedStyle(e).fontSize") == "16px"
    before = replies(page)
    page.locator(f"{W} .chip", has_text="Which integrations do you have?").tap()
    reply = wait_reply(page, after=before)
    assert reply.startswith("Thanks for scanning my code at booth 42 at Web Summit!")
    entry = stack.emulator.journal("message")[messages_before]
    assert entry["scanContext"]["source"] == "qr_scan" and entry["scanContext"]["campaign"] == "booth-42"
    assert entry["scanContext"]["tabTitle"].startswith("Chat with Maya Okafor")
    assert entry["scanContext"]["pageUrl"].endswith("/r/maya?src=qr&c=booth-42")
    scans = stack.emulator.journal("scan")[scans_before:]
    assert len(scans) == 1 and scans[0]["campaign"] == "booth-42"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "landing-phone.png"))
    page.reload()
    expect(last_reply(page)).to_contain_text("Web Summit")
    time.sleep(0.3)
    assert len(stack.emulator.journal("scan")) == scans_before + 1, "a reload must not record a second scan"


def test_a_plain_link_visit_says_web(phone, stack: Stack):
    page = phone
    before = len(stack.emulator.journal("message"))
    scans = len(stack.emulator.journal("scan"))
    page.goto(f"{stack.bff}/r/maya")
    shown = replies(page)
    send(page, "hello")
    wait_reply(page, after=shown)
    assert stack.emulator.journal("message")[before]["scanContext"]["source"] == "web"
    assert "scanning" not in last_reply(page).inner_text()
    assert len(stack.emulator.journal("scan")) == scans


def test_save_contact_downloads_the_vcard(phone, stack: Stack):
    page = phone
    page.goto(f"{stack.bff}/r/maya")
    page.locator(f"{W} .close").tap()
    with page.expect_download() as download:
        page.get_by_role("link", name="Save contact").tap()
    assert download.value.suggested_filename == "maya-okafor.vcf"
    assert "FN:Maya Okafor" in open(download.value.path(), encoding="utf-8").read()


def test_the_svg_code_and_the_printed_poster_decode_to_the_landing_url(page, stack: Stack):
    page.set_viewport_size({"width": 900, "height": 1300})
    page.goto(f"{stack.bff}/r/maya/qr.svg?c=booth-42&scale=8")
    assert decode(page.screenshot()) == [f"{stack.bff}/r/maya?src=qr&c=booth-42"]
    page.goto(f"{stack.bff}/r/maya/poster?c=booth-42")
    expect(page.get_by_text("Scan to chat with my AI Representative")).to_be_visible()
    page.emulate_media(media="print")
    shot = page.screenshot(full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "poster.png").write_bytes(shot)
    assert decode(shot) == [f"{stack.bff}/r/maya?src=qr&c=booth-42"]
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and re.search(rb"/Count 1\b", pdf)


@pytest.mark.parametrize("paper, size", [("a4", b"594.9"), ("letter", b"612 792")])
def test_each_poster_prints_on_one_page_of_its_paper(page, stack: Stack, paper, size):
    """Printed as the browser's print dialog does: the poster's own page size, and each common paper."""
    page.goto(f"{stack.bff}/r/maya/poster?c=booth-42&paper={paper}")
    own = page.pdf(prefer_css_page_size=True, print_background=True)
    assert re.search(rb"/Count 1\b", own) and size in own, f"{paper}: not one page of its own size"
    for other in ("A4", "Letter"):
        assert re.search(rb"/Count 1\b", page.pdf(format=other)), f"{paper} poster on {other} paper"


def test_the_poster_fits_a_phone_screen(phone, stack: Stack):
    phone.goto(f"{stack.bff}/r/maya/poster?c=booth-42&paper=letter")
    width = phone.evaluate("innerWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    box = phone.locator(".code svg").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width and box["width"] > width * 0.6
    assert decode(phone.screenshot(full_page=True)) == [f"{stack.bff}/r/maya?src=qr&c=booth-42"]
