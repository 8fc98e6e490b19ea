"""Leads and ratings in Chromium: the contact card on the demo site and on a QR landing page at phone size,
thumbs on answers, and the owner's signed webhooks, through a restart with Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from bff.app import create_app
from bff.dev.processes import clean_env, listening_socket, start_emulator, stop, wait_ready, wait_url
from bff.dev.server import BackgroundServer
from bff.emulator.scenario import Scenario
from tests.processes import KEY, need, redis_server
from tests.servers import RunningEmulator, bff_settings
from tests.servers import start_emulator as start_emulator_in_thread
from tests.webhook_receiver import Receiver

from .stack import url_of
from .widget_page import W, ask, axe_violations, open_chat

pytestmark = pytest.mark.e2e

SECRET = "whsec-e2e-" + "1" * 16
ADA = {"name": "Ada Lovelace", "email": "ada.e2e@example.com", "phone": "+44 20 7946 0958", "note": "Call me after 3pm"}


@dataclass
class LeadStack:
    emulator: RunningEmulator
    receiver: Receiver
    bff: str


@pytest.fixture(scope="module")
def leads() -> Iterator[LeadStack]:
    emulator = start_emulator_in_thread(token_gap=0.0)
    receiver = Receiver(SECRET)
    hook = receiver.start()
    sock = listening_socket()
    url = url_of(sock)
    settings = bff_settings(emulator.url, public_url=url, allowed_origins=(url,), webhook_url=hook,
                            webhook_secret=SECRET, webhook_backoff=0.1, rate_contacts_per_visitor="")
    server = BackgroundServer(create_app(settings), sock=sock)
    server.start()
    yield LeadStack(emulator, receiver, url)
    server.stop()
    receiver.stop()
    emulator.server.stop()


def card(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(f"{W} form.lead:not(.why)")


def fill_card(page: Page, values: dict[str, str], consent: bool = True) -> None:
    form = card(page)
    expect(form).to_be_visible()
    for label, key in (("Name", "name"), ("Email", "email"), ("Phone (optional)", "phone"), ("Note (optional)", "note")):
        form.get_by_label(label, exact=True).fill(values.get(key, ""))
    if consent:
        form.get_by_role("checkbox").check()


def stored(page: Page) -> str:
    return str(page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"))


def contacts(emulator: RunningEmulator, email: str) -> list[dict]:
    return [e for e in emulator.journal("contact") if e.get("email") == email and e["saved"]]


def page_in(browser: Browser, **options: object) -> Iterator[Page]:
    """A page in a context of its own, failing the test on any uncaught error in it."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A desktop page; CSP is bypassed only so that axe-core can be injected into the demo site."""
    yield from page_in(browser, viewport={"width": 1280, "height": 800}, bypass_csp=True)


