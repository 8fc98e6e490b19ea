"""The demo company's site (`/demo`, `/pricing`, `/contact`), embedding the widget as the README says to."""

from __future__ import annotations

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from . import __version__
from .page_templates import PAGE_HEADERS
from .profiles import Profile, load_profiles
from .settings import Settings


class DemoSite:
    """Three pages of a made-up company, served only when `REPCHAT_DEMO_SITE` is on."""

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


def demo_routes(settings: Settings, profile: Profile | None, env: Environment) -> list[BaseRoute]:
    """The demo site's routes when REPCHAT_DEMO_SITE is on (`repchat demo`), else none: /demo is a 404."""
    if not settings.demo_site:
        return []
    return DemoSite(settings, profile or next(iter(load_profiles().values())), env).routes()
