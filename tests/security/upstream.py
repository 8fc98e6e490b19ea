"""A scripted upstream for security tests: each reply's `done` carries the commands the message names.

The visitor's message is JSON `{"say": "...", "commands": [...]}`; anything
else gets a plain reply with no commands. It stands in for a model that has
been talked into probing the page.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def scripted_upstream() -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def sessions(request: Request) -> Response:
        return JSONResponse({"id": "s-scripted"}, status_code=201)

    async def messages(request: Request) -> Response:
        content = (await request.json())["content"]
        try:
            script = json.loads(content)
        except ValueError:
            script = {"say": "Hello.", "commands": []}
        frames = [{"type": "token", "content": script["say"]},
                  {"type": "done", "message": {"id": "m-1", "role": "assistant", "content": script["say"]},
                   "metadata": {"commands": script["commands"], "usage": {"usedTokens": 10, "maxTokens": 8000}}}]
        return Response("".join(f"data: {json.dumps(frame)}\n\n" for frame in frames), media_type="text/event-stream")

    async def command(request: Request) -> Response:
        return JSONResponse({"ok": True, "commandId": "c-1"})

    return Starlette(routes=[
        Route("/health", health),
        Route("/api/v1/chat/sessions", sessions, methods=["POST"]),
        Route("/api/v1/chat/sessions/{sid}/messages", messages, methods=["POST"]),
        Route("/api/v1/chat/command", command, methods=["POST"]),
    ])
