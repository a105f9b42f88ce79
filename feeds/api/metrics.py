"""Prometheus metrics of the API, and the GET /metrics resource.

Requests are counted by method, route template and status, and timed by
method and route template. The route is the template the path matched, with
converters left out (``/api/feeds/{feed_id}``), never the raw path, so ids
create no new series. A path that matches no route counts as ``unmatched``.
"""

import re
import time

import falcon
from falcon.routing import CompiledRouter
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder

from feeds.metrics import exposition_registry

UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "other"

_CONVERTER = re.compile(r"\{(\w+):[^}]*\}")


class RequestMetrics:
    """Falcon middleware that counts and times every request.

    Put it first in the middleware list, so the time covers the other
    middleware and requests they reject are counted too.
    """

    def __init__(self, router: CompiledRouter) -> None:
        self.registry = CollectorRegistry()
        self._router = router
        self._requests = Counter(
            "feeds_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "feeds_http_request_duration_seconds",
            "Time to handle an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.metrics_started_at = time.perf_counter()

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        method = req.method if req.method in falcon.COMBINED_METHODS else OTHER_METHOD
        route = self._route_of(req)
        self._requests.labels(method, route, str(resp.status_code)).inc()

        started_at = getattr(req.context, "metrics_started_at", None)
        if started_at is not None:
            elapsed = time.perf_counter() - started_at
            self._duration.labels(method, route).observe(elapsed)

    def _route_of(self, req: falcon.Request) -> str:
        template = req.uri_template
        if template is None:
            # Middleware that rejects a request (a 401, for example) runs
            # before routing, so the template is looked up here.
            match = self._router.find(req.path)
            template = match[3] if match else None
        if template is None:
            return UNMATCHED_ROUTE
        return _CONVERTER.sub(r"{\1}", template)


class MetricsResource:
    """GET /metrics: every metric in the Prometheus text format, no token needed.

    A client that asks for OpenMetrics in its Accept header gets that format.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        encode, content_type = choose_encoder(req.get_header("Accept") or "")
        resp.data = encode(exposition_registry(self._registry))
        resp.content_type = content_type
