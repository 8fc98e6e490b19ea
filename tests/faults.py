"""The fault matrix: every upstream fault, how it is injected, and what each end sees.

Shared by the BFF-level tests (tests/test_fault_matrix.py), the widget-level
tests (e2e/test_fault_matrix.py) and documented in docs/faults.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    spec: str  # the emulator scenario; "" for faults made another way
    status: int  # the BFF's HTTP status: 200 means the stream started and ends with `error` (or done)
    code: str  # the error code the browser gets ("" when the reply completes)
    retryable: bool
    widget: str  # what the visitor reads (the BFF's message goes to the console)


# The BFF under test reads the upstream with read_timeout=1 s and max_frame_bytes=64 KiB.
FAULTS = [
    Fault("upstream 401", "status=401", 502, "upstream_auth", False, "The chat isn't available on this page right now."),
    Fault("upstream 403", "status=403", 502, "upstream_auth", False, "The chat isn't available on this page right now."),
    Fault("upstream 429", "status=429", 429, "rate_limited", True, "Too many messages at once."),
    Fault("upstream 500", "status=500", 502, "upstream_error", True, "The chat isn't answering right now."),
    Fault("upstream 502", "status=502", 502, "upstream_error", True, "The chat isn't answering right now."),
    Fault("upstream 504", "status=504", 504, "upstream_timeout", True, "The chat isn't answering right now."),
    Fault("timeout before the first byte", "hang=2", 504, "upstream_timeout", True, "The chat isn't answering right now."),
    Fault("stall mid-stream past the read timeout", "stall=2@3", 200, "upstream_timeout", True, "The chat isn't answering right now."),
    Fault("dropped connection mid-stream", "drop-after=3", 200, "interrupted", True, "This reply was interrupted."),
    Fault("error event mid-stream", "error-after=3", 200, "generation_failed", True, "Something went wrong."),
    Fault("malformed JSON frame", "malformed=2", 200, "", True, ""),
    Fault("oversized frame", "oversized=100000", 200, "frame_too_large", False, "Something went wrong."),
    Fault("connection refused", "", 502, "upstream_unreachable", True, "The chat isn't answering right now."),
]


@dataclass(frozen=True)
class ContactFault:
    name: str
    spec: str  # the emulator scenario for save-contact
    status: int  # the BFF's answer to POST /v1/contact
    code: str
    widget: str  # what the contact card says (the card keeps what was typed)


CONTACT_FAULTS = [
    ContactFault("save-contact answers contactSaved false", "contact-unsaved", 502, "contact_not_saved",
                 "Your details could not be saved just now. Please try again."),
    ContactFault("save-contact 500", "contact-status=500", 502, "upstream_error", "The chat service failed to answer."),
    ContactFault("save-contact 503", "contact-status=503", 503, "upstream_unavailable", "The chat service is unavailable."),
    ContactFault("save-contact 429", "contact-status=429", 429, "rate_limited", "Too many requests; please wait a moment."),
    ContactFault("save-contact 422", "contact-status=422", 422, "invalid_request", "The chat service refused the request."),
]
