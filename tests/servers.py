"""Real servers on loopback for the tests: the emulator as upstream, the BFF settings, a visitor.

Helpers only; the fixtures that use them are in conftest.py. e2e/ and
benchmarks/ import these from here.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from bff.emulator import EmulatorConfig, create_emulator
from bff.emulator.app import Emulator
from bff.dev.server import BackgroundServer
from bff.settings import Settings

API_KEY = "test-upstream-key-" + secrets.token_hex(8)
ORIGIN = "http://site.test"


@dataclass
class RunningEmulator:
    server: BackgroundServer
    emulator: Emulator

    @property
    def url(self) -> str:
        return self.server.url

    def journal(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [entry for entry in self.emulator.store.journal if kind is None or entry["kind"] == kind]


def start_emulator(**overrides: Any) -> RunningEmulator:
    options = {"api_key": API_KEY, "first_token_delay": 0.0, "token_gap": 0.0, "fault_directives": True}
    app = create_emulator(EmulatorConfig(**{**options, **overrides}))
    server = BackgroundServer(app)
    server.start()
    return RunningEmulator(server, app.state.emulator)


def landing_ticket(bff: str, query: str = "src=qr&c=booth-42") -> str:
    """The signed ticket the demo profile's landing page hands its widget (data-landing)."""
    page = httpx.get(f"{bff}/r/maya?{query}").text
    found = re.search(r'data-landing="([^"]+)"', page)
    assert found, "the landing page carries no ticket"
    return html.unescape(found.group(1))


def bff_settings(upstream_url: str, **overrides: Any) -> Settings:
    base = Settings(
        upstream_url=upstream_url,
        upstream_api_key=API_KEY,
        secret_keys=("test-secret-1",),
        allowed_origins=(ORIGIN, "http://localhost:*"),
        public_url="http://bff.test",
        demo_site=True,  # the bundled demo profile and its landing page /r/maya
        heartbeat=15.0,
        # Tests make many sessions from one address; the limits have tests of their own.
        rate_sessions_per_ip="",
        rate_messages_per_visitor="",
        rate_messages_per_ip="",
        rate_calls_per_visitor="",
        rate_calls_per_ip="",
        rate_resumes_per_visitor="",
        rate_qr_per_ip="",
        max_streams_per_address=0,
    )
    return base.replace(**overrides)


@dataclass
class Chat:
    """A visitor talking to a BFF the way the widget does, over real HTTP."""

    url: str
    origin: str = ORIGIN
    token: str = ""
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=20))

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Origin": self.origin}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **extra}

    def start(self, **body: Any) -> httpx.Response:
        response = self.client.post(f"{self.url}/v1/session", json=body, headers=self.headers())
        if response.status_code == 201:
            self.token = response.json()["token"]
        return response

    def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return self.client.post(f"{self.url}{path}", json=body, headers=self.headers(**headers))

    def events(self, content: str, path: str = "/v1/messages", **body: Any) -> list[ServerSentEvent]:
        """Send a message and read the whole reply with a third-party SSE client."""
        payload = {"content": content, **body} if path == "/v1/messages" else body
        with connect_sse(
            self.client, "POST", f"{self.url}{path}", json=payload, headers=self.headers()
        ) as source:
            assert source.response.status_code == 200, source.response.read()
            return list(source.iter_sse())
