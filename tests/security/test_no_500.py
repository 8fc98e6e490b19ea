"""No request can produce a 500: odd input gets 400/404/413/422 with a JSON error.

The named cases reproduce what an attack found; the hypothesis test then
fuzzes every route's query, headers and body against a real uvicorn server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bff.app import create_app
from bff.dev.server import BackgroundServer
from tests.servers import ORIGIN, RunningEmulator, bff_settings

DEMO_PROFILE = (Path(__file__).resolve().parents[2] / "bff" / "profiles" / "demo.toml").read_text()


@pytest.fixture(scope="module")
def server(emulator: RunningEmulator, tmp_path_factory) -> Iterator[str]:
    profiles = tmp_path_factory.mktemp("profiles")
    (profiles / "demo.toml").write_text(DEMO_PROFILE)
    arabic = DEMO_PROFILE.replace('id = "demo"', 'id = "amal"').replace('slug = "maya"', 'slug = "amal"')
    (profiles / "amal.toml").write_text(arabic.replace('name = "Maya Okafor"', 'name = "أمل الخطيب"'))
    chinese = DEMO_PROFILE.replace('id = "demo"', 'id = "li"').replace('slug = "maya"', 'slug = "li"')
    (profiles / "li.toml").write_text(chinese.replace('name = "Maya Okafor"', 'name = "李小龍"'))
    # Three profiles: the script tag speaks for the one REPCHAT_PROFILE_ID names.
    app = create_app(bff_settings(emulator.url, profiles_dir=str(profiles), profile_id="demo",
                                 identity_secrets=("fuzzed-identity-secret-" + "0" * 32,)))
    running = BackgroundServer(app)
    yield running.start()
    running.stop()


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=20, headers={"Origin": ORIGIN}) as visitor:
        token = visitor.post("/v1/session", json={}).json()["token"]
        visitor.headers["Authorization"] = f"Bearer {token}"
        yield visitor


def refused(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    return response.json()["error"]


@pytest.mark.parametrize("query", [
    "scale=²", "scale=٣", "scale=8%0A", "border=¹", "dark=%23000%0A", "light=%23fff%0A", "c=booth%0A",
    "ecl=M%0A", "dark=%23abc&light=%23ABC",
])
def test_qr_parameters_with_unicode_digits_or_trailing_newlines_are_400(client, query):
    assert refused(client.get(f"/r/maya/qr.png?{query}"), 400)["code"] == "invalid_parameter"


def test_a_slug_with_a_trailing_newline_is_not_a_profile(client):
    assert client.get("/r/maya%0A/qr.svg").status_code == 404
    assert client.get("/r/maya%0A/contact.vcf").status_code == 404


@pytest.mark.parametrize("site", ["docs\n", "dócs", "a" * 65, ""])
def test_a_site_name_must_match_whole(client, site):
    assert refused(client.post("/v1/session", json={"site": site}), 422)["code"] == "invalid_site"


@pytest.mark.parametrize("depth", [33, 255, 300, 1000, 5000])
def test_json_nested_deeply_is_400(client, depth):
    body = '{"content": "hi", "uiContext": {"formData": {"a": ' + "[" * depth + "]" * depth + "}}}"
    assert refused(client.post("/v1/messages", content=body), 400)["code"] == "invalid_json"


@pytest.mark.parametrize("body", [
    b"\xff\xfe{\x00}\x00", "{\"content\": \"hi\"}".encode("utf-16"), b'{"content": "\xc3("}', b"\x00", b'{"a":1e999999}',
    b'{"content": "\\ud800"}', b'{"content": 123456789012345678901234567890}',
])
def test_odd_encodings_are_400_or_422(client, body):
    refused(client.post("/v1/messages", content=body), 400, 422)


@pytest.mark.parametrize("last_event_id", ["x.²", "x.٣", "x.-1", "x.1e3", ".", "x." + "9" * 40])
def test_odd_resume_ids_are_410(client, last_event_id):
    response = client.post("/v1/messages", json={}, headers={"Last-Event-ID": last_event_id.encode()})
    assert refused(response, 410)["code"] == "stream_gone"


@pytest.mark.parametrize("slug, ascii_name", [("amal", "contact.vcf"), ("li", "contact.vcf"), ("maya", "maya-okafor.vcf")])
def test_vcards_for_any_name(client, slug, ascii_name):
    card = client.get(f"/r/{slug}/contact.vcf")
    assert card.status_code == 200
    assert f'filename="{ascii_name}"' in card.headers["content-disposition"]
    assert "filename*=UTF-8''" in card.headers["content-disposition"]
    assert "FN:" in card.text and card.text.endswith("END:VCARD\r\n")


@pytest.mark.parametrize("path", ["/v1/session/", "/healthz/", "/r/maya/", "/demo/"])
def test_no_redirect_is_built_from_the_host_header(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404 or response.status_code == 405
    assert "location" not in response.headers and "evil.example" not in response.text


def test_a_malformed_url_in_the_context_is_422(client):
    response = client.post("/v1/messages", json={"content": "hi", "uiContext": {"currentPage": "http://[::1"}})
    assert refused(response, 422)["code"] == "invalid_context"


# -- the fuzzer --------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ["content", "uiContext", "scanContext", "site", "profile", "command", "result", "streamId", "formData",
          "currentPage", "selectedElements", "source", "pageUrl", "type", "url", "selector", "identity", "visitor", "user"]
BODY = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), JSON, max_size=5)
QUERY = st.dictionaries(
    st.sampled_from(["scale", "border", "ecl", "dark", "light", "c", "paper", "v"]) | st.text(max_size=8),
    st.text(max_size=20), max_size=4,
)
ROUTES = [
    ("POST", "/v1/session"), ("POST", "/v1/messages"), ("POST", "/v1/compact"), ("GET", "/v1/context-usage"),
    ("POST", "/v1/commands"), ("POST", "/v1/stop"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/widget.js"),
    ("GET", "/demo"), ("GET", "/r/maya"), ("GET", "/r/maya/qr.svg"), ("GET", "/r/maya/qr.png"),
    ("GET", "/r/maya/poster"), ("GET", "/r/amal/contact.vcf"), ("GET", "/r/{slug}/qr.svg"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(
    route=st.sampled_from(ROUTES), query=QUERY, body=BODY | JSON, raw=st.none() | st.binary(max_size=64),
    slug=st.text(min_size=1, max_size=10), resume=st.none() | st.text(max_size=20),
)
def test_no_route_answers_5xx_whatever_it_is_sent(client, route, query, body, raw, slug, resume):
    method, path = route
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if resume is not None and resume.isprintable():
        headers["Last-Event-ID"] = resume.strip().encode()
    content = raw if raw is not None else json.dumps(body).encode()
    url = path.replace("{slug}", quote(slug, safe=""))
    response = client.request(method, url, params=query, content=content if method == "POST" else None,
                              headers=headers)
    assert response.status_code < 500 or response.status_code in (502, 503, 504) and "error" in response.json(), (
        method, url, query, content[:200], response.status_code, response.text[:300])
    if response.status_code >= 400 and path.startswith("/v1/"):
        assert set(response.json()["error"]) >= {"code", "message"}
