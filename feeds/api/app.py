"""The Falcon application: middleware, routes and error handlers."""

import falcon

from feeds.api import feeds, health, openapi, rss
from feeds.api.auth import AuthMiddleware
from feeds.api.database import Pool
from feeds.api.errors import register_error_handlers
from feeds.api.request_id import RequestIdMiddleware
from feeds.settings import Settings


def create_app(settings: Settings, pool: Pool) -> falcon.App:
    """Build the WSGI application; ``pool`` is only used while serving requests."""
    # The request id middleware runs first, so even a 401 carries the header.
    app = falcon.App(middleware=[RequestIdMiddleware(), AuthMiddleware(settings)])
    register_error_handlers(app)

    app.add_route("/healthz", health.Health())
    app.add_route("/readyz", health.Readiness(pool))
    app.add_route("/openapi.json", openapi.OpenApiDocument())

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
    return app
