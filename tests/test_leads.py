"""Contacts and ratings through the BFF, against the emulator, over real loopback HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import httpx
import pytest

from bff.app import create_app
from bff.dev.server import BackgroundServer

from .servers import Chat, RunningEmulator, bff_settings, landing_ticket, start_emulator

LEAD = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
        "note": "Call me about the Pro plan", "consent": True}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningEmulator]:
    """An emulator of this module's own: tests here change its scenario."""
    running = start_emulator()
    yield running
    running.server.stop()


@pytest.fixture
def visitor(upstream: RunningEmulator) -> Iterator[Chat]:
    upstream.emulator.scenario = upstream.emulator.scenario.updated("")
    server = BackgroundServer(create_app(bff_settings(upstream.url, rate_contacts_per_visitor="")))
    chat = Chat(server.start())
    assert chat.start().status_code == 201
    yield chat
    chat.client.close()
    server.stop()


def saved(upstream: RunningEmulator, email: str) -> list[dict]:
    return [e for e in upstream.journal("contact") if e.get("email") == email and e["saved"]]


def test_a_contact_is_saved_upstream_with_consent_source_and_campaign(visitor, upstream):
    scanned = Chat(visitor.url)
    assert scanned.start(landing=landing_ticket(visitor.url), scanContext={"source": "qr_scan"}).status_code == 201
    response = scanned.post("/v1/contact", {**LEAD, "email": "qr@example.com"})
    assert response.status_code == 201 and response.json() == {"saved": True}
    [entry] = saved(upstream, "qr@example.com")
    assert entry["tosConsent"] is True and (entry["source"], entry["campaign"]) == ("qr_scan", "booth-42")
    assert (entry["name"], entry["phone"], entry["notes"]) == (LEAD["name"], LEAD["phone"], LEAD["note"])
    assert entry["profileId"] == "demo"


def test_where_a_lead_came_from_is_what_its_token_says_not_what_it_claims(visitor, upstream):
    """Only a landing page the BFF served can say a visit came from a printed code (as for scans)."""
    response = visitor.post("/v1/contact", {**LEAD, "email": "claims@example.com", "source": "qr_scan", "campaign": "booth-42"})
    assert response.status_code == 201
    [entry] = saved(upstream, "claims@example.com")
    assert (entry["source"], entry["campaign"]) == ("web", None)


@pytest.mark.parametrize("change, fields", [
    ({"consent": False}, {"consent"}),
    ({"consent": "yes"}, {"consent"}),
    ({"name": "  ", "email": "not-an-email"}, {"name", "email"}),
    ({"phone": "call me maybe"}, {"phone"}),
    ({"note": "x" * 1001}, {"note"}),
    ({"source": "moon", "campaign": "<script>"}, {"source", "campaign"}),
    ({"name": 7}, {"name"}),
])
def test_invalid_contacts_get_422_naming_each_field_and_save_nothing(visitor, upstream, change, fields):
    before = len(upstream.journal("contact"))
    response = visitor.post("/v1/contact", {**LEAD, **change})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_contact" and set(error["fields"]) == fields
    assert all(isinstance(text, str) and text for text in error["fields"].values())
    assert len(upstream.journal("contact")) == before


def test_contact_needs_a_token_from_its_origin_and_a_small_body(visitor, bff):
    assert httpx.post(f"{visitor.url}/v1/contact", json=LEAD, headers={"Origin": visitor.origin}).status_code == 401
    other = Chat(visitor.url, origin="http://localhost:1234", token=visitor.token)
    assert other.post("/v1/contact", LEAD).json()["error"]["code"] == "origin_mismatch"
    assert visitor.post("/v1/contact", {**LEAD, "note": "x" * 70_000}).status_code == 413
    bad_key = visitor.post("/v1/contact", LEAD, **{"Idempotency-Key": "no spaces allowed"})
    assert bad_key.status_code == 400 and bad_key.json()["error"]["code"] == "invalid_idempotency_key"


def test_contacts_are_rate_limited_per_visitor(upstream):
    server = BackgroundServer(create_app(bff_settings(upstream.url, rate_contacts_per_visitor="2/minute")))
    chat = Chat(server.start())
    try:
        chat.start()
        statuses = [chat.post("/v1/contact", {**LEAD, "email": f"r{i}@example.com"}).status_code for i in range(3)]
        assert statuses == [201, 201, 429]
    finally:
        server.stop()


def test_an_idempotency_key_saves_a_double_submit_once(visitor, upstream):
    key = {"Idempotency-Key": "double-submit-0001"}
    lead = {**LEAD, "email": "double@example.com"}
    results: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: results.append(visitor.post("/v1/contact", lead, **key))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [201] * 4
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 3
    assert len(saved(upstream, "double@example.com")) == 1


def test_ratings_are_counted_by_rating(visitor):
    for rating in ("up", "down", "down"):
        body = {"messageId": "msg_abc123", "rating": rating, "comment": "Missed the price" if rating == "down" else None}
        assert visitor.post("/v1/feedback", body).status_code == 201
    metrics = httpx.get(f"{visitor.url}/metrics").text
    assert 'repchat_feedback_total{rating="up"} 1.0' in metrics
    assert 'repchat_feedback_total{rating="down"} 2.0' in metrics


@pytest.mark.parametrize("body", [
    {"messageId": "msg_1", "rating": "meh"}, {"rating": "up"}, {"messageId": "<b>", "rating": "up"},
    {"messageId": "msg_1", "rating": "down", "comment": "x" * 1001}, {"messageId": "msg_1", "rating": "up", "comment": 5},
])
def test_bad_ratings_get_422(visitor, body):
    response = visitor.post("/v1/feedback", body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_feedback"


def test_logs_never_hold_a_leads_email_phone_or_a_ratings_comment(visitor, caplog):
    with caplog.at_level(logging.DEBUG):
        assert visitor.post("/v1/contact", {**LEAD, "email": "private@example.com"}).status_code == 201
        visitor.post("/v1/feedback", {"messageId": "msg_x", "rating": "down", "comment": "secret complaint"})
        visitor.post("/v1/contact", {**LEAD, "email": "private@example.com", "consent": False})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "lead captured" in text and "feedback: rating=down" in text
    for secret in ("private@example.com", LEAD["phone"], LEAD["note"], "secret complaint", "Lovelace"):
        assert secret not in text
