"""Idle upstream connections are dropped before the upstream would close them, so no request races a closing one."""

import asyncio
import json

from bff.dev.processes import start_emulator, stop, wait_ready
from bff.upstream import _connection
from bff.upstream._connection import StreamClient

KEY = "k" * 32


def test_idle_stream_connections_are_reused_only_before_they_expire(monkeypatch):
    emulator = start_emulator(KEY)
    try:
        wait_ready([emulator])
        monkeypatch.setattr(_connection, "KEEPALIVE_EXPIRY", 0.3)

        async def scenario() -> tuple[bool, bool]:
            import httpx

            async with httpx.AsyncClient(base_url=emulator.url, headers={"X-API-Key": KEY}) as client:
                session = (await client.post("/api/v1/chat/sessions", json={"profileId": "demo"})).json()["id"]
            streams = StreamClient(emulator.url, KEY, 5, 30, 256 * 1024)
            body = json.dumps({"content": "hello [[fault: words=2,gap=0]]"}).encode()
            path = f"/api/v1/chat/sessions/{session}/messages"

            async def reply() -> object:
                protocol = await streams.open(path, body)
                while await protocol.next_batch():
                    pass
                protocol.close()
                return protocol

            first = await reply()
            again = await reply()  # at once: the same connection
            await asyncio.sleep(0.5)  # past the expiry: a new one
            later = await reply()
            streams.close()
            return again is first, later is not again

        reused, replaced = asyncio.run(scenario())
        assert reused and replaced
    finally:
        stop([emulator])
