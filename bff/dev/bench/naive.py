"""The naive relay repchat is measured against: a minimal Starlette StreamingResponse over httpx.

Kept in the bench, not the product. It forwards the upstream's bytes as they
arrive (`aiter_raw`), which is what most hand-rolled relays do.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


def create_naive_relay(upstream: str, api_key: str) -> Starlette:
    client = httpx.AsyncClient(
        base_url=upstream, headers={"X-API-Key": api_key},
        timeout=httpx.Timeout(60, connect=5), limits=httpx.Limits(max_connections=20000),
    )

    async def relay(request: Request) -> StreamingResponse:
        body = await request.body()
        path = f"/api/v1/chat/sessions/{request.path_params['session_id']}/messages"

        async def stream() -> AsyncIterator[bytes]:
            async with client.stream("POST", path, content=body, headers={"Content-Type": "application/json"}) as upstream_response:
                async for chunk in upstream_response.aiter_raw():
                    yield chunk

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def ready(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/relay/{session_id}", relay, methods=["POST"]), Route("/ready", ready)])


if __name__ == "__main__":
    # `python -m bff.dev.bench.naive --fd N`: serve on the socket the bench bound.
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    app = create_naive_relay(os.environ["NAIVE_UPSTREAM"], os.environ["NAIVE_API_KEY"])
    sock = socket.socket(fileno=parser.parse_args().fd)  # a TCP socket, as uvicorn's own fd option would not say
    uvicorn.Server(uvicorn.Config(app, log_level="warning", backlog=4096)).run(sockets=[sock])
