"""The redaction vectors both the BFF's cleaner and the widget's collector are tested against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent.parent / "redaction-vectors.json"
VECTORS: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))


def batches(items: list[Any], size: int = 40) -> list[list[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)]
