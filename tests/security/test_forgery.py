"""Less forgeable: command reports and QR scans are the BFF's facts, not a client's claims."""

from __future__ import annotations

import json
import time

import httpx

from tests.servers import Chat, RunningEmulator, landing_ticket


def server_command(chat: Chat) -> dict:
    done = json.loads(chat.events("What does it cost? [[fault: server-commands]]")[-1].data)
    command = done["commands"][0]
    assert command["server"] is True and command["receipt"]
    return command


def report(chat: Chat, command: dict, result: str = "executed") -> httpx.Response:
    return chat.post("/v1/commands", {"command": command, "result": result})


def test_only_a_command_this_conversation_was_sent_can_be_reported(bff: str, emulator: RunningEmulator):
    chat, other = Chat(bff), Chat(bff)
    chat.start(), other.start()
    command = server_command(chat)
    forged = [
        {"type": "navigate", "url": "/pricing", "server": True},  # never sent, no id
        {**command, "receipt": "x" * 27},
        {**command, "url": "/admin"},  # sent, then changed
        {**command, "server": False},
    ]
    for fake in forged:
        refused = report(chat, fake)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_command", fake
    assert report(other, command).status_code == 422, "another visitor's command"
    modal = json.loads(chat.events("I want to talk to sales [[fault: server-commands]]")[-1].data)["commands"][0]
    assert modal["id"] == "contact" and modal["receipt"], "the receipt never replaces a command's own fields"
    before = len(emulator.journal("command"))
    assert report(chat, command, "blocked").status_code == 200
    recorded = emulator.journal("command")[before:]
    assert len(recorded) == 1 and recorded[0]["result"] == "blocked"
    assert "receipt" not in recorded[0]["command"]


def scans_after(emulator: RunningEmulator, before: int, expected: int) -> list[dict]:
    """Scans recorded since `before`, once `expected` have arrived (they are recorded in the background)."""
    deadline = time.monotonic() + 5
    while len(emulator.journal("scan")) < before + expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return emulator.journal("scan")[before:]


def test_a_qr_scan_is_recorded_only_for_a_session_that_began_on_a_qr_landing_page(bff, emulator):
    before = len(emulator.journal("scan"))
    claim = {"source": "qr_scan", "campaign": "booth-42", "pageUrl": "http://bff.test/r/maya?src=qr&c=booth-42"}
    for body in (
        {"scanContext": claim, "profile": "maya"},  # a claim alone
        {"scanContext": claim, "landing": "forged.ticket.value"},
        {"scanContext": claim, "landing": landing_ticket(bff, "c=booth-42")},  # a landing page opened by a link
        {"scanContext": claim, "landing": landing_ticket(bff, "src=qr&c=booth-42")[:-2] + "xx"},  # tampered
    ):
        assert Chat(bff).start(**body).status_code == 201
    genuine = landing_ticket(bff, "src=qr&c=booth-42")
    assert Chat(bff).start(scanContext={"source": "web"}, landing=genuine).status_code == 201
    recorded = scans_after(emulator, before, 1)
    time.sleep(0.3)  # nothing else may follow
    assert [(r["source"], r["campaign"]) for r in emulator.journal("scan")[before:]] == [("qr_scan", "booth-42")]
    assert recorded[0]["profileId"] == "demo"
