"""Visitors see the BFF's words only; the upstream's go to the logs, masked and bounded.

The upstream here is hostile: every answer echoes the API key it was sent and
an internal host name, in `detail` lists of any length and in mid-stream
error events. The BFF runs as `repchat serve --workers 2`, so every request is
served (and logged) by a worker process, not the one that read the settings.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bff.dev.server import BackgroundServer
from tests.servers import Chat

from ..processes import KEY, ORIGIN, bff_process

INTERNAL = "db-7.internal.corp"


def echo_upstream() -> Starlette:
    def leak(request: Request) -> str:
        return f"key {request.headers.get('x-api-key')} at {INTERNAL}"

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def sessions(request: Request) -> Response:
        return JSONResponse({"id": "s-1"}, status_code=201)

    async def messages(request: Request) -> Response:
        body = await request.json()
        if "refuse" in body["content"]:
            items = [{"loc": ["body", f"f{i}"], "msg": leak(request) + " " + "x" * 500} for i in range(200)]
            return JSONResponse({"detail": items}, status_code=422)
        if "command" in body["content"]:
            command = {"type": "scroll_to", "selector": "#faq", "server": True}
            frame = {"type": "done", "message": "Here.", "metadata": {"commands": [command]}}
            return Response(f"data: {json.dumps(frame)}\n\n", media_type="text/event-stream")
        frame = {"type": "error", "error": {"code": leak(request), "message": leak(request), "retryable": False}}
        return Response(f"data: {json.dumps(frame)}\n\n", media_type="text/event-stream")

    async def usage(request: Request) -> Response:
        return JSONResponse({"detail": leak(request)}, status_code=409)

    async def command(request: Request) -> Response:
        return JSONResponse({"detail": leak(request)}, status_code=401)

    return Starlette(routes=[
        Route("/health", health),
        Route("/api/v1/chat/sessions", sessions, methods=["POST"]),
        Route("/api/v1/chat/sessions/{sid}/messages", messages, methods=["POST"]),
        Route("/api/v1/chat/sessions/{sid}/context-usage", usage),
        Route("/api/v1/chat/command", command, methods=["POST"]),
    ])


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = BackgroundServer(echo_upstream())
    yield server.start()
    server.stop()


def test_upstream_words_never_reach_visitors_and_the_key_never_reaches_worker_logs(upstream, tmp_path):
    log_path = str(tmp_path / "bff.log")
    answers: list[str] = []
    with bff_process(upstream, log_path=log_path, workers=2, upstream_api_key=KEY) as (url, _):
        client = httpx.Client(base_url=url, timeout=20, headers={"Origin": ORIGIN})
        token = client.post("/v1/session", json={}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        done = client.post("/v1/messages", json={"content": "a command please"}).text.split("event: done", 1)[1]
        sent = json.loads(done.split("data: ", 1)[1].split("\n", 1)[0])["commands"][0]
        for _ in range(4):  # several requests, so both workers are likely to serve some
            refused = client.post("/v1/messages", json={"content": "refuse this"})
            assert refused.status_code == 422 and len(refused.content) < 300
            streamed = client.post("/v1/messages", json={"content": "hi"})
            assert streamed.status_code == 200
            error = json.loads(streamed.text.split("event: error", 1)[1].split("data: ", 1)[1].split("\n", 1)[0])
            assert error["code"] == "upstream_error" and error["message"] == "The chat service failed to answer."
            usage = client.get("/v1/context-usage")
            assert usage.status_code == 422
            command = client.post("/v1/commands", json={"command": sent, "result": "executed"})
            assert command.status_code == 502
            answers += [refused.text, streamed.text, usage.text, command.text]
    for answer in answers:
        assert KEY not in answer and INTERNAL not in answer, answer
    log = open(log_path).read()
    assert KEY not in log, "the API key reached a worker's log"
    assert log.count(INTERNAL) >= 12, "the upstream's words should be in the log, for the owner"
    assert max(len(line) for line in log.splitlines()) < 1000, "upstream text in the log is bounded"


def test_an_endless_upstream_answer_is_read_only_up_to_a_bound(make_bff):
    sent = []

    async def sessions(request: Request) -> Response:
        return JSONResponse({"id": "s-1"}, status_code=201)

    async def usage(request: Request) -> StreamingResponse:
        async def endless():
            for _ in range(4000):  # 256 MB if anyone read it all
                sent.append(1)
                yield b'{"detail": "' + b"x" * 65536
                await asyncio.sleep(0)  # a real server notices a reader that left
        return StreamingResponse(endless(), status_code=422, media_type="application/json")

    upstream = BackgroundServer(Starlette(routes=[
        Route("/api/v1/chat/sessions", sessions, methods=["POST"]),
        Route("/api/v1/chat/sessions/{sid}/context-usage", usage),
    ]))
    try:
        chat = Chat(make_bff(upstream_url=upstream.start()))
        assert chat.start().status_code == 201
        answer = chat.client.get(f"{chat.url}/v1/context-usage", headers=chat.headers())
        # Read whole, this would be a 422 after 256 MB; the BFF stops at 1 MiB and says the answer was unreadable.
        assert answer.status_code == 502 and answer.json()["error"]["code"] == "upstream_error"
        assert len(sent) < 1000, f"the upstream wrote {len(sent) * 64} KiB before the BFF hung up"
    finally:
        upstream.stop()
