"""The catalogue of error codes is the one place a code gets its status and message."""

from __future__ import annotations

import re
from pathlib import Path

from bff.errors import CODES, ApiError, error_event

BFF = Path(__file__).resolve().parent.parent / "bff"
USE = re.compile(r'(?:ApiError|error_event)\(\s*"(\w+)"')


def test_every_code_raised_is_catalogued():
    used = {code for path in BFF.rglob("*.py") for code in USE.findall(path.read_text())}
    assert used, "the pattern must find the call sites"
    assert used <= set(CODES), used - set(CODES)


def test_no_status_or_message_is_written_beside_a_code():
    # The old form `ApiError(502, "code", ...)` would bypass the catalogue.
    stray = [str(path) for path in BFF.rglob("*.py") if re.search(r"ApiError\(\s*\d", path.read_text())]
    assert stray == []


def test_a_code_carries_its_status_retry_and_sentence():
    error = ApiError("too_many_streams", headers={"Retry-After": "2"})
    assert (error.status, error.retryable) == (429, True)
    assert error.response().status_code == 429
    assert error_event("interrupted") == {
        "code": "interrupted", "message": CODES["interrupted"].message, "retryable": True,
    }
    assert all(entry.message.endswith((".", ")")) for entry in CODES.values())
