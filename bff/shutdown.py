"""A graceful end for replies in flight when the server is told to stop.

uvicorn stops accepting connections on SIGTERM/SIGINT and then waits for
open ones, but an event stream never ends on its own, and the app hears of
the shutdown only after that wait. So the app chains a handler in front of
uvicorn's: running replies get `deadline` seconds to finish, then end with an
`interrupted` error the widget shows and offers to retry, never a hang.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("repchat.shutdown")


def on_stop_signals(drain: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `drain()` on this loop when SIGTERM or SIGINT arrives, then let uvicorn's handler act."""
    if threading.current_thread() is not threading.main_thread():
        return  # an embedded server (tests, the demo's emulator) owns no signals
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def handler(sig: int, frame: Any, previous: Any = previous) -> None:
            log.info("stopping: replies in flight get their deadline")
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(drain()))
            if callable(previous):
                previous(sig, frame)

        signal.signal(signum, handler)
