"""What the BFF serves to browsers besides the API: the widget and the demo site.

The widget is served by the same process that speaks its API, so the two
never drift apart; its ETag is its content hash.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import __version__
from .profiles import Profile
from .settings import Settings

PACKAGE = Path(__file__).parent
STATIC_DIR = PACKAGE / "static"


def templates_dir() -> Path:
    """`bff/templates` in an installed wheel; the repository's `templates/` in a checkout."""
    installed = PACKAGE / "templates"
    return installed if installed.is_dir() else PACKAGE.parent / "templates"


def template_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


# Pages we render hold no inline script or style, so they can say so.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class WidgetAsset:
    """The built widget, read once, with a content ETag and a gzipped copy."""

    def __init__(self, path: Path = STATIC_DIR / "widget.js") -> None:
        self.body = path.read_bytes()
        self.gzipped = gzip.compress(self.body, 9, mtime=0)
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'

    async def endpoint(self, request: Request) -> Response:
        # A versioned URL (?v=...) never changes; the bare URL revalidates
        # often so a deploy reaches every visitor within minutes.
        immutable = request.query_params.get("v") == __version__
        headers = {
            "ETag": self.etag,
            "Cache-Control": "public, max-age=31536000, immutable" if immutable else "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "X-Repchat-Version": __version__,
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        body = self.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


class DemoSite:
    """The demo company's site, embedding the widget as the README says to."""

    PAGES = {"/demo": "demo_home.html", "/pricing": "demo_pricing.html", "/contact": "demo_contact.html"}

    def __init__(self, settings: Settings, profile: Profile, env: Environment) -> None:
        self.settings = settings
        self.profile = profile
        self.env = env

    def widget_src(self, request: Request) -> str:
        base = self.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        return f"{base}/widget.js"

    async def page(self, request: Request) -> Response:
        template = self.env.get_template(self.PAGES[request.url.path])
        html = template.render(
            profile=self.profile, path=request.url.path, widget_src=self.widget_src(request), version=__version__
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    def routes(self) -> list[BaseRoute]:
        return [Route(path, self.page) for path in self.PAGES]


def page_routes(settings: Settings, profile: Profile) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/widget.js", WidgetAsset().endpoint),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if settings.demo_site:
        routes += DemoSite(settings, profile, template_env()).routes()
    return routes
