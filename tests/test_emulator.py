"""The emulator speaks the upstream contract (docs/upstream-contract.md: what the emulator sends)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from httpx_sse import connect_sse

from bff.emulator.composer import Composer
from bff.emulator.scenario import Scenario, ScenarioError
from bff.emulator.tokenizer import count_tokens, stream_pieces
from bff.profiles import load_profiles

from .servers import API_KEY, start_emulator

KEY = {"X-API-Key": API_KEY}


@pytest.fixture
def api(emulator):
    with httpx.Client(base_url=emulator.url, headers=KEY, timeout=10) as client:
        yield client


def new_session(api) -> str:
    response = api.post("/api/v1/chat/sessions", json={"profileId": "demo", "title": "t"})
    assert response.status_code == 201
    return response.json()["id"]


def read_stream(api, session_id, content, path="messages", **extra):
    body = {"content": content, **extra} if path == "messages" else {}
    with connect_sse(api, "POST", f"/api/v1/chat/sessions/{session_id}/{path}", json=body) as source:
        assert source.response.status_code == 200
        assert source.response.headers["x-ratelimit-limit"]
        return [json.loads(sse.data) for sse in source.iter_sse()]


def test_the_api_key_is_required(emulator):
    for headers in ({}, {"X-API-Key": "wrong"}):
        response = httpx.post(f"{emulator.url}/api/v1/chat/sessions", json={"profileId": "demo"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid or missing API key"}
        assert response.headers["x-ratelimit-remaining"]
    assert httpx.get(f"{emulator.url}/health").status_code == 200


def test_session_lifecycle(api):
    created = api.post("/api/v1/chat/sessions", json={"profileId": "demo", "title": "Hello"})
    assert created.status_code == 201
    session = created.json()
    assert set(session) == {"id", "profileId", "title", "createdAt"} and session["title"] == "Hello"
    read_stream(api, session["id"], "Is there a free trial?")
    fetched = api.get(f"/api/v1/chat/sessions/{session['id']}").json()
    assert [m["role"] for m in fetched["messages"]] == ["user", "assistant"]
    assert "14-day free trial" in fetched["messages"][1]["content"]
    assert api.delete(f"/api/v1/chat/sessions/{session['id']}").status_code == 204
    assert api.get(f"/api/v1/chat/sessions/{session['id']}").status_code == 404


def test_validation_errors_are_fastapi_shaped(api):
    missing = api.post("/api/v1/chat/sessions", json={})
    assert missing.status_code == 422
    assert missing.json() == {"detail": [{"loc": ["body", "profileId"], "msg": "Field required", "type": "missing"}]}
    session_id = new_session(api)
    wrong = api.post(f"/api/v1/chat/sessions/{session_id}/messages", json={"content": 5})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "content"]
    bad_json = api.post(f"/api/v1/chat/sessions/{session_id}/messages", content=b"{nope")
    assert bad_json.status_code == 422
    assert api.post("/api/v1/chat/sessions", json={"profileId": "nobody"}).status_code == 404


def test_a_reply_streams_in_the_contract_frames(api):
    session_id = new_session(api)
    frames = read_stream(api, session_id, "What does it cost?")
    tokens = [f for f in frames if f["type"] == "token"]
    done = frames[-1]
    assert len(tokens) > 10 and all(set(f) == {"type", "content"} for f in tokens)
    assert done["type"] == "done"
    assert done["message"]["content"] == "".join(f["content"] for f in tokens)
    assert set(done["message"]) == {"id", "role", "content", "createdAt"}
    assert done["metadata"]["commands"] == [{"type": "navigate", "url": "/pricing"}]
    assert done["metadata"]["usage"]["maxTokens"] == 8000


def test_answers_follow_the_question_the_page_and_the_scan(api):
    session_id = new_session(api)
    sales = read_stream(api, session_id, "I want to talk to sales")[-1]
    assert sales["metadata"]["commands"] == [{"type": "open_modal", "id": "contact"}]
    on_pricing = read_stream(api, session_id, "how much is it?", uiContext={"currentPage": "/pricing"})[-1]
    assert on_pricing["metadata"]["commands"] == []
    assert "already on the pricing page" in on_pricing["message"]["content"]
    scanned = new_session(api)
    first = read_stream(api, scanned, "hello", scanContext={"source": "qr_scan", "campaign": "booth-42"})[-1]
    assert first["message"]["content"].startswith("Thanks for scanning my code at booth 42 at Web Summit!")
    second = read_stream(api, scanned, "hello", scanContext={"source": "qr_scan", "campaign": "booth-42"})[-1]
    assert "scanning" not in second["message"]["content"]


def test_context_usage_grows_and_compaction_lowers_it(api):
    session_id = new_session(api)
    usage_path = f"/api/v1/chat/sessions/{session_id}/context-usage"
    before = api.get(usage_path).json()
    assert set(before) == {"usedTokens", "maxTokens", "percentUsed", "messageCount", "compactRecommended"}
    for question in ("What does it cost?", "Which integrations?", "Is it secure?", "Do you have an API?"):
        read_stream(api, session_id, question)
    grown = api.get(usage_path).json()
    assert grown["usedTokens"] > before["usedTokens"] and grown["messageCount"] == 8
    frames = read_stream(api, session_id, "", path="compact")
    done = frames[-1]
    assert done["type"] == "done" and done["compactedMessages"] == 4
    assert done["summary"].startswith("Recap so far: the visitor asked \"What does it cost?\"")
    after = api.get(usage_path).json()
    assert after["usedTokens"] < grown["usedTokens"] and after["messageCount"] == 5
    assert done["usage"]["usedTokens"] == after["usedTokens"]


def test_hourly_quota_per_session():
    limited = start_emulator(hourly_quota=2)
    try:
        with httpx.Client(base_url=limited.url, headers=KEY) as api:
            session_id = new_session(api)
            read_stream(api, session_id, "hi")
            read_stream(api, session_id, "hi")
            refused = api.post(f"/api/v1/chat/sessions/{session_id}/messages", json={"content": "hi"})
            assert refused.status_code == 429
            assert refused.headers["x-ratelimit-remaining"] == "0"
            assert int(refused.headers["x-ratelimit-reset"]) > time.time()
            assert int(refused.headers["retry-after"]) > 0
            other = new_session(api)
            assert read_stream(api, other, "hi")[-1]["type"] == "done"
    finally:
        limited.server.stop()


def test_commands_and_scans_are_recorded(api, emulator):
    session_id = new_session(api)
    reported = api.post("/api/v1/chat/command", json={
        "sessionId": session_id, "command": {"type": "navigate", "url": "/pricing"}, "result": "executed",
    })
    assert reported.status_code == 200 and reported.json()["ok"] is True
    assert api.post("/api/v1/chat/command", json={"sessionId": session_id, "command": {}, "result": "x"}).status_code == 422
    scan = api.post("/api/v1/contacts/scans", json={"profileId": "demo", "source": "qr_scan", "pageUrl": "https://x/r/maya"})
    assert scan.status_code == 201
    kinds = [entry["kind"] for entry in api.get("/api/v1/_emulator/journal").json()]
    assert "command" in kinds and "scan" in kinds


def test_injected_http_errors(api):
    session_id = new_session(api)
    for status in (401, 429, 500, 502, 504):
        response = api.post(
            f"/api/v1/chat/sessions/{session_id}/messages", json={"content": "hi"},
            headers={"X-Emulator-Fault": f"status={status}"},
        )
        assert response.status_code == status and "detail" in response.json()
    bad = api.post(f"/api/v1/chat/sessions/{session_id}/messages", json={"content": "hi"},
                   headers={"X-Emulator-Fault": "explode"})
    assert bad.status_code == 400 and "unknown scenario item" in bad.json()["detail"]


def test_wire_variants_are_what_they_say(api):
    session_id = new_session(api)
    raw = api.post(
        f"/api/v1/chat/sessions/{session_id}/messages", json={"content": "hi"},
        headers={"X-Emulator-Fault": "bom,crlf,event-only,text-events,token-key=delta,ids,comments"},
    ).content
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n\r\n" in raw
    assert b"event: text\r\n" in raw and b'"delta"' in raw and b'"type"' not in raw
    assert b"id: 1\r\nretry: 3000" in raw and b": ping" in raw


def test_scenario_spec_parsing():
    scenario = Scenario().updated("drop-after=3, stall=1.5@2, cr, split=1, done=empty")
    assert (scenario.drop_after, scenario.stall, scenario.stall_after) == (3, 1.5, 2)
    assert scenario.line_end == "\r" and scenario.split == 1 and scenario.done == "empty"
    assert Scenario().updated("status=502").updated("status=504").status == 504
    for bad in ("status=418", "split=0", "gap=-1", "done=weird", "nonsense"):
        with pytest.raises(ScenarioError):
            Scenario().updated(bad)


def test_tokens_are_counted_offline_and_pieces_join_back():
    text = "Hello, world! Integrations: Segment and Stripe.\n\n- one"
    assert "".join(stream_pieces(text)) == text
    assert count_tokens(text) == count_tokens(text) > 10


def test_faq_retrieval_answers_in_the_profile_voice():
    composer = Composer(load_profiles()["demo"])
    assert "SOC 2" in composer.reply("is my data safe with you? gdpr?").text
    assert "Segment" in composer.reply("can I connect hubspot").text
    assert "don't have a good answer" in composer.reply("what's the weather on mars").text
    on_contact = {"currentPage": "/contact"}
    fill = composer.reply("please fill the form, my email is ana@x.example and my name is Ana Lima", on_contact)
    assert fill.commands == [{"type": "fill_form", "form": "#contact-form",
                              "fields": {"email": "ana@x.example", "name": "Ana Lima"}}]


def test_save_contact_saves_and_checks_like_the_upstream(emulator):
    url = f"{emulator.url}/api/v1/public/save-contact"
    key = {"X-API-Key": API_KEY}
    body = {"profile_id": "demo", "name": "Ada", "email": "ada@example.com", "tos_consent": True,
            "source": "qr_scan", "campaign": "booth-42"}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers=key).json() == {"contactSaved": True}
    entry = emulator.journal("contact")[-1]
    assert (entry["email"], entry["tosConsent"], entry["source"], entry["campaign"]) == ("ada@example.com", True, "qr_scan", "booth-42")
    refused = httpx.post(url, json={**body, "tos_consent": False}, headers=key)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "tos_consent"]
    assert httpx.post(url, json={**body, "profile_id": "nobody"}, headers=key).status_code == 404
    unsaved = httpx.post(url, json=body, headers={**key, "X-Emulator-Fault": "contact-unsaved"})
    assert unsaved.json() == {"contactSaved": False}
    assert httpx.post(url, json=body, headers={**key, "X-Emulator-Fault": "contact-status=503"}).status_code == 503


@pytest.mark.parametrize("sentence", ["My name is Ana", "my name is Ana", "MY NAME IS Ana", "my name is ana"])
def test_a_name_fills_the_name_field_whatever_the_case(sentence):
    answer = Composer(load_profiles()["demo"]).reply(sentence, {"currentPage": "/contact"})
    assert answer.commands == [{"type": "fill_form", "form": "#contact-form", "fields": {"name": sentence[-3:]}}]
    assert "filled in your name" in answer.text


def test_replies_claim_only_what_their_commands_can_do_on_that_page():
    composer = Composer(load_profiles()["demo"])
    elsewhere = composer.reply("My name is Ana", {"currentPage": "/demo"})
    assert [c["type"] for c in elsewhere.commands] == ["navigate", "fill_form"]
    assert "taking you there" in elsewhere.text
    for question in ("fill in the contact form for me, my email is a@b.example", "I want to talk to sales",
                     "What does it cost?", "faq"):
        landing = composer.reply(question, {"currentPage": "/r/maya"})
        assert [c["type"] for c in landing.commands] == ["navigate"], question
        assert "I've" not in landing.text and "link" in landing.text, landing.text
    faq = composer.reply("show me the faq", {"currentPage": "/pricing"})
    assert faq.commands == [{"type": "navigate", "url": "/demo"}, {"type": "scroll_to", "selector": "#faq"}]


def test_asked_to_fill_the_form_without_details_it_takes_the_visitor_there_and_asks():
    composer = Composer(load_profiles()["demo"])
    home = composer.reply("fill in the contact form for me", {"currentPage": "/demo"})
    assert home.commands == [{"type": "navigate", "url": "/contact"}]
    assert "taking you there" in home.text and "filled" not in home.text
    here = composer.reply("fill in the contact form for me", {"currentPage": "/contact"})
    assert here.commands == [{"type": "scroll_to", "selector": "#contact-form"}]
    landing = composer.reply("fill in the contact form for me", {"currentPage": "/r/maya"})
    assert landing.commands == [{"type": "navigate", "url": "/contact"}] and "link is below" in landing.text
