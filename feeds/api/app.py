"""The Falcon application: middleware, routes and error handlers."""

import falcon

from feeds.api import feeds, health, openapi, opml, rss, status
from feeds.api.auth import AuthMiddleware
from feeds.api.database import Pool
from feeds.api.errors import register_error_handlers
from feeds.api.metrics import MetricsResource, RequestMetrics
from feeds.api.request_id import RequestIdMiddleware
from feeds.settings import Settings


def create_app(settings: Settings, pool: Pool) -> falcon.App:
    """Build the WSGI application; ``pool`` is only used while serving requests."""
    router = falcon.routing.DefaultRouter()
    request_metrics = RequestMetrics(router)
    # The request id middleware runs before auth, so even a 401 carries the
    # header. Request metrics run first, so they time and count everything.
    middleware = [request_metrics, RequestIdMiddleware(), AuthMiddleware(settings)]
    app = falcon.App(middleware=middleware, router=router)
    register_error_handlers(app)

    app.add_route("/healthz", health.Health())
    app.add_route("/readyz", health.Readiness(pool))
    app.add_route("/openapi.json", openapi.OpenApiDocument())
    app.add_route("/metrics", MetricsResource(request_metrics.registry))
    # Outside /api: the page checks the admin token, not a user's JWT.
    app.add_route("/status", status.StatusPage(settings, pool))

    # {feed_id:uuid} leaves a non-UUID id unrouted, so such a request gets 404.
    app.add_route("/api/feeds", feeds.FeedCollection(pool))
    app.add_route("/api/feeds/{feed_id:uuid}", feeds.FeedItem(pool))
    app.add_route("/api/feeds/{feed_id:uuid}/articles", feeds.FeedArticles(pool))
    app.add_route("/api/feeds/{feed_id:uuid}/runs", feeds.FeedRuns(pool))

    app.add_route("/api/rss/schedule", rss.Schedule(pool))
    app.add_route("/api/rss/cancel", rss.Cancel(pool))
    app.add_route("/api/rss/force-refresh", rss.ForceRefresh(pool))
    app.add_route("/api/rss/init", rss.Init(pool))
    app.add_route("/api/rss/stats", rss.Stats(pool))

    app.add_route("/api/opml", opml.Opml(pool))
    return app
