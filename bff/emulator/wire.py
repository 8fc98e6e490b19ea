"""Write the emulator's events as SSE bytes, in the shape a scenario asks for.

With the default scenario the frames are exactly the shapes docs/upstream-contract.md
gives as what the emulator sends; every other shape is one the BFF also reads.
"""

from __future__ import annotations

import json
from typing import Any

from .scenario import Scenario

BOM = "\ufeff".encode()


class Framer:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.count = 0

    def _frame(self, name: str, payload: dict[str, Any], typed: bool = True) -> bytes:
        sc = self.scenario
        self.count += 1
        lines = []
        if sc.ids:
            lines += [f"id: {self.count}", "retry: 3000"]
        if typed and not sc.event_only:
            payload = {"type": name, **payload}
        if sc.event_lines or sc.event_only or not typed:
            lines.append(f"event: {name}")
        if sc.multiline_data:
            lines += [f"data: {line}" for line in json.dumps(payload, indent=1).split("\n")]
        else:
            lines.append(f"data: {json.dumps(payload)}")
        end = sc.line_end
        return (end.join(lines) + end + end).encode()

    def comment(self, text: str = "ping") -> bytes:
        return f": {text}{self.scenario.line_end}{self.scenario.line_end}".encode()

    def token(self, text: str) -> bytes:
        name = "text" if self.scenario.text_events else "token"
        return self._frame(name, {self.scenario.token_key: text})

    def unknown(self, name: str, payload: dict[str, Any]) -> bytes:
        return self._frame(name, payload)

    def command(self, command: dict[str, Any]) -> bytes:
        return self._frame("command", command, typed=False)

    def done(self, message: dict[str, Any], metadata: dict[str, Any]) -> bytes:
        shape = self.scenario.done
        if self.scenario.command_event:
            metadata = {key: value for key, value in metadata.items() if key != "commands"}
        payload: dict[str, Any]
        if shape == "string":
            payload = {"message": message["content"], "metadata": metadata}
        elif shape == "empty":
            payload = {}
        elif shape == "bare":
            payload = {"message": message}
        elif shape == "commands-top":
            payload = {"message": message, **metadata}
        else:
            payload = {"message": message, "metadata": metadata}
        return self._frame("done", payload)

    def compact_done(self, summary: str, compacted: int, usage: dict[str, Any]) -> bytes:
        return self._frame("done", {"summary": summary, "compactedMessages": compacted, "usage": usage})

    def error(self, code: str, message: str, retryable: bool = True) -> bytes:
        shape = self.scenario.error
        payload: dict[str, Any]
        if shape == "message":
            payload = {"message": message}
        elif shape == "detail":
            payload = {"detail": message}
        elif shape == "string":
            payload = {"error": message}
        else:
            payload = {"error": {"code": code, "message": message, "retryable": retryable}}
        return self._frame("error", payload)

    def malformed(self) -> bytes:
        end = self.scenario.line_end
        return f'data: {{"type": "token", "content": "brok{end}{end}'.encode()
