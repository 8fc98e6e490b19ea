import pytest

from bff.page_context import clean_scan_context, clean_ui_context, clean_url, redact_text
from bff.errors import ApiError


def test_card_numbers_are_redacted_by_luhn():
    assert redact_text("card 4111 1111 1111 1111 ok") == "card [redacted card] ok"
    assert redact_text("4242-4242-4242-4242") == "[redacted card]"
    assert redact_text("call 0123456789012") == "call [redacted number]"
    assert redact_text("order 12345, 3 seats") == "order 12345, 3 seats"


def test_secret_fields_never_pass():
    cleaned = clean_ui_context(
        {
            "currentPage": "/checkout?step=2&token=abc&session_id=9",
            "formData": {
                "email": "a@b.example",
                "password": "hunter2",
                "card_number": "4111111111111111",
                "cvv": "123",
                "notes": "my card is 5555 5555 5555 4444",
                "ssn": "078-05-1120",
            },
        }
    )
    assert cleaned["currentPage"] == "/checkout?step=2"
    form = cleaned["formData"]
    assert form["email"] == "a@b.example"
    assert form["password"] == form["card_number"] == form["cvv"] == form["ssn"] == "[redacted]"
    assert form["notes"] == "my card is [redacted card]"


def test_selected_elements_are_capped():
    cleaned = clean_ui_context({"selectedElements": [f"button {i}" for i in range(30)]})
    assert cleaned["selectedElements"] == [f"button {i}" for i in range(20, 30)]


def test_wrong_types_are_refused_with_422():
    for bad in ({"selectedElements": "x"}, {"formData": []}, {"currentPage": {"a": 1}}, "text"):
        with pytest.raises(ApiError) as refused:
            clean_ui_context(bad)
        assert refused.value.status == 422


def test_oversized_context_is_refused_with_413():
    with pytest.raises(ApiError) as refused:
        clean_ui_context({"formData": {f"f{i}": "x" * 900 for i in range(40)}})
    assert refused.value.status == 413


def test_scan_context_keeps_known_fields():
    cleaned = clean_scan_context(
        {
            "source": "qr_scan", "campaign": "booth-42", "tabTitle": "Maya",
            "pageUrl": "https://bff.example/r/maya?src=qr&c=booth-42&otp=1234",
            "utm": {"utm_source": "flyer"}, "extra": "dropped",
        }
    )
    assert cleaned == {
        "source": "qr_scan", "campaign": "booth-42", "tabTitle": "Maya",
        "pageUrl": "https://bff.example/r/maya?src=qr&c=booth-42", "utm": {"utm_source": "flyer"},
    }
    with pytest.raises(ApiError):
        clean_scan_context({"source": "carrier-pigeon"})


def test_only_web_urls_pass():
    with pytest.raises(ApiError):
        clean_url("javascript:alert(1)")
    assert clean_url("https://x.example/a?b=1#frag") == "https://x.example/a?b=1"
