"""Two BFF processes, one Redis, one emulator: any process serves any visitor."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .processes import ORIGIN, bff_process, emulator_process, journal, redis_server
from .sse_client import Event, parse, stream_events


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict]:
    with redis_server() as (redis_url, redis), emulator_process() as emulator:
        settings = {"redis_url": redis_url, "rate_messages_per_visitor": "4/minute", "resume_grace": "20"}
        with bff_process(emulator, **settings) as (a, _), bff_process(emulator, **settings) as (b, _):
            yield {"a": a, "b": b, "emulator": emulator, "redis": redis}


def session(url: str) -> str:
    response = httpx.post(f"{url}/v1/session", json={}, headers={"Origin": ORIGIN})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"Origin": ORIGIN, "Authorization": f"Bearer {token}", **extra}


def test_a_token_from_one_process_works_on_the_other(cluster):
    token = session(cluster["a"])
    response = httpx.post(f"{cluster['b']}/v1/messages", json={"content": "Is there a free trial?"},
                          headers=headers(token), timeout=20)
    assert response.status_code == 200 and "event: done" in response.text
    usage = httpx.get(f"{cluster['a']}/v1/context-usage", headers=headers(token))
    assert usage.json()["messageCount"] == 2


def test_a_rate_limit_counts_across_both(cluster):
    token = session(cluster["a"])
    codes = []
    for url in ("a", "b", "a", "b", "a"):
        response = httpx.post(f"{cluster[url]}/v1/messages", json={"content": "hi"}, headers=headers(token), timeout=20)
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 200, 429]


def test_a_reply_dropped_on_one_process_resumes_on_the_other(cluster):
    token = session(cluster["a"])
    before = len(journal(cluster["emulator"]))
    events: list[Event] = []
    with httpx.stream("POST", f"{cluster['a']}/v1/messages", json={"content": "What does it cost?"},
                      headers=headers(token), timeout=20) as response:
        for event in stream_events(response):
            events.append(event)
            if len(events) == 6:
                break
    last_id = events[-1].id
    time.sleep(0.3)
    rest = httpx.post(f"{cluster['b']}/v1/messages", headers=headers(token, **{"Last-Event-ID": last_id}), timeout=30)
    assert rest.status_code == 200
    events += parse(rest.text)
    seqs = [int(event_id.split(".")[1]) for _, event_id, _ in events]
    assert seqs == list(range(1, len(events) + 1)), "nothing lost or repeated"
    assert events[-1][0] == "done"
    text = "".join(data["content"] for name, _, data in events if name == "token")
    assert text == events[-1][2]["message"]["content"]
    messages = [entry for entry in journal(cluster["emulator"])[before:] if entry["kind"] == "message"]
    assert len(messages) == 1 and messages[0]["outcome"] == "completed", "generated once"


def test_a_stop_on_one_process_cancels_the_reply_on_the_other(cluster):
    token = session(cluster["a"])
    before = len(journal(cluster["emulator"]))
    with httpx.stream("POST", f"{cluster['a']}/v1/messages", json={"content": "What does it cost? [[fault: gap=0.1]]"},
                      headers=headers(token), timeout=20) as response:
        for event in stream_events(response):
            if event.name == "token":
                break
    stopped = httpx.post(f"{cluster['b']}/v1/stop", json={}, headers=headers(token))
    assert stopped.status_code == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entries = [e for e in journal(cluster["emulator"])[before:] if e["kind"] == "message"]
        if entries and entries[0]["outcome"] == "cancelled":
            break
        time.sleep(0.1)
    assert entries[0]["outcome"] == "cancelled"


def test_readiness_reports_redis(cluster):
    ready = httpx.get(f"{cluster['a']}/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "checks": {"upstream": True, "redis": True}}


def test_a_redis_outage_degrades_gracefully(tmp_path):
    log_path = str(tmp_path / "bff.log")
    with redis_server() as (redis_url, redis), emulator_process(gap=0) as emulator:
        with bff_process(emulator, log_path=log_path, redis_url=redis_url,
                         rate_messages_per_visitor="20/minute") as (url, bff):
            token = session(url)
            redis.terminate()
            redis.wait(10)
            response = httpx.post(f"{url}/v1/messages", json={"content": "hi"}, headers=headers(token), timeout=20)
            assert response.status_code == 200 and "event: done" in response.text
            assert session(url)
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 503 and ready.json()["checks"]["redis"] is False
            assert httpx.get(f"{url}/healthz").status_code == 200
            assert bff.poll() is None, "the BFF keeps running"
    log = open(log_path).read()
    assert "unreachable" in log
