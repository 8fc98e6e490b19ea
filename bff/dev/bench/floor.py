"""The floor of any relay on uvicorn: a bare ASGI app that copies the upstream's bytes to the browser.

Kept in the bench, not the product. It does nothing a real relay must:
no framework, no parsing, no ids, no buffer for resume, no watchdog; the
upstream's chunked body goes out as it arrived, one `send` per packet, from
a raw asyncio connection (not httpx). What it costs per token and per held
stream is what uvicorn and the event loop cost, the part of repchat's
figures that no change inside repchat's stream path can remove.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

END = b"0\r\n\r\n"  # the last chunk of a chunked body


class Upstream(asyncio.Protocol):
    """One upstream response, its packets queued for the request's task."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []
        self.ended = False
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.packets.append(data)
        self.ended = data.endswith(END)
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


def create_floor_relay(upstream: str, api_key: str) -> ASGIApp:
    parts = urlsplit(upstream)
    host, port, prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/ready":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        body = b""
        message: Message = {"more_body": True}
        while message.get("more_body"):
            message = await receive()
            body += message.get("body", b"")
        session = scope["path"].rsplit("/", 1)[-1]
        loop = asyncio.get_running_loop()
        transport, reply = await loop.create_connection(Upstream, host, port)
        transport.write(
            f"POST {prefix}/api/v1/chat/sessions/{session}/messages HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"X-API-Key: {api_key}\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        try:
            while True:
                if reply.packets:
                    packets, reply.packets = reply.packets, []
                    await send({"type": "http.response.body", "body": b"".join(packets), "more_body": True})
                elif reply.ended:
                    break
                else:
                    reply.waiter = loop.create_future()
                    await reply.waiter
        finally:
            transport.close()
        await send({"type": "http.response.body", "body": b""})

    return app


if __name__ == "__main__":
    # `python -m bff.dev.bench.floor --fd N`: serve on the socket the bench bound.
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    app = create_floor_relay(os.environ["FLOOR_UPSTREAM"], os.environ["FLOOR_API_KEY"])
    sock = socket.socket(fileno=parser.parse_args().fd)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", backlog=4096, access_log=False)).run(sockets=[sock])
