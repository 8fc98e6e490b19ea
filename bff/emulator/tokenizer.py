"""Deterministic, offline token counting and stream chunking.

Real models count sub-word tokens; about four characters of English per
token is the usual rule, and it is all the emulator needs for context usage
to grow and shrink believably. Nothing is downloaded.
"""

from __future__ import annotations

import re

_COUNT = re.compile(r"\w{1,4}|[^\w\s]")
_PIECE = re.compile(r"\s*\S{1,5}|\s+")


def count_tokens(text: str) -> int:
    return len(_COUNT.findall(text))


def stream_pieces(text: str) -> list[str]:
    """Split a reply into the small pieces a model would stream; they join back to `text`."""
    return _PIECE.findall(text)
