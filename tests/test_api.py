"""The BFF's HTTP API against the emulator, over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from .servers import API_KEY, ORIGIN, Chat


def test_healthz(bff):
    assert httpx.get(f"{bff}/healthz").json()["status"] == "ok"


def test_a_session_gives_a_token_and_never_the_key(bff):
    visitor = Chat(bff)
    response = visitor.start(site="shop")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expiresAt", "site", "limits", "privacyUrl"} and body["site"] == "shop"
    assert body["privacyUrl"] == "https://lumen-analytics.example/privacy"
    assert body["limits"] == {"messageChars": 4000}  # the widget counts against the limit the BFF enforces
    assert dt.datetime.fromisoformat(body["expiresAt"]) > dt.datetime.now(dt.UTC)
    assert API_KEY not in response.text and API_KEY not in str(response.headers)


def test_origin_rules(bff):
    for origin, code in (("http://evil.example", "origin_not_allowed"), ("", "origin_missing")):
        refused = httpx.post(f"{bff}/v1/session", json={}, headers={"Origin": origin} if origin else {})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == code
    assert Chat(bff, origin="http://localhost:5173").start().status_code == 201


def test_a_token_works_only_from_its_own_origin(chat, bff):
    other = Chat(bff, origin="http://localhost:9999", token=chat.token)
    refused = other.post("/v1/messages", {"content": "hi"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_mismatch"


def test_bad_tokens_get_401(bff):
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = httpx.post(f"{bff}/v1/messages", json={"content": "hi"}, headers={"Origin": ORIGIN, **header})
        assert response.status_code == 401
        assert response.json()["error"]["code"] in ("token_missing", "token_invalid")


def test_the_session_id_comes_only_from_the_token(chat, emulator):
    mine = len(emulator.journal("message"))
    chat.events("hi", sessionId="ses_someone_else", session_id="ses_x")
    entry = emulator.journal("message")[mine]
    assert entry["sessionId"] != "ses_someone_else" and entry["sessionId"].startswith("ses_")


def test_bad_message_bodies(chat, make_bff, emulator):
    cases = [
        ({"content": ""}, 422, "invalid_content"),
        ({"content": 7}, 422, "invalid_content"),
        ({"content": "x" * 4001}, 422, "message_too_long"),
        ({"content": "hi", "uiContext": []}, 422, "invalid_context"),
        ({"content": "hi", "scanContext": {"source": "moon"}}, 422, "invalid_context"),
    ]
    for body, status, code in cases:
        response = chat.post("/v1/messages", body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    broken = chat.client.post(f"{chat.url}/v1/messages", content=b"{oops", headers=chat.headers())
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    small = Chat(make_bff(max_body_bytes=200))
    small.start()
    too_big = small.post("/v1/messages", {"content": "y" * 300})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "body_too_large"


def test_context_is_redacted_before_it_leaves(chat, emulator):
    before = len(emulator.journal("message"))
    chat.events(
        "hello",
        uiContext={
            "currentPage": "/checkout?coupon=X&token=s3cret",
            "formData": {"email": "a@b.example", "password": "hunter2", "note": "card 4111 1111 1111 1111"},
        },
    )
    sent = emulator.journal("message")[before]["uiContext"]
    assert sent == {
        "currentPage": "/checkout?coupon=X",
        "formData": {"email": "a@b.example", "password": "[redacted]", "note": "card [redacted card]"},
    }


def test_context_usage_and_compaction(chat):
    first = chat.client.get(f"{chat.url}/v1/context-usage", headers=chat.headers()).json()
    for question in ("What does it cost?", "Which integrations?", "Is it secure?"):
        chat.events(question)
    grown = chat.client.get(f"{chat.url}/v1/context-usage", headers=chat.headers()).json()
    assert grown["usedTokens"] > first["usedTokens"] and 0 < grown["percentUsed"] < 100
    events = chat.events("", path="/v1/compact")
    assert [e.event for e in events][-1] == "done"
    done = json.loads(events[-1].data)
    assert done["compactedMessages"] == 2 and done["summary"].startswith("Recap so far")
    assert done["usage"]["usedTokens"] < grown["usedTokens"]
    assert "".join(json.loads(e.data)["content"] for e in events if e.event == "token") == done["summary"]


def test_server_commands_are_reported_upstream(chat, emulator):
    done = json.loads(chat.events("What does it cost? [[fault: server-commands]]")[-1].data)
    command = done["commands"][0]
    assert command["server"] is True and command["receipt"]
    response = chat.post("/v1/commands", {"command": command, "result": "executed"})
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.json()["commandId"].startswith("cmd_")
    assert emulator.journal("command")[-1]["result"] == "executed"
    assert chat.post("/v1/commands", {"command": {"type": "x"}, "result": "maybe"}).status_code == 422


def test_cors_lets_only_allowed_origins_in_and_tells_the_others_why(bff):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    ok = httpx.options(f"{bff}/v1/messages", headers={"Origin": ORIGIN, **ask})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    # Another origin's browser may send the request, to read why it is refused; nothing runs for it.
    evil = "http://evil.example"
    asked = httpx.options(f"{bff}/v1/session", headers={"Origin": evil, **ask})
    assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == evil
    refused = httpx.post(f"{bff}/v1/session", json={}, headers={"Origin": evil})
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == evil
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert "REPCHAT_ALLOWED_ORIGINS" in refused.json()["error"]["message"]
    odd = httpx.options(f"{bff}/v1/session", headers={"Origin": evil, "Access-Control-Request-Method": "PUT"})
    assert odd.status_code == 400 and "access-control-allow-origin" not in odd.headers
    allowed = httpx.post(f"{bff}/v1/session", json={}, headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN


def test_upstream_refusing_the_key_is_not_a_visitor_401(make_bff, emulator):
    url = make_bff(upstream_api_key="wrong-key")
    response = Chat(url).start()
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_auth"


def test_upstream_unreachable(make_bff):
    url = make_bff(upstream_url="http://127.0.0.1:9", connect_timeout=1.0)
    response = Chat(url).start()
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unreachable"
