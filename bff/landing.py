"""QR landing pages: `/r/{slug}` and its code, poster and contact card.

A Representative's QR code (badge, flyer, booth) opens a mobile page that
goes straight into the chat in full screen; the widget tells the
Representative the visitor came by QR, and the BFF records the scan once
per visitor session.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from . import __version__
from .errors import ApiError
from .profiles import SLUG, Profile
from .qr import CAMPAIGN, Renderer, campaign_from, landing_url, options_from
from .ratelimit import RateLimits, client_address
from .settings import Settings, public_url_problem
from .visitor_tokens import LandingVisit, TokenIssuer
from .vcard import content_disposition, vcard

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
PAPERS = ("a4", "letter")


def _style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


class Landing:
    def __init__(
        self, settings: Settings, profiles: dict[str, Profile], env: Environment, limits: RateLimits,
        issuer: TokenIssuer,
    ) -> None:
        self.issuer = issuer
        self.settings = settings
        self.profiles = profiles
        self.env = env
        self.limits = limits
        self.codes = Renderer()
        # Inline styles keep the page to one request besides the widget; the
        # CSP allows exactly these styles by hash, nothing else inline.
        self.css = (STATIC_DIR / "landing.css").read_text()
        self.poster_css = (STATIC_DIR / "poster.css").read_text()

    def _headers(self, css: str) -> dict[str, str]:
        origin = self.settings.public_origin
        csp = (
            f"default-src 'self'; script-src 'self' {origin}; style-src {_style_hash(css)}; "
            f"img-src 'self' data: https:; connect-src 'self' {origin}; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        return {
            "Content-Security-Policy": " ".join(csp.split()),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Frame-Options": "DENY",
        }

    def _public_url(self) -> str:
        """The address printed codes open; a 503 that names the setting when it is missing or unusable."""
        if not self.settings.public_url:
            raise ApiError("public_url_missing")
        problem = public_url_problem(self.settings.public_url)
        if problem:
            raise ApiError("public_url_invalid", f"REPCHAT_PUBLIC_URL {problem}.")
        return self.settings.public_url.rstrip("/")

    def _profile(self, request: Request) -> Profile | None:
        slug = request.path_params["slug"]
        return self.profiles.get(slug) if SLUG.fullmatch(slug) else None

    def not_found(self) -> Response:
        html = self.env.get_template("not_found.html").render(css=Markup(self.css), version=__version__)
        return HTMLResponse(html, status_code=404, headers=self._headers(self.css))

    async def page(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return self.not_found()
        base = self.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        params = request.query_params
        campaign = params.get("c") or ""
        source = "qr_scan" if params.get("src") == "qr" else "web"
        visit = LandingVisit(profile.slug, source, campaign if CAMPAIGN.fullmatch(campaign) else "")
        ticket = self.issuer.landing_ticket(visit)
        html = self.env.get_template("landing.html").render(
            profile=profile, css=Markup(self.css), widget_src=f"{base}/widget.js", version=__version__, ticket=ticket,
        )
        return HTMLResponse(html, headers={**self._headers(self.css), "Cache-Control": "no-cache"})

    async def code(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            raise ApiError("profile_not_found")
        kind = request.path_params["kind"]
        if kind not in MEDIA_TYPES:
            raise ApiError("not_found", "QR codes come as qr.svg or qr.png.")
        options = options_from(request.query_params)
        await self.limits.hit("qr_per_ip", client_address(request, self.settings.ipv6_prefix))
        body = await self.codes.render(landing_url(self._public_url(), profile.slug, options.campaign), options, kind)
        return Response(body, media_type=MEDIA_TYPES[kind], headers={"Cache-Control": "public, max-age=3600"})

    async def poster(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return self.not_found()
        campaign = campaign_from(request.query_params.get("c"))
        paper = (request.query_params.get("paper") or "a4").lower()
        if paper not in PAPERS:
            raise ApiError("invalid_parameter", "paper must be a4 or letter.")
        url = landing_url(self._public_url(), profile.slug, campaign)
        options = options_from({"c": campaign, "ecl": "Q", "scale": "10", "border": "4"})
        await self.limits.hit("qr_per_ip", client_address(request, self.settings.ipv6_prefix))
        svg = (await self.codes.render(url, options, "svg", scalable=True)).decode()
        html = self.env.get_template("poster.html").render(
            profile=profile, css=Markup(self.poster_css), svg=Markup(svg), url=url, paper=paper, version=__version__,
        )
        return HTMLResponse(html, headers=self._headers(self.poster_css))

    async def contact(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            raise ApiError("profile_not_found")
        base = self.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        return Response(
            vcard(profile, f"{base}/r/{profile.slug}"),
            media_type="text/vcard; charset=utf-8",
            headers={"Content-Disposition": content_disposition(profile)},
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/r/{slug}", self.page),
            Route("/r/{slug}/qr.{kind:str}", self.code),
            Route("/r/{slug}/poster", self.poster),
            Route("/r/{slug}/contact.vcf", self.contact),
        ]
