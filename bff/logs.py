"""Structured JSON logs that never carry form data, visitor tokens or the API key.

Nothing in repchat logs request bodies; this formatter also masks anything
shaped like a visitor token and the configured API key, in case a library
ever puts one into a message.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

TOKEN = re.compile(r"eyJ[\w-]{10,}\.[\w-]{4,}\.[\w-]{10,}")
SECRETS: list[str] = []


def mask(text: str) -> str:
    text = TOKEN.sub("[token]", text)
    for secret in SECRETS:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def log_config(level: str, fmt: str, secrets: list[str]) -> dict[str, Any]:
    """A logging dictConfig for uvicorn and repchat, in JSON (`fmt="json"`) or plain text."""
    SECRETS[:] = [secret for secret in secrets if secret]
    formatter = {"()": f"{__name__}.{'JsonFormatter' if fmt == 'json' else 'PlainFormatter'}"}
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
