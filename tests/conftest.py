"""Fixtures: real servers on loopback ports, the emulator as upstream, the BFF in front of it.

The helpers they use live in servers.py, which tests import directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bff.app import create_app
from bff.dev.server import BackgroundServer

from .servers import API_KEY, ORIGIN, Chat, RunningEmulator, bff_settings, start_emulator

__all__ = ["API_KEY", "ORIGIN", "Chat", "RunningEmulator", "bff_settings", "start_emulator"]


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    running = start_emulator()
    yield running
    running.server.stop()


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
