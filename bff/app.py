"""The app factory: one Starlette app wired from `Settings`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from . import __version__
from .api import ChatApi
from .errors import ApiError, api_error_handler
from .eventstream import KeepRawSend
from .origins import OriginPolicy
from .landing import Landing
from .pages import page_routes, template_env
from .profiles import load_profiles
from .ratelimit import RateLimits
from .settings import Settings, load_settings
from .streams import StreamHub
from .tokens import TokenIssuer
from .upstream import Upstream

log = logging.getLogger("repchat")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


def create_app(settings: Settings, *, upstream_transport: httpx.AsyncBaseTransport | None = None) -> ASGIApp:
    """The BFF as an ASGI app. `upstream_transport` lets an embedder route upstream calls in-process."""
    origins = OriginPolicy(settings.allowed_origins or (settings.public_origin,), settings.public_origin)
    upstream = Upstream(settings, transport=upstream_transport)
    profiles = load_profiles(settings.profiles_dir or None)
    hub = StreamHub(
        grace=settings.resume_grace,
        max_buffer=settings.max_reply_bytes,
        max_duration=settings.max_stream_seconds,
        max_streams=settings.max_streams,
        max_per_visitor=settings.max_streams_per_visitor,
    )
    issuer = TokenIssuer(settings.secret_keys, settings.token_ttl)
    api = ChatApi(settings, upstream, issuer, origins, profiles, hub, RateLimits(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await hub.aclose()
        await upstream.aclose()

    profile = profiles.get(settings.profile_id) or next(iter(profiles.values()))
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        *api.routes(),
        *page_routes(settings, profile),
        *Landing(settings, profiles, template_env()).routes(),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origin_regex=origins.regex,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "last-event-id"],
            expose_headers=["retry-after", "x-repchat-version"],
            max_age=600,
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: api_error_handler},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.upstream = upstream
    app.state.hub = hub
    app.state.origins = origins
    return KeepRawSend(app)


def create_app_from_env() -> ASGIApp:
    """Entry point for `uvicorn --factory` and for worker processes."""
    return create_app(load_settings())
