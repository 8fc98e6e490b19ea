"""Structured JSON logs that never carry form data, visitor tokens or the API key.

Nothing in repchat logs request bodies; this formatter also masks anything
shaped like a visitor token and the configured API key, in case a library
ever puts one into a message. The key travels inside the logging config, so
every worker process (which applies the config itself) masks it too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

TOKEN = re.compile(r"eyJ[\w-]{10,}\.[\w-]{4,}\.[\w-]{10,}")


def mask(text: str, secrets: tuple[str, ...] = ()) -> str:
    text = TOKEN.sub("[token]", text)
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    return text


class MaskingFormatter(logging.Formatter):
    """A formatter that knows the secrets to mask (given by the logging config)."""

    def __init__(self, fmt: str | None = None, secrets: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(secret for secret in secrets if secret)

    def mask(self, text: str) -> str:
        return mask(text, self.secrets)


class JsonFormatter(MaskingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.mask(record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = self.mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(MaskingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))


class Once:
    """Logs a warning the first time each key is seen: an owner learns of a problem without a line per request."""

    def __init__(self, logger: logging.Logger, limit: int = 1000) -> None:
        self.logger = logger
        self.limit = limit  # beyond this many distinct keys, a flood has said enough
        self.seen: set[str] = set()

    def warning(self, key: str, message: str, *args: object) -> None:
        if key in self.seen or len(self.seen) >= self.limit:
            return
        self.seen.add(key)
        self.logger.warning(message, *args)


def log_config(level: str, fmt: str, secrets: list[str]) -> dict[str, Any]:
    """A logging dictConfig for uvicorn and repchat: JSON (`fmt="json"`), plain text, or
    `auto`: plain text when stderr is a terminal (a person reads it), JSON otherwise (a collector does)."""
    if fmt == "auto":
        fmt = "plain" if sys.stderr.isatty() else "json"
    formatter: dict[str, Any] = {
        "()": f"{__name__}.{'JsonFormatter' if fmt == 'json' else 'PlainFormatter'}",
        "secrets": [secret for secret in secrets if secret],
    }
    if fmt != "json":
        formatter["fmt"] = "%(levelname)s %(name)s: %(message)s"
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
            for name in ("repchat", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
