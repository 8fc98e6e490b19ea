"""Validate, size-cap and redact the uiContext and scanContext a browser sends.

The widget already leaves out password, hidden, one-time-code and card
fields; this is the second line: whatever reaches the upstream has passed
here, whatever the browser (or an attacker) sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from .errors import ApiError
from .redaction import REDACTED, clean_url_parts, is_secret_name, redact_text

__all__ = ["clean_scan_context", "clean_ui_context", "clean_url", "is_secret_name", "redact_text"]

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

MAX_DEPTH = 4
MAX_ITEMS = 20


def clean_url(url: str) -> str:
    """An http(s) URL or a path, without userinfo, fragment or credential-carrying parameters."""
    if len(url) > MAX_URL:
        raise ApiError("invalid_context", "A URL in the context is too long.")
    try:
        if urlsplit(url).scheme not in ("", "http", "https"):
            raise ApiError("invalid_context", "A URL in the context must be http(s).")
        return clean_url_parts(url)
    except ValueError:  # urllib refuses malformed hosts such as "http://[::1"
        raise ApiError("invalid_context", "A URL in the context is malformed.") from None


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


def clean_value(name: str, value: Any, depth: int = 0) -> Any:
    """A context value with secrets redacted, nested lists and objects cleaned item by item.

    A secret name hides its whole value; numbers are checked like text (a card
    number sent as a JSON number is still a card number); what lies deeper than
    MAX_DEPTH is dropped rather than passed on unread.
    """
    if is_secret_name(name):
        return REDACTED
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return redact_text(value[:MAX_FIELD_VALUE])
    if isinstance(value, (int, float)):
        text = str(value)
        cleaned = redact_text(text)
        return value if cleaned == text else cleaned
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, list):
        items = (clean_value(name, item, depth + 1) for item in value[:MAX_ITEMS])
        return [item for item in items if item is not None]
    if isinstance(value, dict):
        return _clean_object(value, depth + 1, MAX_ITEMS)
    return None


def _clean_object(raw: dict[Any, Any], depth: int, limit: int) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in list(raw.items())[:limit]:
        name = str(key)[:MAX_FIELD_NAME]
        item = clean_value(name, value, depth)
        if item is not None:
            cleaned[name] = item
    return cleaned


def clean_form_data(form: Any) -> dict[str, Any]:
    return _clean_object(_object(form, "uiContext.formData"), 0, MAX_FORM_FIELDS)


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
            # Extra keys come from the host page's RepChat.setContext(); they are
            # cleaned like form data, nested values included.
            item = clean_value(str(key), value[:MAX_TEXT] if isinstance(value, str) else value)
            if item is not None:
                cleaned[str(key)[:MAX_FIELD_NAME]] = item
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
