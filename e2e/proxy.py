"""A TCP proxy on loopback whose connections a test can cut, like a network change would."""

from __future__ import annotations

import asyncio
import threading


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
