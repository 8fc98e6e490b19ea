"""Signed-in visitors: the host's server signs who the visitor is, the BFF checks it and tells the upstream.

Real BFF and emulator on loopback; identities are signed with the README's own
Python and Node snippets (run as printed there), and with PyJWT.
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bff.app import create_app
from bff.checks import _identity as identity_check
from bff.dev.server import BackgroundServer
from bff.errors import ApiError
from bff.identity import IdentityVerifier
from bff.settings import Settings

from .servers import Chat, RunningEmulator, bff_settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "identity-secret-" + "7" * 48  # 64 bytes: long enough for the HS512 case too
OLD_SECRET = "identity-secret-old-" + "3" * 32


def readme_snippet(language: str) -> str:
    """The README's signing snippet in `language`, exactly as printed."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Signed-in visitors", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert found, f"no {language} snippet under Signed-in visitors"
    return found.group(1)


def sign_python(secret: str, id: str, email: str = "", name: str = "", ttl: int = 3600) -> str:
    scope: dict[str, Any] = {}
    exec(readme_snippet("python"), scope)  # noqa: S102 (the README's own code, to prove it works)
    return str(scope["repchat_identity"](secret, id, email, name, ttl))


def sign_node(secret: str, id: str, email: str = "", name: str = "", ttl: int = 3600) -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed for the README's Node snippet"
    script = readme_snippet("js") + "\nconsole.log(repchatIdentity(...process.argv.slice(1, 5), Number(process.argv[5])));"
    done = subprocess.run([node, "-e", script, secret, id, email, name, str(ttl)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def bff(emulator: RunningEmulator) -> Iterator[str]:
    """A BFF that knows two identity secrets (the newest last)."""
    server = BackgroundServer(create_app(bff_settings(emulator.url, identity_secrets=(OLD_SECRET, SECRET))))
    yield server.start()
    server.stop()


def visitor_upstream(emulator: RunningEmulator, chat: Chat, content: str, **body: Any) -> Any:
    """What the upstream was told about the visitor with `content`."""
    chat.events(content, **body)
    [entry] = [e for e in emulator.journal("message") if e["content"] == content]
    return entry["visitor"], entry["uiContext"]


def refused(bff: str, identity: Any) -> tuple[int, str, str]:
    response = Chat(bff).start(identity=identity)
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


@pytest.mark.parametrize("sign", [sign_python, sign_node], ids=["python", "node"])
def test_a_signature_from_the_readme_snippets_reaches_the_upstream_verified(bff, emulator, sign):
    chat = Chat(bff)
    assert chat.start(identity=sign(SECRET, "u-42", "ada@example.com", "Ada Lovelace")).status_code == 201
    visitor, _ = visitor_upstream(emulator, chat, f"who am I ({sign.__name__})?")
    assert visitor == {"verified": True, "id": "u-42", "email": "ada@example.com", "name": "Ada Lovelace"}
    # Bound to the visitor token: every later message says the same, with nothing sent again.
    visitor, _ = visitor_upstream(emulator, chat, f"and again ({sign.__name__})?")
    assert visitor == {"verified": True, "id": "u-42", "email": "ada@example.com", "name": "Ada Lovelace"}


def test_pyjwt_signs_the_same_and_only_the_id_is_required(bff, emulator):
    chat = Chat(bff)
    signed = jwt.encode({"id": 7, "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert chat.start(identity=signed).status_code == 201
    visitor, _ = visitor_upstream(emulator, chat, "numeric id")
    assert visitor == {"verified": True, "id": "7"}


def test_a_forged_signature_is_refused_before_any_session_is_made(bff, emulator):
    sessions = len(emulator.journal("session"))
    status, code, message = refused(bff, sign_python("not-the-shared-secret-" + "x" * 32, "admin"))
    assert (status, code) == (401, "identity_invalid") and "REPCHAT_IDENTITY_SECRETS" in message
    # A real signature over other claims is no better: the payload was changed after signing.
    header, _, signature = sign_python(SECRET, "u-1").split(".")
    other = sign_python(SECRET, "admin").split(".")[1]
    assert refused(bff, f"{header}.{other}.{signature}")[:2] == (401, "identity_invalid")
    assert len(emulator.journal("session")) == sessions


def test_an_expired_signature_is_refused_with_its_own_code(bff):
    status, code, message = refused(bff, sign_python(SECRET, "u-42", ttl=-120))
    assert (status, code) == (401, "identity_expired") and "sign a fresh one" in message
    # Within the 30 seconds allowed for clocks that differ, it still counts.
    assert Chat(bff).start(identity=sign_python(SECRET, "u-42", ttl=-10)).status_code == 201


# Far in the future: parameters are made when the tests are collected, minutes before this test runs,
# and each of these must be refused for what is wrong with it, never for having expired meanwhile.
LATER = int(time.time()) + 30 * 86400


@pytest.mark.parametrize("identity", [
    "not a token", "a.b.c", "..", "x" * 5000, 42, ["a.b.c"], {"id": "u"}, True,
    jwt.encode({"id": "u", "exp": LATER}, SECRET, algorithm="HS512"),
    jwt.encode({"id": "u", "exp": LATER}, None, algorithm="none"),
    jwt.encode({"id": "u"}, SECRET, algorithm="HS256"),  # no exp: it would vouch forever
    jwt.encode({"email": "a@b.c", "exp": LATER}, SECRET, algorithm="HS256"),
    jwt.encode({"id": "", "exp": LATER}, SECRET, algorithm="HS256"),
    jwt.encode({"id": {"nested": 1}, "exp": LATER}, SECRET, algorithm="HS256"),
    jwt.encode({"id": "u", "email": 5, "exp": LATER}, SECRET, algorithm="HS256"),
    jwt.encode({"id": "u" * 129, "exp": LATER}, SECRET, algorithm="HS256"),
    jwt.encode({"id": "u", "exp": "tomorrow"}, SECRET, algorithm="HS256"),
    jwt.encode({"id": "u", "exp": LATER, "nbf": LATER}, SECRET, algorithm="HS256"),
], ids=lambda value: str(value)[:24])
def test_a_malformed_identity_is_refused_with_a_clear_error_never_a_500(bff, identity):
    status, code, message = refused(bff, identity)
    assert (status, code) == (401, "identity_invalid"), message
    assert message.endswith(".")


def test_what_a_page_says_about_its_visitor_unsigned_is_labelled_unverified(bff, emulator):
    chat = Chat(bff)
    assert chat.start().status_code == 201
    context = {"currentPage": "/account", "user": {"email": "ceo@example.com"}, "userId": "u-1", "plan": "pro",
               "visitor": {"verified": True, "id": "admin"}}
    visitor, ui = visitor_upstream(emulator, chat, "am I the CEO?", uiContext=context)
    assert visitor == {"verified": False, "claimed": {
        "user": {"email": "ceo@example.com"}, "userId": "u-1", "visitor": {"verified": True, "id": "admin"}}}
    assert (ui["plan"], ui["currentPage"]) == ("pro", "/account") and "user" not in ui and "userId" not in ui
    # Nothing said about the visitor: nothing labelled.
    visitor, _ = visitor_upstream(emulator, chat, "plain question", uiContext={"currentPage": "/"})
    assert visitor is None


def test_a_verified_visitor_keeps_what_the_page_claims_apart(bff, emulator):
    chat = Chat(bff)
    assert chat.start(identity=sign_python(SECRET, "u-42", "ada@example.com")).status_code == 201
    visitor, _ = visitor_upstream(emulator, chat, "claims beside a signature",
                                  uiContext={"visitor": {"verified": True, "id": "admin"}, "email": "x@y.z"})
    assert visitor == {"verified": True, "id": "u-42", "email": "ada@example.com",
                       "claimed": {"visitor": {"verified": True, "id": "admin"}, "email": "x@y.z"}}


def test_an_empty_identity_is_an_anonymous_visitor(bff, emulator):
    chat = Chat(bff)
    assert chat.start(identity="").status_code == 201
    assert visitor_upstream(emulator, chat, "anonymous")[0] is None


def test_secrets_rotate_newest_last(make_bff):
    both = make_bff(identity_secrets=(OLD_SECRET, SECRET))
    assert Chat(both).start(identity=sign_python(OLD_SECRET, "u-1")).status_code == 201
    assert Chat(both).start(identity=sign_python(SECRET, "u-1")).status_code == 201
    # An old-secret identity that expired says so (not "forged") while the old secret is still listed.
    assert refused(both, sign_python(OLD_SECRET, "u-1", ttl=-120))[1] == "identity_expired"
    newest = make_bff(identity_secrets=(SECRET,))
    assert refused(newest, sign_python(OLD_SECRET, "u-1"))[:2] == (401, "identity_invalid")


def test_a_signed_identity_without_secrets_on_the_bff_is_the_owners_to_fix(make_bff, caplog):
    url = make_bff()
    signed = sign_python(SECRET, "u-1")
    with caplog.at_level(logging.WARNING, logger="repchat.api"):
        status, code, message = refused(url, signed)
    assert (status, code) == (503, "identity_unconfigured") and "REPCHAT_IDENTITY_SECRETS" in message
    logged = [record.getMessage() for record in caplog.records if record.name == "repchat.api"]
    assert any("identity" in line and "REPCHAT_IDENTITY_SECRETS" in line for line in logged), logged
    assert not any(signed in line for line in logged)


def test_repchat_check_wants_long_identity_secrets():
    assert identity_check(Settings()).level == "ok"
    short = identity_check(Settings(identity_secrets=(SECRET, "short")))
    assert short.level == "fatal" and "REPCHAT_IDENTITY_SECRETS: key 2 of 2 is 5 character(s) long" in short.text
    assert identity_check(Settings(identity_secrets=(SECRET,))).level == "ok"


def test_the_emulator_refuses_an_unlabelled_visitor(emulator):
    """Only the BFF writes uiContext.visitor, always with `verified`: the emulator holds any client to that."""
    import httpx

    from .servers import API_KEY

    headers = {"X-API-Key": API_KEY}
    session = httpx.post(f"{emulator.url}/api/v1/chat/sessions", json={"profileId": "demo"}, headers=headers).json()
    response = httpx.post(f"{emulator.url}/api/v1/chat/sessions/{session['id']}/messages", headers=headers,
                          json={"content": "hi", "uiContext": {"visitor": {"id": "u-1"}}})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "uiContext.visitor"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
CLAIMS = st.dictionaries(st.sampled_from(["id", "email", "name", "exp", "nbf", "iat"]) | st.text(max_size=8), JSON,
                         max_size=6)
PART = st.binary(max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


@settings(max_examples=300, deadline=None)
@given(signed=st.text(max_size=80) | st.tuples(PART, PART, PART).map(".".join)
       | CLAIMS.map(lambda claims: jwt.encode(claims, SECRET, algorithm="HS256")))
def test_whatever_is_signed_or_sent_an_identity_is_accepted_or_refused_with_a_code(signed):
    """Even correctly signed claims of any shape (the host's bug, not an attack) end in a code, never a crash."""
    try:
        identity = IdentityVerifier((SECRET,)).verify(signed)
    except ApiError as exc:
        assert exc.code in ("identity_invalid", "identity_expired")
    else:
        assert identity.id and len(identity.id) <= 128
