"""Validate, size-cap and redact the uiContext and scanContext a browser sends.

The widget already leaves out password, hidden, one-time-code and card
fields; this is the second line: whatever reaches the upstream has passed
here, whatever the browser (or an attacker) sent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from .errors import ApiError

MAX_UI_CONTEXT_BYTES = 16 * 1024
MAX_SCAN_CONTEXT_BYTES = 4 * 1024
MAX_URL = 2048
MAX_TEXT = 300
MAX_SELECTED = 10
MAX_SELECTED_TEXT = 200
MAX_FORM_FIELDS = 50
MAX_FIELD_NAME = 100
MAX_FIELD_VALUE = 1000
MAX_EXTRA_KEYS = 20
SCAN_SOURCES = {"qr_scan", "web", "link", "email", "social", "ad", "mcp"}

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"pass(word|wd|code)?|pwd|secret|token|api.?key|auth|session|ssn|social.?sec|"
    r"cvv|cvc|csc|card.?(num|no)|cc.?(num|no|exp)|iban|pin\b|otp|one.?time",
    re.IGNORECASE,
)
_SECRET_PARAM = re.compile(
    r"^(.*token.*|.*secret.*|.*key|pass.*|pwd|auth.*|code|sig|signature|session.*|sid|otp)$",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){8,}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _redact_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return "[redacted card]"
    return "[redacted number]"


def redact_text(text: str) -> str:
    """Replace card numbers (Luhn-valid) and long digit runs in free text."""
    return _DIGIT_RUN.sub(_redact_digits, text)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def clean_url(url: str) -> str:
    """An http(s) URL or a path, with secret-looking query parameters removed."""
    if len(url) > MAX_URL:
        raise ApiError("invalid_context", "A URL in the context is too long.")
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https"):
        raise ApiError("invalid_context", "A URL in the context must be http(s).")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _SECRET_PARAM.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _text(value: Any, name: str, limit: int = MAX_TEXT) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ApiError("invalid_context", f"{name} must be a string.")
    return redact_text(str(value)[:limit])


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError("invalid_context", f"{name} must be an object.")
    return value


def _check_size(value: Any, name: str, limit: int) -> None:
    if len(orjson.dumps(value)) > limit:
        raise ApiError("context_too_large", f"{name} is larger than {limit} bytes.")


def clean_form_data(form: Any) -> dict[str, str]:
    form = _object(form, "uiContext.formData")
    cleaned: dict[str, str] = {}
    for name, value in list(form.items())[:MAX_FORM_FIELDS]:
        name = str(name)[:MAX_FIELD_NAME]
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        if value is None or isinstance(value, (dict, list)):
            continue
        cleaned[name] = REDACTED if is_secret_name(name) else _text(value, name, MAX_FIELD_VALUE)
    return cleaned


def clean_ui_context(raw: Any) -> dict[str, Any] | None:
    """The uiContext to forward upstream, or None when none was sent."""
    if raw is None:
        return None
    raw = _object(raw, "uiContext")
    _check_size(raw, "uiContext", MAX_UI_CONTEXT_BYTES)
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key == "currentPage":
            cleaned[key] = clean_url(_text(value, key, MAX_URL))
        elif key == "selectedElements":
            if not isinstance(value, list):
                raise ApiError("invalid_context", "uiContext.selectedElements must be a list.")
            cleaned[key] = [_text(item, key, MAX_SELECTED_TEXT) for item in value[-MAX_SELECTED:]]
        elif key == "formData":
            cleaned[key] = clean_form_data(value)
        elif len(cleaned) < MAX_EXTRA_KEYS and not is_secret_name(str(key)):
            # Extra keys come from the host page's RepChat.setContext(); only
            # scalars pass, so nothing nested can smuggle raw form data through.
            if isinstance(value, (str, int, float, bool)):
                cleaned[str(key)[:MAX_FIELD_NAME]] = (
                    value if isinstance(value, (bool, int, float)) else _text(value, key)
                )
    return cleaned


def clean_scan_context(raw: Any) -> dict[str, Any] | None:
    """The scanContext to forward upstream, or None when none was sent."""
    if raw is None:
        return None
    raw = _object(raw, "scanContext")
    _check_size(raw, "scanContext", MAX_SCAN_CONTEXT_BYTES)
    cleaned: dict[str, Any] = {}
    for key in ("tabTitle", "campaign"):
        if raw.get(key) is not None:
            cleaned[key] = _text(raw[key], f"scanContext.{key}", 100 if key == "campaign" else MAX_TEXT)
    for key in ("pageUrl", "referrer"):
        if raw.get(key):
            cleaned[key] = clean_url(_text(raw[key], f"scanContext.{key}", MAX_URL))
    if raw.get("source") is not None:
        source = _text(raw["source"], "scanContext.source", 32)
        if source not in SCAN_SOURCES:
            raise ApiError("invalid_context", f"scanContext.source must be one of {', '.join(sorted(SCAN_SOURCES))}.")
        cleaned["source"] = source
    if raw.get("utm") is not None:
        utm = _object(raw["utm"], "scanContext.utm")
        cleaned["utm"] = {
            str(k)[:40]: _text(v, f"scanContext.utm.{k}", 100)
            for k, v in list(utm.items())[:10]
            if isinstance(v, (str, int))
        }
    return cleaned