def test_a_visitor_on_the_demo_site_leaves_details_and_rates_an_answer(desktop: Page, leads: LeadStack):
    page = desktop
    page.goto(f"{leads.bff}/demo")
    open_chat(page)
    page.get_by_role("button", name="Leave your details").click()  # in the panel's header
    form = card(page)
    form.get_by_role("button", name="Send my details").click()
    expect(form.get_by_text("Please enter your name.")).to_be_visible()
    expect(form.get_by_text("Please agree to be contacted")).to_be_visible()
    assert form.get_by_label("Name", exact=True).evaluate("e => e === e.getRootNode().activeElement")
    assert form.get_by_role("link", name="Privacy notice").get_attribute("href") == "https://lumen-analytics.example/privacy"
    fill_card(page, {**ADA, "email": "not-an-email"})
    form.get_by_role("button", name="Send my details").click()
    expect(form.get_by_text("Please enter an email address like name@example.com.")).to_be_visible()
    assert contacts(leads.emulator, "not-an-email") == []
    violations = axe_violations(page)
    assert violations == [], violations
    form.get_by_label("Email", exact=True).fill(ADA["email"])
    form.get_by_role("button", name="Send my details").dblclick()
    expect(page.locator(f"{W} .note").last).to_have_text("Your contact details were sent. Nothing of them is kept in this browser.")
    expect(card(page)).to_have_count(0)
    [saved] = contacts(leads.emulator, ADA["email"])
    assert (saved["tosConsent"], saved["source"], saved["campaign"]) == (True, "web", None)
    assert (saved["name"], saved["phone"], saved["notes"]) == (ADA["name"], ADA["phone"], ADA["note"])
    for value in ADA.values():
        assert value not in stored(page), "nothing typed into the card stays in the browser"
    [lead] = leads.receiver.wait_for("lead.captured", where=lambda e: e["data"]["email"] == ADA["email"])
    assert lead["data"]["source"] == "web"

    ask(page, "Do you have an API?")
    rating = page.locator(f"{W} .rate").last
    rating.get_by_role("button", name="Not helpful").click()
    why = page.locator(f"{W} form.why")
    why.get_by_label("What was missing? (optional)").fill("No example in Python")
    why.get_by_role("button", name="Send feedback").click()
    expect(rating.get_by_role("status")).to_have_text("Thanks for your feedback.")
    expect(rating.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    given = leads.receiver.wait_for("feedback.given", where=lambda e: e["data"]["comment"] == "No example in Python")
    assert len(given) == 1 and given[0]["data"]["rating"] == "down" and given[0]["data"]["messageId"].startswith("msg_")
    assert all(entry["valid"] for entry in leads.receiver.received)


def test_the_representative_offers_the_card_prefilled(page: Page, leads: LeadStack):
    page.goto(f"{leads.bff}/demo")
    open_chat(page)
    ask(page, "Please call me back at grace@example.com")
    form = card(page)
    expect(form.get_by_label("Email", exact=True)).to_have_value("grace@example.com")
    expect(page.locator(f"{W} .note").last).to_have_text("Opened a card to leave your details")


@pytest.fixture
def phone(browser: Browser, playwright: Playwright) -> Iterator[Page]:
    yield from page_in(browser, **playwright.devices["Pixel 7"])


def test_on_a_landing_page_the_card_takes_details_and_failures_keep_what_was_typed(phone: Page, leads: LeadStack):
    page = phone
    page.goto(f"{leads.bff}/r/maya?src=qr&c=expo-7")
    # The landing page has no contact form of its own: the chat's card takes the details there.
    ask(page, "Please get back to me")
    expect(card(page)).to_be_visible()
    expect(page.locator(f"{W} .note").last).to_have_text("Opened a card to leave your details")
    lead = {**ADA, "email": "landing.e2e@example.com"}
    fill_card(page, lead)
    leads.emulator.emulator.scenario = Scenario().updated("contact-unsaved")
    try:
        card(page).get_by_role("button", name="Send my details").tap()
        expect(card(page).get_by_role("alert")).to_contain_text("Your details were not sent")
    finally:
        leads.emulator.emulator.scenario = Scenario()
    expect(card(page).get_by_label("Email", exact=True)).to_have_value(lead["email"])
    expect(card(page).get_by_label("Note (optional)", exact=True)).to_have_value(lead["note"])
    card(page).get_by_role("button", name="Send again").tap()
    expect(card(page)).to_have_count(0)
    [saved] = contacts(leads.emulator, lead["email"])
    assert (saved["source"], saved["campaign"], saved["tosConsent"]) == ("qr_scan", "expo-7", True)
    [event] = leads.receiver.wait_for("lead.captured", where=lambda e: e["data"]["email"] == lead["email"])
    assert (event["data"]["source"], event["data"]["campaign"]) == ("qr_scan", "expo-7")


def test_through_faults_and_a_restart_with_redis_every_event_arrives_once(phone: Page, tmp_path):
    """Upstream fails the first save; the receiver fails the first two deliveries; the BFF restarts in between."""
    page = phone
    receiver = Receiver(SECRET, fail_first=2)
    hook = receiver.start()
    sock = listening_socket()  # the BFF's address outlives its processes
    url = url_of(sock)
    lead = {**ADA, "email": "restart.e2e@example.com"}
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    need("redis-server")
    with redis_server() as (redis_url, _):
        emulator = start_emulator(KEY)
        try:
            wait_ready([emulator])
            env = clean_env(
                upstream_url=emulator.url, upstream_api_key=KEY, secret_keys="e2e-signing-key-" + "0" * 32, public_url=url,
                allowed_origins=url, redis_url=redis_url, webhook_url=hook, webhook_secret=SECRET,
                webhook_backoff="4", rate_sessions_per_ip="", demo_site="true",
            )

            def start_bff(log) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
                process = subprocess.Popen(
                    [sys.executable, "-m", "bff.cli", "serve", "--fd", str(sock.fileno())],
                    env=env, stdout=log, stderr=log, pass_fds=(sock.fileno(),),
                )
                wait_url(url + "/readyz", 30, "bff", process)
                return process

            def scenario(spec: str) -> None:
                httpx.put(f"{emulator.url}/api/v1/_emulator/scenario", json={"scenario": spec}, headers={"X-API-Key": KEY})

            with open(logs[0], "wb") as log:
                first = start_bff(log)
                page.goto(f"{url}/r/maya?src=qr&c=booth-42")
                expect(page.locator(f"{W} .panel")).to_be_visible()
                page.locator(f"{W} .close").tap()
                page.get_by_role("button", name="Leave your details").tap()
                fill_card(page, lead)
                scenario("contact-unsaved")
                card(page).get_by_role("button", name="Send my details").tap()
                expect(card(page).get_by_role("alert")).to_contain_text("Your details were not sent")
                scenario("")
                first.terminate()
                first.wait(20)
            with open(logs[1], "wb") as log:
                second = start_bff(log)
                try:
                    card(page).get_by_role("button", name="Send again").tap()
                    expect(card(page)).to_have_count(0)
                    ask(page, "Which integrations do you have?")
                    page.locator(f"{W} .rate").last.get_by_role("button", name="Not helpful").tap()
                    why = page.locator(f"{W} form.why")
                    why.get_by_label("What was missing? (optional)").fill("Zapier")
                    why.get_by_role("button", name="Send feedback").tap()
                    expect(page.locator(f"{W} .rate").last.get_by_role("status")).to_have_text("Thanks for your feedback.")
                    leads_in = receiver.wait_for("lead.captured", timeout=30)
                    ratings = receiver.wait_for("feedback.given", timeout=30)
                    scans = receiver.wait_for("scan.recorded", timeout=30)
                finally:
                    second.terminate()
                    second.wait(20)
            journal = httpx.get(f"{emulator.url}/api/v1/_emulator/journal", headers={"X-API-Key": KEY}).json()
        finally:
            stop([emulator])
            receiver.stop()
            sock.close()
    assert [len(leads_in), len(ratings), len(scans)] == [1, 1, 1]
    assert sum(entry["failed"] for entry in receiver.received) == 2
    assert all(entry["valid"] for entry in receiver.received)
    data = leads_in[0]["data"]
    assert (data["email"], data["phone"], data["source"], data["campaign"]) == (lead["email"], lead["phone"], "qr_scan", "booth-42")
    assert ratings[0]["data"]["comment"] == "Zapier"
    saved = [e for e in journal if e["kind"] == "contact" and e["saved"]]
    assert [(e["email"], e["tosConsent"], e["source"], e["campaign"]) for e in saved] == [(lead["email"], True, "qr_scan", "booth-42")]
    for value in lead.values():
        assert value not in stored(page)
    text = "".join(path.read_text() for path in logs)
    for value in (lead["email"], lead["phone"], "Zapier"):
        assert value not in text, "logs never hold a lead's email or phone, nor a comment"
    assert json.dumps(lead["email"]) not in text
