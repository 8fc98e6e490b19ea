"""Prometheus metrics at `/metrics` (prometheus-client), one registry per app.

The token path touches none of these: live counts are read from the hub
when Prometheus scrapes, and only per-reply or per-error events observe.
Each worker process reports its own figures.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError

if TYPE_CHECKING:
    from .stream.buffer import StreamHub

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class HubCollector(Collector):
    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily("repchat_active_streams", "Replies being relayed now", value=self.hub.active)
        yield CounterMetricFamily("repchat_tokens_relayed", "Tokens relayed to browsers", value=self.hub.tokens())
        if self.hub.shared is not None:
            yield GaugeMetricFamily(
                "repchat_redis_reachable", "1 when this worker's last Redis call worked", value=int(self.hub.shared.healthy)
            )
            yield CounterMetricFamily(
                "repchat_mirror_holes",
                "Replies whose Redis mirror lost frames while Redis was away (followers end them with interrupted)",
                value=self.hub.shared.holes,
            )


LOOPBACK = ("127.0.0.1", "::1")


class Metrics:
    """The registry, and who may read it.

    With a `token`, a scrape must send `Authorization: Bearer <token>`. Without
    one, only a scraper on this host may read (a loopback client whose request
    no proxy forwarded): the figures say how busy the service is, which is no
    visitor's business.
    """

    def __init__(self, token: str = "") -> None:
        self.token = token
        self.registry = CollectorRegistry()
        self.first_token = Histogram(
            "repchat_time_to_first_token_seconds", "From a reply's request to its first token", registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.upstream_errors = Counter(
            "repchat_upstream_errors", "Upstream failures by the code the browser got", ["code"], registry=self.registry
        )
        self.rejections = Counter(
            "repchat_rate_limit_rejections", "Requests refused by a limit", ["limit"], registry=self.registry
        )

        self.leads = Counter("repchat_leads", "Contacts visitors left, by source", ["source"], registry=self.registry)
        self.feedback = Counter("repchat_feedback", "Answer ratings, by rating", ["rating"], registry=self.registry)
        self.webhooks = Counter(
            "repchat_webhooks", "Webhook events by outcome (delivered, or failed after the last try)",
            ["event", "outcome"], registry=self.registry,
        )

    def watch(self, hub: StreamHub) -> None:
        self.registry.register(HubCollector(hub))

    def allowed(self, request: Request) -> bool:
        if self.token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())
        forwarded = "x-forwarded-for" in request.headers or "forwarded" in request.headers
        return request.client is not None and request.client.host in LOOPBACK and not forwarded

    async def endpoint(self, request: Request) -> Response:
        if not self.allowed(request):
            raise ApiError("metrics_token" if self.token else "metrics_forbidden")
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE)
