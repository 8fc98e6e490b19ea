"""Strict parsing of numbers that arrive as text (headers, query parameters, event ids).

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as a
digit the sender never typed; only ASCII digits count here.
"""

from __future__ import annotations

import re

DIGITS = re.compile(r"[0-9]{1,18}")


def ascii_int(text: str | None) -> int | None:
    """The whole number `text` spells in ASCII digits, else None."""
    return int(text) if text is not None and DIGITS.fullmatch(text) else None
