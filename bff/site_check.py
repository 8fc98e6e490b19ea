"""`repchat check --site URL`: what the server can see of an owner's page, each with its fix.

It fetches the page as a browser would and checks that its origin is in
`REPCHAT_ALLOWED_ORIGINS`, that it carries the widget's script tag pointing
at this BFF (`REPCHAT_PUBLIC_URL`), and that its Content-Security-Policy
(header and `<meta>`) lets that script load and reach the BFF. What only a
browser can see (a proxy buffering the stream, a banner over the launcher)
is the embed doctor's: `RepChat.diagnose()` on the page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__
from .checks import Finding
from .csp import allows
from .origins import OriginPolicy
from .settings import Settings
from .snippet import SITE_NAME, Snippet, allowed_origins_line, for_settings

TIMEOUT = 10.0


class PageScan(HTMLParser):
    """The page's <script src> tags (with their attributes) and its <meta http-equiv=Content-Security-Policy>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str]] = []
        self.policies: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and values.get("src"):
            self.scripts.append(values)
        elif tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy" and values.get("content"):
            self.policies.append(values["content"])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _script_tag(scan: PageScan, page: str, snippet: Snippet) -> tuple[Finding, dict[str, str] | None]:
    widgets = [script for script in scan.scripts if urlsplit(urljoin(page, script["src"])).path.endswith("/widget.js")]
    ours = [script for script in widgets if urljoin(page, script["src"]).split("?")[0] == snippet.script_src]
    if ours:
        site = ours[0].get("data-site", "") or "default"
        if not SITE_NAME.fullmatch(site):
            return Finding("fatal", "script tag", f"the script tag's data-site {site!r} is not 1 to 64 letters, digits, '.', '-' "
                           "or '_': the BFF refuses its chats; give it a plain name like data-site=\"shop\""), ours[0]
        return Finding("ok", "script tag", f"the page loads {snippet.script_src} (data-site {site!r})"), ours[0]
    if widgets:
        elsewhere = urljoin(page, widgets[0]["src"])
        return Finding("fatal", "script tag", f"the page's widget.js comes from {elsewhere}, not this BFF ({snippet.script_src}): "
                       f"use {snippet.script_tag()} (or check REPCHAT_PUBLIC_URL)"), None
    return Finding("fatal", "script tag", f"the page has no <script src=\".../widget.js\">: paste {snippet.script_tag()} before "
                   "</body> (`repchat snippet` prints it; a tag added by a tag manager is not seen here: run "
                   "RepChat.diagnose() in the page's browser console instead)"), None


def _csp(policies: list[str], page: str, snippet: Snippet, script: dict[str, str] | None) -> list[Finding]:
    if not policies:
        return [Finding("ok", "page CSP", "the page sends no Content-Security-Policy: nothing to allow")]
    found: list[Finding] = []
    nonce = (script or {}).get("nonce", "")
    # widget.js is a tag in the page; the conversation UI and the doctor are scripts it adds from /widget/.
    checks = (
        ("script-src-elem", snippet.script_src, False, "load widget.js"),
        ("script-src-elem", f"{snippet.public_url}/widget/chunk.js", True, "load its conversation UI (from /widget/)"),
        ("connect-src", f"{snippet.public_url}/v1/messages", False, "reach the BFF (chat and replies)"),
    )
    for kind, url, inserted, what in checks:
        verdict = allows(policies, kind, url, page, nonce, inserted)
        directive = kind.removesuffix("-elem")
        if inserted and found[-1].level == "fatal":
            continue  # widget.js itself is refused: one fix says it
        if verdict.allowed:
            found.append(Finding("ok", "page CSP", f"{directive} lets the widget {what}"))
        else:
            found.append(Finding("fatal", "page CSP", f"the page's policy ({verdict.directive} {' '.join(verdict.sources)}) does not let "
                                 f"the widget {what}: add {snippet.public_origin} to it, i.e. \"{directive} {snippet.public_origin}\""))
    found.append(Finding("ok", "page CSP", "style-src needs nothing: the widget styles itself with constructable stylesheets"))
    return found


def check_site(settings: Settings, url: str, client: httpx.Client | None = None) -> list[Finding]:
    """Fetch `url` and check it against this configuration."""
    if not settings.public_origin:
        return [Finding("fatal", "public URL", "REPCHAT_PUBLIC_URL is not set (or not a URL): set it to the address the "
                        "script tag loads widget.js from, like https://chat.example.com; the page is checked against it")]
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        return [Finding("fatal", "page", f"{url!r} is not an http(s) URL: give the page's address, like https://www.example.com/")]
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": f"repchat-check/{__version__}"})
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        return [Finding("fatal", "page", f"{url} could not be fetched ({exc.__class__.__name__}: {exc}): is the address right, "
                        "and reachable from this server?")]
    finally:
        if client is None:
            http.close()
    page = str(response.url)
    if not response.is_success:
        return [Finding("fatal", "page", f"{page} answered {response.status_code}: give the address of a page that shows the chat")]
    snippet = for_settings(settings)
    origin = _origin(page)
    found = [Finding("ok", "page", f"{page} answered {response.status_code}" + (f" (redirected from {url})" if page != url else ""))]
    if OriginPolicy(settings.allowed_origins, settings.public_origin).allows(origin):
        found.append(Finding("ok", "site origin", f"{origin} is allowed (REPCHAT_ALLOWED_ORIGINS)"))
    else:
        found.append(Finding("fatal", "site origin", f"{origin} is not in REPCHAT_ALLOWED_ORIGINS: the BFF refuses its chats; "
                             f"set {allowed_origins_line(settings, origin)}"))
    scan = PageScan()
    scan.feed(response.text)
    tag, script = _script_tag(scan, page, snippet)
    found.append(tag)
    # Several policies may come in several headers, or in one joined by commas: each is enforced.
    headers = [policy.strip() for value in response.headers.get_list("content-security-policy") for policy in value.split(",")]
    found.extend(_csp([*filter(None, headers), *scan.policies], page, snippet, script))
    return found
