"""A real HTTP server that receives repchat's webhooks the way an owner's would.

It checks each delivery's signature with the README's recipe, can fail the
first N deliveries with a 500, and keeps what arrived for the test to read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bff.dev.server import BackgroundServer


def signature_ok(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The README's verification recipe, verbatim in spirit: t=..., sha256=HMAC("<t>.<body>")."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["sha256"]) and abs(time.time() - int(parts["t"])) <= tolerance


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)  # every delivery, failed ones too
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BackgroundServer | None = None

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            entry = {
                "body": json.loads(body),
                "valid": signature_ok(self.secret, body, request.headers.get("x-repchat-signature", "")),
                "event": request.headers.get("x-repchat-event"),
                "failed": len(self.received) < self.fail_first,
            }
            self.received.append(entry)
        return Response(status_code=500 if entry["failed"] else 204)

    def start(self, port: int = 0) -> str:
        self.server = BackgroundServer(Starlette(routes=[Route("/hook", self.hook, methods=["POST"])]), port=port)
        return self.server.start() + "/hook"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def delivered(self, event: str | None = None) -> list[dict[str, Any]]:
        """Bodies of deliveries answered 2xx, deduplicated by event id as a receiver should."""
        seen: dict[str, dict[str, Any]] = {}
        with self.lock:
            for entry in self.received:
                if not entry["failed"] and (event is None or entry["body"]["event"] == event):
                    seen.setdefault(entry["body"]["id"], entry["body"])
        return list(seen.values())

    def wait_for(
        self, event: str, count: int = 1, timeout: float = 20.0, where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """The deliveries of `event` (those `where` accepts) once `count` of them have arrived.

        A receiver shared by several tests already holds earlier tests' events:
        `where` waits for this test's own, not for any.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [body for body in self.delivered(event) if where is None or where(body)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"{event}: {len(found)} of {count} arrived; got {self.received}")
            time.sleep(0.02)
