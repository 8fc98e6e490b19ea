"""Each upstream fault, driven through the emulator: the BFF's answer, and other streams unaffected."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from .servers import Chat
from bff.emulator.scenario import Scenario

from .faults import CONTACT_FAULTS, FAULTS, ContactFault, Fault
from .sse_client import parse

DOC = Path(__file__).resolve().parent.parent / "docs" / "faults.md"


@pytest.fixture(scope="module")
def strict_bff(emulator):
    from bff.app import create_app
    from bff.dev.server import BackgroundServer

    from .servers import bff_settings

    server = BackgroundServer(
        create_app(bff_settings(emulator.url, read_timeout=1.0, max_frame_bytes=64 * 1024, connect_timeout=1.0))
    )
    yield server.start()
    server.stop()


def other_stream(url: str, results: list) -> None:
    """A second visitor on the same BFF, talking while the fault happens."""
    visitor = Chat(url)
    visitor.start()
    events = visitor.events("Which integrations do you have? [[fault: gap=0.02]]")
    results.append([event.event for event in events])


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_fault(fault: Fault, strict_bff, make_bff):
    url = make_bff(upstream_url="http://127.0.0.1:9", connect_timeout=0.5) if fault.name == "connection refused" else strict_bff
    neighbour: list = []
    thread = threading.Thread(target=other_stream, args=(strict_bff, neighbour))
    thread.start()
    visitor = Chat(url)
    if fault.name == "connection refused":
        response = visitor.start()
        assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    else:
        assert visitor.start().status_code == 201
        content = f"What does it cost? [[fault: {fault.spec}]]"
        response = visitor.post("/v1/messages", {"content": content})
        assert response.status_code == fault.status, response.text
        if fault.status != 200:
            assert response.json()["error"]["code"] == fault.code
            if fault.status == 429:
                assert int(response.headers["retry-after"]) > 0
        else:
            last_name, _, last = parse(response.text)[-1]
            if fault.code:
                assert last_name == "error"
                assert (last["code"], last["retryable"]) == (fault.code, fault.retryable)
                assert last["message"]
            else:
                assert last_name == "done" and "Starter" in last["message"]["content"]
    thread.join(20)
    assert neighbour == [["token"] * (len(neighbour[0]) - 1) + ["done"]], "the other visitor's reply is unaffected"
    assert Chat(url).start().status_code in (201, 502)  # the BFF keeps serving


@pytest.mark.parametrize("fault", CONTACT_FAULTS, ids=[fault.name for fault in CONTACT_FAULTS])
def test_contact_fault(fault: ContactFault, emulator, make_bff):
    """A failed save is retryable with the same Idempotency-Key, and then saves exactly once."""
    visitor = Chat(make_bff(rate_contacts_per_visitor=""))
    assert visitor.start().status_code == 201
    email = f"{fault.spec.replace('=', '')}@example.com"
    lead = {"name": "Grace Hopper", "email": email, "consent": True}
    key = {"Idempotency-Key": "fault-" + fault.spec.replace("=", "-")}
    journal = lambda: [e for e in emulator.journal("contact") if e.get("email") == email]  # noqa: E731
    emulator.emulator.scenario = Scenario().updated(fault.spec)
    try:
        failed = visitor.post("/v1/contact", lead, **key)
    finally:
        emulator.emulator.scenario = Scenario()
    assert failed.status_code == fault.status and failed.json()["error"]["code"] == fault.code
    assert journal() == []
    assert visitor.post("/v1/contact", lead, **key).status_code == 201
    again = visitor.post("/v1/contact", lead, **key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert len(journal()) == 1


def test_the_matrix_is_documented():
    text = DOC.read_text()
    for fault in [*FAULTS, *CONTACT_FAULTS]:
        assert f"| {fault.name} |" in text, fault.name
