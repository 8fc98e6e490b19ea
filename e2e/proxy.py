"""Proxies on loopback for the browser tests: a TCP proxy whose connections a test can cut, like a
network change would, and an HTTP proxy that holds (and may gzip) responses, like a misconfigured
reverse proxy in front of the BFF."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class CuttableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="cuttable-proxy")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {client_writer, upstream_writer}
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
        )
        self.writers -= {client_writer, upstream_writer}

    def start(self) -> str:
        self.thread.start()
        self._ready.wait(5)
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Drop every open connection at once, both ways."""

        def close_all() -> None:
            for writer in list(self.writers):
                writer.transport.abort()

        self.loop.call_soon_threadsafe(close_all)

    def stop(self) -> None:
        async def shut_down() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        self.cut()
        asyncio.run_coroutine_threadsafe(shut_down(), self.loop)
        self.thread.join(5)


def holding_proxy(target: str, compress: bool = False) -> Starlette:
    """A reverse proxy to `target` that holds each response until it has all of it, as a buffering
    nginx, a CDN or a framework's middleware does; with `compress`, it also gzips what it sends on
    (a proxy's or a framework's compression), keeping the target's other headers."""
    dropped = {"host", "content-length", "content-encoding", "transfer-encoding", "connection", "accept-encoding"}
    clients: list[httpx.AsyncClient] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=target, timeout=30) as client:
            clients.append(client)
            yield

    async def forward(request: Request) -> Response:
        headers = {name: value for name, value in request.headers.items() if name not in dropped}
        answer = await clients[0].request(
            request.method, request.url.path, params=request.query_params, headers=headers, content=await request.body()
        )
        body, out = answer.content, {name: value for name, value in answer.headers.items() if name not in dropped}
        if compress and "gzip" in request.headers.get("accept-encoding", ""):
            body, out["content-encoding"] = gzip.compress(body), "gzip"
        return Response(body, status_code=answer.status_code, headers=out)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "OPTIONS"])], lifespan=lifespan)
