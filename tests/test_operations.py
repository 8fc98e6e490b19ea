"""Operations: health, readiness, metrics, logs that keep secrets, and a graceful stop."""

from __future__ import annotations

import json
import signal
import time

import httpx

from .servers import API_KEY, Chat
from .processes import KEY, ORIGIN, bff_process, emulator_process
from .sse_client import stream_events


def metric(text: str, name: str, **labels: str) -> float:
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not in metrics:\n{text[:2000]}")


def test_health_and_readiness(bff, make_bff):
    assert httpx.get(f"{bff}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{bff}/readyz").json() == {"ready": True, "checks": {"upstream": True}}
    down = make_bff(upstream_url="http://127.0.0.1:9", connect_timeout=0.5)
    assert httpx.get(f"{down}/healthz").status_code == 200
    not_ready = httpx.get(f"{down}/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["checks"]["upstream"] is False


def test_metrics_count_what_happened(make_bff):
    url = make_bff(rate_messages_per_visitor="2/minute")
    chat = Chat(url)
    chat.start()
    chat.events("Which integrations do you have?")
    chat.post("/v1/messages", {"content": "hi [[fault: status=502]]"})
    chat.post("/v1/messages", {"content": "hi"})  # the third in a minute: refused
    text = httpx.get(f"{url}/metrics").text
    assert metric(text, "repchat_tokens_relayed_total") > 10
    assert metric(text, "repchat_active_streams") == 0
    assert metric(text, "repchat_time_to_first_token_seconds_count") == 1
    assert metric(text, "repchat_upstream_errors_total", code="upstream_error") == 1
    assert metric(text, "repchat_rate_limit_rejections_total", limit="message_per_visitor") == 1


def test_logs_are_json_and_keep_secrets(tmp_path):
    log_path = str(tmp_path / "bff.log")
    with emulator_process(gap=0) as emulator, bff_process(emulator, log_path=log_path, upstream_api_key=KEY) as (url, _):
        token = httpx.post(f"{url}/v1/session", json={}, headers={"Origin": ORIGIN}).json()["token"]
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
        form = {"email": "ana@lima.example", "note": "my card 4111 1111 1111 1111", "password": "hunter2"}
        httpx.post(f"{url}/v1/messages", json={"content": "hi", "uiContext": {"formData": form}}, headers=headers, timeout=20)
        httpx.post(f"{url}/v1/messages", json={"content": "hi [[fault: status=401]]"}, headers=headers, timeout=20)
    banner, *lines = [line for line in open(log_path).read().splitlines() if line.strip()]
    assert banner.startswith("repchat ") and lines, "a banner on stdout, then the logs"
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
    text = "\n".join(lines)
    for secret in (KEY, token, "ana@lima.example", "hunter2", "4111", API_KEY):
        assert secret not in text
    assert "upstream refused the API key" in text


def test_a_graceful_stop_ends_replies_with_an_error_the_widget_shows():
    with emulator_process(gap=0.2) as emulator, bff_process(emulator, shutdown_deadline="1") as (url, process):
        token = httpx.post(f"{url}/v1/session", json={}, headers={"Origin": ORIGIN}).json()["token"]
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
        started = time.monotonic()
        with httpx.stream("POST", f"{url}/v1/messages", json={"content": "What does it cost?"},
                          headers=headers, timeout=30) as response:
            events = stream_events(response)
            for event in events:
                if event.name == "token":
                    process.send_signal(signal.SIGTERM)
                    break
            rest = list(events)
        last = rest[-1]
        assert last.name == "error" and last.data["code"] == "interrupted" and last.data["retryable"] is True
        assert time.monotonic() - started < 10, "no hang"
        # uvicorn re-raises the signal it handled once it is done, so "killed by SIGTERM" is its clean exit.
        assert process.wait(15) in (0, -signal.SIGTERM)
