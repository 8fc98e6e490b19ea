"""Prometheus metrics at `/metrics` (prometheus-client), one registry per app.

The token path touches none of these: live counts are read from the hub
when Prometheus scrapes, and only per-reply or per-error events observe.
Each worker process reports its own figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from .stream.buffer import StreamHub

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class HubCollector(Collector):
    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily("repchat_active_streams", "Replies being relayed now", value=self.hub.active)
        yield CounterMetricFamily("repchat_tokens_relayed", "Tokens relayed to browsers", value=self.hub.tokens())


class Metrics:
    def __init__(self) -> None:
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

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE)
