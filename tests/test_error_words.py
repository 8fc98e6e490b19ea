"""Words for visitors: every error code the BFF can send the widget has its visitor sentence, decided here.

The table says what a visitor reads for each code of the BFF's catalogue
(bff/errors.py CODES); a new code there fails this test until someone decides
its sentence. The widget's
`visitorKey` (widget/src/errors.js) must agree with it, and every sentence
must exist in every shipped language (widget/test/errors.test.js).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from bff.errors import CODES

ROOT = Path(__file__).resolve().parent.parent

# Codes the widget never meets: QR and poster endpoints, /metrics, requests the widget never makes
# malformed, and command reports (sent in the background; a refused one is never shown).
NOT_FOR_THE_WIDGET = {
    "invalid_parameter", "not_found", "profile_not_found", "public_url_missing", "public_url_invalid",
    "invalid_json", "invalid_command", "invalid_result", "invalid_stream", "invalid_content", "token_missing",
    "metrics_forbidden", "metrics_token", "unknown_command",
    "invalid_feedback", "invalid_idempotency_key",
}
# Error code -> the key in widget/src/strings.js of what the visitor reads.
VISITOR_SENTENCE = {
    "network": "network",
    "rate_limited": "rateLimited", "too_many_streams": "rateLimited",
    "interrupted": "interrupted", "stream_gone": "interrupted", "stream_timeout": "interrupted",
    "shutting_down": "interrupted",
    "origin_not_allowed": "unavailable", "origin_missing": "unavailable", "origin_mismatch": "unavailable",
    "upstream_auth": "unavailable", "profile_unknown": "unavailable", "profile_missing": "unavailable",
    "invalid_profile": "unavailable", "invalid_site": "unavailable", "token_invalid": "unavailable",
    "token_expired": "unavailable", "session_not_found": "unavailable",
    # A signed identity refused (bff/identity.py): the owner's to fix, the console says how.
    "identity_invalid": "unavailable", "identity_unconfigured": "unavailable",
    # A signed-in visitor whose signature expired while the page stayed open: a reload signs anew.
    "identity_expired": "reload",
    "busy": "serviceDown", "upstream_error": "serviceDown", "upstream_unreachable": "serviceDown",
    "upstream_unavailable": "serviceDown", "upstream_timeout": "serviceDown", "http_502": "serviceDown",
    # Nothing the visitor can do differs for these: "Something went wrong." with a Retry.
    "generation_failed": "failed", "frame_too_large": "failed", "reply_too_large": "failed",
    "invalid_request": "failed", "invalid_context": "failed", "message_too_long": "failed",
    "body_too_large": "failed", "context_too_large": "failed", "http_404": "failed",
    # The contact card says its own sentence ("Your details were not sent: ...", per-field hints) and keeps the entries.
    "contact_not_saved": "failed", "invalid_contact": "failed", "request_in_progress": "failed",
}
def test_every_code_the_bff_sends_has_a_decided_visitor_sentence():
    undecided = set(CODES) - NOT_FOR_THE_WIDGET - set(VISITOR_SENTENCE)
    assert not undecided, f"decide what a visitor reads for: {sorted(undecided)}"


def test_the_widget_maps_each_code_to_its_sentence():
    node = shutil.which("node")
    assert node, "Node.js is needed for the widget's tests"
    script = (
        "import('./src/errors.js').then(({visitorKey}) => console.log(JSON.stringify("
        f"Object.fromEntries({json.dumps(sorted(VISITOR_SENTENCE))}.map((c) => [c, visitorKey(c)])))))"
    )
    done = subprocess.run([node, "--input-type=module", "-e", script], cwd=ROOT / "widget",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == VISITOR_SENTENCE
    strings = (ROOT / "widget" / "src" / "strings.js").read_text()
    for key in set(VISITOR_SENTENCE.values()):
        assert re.search(rf"^  {key}: ", strings, re.M), key
    for lang in ("es", "de", "ar"):
        table = json.loads((ROOT / "bff" / "static" / "i18n" / f"{lang}.json").read_text())
        assert set(VISITOR_SENTENCE.values()) <= set(table), lang
