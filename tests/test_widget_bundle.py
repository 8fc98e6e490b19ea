"""The widget's own unit tests, the committed bundle, and how the BFF serves it."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import httpx

from bff.page_templates import STATIC_DIR

ROOT = Path(__file__).resolve().parent.parent
WIDGET = ROOT / "widget"
BUDGET_GZIP = 32 * 1024  # issue 14: everything together (the eager part has its own budget)


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


def test_the_bundle_fits_its_budget_and_holds_no_secrets():
    body = (STATIC_DIR / "widget.js").read_bytes()
    size = len(gzip.compress(body, 9))
    print(f"widget.js: {len(body)} bytes, {size} gzipped (budget {BUDGET_GZIP})")
    assert size <= BUDGET_GZIP
    for forbidden in (b"X-API-Key", b"x-api-key", b"innerHTML", b"eval(", b"new Function", b"document.write"):
        assert forbidden not in body, forbidden


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
    pinned = httpx.get(f"{bff}/widget.js?v={first.headers['x-repchat-version']}")
    assert "immutable" in pinned.headers["cache-control"]


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
