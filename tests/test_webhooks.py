"""Owner webhooks: signed, delivered at least once with backoff, durable across restarts with Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bff.app import create_app
from bff.dev.server import BackgroundServer
from bff.webhooks import sign, verify

from .processes import KEY, ORIGIN, bff_process, emulator_process, journal, redis_server
from .servers import Chat, RunningEmulator, bff_settings, landing_ticket
from .webhook_receiver import Receiver, signature_ok

SECRET = "whsec-test-" + "0" * 16
LEAD = {"name": "Ada Lovelace", "email": "ada.webhook@example.com", "phone": "+44 20 7946 0958", "consent": True}


def test_signatures_follow_the_documented_recipe():
    body = b'{"id":"evt_1","event":"lead.captured"}'
    header = sign(SECRET, body, 1_700_000_000)
    assert header.startswith("t=1700000000,sha256=") and len(header.split("sha256=")[1]) == 64
    assert verify(SECRET, body, header, now=1_700_000_100)
    assert not verify(SECRET, body + b" ", header, now=1_700_000_100), "a changed body fails"
    assert not verify("other-secret", body, header, now=1_700_000_100), "another key fails"
    assert not verify(SECRET, body, header, now=1_700_000_400), "an old delivery (a replay) fails"
    assert not verify(SECRET, body, "sha256=abc")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiving = Receiver(SECRET)
    yield receiving
    receiving.stop()


def webhook_bff(emulator: RunningEmulator, receiver_url: str, **overrides: object) -> BackgroundServer:
    settings = bff_settings(emulator.url, webhook_url=receiver_url, webhook_secret=SECRET, webhook_backoff=0.05,
                            rate_contacts_per_visitor="", **overrides)
    return BackgroundServer(create_app(settings))


def test_each_event_arrives_signed_with_its_data(emulator, receiver):
    server = webhook_bff(emulator, receiver.start())
    visitor = Chat(server.start())
    try:
        arrival = {"source": "qr_scan", "campaign": "booth-42", "pageUrl": "/r/maya"}
        assert visitor.start(landing=landing_ticket(visitor.url), scanContext=arrival).status_code == 201
        assert visitor.post("/v1/contact", LEAD).status_code == 201
        assert visitor.post("/v1/feedback", {"messageId": "msg_1", "rating": "down", "comment": "Too vague"}).status_code == 201
        [lead] = receiver.wait_for("lead.captured")
        [rating] = receiver.wait_for("feedback.given")
        [scan] = receiver.wait_for("scan.recorded")
    finally:
        server.stop()
    assert all(entry["valid"] for entry in receiver.received)
    assert set(lead) == {"id", "event", "timestamp", "data"} and lead["id"].startswith("evt_")
    assert lead["data"] | {"conversationId": None} == {
        "profileId": "demo", "conversationId": None, "site": "default", "name": "Ada Lovelace",
        "email": "ada.webhook@example.com", "phone": "+44 20 7946 0958", "note": None, "consent": True,
        "source": "qr_scan", "campaign": "booth-42", "visitor": {"verified": False},
    }
    assert (rating["data"]["rating"], rating["data"]["comment"], rating["data"]["messageId"]) == ("down", "Too vague", "msg_1")
    assert (scan["data"]["source"], scan["data"]["campaign"]) == ("qr_scan", "booth-42")
    assert len({lead["id"], rating["id"], scan["id"]}) == 3


def test_a_signed_in_visitors_lead_and_rating_say_who_the_host_vouched_for(emulator, receiver):
    """With a signed identity (data-identity), the owner can tell a customer's lead from an anonymous one."""
    secret = "identity-secret-" + "5" * 32
    server = webhook_bff(emulator, receiver.start(), identity_secrets=(secret,))
    visitor = Chat(server.start())
    try:
        signed = jwt.encode({"id": "cust-7", "email": "ada@example.com", "exp": int(time.time()) + 600}, secret, algorithm="HS256")
        assert visitor.start(identity=signed).status_code == 201
        assert visitor.post("/v1/contact", LEAD).status_code == 201
        assert visitor.post("/v1/feedback", {"messageId": "msg_2", "rating": "up"}).status_code == 201
        [lead] = receiver.wait_for("lead.captured")
        [rating] = receiver.wait_for("feedback.given")
    finally:
        server.stop()
    expected = {"verified": True, "id": "cust-7", "email": "ada@example.com"}
    assert lead["data"]["visitor"] == expected and rating["data"]["visitor"] == expected


def test_a_failing_receiver_gets_the_same_event_again_until_it_accepts(emulator):
    receiver = Receiver(SECRET, fail_first=2)
    server = webhook_bff(emulator, receiver.start())
    visitor = Chat(server.start())
    try:
        visitor.start()
        visitor.post("/v1/feedback", {"messageId": "msg_2", "rating": "up"})
        [event] = receiver.wait_for("feedback.given")
    finally:
        server.stop()
        receiver.stop()
    assert [entry["body"]["id"] for entry in receiver.received] == [event["id"]] * 3
    assert [entry["failed"] for entry in receiver.received] == [True, True, False]


