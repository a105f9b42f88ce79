"""GET /status: the operator status page, behind the admin token.

The page lies outside /api, so the JWT middleware leaves it alone and this
resource checks FEEDS_ADMIN_TOKEN itself. Browsers cannot send headers from
the address bar, so the token is also accepted as ``?token=``. Without an
admin token configured the route returns 404, like a path that does not exist.
"""

import hmac
import logging

import falcon

from feeds.api.database import Pool, connection
from feeds.settings import Settings
from feeds.status.page import render_page
from feeds.status.report import read_report

logger = logging.getLogger(__name__)

# The page loads nothing and runs no script. The token may sit in the address,
# so no Referer carries it elsewhere and nothing caches the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class StatusPage:
    """GET /status"""

    def __init__(self, settings: Settings, pool: Pool) -> None:
        self._admin_token = settings.admin_token.encode()
        self._pool = pool

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._authorize(req)

        with connection(self._pool) as conn:
            report = read_report(conn)

        resp.set_headers(SECURITY_HEADERS)
        resp.content_type = falcon.MEDIA_HTML
        resp.text = render_page(report)

    def _authorize(self, req: falcon.Request) -> None:
        if not self._admin_token:
            raise falcon.HTTPNotFound()

        presented = _presented_token(req)
        if presented is not None and hmac.compare_digest(
            presented.encode(), self._admin_token
        ):
            return

        logger.info(
            "rejected admin token",
            extra={
                "request_id": req.context.request_id,
                "reason": "missing" if presented is None else "wrong",
            },
        )
        raise falcon.HTTPUnauthorized(
            title="Authentication required",
            description="Send the admin token as Authorization: Bearer <token> "
            "or as the token query parameter.",
            challenges=["Bearer"],
        )


def _presented_token(req: falcon.Request) -> str | None:
    """Return the Bearer token of the Authorization header, else ``?token=``.

    A request with an Authorization header is judged by the header alone.
    """
    header = req.get_header("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()
    return req.get_param("token")
