"""Properties, with hypothesis: chunking never changes events; redaction never leaks."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bff.page_context import clean_ui_context, redact_text

from .sse_shapes import STREAM_SHAPES, encode, expected

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def widget_parser():
    """The widget's own SSE parser, in node, answering one stream per line."""
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(ROOT / "widget" / "tools" / "parse-stdin.mjs")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )

    def parse(data: bytes, cuts: list[int]) -> list[tuple[str, bytes, str]]:
        assert process.stdin and process.stdout
        process.stdin.write(json.dumps({"data": base64.b64encode(data).decode(), "cuts": sorted(cuts)}) + "\n")
        process.stdin.flush()
        return [(event, value.encode(), event_id) for event, value, event_id in json.loads(process.stdout.readline())]

    yield parse
    process.kill()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**STREAM_SHAPES)
def test_the_widget_parser_reads_any_chunking_the_same(widget_parser, events, end, bom, comments, cuts):
    data = encode(events, end, bom, comments)
    cuts = [min(cut, len(data)) for cut in cuts]
    assert widget_parser(data, cuts) == expected(events)


def luhn_complete(digits: str) -> str:
    """Append the check digit that makes `digits` Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return digits + str((10 - total % 10) % 10)


CARD = st.builds(
    luhn_complete, st.text(alphabet="0123456789", min_size=12, max_size=18)
)
SEPARATOR = st.sampled_from(["", " ", "-"])
FILLER = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Nd")), max_size=30)


def grouped(card: str, separator: str) -> str:
    return separator.join(card[i : i + 4] for i in range(0, len(card), 4))


@settings(max_examples=300, deadline=None)
@given(card=CARD, separator=SEPARATOR, before=FILLER, after=FILLER)
def test_no_luhn_valid_card_number_gets_through(card, separator, before, after):
    text = f"{before}{grouped(card, separator)}{after}"
    cleaned = redact_text(text)
    assert card not in re.sub(r"[ -]", "", cleaned)
    assert "[redacted" in cleaned


SECRET_NAMES = st.sampled_from(
    ["password", "Password", "user_password", "passwd", "pwd", "new-password", "ssn", "SSN", "cvv", "cvc",
     "card_number", "cardNumber", "cc-number", "iban", "otp", "one_time_code", "api_key", "secret", "auth_token"]
)


@settings(max_examples=200, deadline=None)
@given(name=SECRET_NAMES, value=st.text(min_size=1, max_size=40), other=st.text(max_size=20))
def test_no_secret_field_gets_through(name, value, other):
    cleaned = clean_ui_context({"formData": {name: value, "company": other or "Acme"}})
    assert cleaned["formData"][name] == "[redacted]"