def test_a_delivery_that_never_succeeds_is_logged_and_counted(emulator, caplog):
    receiver = Receiver(SECRET, fail_first=1000)
    server = webhook_bff(emulator, receiver.start(), webhook_max_attempts=3)
    visitor = Chat(server.start())
    try:
        visitor.start()
        visitor.post("/v1/feedback", {"messageId": "msg_3", "rating": "up"})
        deadline = time.monotonic() + 20
        metric = 'repchat_webhooks_total{event="feedback.given",outcome="failed"} 1.0'
        while metric not in httpx.get(f"{visitor.url}/metrics").text:
            assert time.monotonic() < deadline, "the given-up delivery is counted"
            time.sleep(0.05)
    finally:
        server.stop()
        receiver.stop()
    assert len(receiver.received) == 3, "exactly max_attempts tries"
    assert any("failed for good after 3 tries" in record.getMessage() for record in caplog.records)


def test_delivery_never_delays_the_visitor(emulator):
    """The visitor's answer comes while the receiver is still holding the delivery: it runs in the background."""
    arrived, release = threading.Event(), threading.Event()

    async def hook(request: Request) -> Response:
        arrived.set()
        await asyncio.to_thread(release.wait, 30)
        return Response(status_code=204)

    holding = BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    server = webhook_bff(emulator, holding.start() + "/hook")
    visitor = Chat(server.start(), client=httpx.Client(timeout=5))
    try:
        visitor.start()
        assert visitor.post("/v1/contact", {**LEAD, "email": "fast@example.com"}).status_code == 201
        assert arrived.wait(10) and not release.is_set()
    finally:
        release.set()
        server.stop()
        holding.stop()


def test_with_redis_events_survive_a_restart_and_arrive_once(tmp_path):
    """Upstream fails the first save, the receiver fails two deliveries, the BFF restarts in between."""
    receiver = Receiver(SECRET, fail_first=2)
    hook = receiver.start()
    first_log, second_log = str(tmp_path / "first.log"), str(tmp_path / "second.log")
    settings = {"webhook_url": hook, "webhook_secret": SECRET, "webhook_backoff": "3", "rate_contacts_per_visitor": ""}
    lead = {**LEAD, "email": "restart@example.com"}
    key = {"Idempotency-Key": "restart-test-0001"}
    try:
        with redis_server() as (redis_url, _), emulator_process(gap=0) as emulator:
            with bff_process(emulator, log_path=first_log, redis_url=redis_url, **settings) as (url, _):
                visitor = Chat(url, origin=ORIGIN)
                assert visitor.start().status_code == 201
                set_scenario(emulator, "contact-unsaved")
                failed = visitor.post("/v1/contact", lead, **key)
                assert failed.status_code == 502 and failed.json()["error"]["code"] == "contact_not_saved"
                set_scenario(emulator, "")
                assert visitor.post("/v1/contact", lead, **key).status_code == 201
                assert visitor.post("/v1/feedback", {"messageId": "msg_r", "rating": "down", "comment": "Wrong"}).status_code == 201
                wait_until(lambda: len(receiver.received) >= 2)  # both first tries failed; retries wait 3 s
            # The BFF is gone with both events undelivered; a new process (another worker) delivers them.
            with bff_process(emulator, log_path=second_log, redis_url=redis_url, **settings) as (url, _):
                leads = receiver.wait_for("lead.captured")
                ratings = receiver.wait_for("feedback.given")
                again = Chat(url, origin=ORIGIN, token=visitor.token).post("/v1/contact", lead, **key)
                assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
            saved = [e for e in journal(emulator) if e["kind"] == "contact" and e.get("saved")]
    finally:
        receiver.stop()
    assert len(leads) == 1 and len(ratings) == 1
    assert leads[0]["data"]["email"] == "restart@example.com" and ratings[0]["data"]["comment"] == "Wrong"
    assert all(entry["valid"] for entry in receiver.received)
    assert [e["email"] for e in saved] == ["restart@example.com"]
    log = open(first_log).read() + open(second_log).read()
    assert "lead captured" in log and "try 1 failed (HTTP 500)" in log
    for secret in ("restart@example.com", LEAD["phone"], "Lovelace", "Wrong"):
        assert secret not in log, "logs never hold a lead's details or a comment"


def set_scenario(emulator: str, spec: str) -> None:
    response = httpx.put(f"{emulator}/api/v1/_emulator/scenario", json={"scenario": spec}, headers={"X-API-Key": KEY})
    assert response.status_code == 200


def wait_until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_the_readme_recipe_verifies_a_real_delivery():
    body = b'{"id":"evt_x"}'
    assert signature_ok(SECRET, body, sign(SECRET, body, int(time.time())))

