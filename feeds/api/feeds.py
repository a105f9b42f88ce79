"""Subscription routes: /api/feeds and a feed's articles and refresh history."""

import logging
import uuid

import falcon

from feeds import articles, runs, subscriptions
from feeds.api import schemas
from feeds.api.database import Pool, connection
from feeds.api.errors import InvalidRequest
from feeds.api.validation import parse_body, parse_query

logger = logging.getLogger(__name__)


def render_feed(row: dict) -> dict:
    return schemas.Feed.model_validate(row).model_dump(mode="json")


class FeedCollection:
    """/api/feeds"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with connection(self._pool) as conn:
            rows = subscriptions.list_feeds(conn, req.context.user_id)

        resp.media = {"feeds": [render_feed(row) for row in rows]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse_body(req, schemas.FeedCreate)

        with connection(self._pool) as conn:
            row = subscriptions.create_feed(
                conn,
                req.context.user_id,
                body.url,
                title=body.title,
                refresh_interval=body.refresh_interval,
            )

        logger.info(
            "feed created",
            extra={"feed_id": row["id"], "request_id": req.context.request_id},
        )
        resp.status = falcon.HTTP_201
        resp.location = f"/api/feeds/{row['id']}"
        resp.media = render_feed(row)


class FeedItem:
    """/api/feeds/{feed_id}"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, feed_id: uuid.UUID
    ) -> None:
        with connection(self._pool) as conn:
            row = subscriptions.get_feed(conn, req.context.user_id, feed_id)

        resp.media = render_feed(row)

    def on_patch(
        self, req: falcon.Request, resp: falcon.Response, feed_id: uuid.UUID
    ) -> None:
        changes = parse_body(req, schemas.FeedUpdate).model_dump(exclude_unset=True)

        with connection(self._pool) as conn:
            row = subscriptions.update_feed(conn, req.context.user_id, feed_id, changes)

        resp.media = render_feed(row)

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, feed_id: uuid.UUID
    ) -> None:
        with connection(self._pool) as conn:
            subscriptions.delete_feed(conn, req.context.user_id, feed_id)

        logger.info(
            "feed deleted",
            extra={"feed_id": feed_id, "request_id": req.context.request_id},
        )
        resp.status = falcon.HTTP_204


class FeedArticles:
    """/api/feeds/{feed_id}/articles"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, feed_id: uuid.UUID
    ) -> None:
        query = parse_query(req, schemas.ArticlesQuery)

        with connection(self._pool) as conn:
            subscriptions.get_feed(conn, req.context.user_id, feed_id)
            try:
                rows, next_cursor = articles.list_articles(
                    conn,
                    user_id=req.context.user_id,
                    feed_id=feed_id,
                    limit=query.limit,
                    cursor=query.cursor,
                )
            except articles.InvalidCursor:
                raise _invalid_cursor() from None

        page = schemas.ArticlePage(articles=rows, next_cursor=next_cursor)
        resp.media = page.model_dump(mode="json")


class FeedRuns:
    """/api/feeds/{feed_id}/runs"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, feed_id: uuid.UUID
    ) -> None:
        query = parse_query(req, schemas.RunsQuery)

        with connection(self._pool) as conn:
            subscriptions.get_feed(conn, req.context.user_id, feed_id)
            rows = runs.list_runs(
                conn, user_id=req.context.user_id, feed_id=feed_id, limit=query.limit
            )

        resp.media = schemas.RunList(runs=rows).model_dump(mode="json")


def _invalid_cursor() -> InvalidRequest:
    message = "invalid cursor; pass the next_cursor of a previous page"
    return InvalidRequest([{"field": "cursor", "message": message}])
