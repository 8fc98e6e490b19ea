"""The app factory: one Starlette app wired from `Settings`."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from typing import Any
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .api import ChatApi
from .errors import ApiError, api_error_handler
from .origins import CorsMiddleware, OriginPolicy
from .idempotency import IdempotencyKeys
from .landing import Landing
from .leads import LeadsApi
from .webhooks import Webhooks
from .demo_site import demo_routes
from .diagnostics import Diagnostics
from .page_templates import template_env
from .widget_asset import widget_routes
from .profiles import default_profile_id, site_profiles
from .metrics import Metrics
from .ratelimit import RateLimits
from .stream.mirror import Shared
from .shutdown import on_stop_signals
from .settings import Settings, load_settings
from .stream.buffer import StreamHub
from .stream.response import FOLLOW, SERVER_SEND
from .visitor_tokens import TokenIssuer
from .upstream import Upstream

log = logging.getLogger("repchat")


async def healthz(request: Request) -> JSONResponse:
    """The process is up (liveness)."""
    return JSONResponse({"status": "ok", "version": __version__})


class App(Starlette):
    """Starlette, handing an event stream the `send` it was itself given.

    Each middleware wraps `send` in a function of its own, so every token
    would cost one call per layer after the response start (which is all
    those wrappers look at). With only the BFF's own middleware installed,
    the event stream sends its start through them and then leaves the rest
    (`FOLLOW` in the scope) for this call to run with the server's own `send`
    (`SERVER_SEND`), once the stack has returned: neither the wrappers nor
    the stack's coroutines stay with an open stream. Once an embedder adds a
    middleware, which may hold the start until the first body, the whole
    stream runs inside the stack and every frame goes through it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_middleware = len(self.user_middleware)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(self.user_middleware) == self.own_middleware:
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)
        follow = scope.get(FOLLOW)
        if follow is not None:
            await follow()


def create_app(settings: Settings) -> Starlette:
    """The BFF as an ASGI app."""
    origins = OriginPolicy(settings.allowed_origins, settings.public_origin)
    upstream = Upstream(settings)
    profiles = site_profiles(settings.profiles_dir, settings.demo_site)
    settings = settings.replace(profile_id=default_profile_id(settings.profile_id, profiles))
    metrics = Metrics(settings.metrics_token)
    shared = (
        Shared(settings.redis_url, settings.max_stream_seconds + settings.resume_grace, settings.liveness_window)
        if settings.redis_url else None
    )
    hub = StreamHub(
        grace=settings.resume_grace,
        max_buffer=settings.max_reply_bytes,
        max_duration=settings.max_stream_seconds,
        max_streams=settings.max_streams,
        max_per_visitor=settings.max_streams_per_visitor,
        max_per_address=settings.max_streams_per_address,
        shared=shared,
        idle_limit=settings.read_timeout,
        metrics=metrics,
    )
    metrics.watch(hub)
    issuer = TokenIssuer(settings.secret_keys, settings.token_ttl)
    limits = RateLimits(settings, metrics=metrics)
    redis_client = shared.redis if shared is not None else None
    webhooks = Webhooks(
        settings.webhook_url, settings.webhook_secret, client=redis_client, max_attempts=settings.webhook_max_attempts,
        backoff=settings.webhook_backoff, metrics=metrics,
    ) if settings.webhook_url else None
    api = ChatApi(settings, upstream, issuer, origins, profiles, hub, limits, webhooks)
    leads = LeadsApi(api, IdempotencyKeys(settings.idempotency_ttl, redis_client), webhooks, metrics)

    async def readyz(request: Request) -> JSONResponse:
        """Ready to serve (readiness): the upstream answers, and Redis when one is configured."""
        checks = {"upstream": await upstream.health()}
        if shared is not None:
            checks["redis"] = await shared.ping()
        ready = all(checks.values()) and not hub.closing
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if shared is not None:
            shared.start(hub.on_remote_stop)
        on_stop_signals(lambda: hub.drain(settings.shutdown_deadline))
        if webhooks is not None:
            webhooks.start()  # `repchat check` (and serve's startup) warn when its outbox is only in memory
        yield
        if webhooks is not None:
            await webhooks.aclose()
        await hub.aclose()
        landing.codes.close()
        if shared is not None:
            await shared.aclose()
        await upstream.aclose()

    landing = Landing(settings, profiles, template_env(), limits, issuer)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        *api.routes(),
        *leads.routes(),
        *Diagnostics(api).routes(),
        *widget_routes(),
        *demo_routes(settings, profiles.get(settings.profile_id), template_env()),
        *landing.routes(),
    ]
    middleware = [Middleware(CorsMiddleware, policy=origins)]
    app = App(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: api_error_handler},
        lifespan=lifespan,
    )
    # Starlette would answer "/v1/session/" with a redirect built from the Host
    # header, which anyone can set; a wrong path is a 404 here, never a redirect.
    app.router.redirect_slashes = False
    return app


def create_app_from_env() -> ASGIApp:
    """Entry point for `uvicorn --factory` and for worker processes."""
    app = create_app(load_settings())
    tune_gc()
    return app


def tune_gc() -> None:
    """Collect garbage less often in a serving process.

    Thousands of long-lived streams mean the cyclic collector walks the same
    objects again and again; profiling under load showed it as the largest
    single cost after system calls. Objects made at startup are frozen out of
    its way, and young-generation passes come every 50,000 allocations.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
