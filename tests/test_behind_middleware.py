"""A reply streams through whatever middleware an embedder adds to the BFF's app."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bff.app import create_app
from bff.dev.server import BackgroundServer

from .servers import Chat, RunningEmulator, bff_settings
from .sse_client import parse, text_of


class HoldStart:
    """Holds the response start until the first body, as compression middleware does to pick its headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if held:
                start = held.pop()
                start["headers"] = [*start["headers"], (b"x-held", b"1")]
                await send(start)
            await send(message)

        await self.app(scope, receive, hold if scope["type"] == "http" else send)


def test_a_reply_streams_behind_a_middleware_that_holds_the_start(emulator: RunningEmulator):
    app = create_app(bff_settings(emulator.url))
    app.add_middleware(HoldStart)
    with BackgroundServer(app) as server:
        visitor = Chat(server.url)
        assert visitor.start().status_code == 201
        with visitor.client.stream(
            "POST", f"{server.url}/v1/messages", json={"content": "What does it cost?"}, headers=visitor.headers()
        ) as response:
            assert response.status_code == 200
            assert response.headers["x-held"] == "1"
            body = response.read()
        visitor.client.close()
    assert body.startswith(b": ok\n\n")
    events = parse(body)
    assert events[-1].name == "done" and "token" in [event.name for event in events]
    assert events[-1].data["message"]["content"] == text_of(events)


class CountBodies:
    """Sees every body message, as a middleware that rewrites or meters bodies must."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen = bytearray()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def count(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.seen += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, count if scope["type"] == "http" else send)


def test_an_embedders_middleware_sees_every_frame_of_a_reply(emulator: RunningEmulator):
    """The BFF's own middleware is skipped for live frames; an embedder's never is."""
    app = create_app(bff_settings(emulator.url))
    counters: list[CountBodies] = []

    def counting(inner: ASGIApp) -> CountBodies:
        counters.append(CountBodies(inner))
        return counters[-1]

    app.add_middleware(counting)
    with BackgroundServer(app) as server:
        visitor = Chat(server.url)
        assert visitor.start().status_code == 201
        with visitor.client.stream(
            "POST", f"{server.url}/v1/messages", json={"content": "What does it cost? [[fault: gap=0.01]]"},
            headers=visitor.headers(),
        ) as response:
            body = response.read()
        visitor.client.close()
    assert [event.name for event in parse(body)].count("token") > 5
    assert bytes(counters[-1].seen).endswith(body)
