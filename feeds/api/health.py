"""Liveness (/healthz) and readiness (/readyz) probes. Neither needs a token."""

import logging

import falcon
import psycopg

from feeds import migrate
from feeds.api import schemas
from feeds.api.database import Pool, connection

logger = logging.getLogger(__name__)

# A database that does not respond fails the probe with 503 after this many
# seconds, sooner than a request would fail. Give the probe a longer timeout.
READINESS_TIMEOUT_SECONDS = 2.0


class Health:
    """GET /healthz: the process serves requests. It never touches the database."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = schemas.Health().model_dump(mode="json")


class Readiness:
    """GET /readyz: the database responds and every migration file is applied."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        reason = self._unready_reason(req)
        if reason is None:
            resp.media = schemas.Readiness(status="ok").model_dump(mode="json")
            return

        resp.status = falcon.HTTP_503
        body = schemas.Readiness(status="unavailable", reason=reason)
        resp.media = body.model_dump(mode="json")

    def _unready_reason(self, req: falcon.Request) -> str | None:
        try:
            with connection(self._pool, READINESS_TIMEOUT_SECONDS) as conn:
                applied = migrate.applied_versions(conn)
        except psycopg.OperationalError as error:
            logger.warning(
                "readiness check failed: database unavailable",
                exc_info=error,
                extra={"request_id": req.context.request_id},
            )
            return "database unavailable"

        pending = [
            m.version
            for m in migrate.available_migrations()
            if m.version not in applied
        ]
        if pending:
            versions = ", ".join(str(version) for version in pending)
            return f"migrations not applied: {versions}"
        return None
