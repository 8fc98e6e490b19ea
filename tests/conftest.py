"""Real servers on loopback ports: the emulator as upstream, the BFF in front of it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, connect_sse

from bff.app import create_app
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


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    running = start_emulator()
    yield running
    running.server.stop()


def bff_settings(upstream_url: str, **overrides: Any) -> Settings:
    base = Settings(
        upstream_url=upstream_url,
        upstream_api_key=API_KEY,
        secret_keys=("test-secret-1",),
        allowed_origins=(ORIGIN, "http://localhost:*"),
        public_url="http://bff.test",
        heartbeat=15.0,
        # Tests make many sessions from one address; the limits have tests of their own.
        rate_sessions_per_ip="",
        rate_messages_per_visitor="",
        rate_messages_per_ip="",
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


@pytest.fixture(scope="session")
def bff(emulator: RunningEmulator) -> Iterator[str]:
    server = BackgroundServer(create_app(bff_settings(emulator.url)))
    yield server.start()
    server.stop()


@pytest.fixture
def make_bff(emulator: RunningEmulator) -> Iterator[Callable[..., str]]:
    """Start a BFF with particular settings; stopped after the test."""
    servers: list[BackgroundServer] = []

    def make(upstream_url: str | None = None, **overrides: Any) -> str:
        server = BackgroundServer(create_app(bff_settings(upstream_url or emulator.url, **overrides)))
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def chat(bff: str) -> Iterator[Chat]:
    visitor = Chat(bff)
    assert visitor.start().status_code == 201
    yield visitor
    visitor.client.close()
