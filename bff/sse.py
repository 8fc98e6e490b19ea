"""Server-Sent Events as the BFF writes them to the browser.

Every event has a name, an `id:` (so a reader can say where it stopped) and
one `data:` line of compact JSON; JSON never contains a raw newline, so one
line is always enough.
"""

from __future__ import annotations

from typing import Any

import orjson

PING = b": ping\n\n"
OPEN = b": ok\n\n"


def encode(event: str, data: Any, event_id: str) -> bytes:
    return b"".join(
        (b"event: ", event.encode(), b"\nid: ", event_id.encode(), b"\ndata: ", orjson.dumps(data), b"\n\n")
    )
