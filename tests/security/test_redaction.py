"""Redaction that keeps its promise: what the upstream receives, sent through a real BFF.

Each case comes from tests/redaction-vectors.json, which the widget's
collector is tested against too (e2e/test_security_redaction.py).
"""

from __future__ import annotations

import json

import pytest

from tests.servers import Chat, RunningEmulator

from .vectors import VECTORS, batches

REDACTED = "[redacted]"


def upstream_context(chat: Chat, emulator: RunningEmulator, ui_context: dict) -> dict:
    """Send a message with this uiContext; what the upstream was given."""
    before = len(emulator.journal("message"))
    events = chat.events("hello", uiContext=ui_context)
    assert events[-1].event == "done", events[-1].data
    return emulator.journal("message")[before]["uiContext"]


@pytest.mark.parametrize("names", batches(VECTORS["secret_names"]))
def test_secret_field_names_are_redacted_in_every_language_and_spelling(chat, emulator, names):
    seen = upstream_context(chat, emulator, {"formData": {name: "hunter2-value" for name in names}})
    assert "hunter2" not in json.dumps(seen, ensure_ascii=False)
    assert {name for name, value in seen["formData"].items() if value != REDACTED} == set()


def test_ordinary_names_that_look_like_secrets_pass(chat, emulator):
    names = VECTORS["ordinary_names"]
    seen = upstream_context(chat, emulator, {"formData": {name: "kept" for name in names}})
    assert seen["formData"] == {name: "kept" for name in names}


def test_card_numbers_are_redacted_in_every_separator(chat, emulator):
    values = VECTORS["card_values"]
    seen = upstream_context(chat, emulator, {
        "formData": {f"note{i}": value for i, value in enumerate(values)},
        "selectedElements": values[:10],
        "currentPage": "/pay?ref=" + values[5],
    })
    for name, value in seen["formData"].items():
        assert "[redacted card]" in value, (name, value)
        assert "1111" not in value and "4444" not in value, value
    assert all("[redacted card]" in item for item in seen["selectedElements"])
    assert "1111" not in seen["currentPage"]


def test_card_numbers_sent_as_json_numbers_are_redacted(chat, emulator):
    numbers = VECTORS["card_numbers_as_json"]
    seen = upstream_context(chat, emulator, {"cartId": numbers[0], "formData": {"amount": numbers[1], "n": numbers}})
    text = json.dumps(seen)
    assert all(str(number) not in text for number in numbers), text
    assert seen["cartId"] == "[redacted card]"


def test_ordinary_values_pass_untouched(chat, emulator):
    values = VECTORS["kept_values"]
    seen = upstream_context(chat, emulator, {"formData": {f"v{i}": value for i, value in enumerate(values)},
                                             "seats": 12, "vip": True})
    assert list(seen["formData"].values()) == values
    assert seen["seats"] == 12 and seen["vip"] is True


def test_nested_values_are_cleaned_recursively_never_stringified(chat, emulator):
    seen = upstream_context(chat, emulator, {
        "formData": {
            "people": [{"name": "Ana", "password": "hunter2"}, {"name": "Bo", "card": "4111 1111 1111 1111"}],
            "choices": ["red", "blue"],
            "deep": {"a": {"b": {"c": {"d": {"e": "too deep"}}}}},
        },
        "cart": {"items": [{"sku": "A1", "cvv": "123"}]},
    })
    form = seen["formData"]
    assert form["people"] == [{"name": "Ana", "password": REDACTED}, {"name": "Bo", "card": "[redacted card]"}]
    assert form["choices"] == ["red", "blue"]
    assert "too deep" not in json.dumps(form)
    assert seen["cart"] == {"items": [{"sku": "A1", "cvv": REDACTED}]}


@pytest.mark.parametrize("case", VECTORS["urls"], ids=lambda case: case["in"][:40])
def test_urls_lose_userinfo_and_auth_parameters(chat, emulator, case):
    before = len(emulator.journal("message"))
    events = chat.events("hello", uiContext={"currentPage": case["in"]},
                         scanContext={"source": "web", "pageUrl": case["in"], "referrer": case["in"]})
    assert events[-1].event == "done"
    entry = emulator.journal("message")[before]
    assert entry["uiContext"]["currentPage"] == case["out"]
    assert entry["scanContext"]["pageUrl"] == entry["scanContext"]["referrer"] == case["out"]


def test_every_secret_parameter_is_dropped_and_ordinary_ones_kept(chat, emulator):
    query = "&".join(f"{name}=v{i}" for i, name in enumerate(VECTORS["secret_params"] + VECTORS["kept_params"]))
    seen = upstream_context(chat, emulator, {"currentPage": "/p?" + query})
    kept = seen["currentPage"].split("?", 1)[1].split("&")
    assert [pair.split("=")[0] for pair in kept] == VECTORS["kept_params"]
