"""The widget's own unit tests, the committed bundle, and how the BFF serves it."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import httpx

from bff.page_templates import STATIC_DIR

ROOT = Path(__file__).resolve().parent.parent
WIDGET = ROOT / "widget"
BUDGET_EAGER_GZIP = 8 * 1024  # widget.js: what every page pays at load
BUDGET_TOTAL_GZIP = 32 * 1024  # with the conversation UI it loads on intent


def node(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("node")
    assert executable, "Node.js is needed for the widget's tests and build (see README)"
    return subprocess.run([executable, *args], cwd=WIDGET, capture_output=True, text=True, timeout=300)


def test_widget_unit_tests_pass():
    result = node("--test", "test/")
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_widget_type_checks():
    """`tsc --noEmit` over the widget's JSDoc types (widget/tsconfig.json), zero errors."""
    result = node("node_modules/typescript/bin/tsc", "--noEmit", "-p", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_committed_bundle_is_a_fresh_build_of_the_sources():
    result = node("build.mjs", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)


def served(url: str, coding: str) -> bytes:
    """The bytes the BFF sends for `url` to a browser that accepts `coding`, as they go over the wire."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": coding}) as response:
        assert response.status_code == 200 and response.headers.get("content-encoding") == coding
        return b"".join(response.iter_raw())


def test_the_bundles_fit_their_budgets_and_hold_no_secrets(bff):
    """The budgets hold for what a browser downloads: the BFF's gzip (zopfli), and brotli where accepted."""
    eager = (STATIC_DIR / "widget.js").read_bytes()
    chunk = (STATIC_DIR / "widget-chunk.js").read_bytes()
    name = re.search(rb"chunk\.[0-9a-f]{16}\.js", eager)
    assert name, "widget.js does not name its chunk"
    urls = (f"{bff}/widget.js", f"{bff}/widget/{name.group(0).decode()}")
    eager_size, chunk_size = (len(served(url, "gzip")) for url in urls)
    eager_br, chunk_br = (len(served(url, "br")) for url in urls)
    level9 = len(gzip.compress(eager, 9)) + len(gzip.compress(chunk, 9))
    print(f"widget.js: {eager_size} gzipped (budget {BUDGET_EAGER_GZIP}); with the chunk: {eager_size + chunk_size}"
          f" (budget {BUDGET_TOTAL_GZIP}; zlib -9 would give {level9}, {(eager_size + chunk_size) / level9:.3f}x);"
          f" brotli: {eager_br} and {eager_br + chunk_br}")
    assert gzip.decompress(served(urls[0], "gzip")) == eager
    assert eager_size <= BUDGET_EAGER_GZIP
    assert eager_size + chunk_size <= BUDGET_TOTAL_GZIP
    assert eager_br + chunk_br < eager_size + chunk_size
    for body in (eager, chunk):
        for forbidden in (b"X-API-Key", b"x-api-key", b"innerHTML", b"eval(", b"new Function", b"document.write"):
            assert forbidden not in body, forbidden
    # The renderer and the chat come with the chunk, not at page load; the embed doctor with neither.
    assert b"/v1/messages" in chunk and b"/v1/messages" not in eager
    doctor = (STATIC_DIR / "widget-doctor.js").read_bytes()
    print(f"the embed doctor (loaded only when asked, outside the budgets): {len(gzip.compress(doctor, 9))} gzipped")
    assert b"/v1/diagnostics/stream" in doctor and b"/v1/diagnostics" not in eager + chunk
    for forbidden in (b"X-API-Key", b"innerHTML", b"eval(", b"new Function", b"document.write"):
        assert forbidden not in doctor, forbidden


def test_the_bff_serves_the_widget_with_an_etag(bff):
    first = httpx.get(f"{bff}/widget.js", headers={"Accept-Encoding": "identity"})
    assert first.status_code == 200
    assert first.content == (STATIC_DIR / "widget.js").read_bytes()
    assert first.headers["content-type"].startswith("text/javascript")
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    again = httpx.get(f"{bff}/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    zipped = httpx.get(f"{bff}/widget.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == first.content
    preferred = httpx.get(f"{bff}/widget.js", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert preferred.headers["content-encoding"] == "br" and preferred.content == first.content
    refused = httpx.get(f"{bff}/widget.js", headers={"Accept-Encoding": "br;q=0, gzip;q=0.0"})
    assert "content-encoding" not in refused.headers and refused.content == first.content
    assert "Accept-Encoding" in preferred.headers["vary"]
    pinned = httpx.get(f"{bff}/widget.js?v={first.headers['x-repchat-version']}")
    assert "immutable" in pinned.headers["cache-control"]


def test_the_bff_serves_the_chunk_widget_js_names_cached_for_good(bff):
    name = re.search(rb"chunk\.[0-9a-f]{16}\.js", (STATIC_DIR / "widget.js").read_bytes())
    assert name, "widget.js does not name its chunk"
    chunk = httpx.get(f"{bff}/widget/{name.group(0).decode()}", headers={"Accept-Encoding": "identity"})
    assert chunk.status_code == 200
    assert chunk.content == (STATIC_DIR / "widget-chunk.js").read_bytes()
    assert chunk.headers["content-type"].startswith("text/javascript")
    assert chunk.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert chunk.headers["cross-origin-resource-policy"] == "cross-origin"
    # A widget.js from an earlier deploy names an earlier chunk: it is sent to this one.
    earlier = httpx.get(f"{bff}/widget/chunk.0123456789abcdef.js")
    assert earlier.status_code == 307 and earlier.headers["cache-control"] == "no-cache"
    assert earlier.headers["location"] == f"/widget/{name.group(0).decode()}"
    bad = httpx.get(f"{bff}/widget/chunk.not-a-hash.js")
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "not_found"
    zipped = httpx.get(f"{bff}/widget/{name.group(0).decode()}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == chunk.content


def test_the_bff_serves_the_doctor_widget_js_names_cached_for_good(bff):
    name = re.search(rb"doctor\.[0-9a-f]{16}\.js", (STATIC_DIR / "widget.js").read_bytes())
    assert name, "widget.js does not name its doctor"
    doctor = httpx.get(f"{bff}/widget/{name.group(0).decode()}", headers={"Accept-Encoding": "identity"})
    assert doctor.status_code == 200 and doctor.content == (STATIC_DIR / "widget-doctor.js").read_bytes()
    assert doctor.headers["content-type"].startswith("text/javascript")
    assert doctor.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert doctor.headers["cross-origin-resource-policy"] == "cross-origin"
    earlier = httpx.get(f"{bff}/widget/doctor.0123456789abcdef.js")
    assert earlier.status_code == 307 and earlier.headers["location"] == f"/widget/{name.group(0).decode()}"
    assert httpx.get(f"{bff}/widget/doctor.x.js").status_code == 404


def test_demo_pages_embed_the_widget_under_a_strict_csp(bff):
    for path in ("/demo", "/pricing", "/contact"):
        page = httpx.get(f"{bff}{path}")
        assert page.status_code == 200
        assert '<script src="http://bff.test/widget.js" data-site="demo"' in page.text
        csp = page.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in page.text and " style=" not in page.text
    assert 'id="contact-form"' in httpx.get(f"{bff}/contact").text
    assert '<dialog id="contact"' in httpx.get(f"{bff}/demo").text
