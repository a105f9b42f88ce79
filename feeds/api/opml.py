"""/api/opml: import subscriptions from an OPML document and export them as one."""

import logging
from dataclasses import asdict
from datetime import UTC, datetime

import falcon

from feeds import opml, opml_import, subscriptions
from feeds.api import schemas
from feeds.api.database import Pool, connection

logger = logging.getLogger(__name__)

# NOTE: the import runs within the request. tests/api/test_opml.py creates
# 1,000 feeds in about 1.1 s on a shared 2-core machine, so a document near this
# limit (tens of thousands of outlines) can outlast gunicorn's default worker
# timeout of 30 s and be rolled back. `feeds import` has no such timeout.
MAX_OPML_BYTES = 5 * 1024 * 1024
OPML_MEDIA_TYPES = (opml.OPML_MEDIA_TYPE, "application/xml", "text/xml")
EXPORT_CONTENT_TYPE = f"{opml.OPML_MEDIA_TYPE}; charset=utf-8"
EXPORT_TITLE = "Subscriptions"


class Opml:
    """/api/opml"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with connection(self._pool) as conn:
            rows = subscriptions.list_feeds(conn, req.context.user_id)

        created = datetime.now(UTC)
        resp.data = opml.render_opml(rows, title=EXPORT_TITLE, created=created)
        resp.content_type = EXPORT_CONTENT_TYPE
        resp.downloadable_as = "subscriptions.opml"

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _require_opml_content_type(req)
        document = _read_document(req)
        try:
            outlines = opml.parse_outlines(document)
        except opml.OpmlError as error:
            raise falcon.HTTPBadRequest(
                title="Malformed OPML",
                description=f"The OPML document cannot be read: {error}.",
            ) from None

        with connection(self._pool) as conn:
            result = opml_import.import_outlines(conn, req.context.user_id, outlines)

        resp.media = render_result(result)


def render_result(result: opml_import.ImportResult) -> dict:
    body = schemas.OpmlImportResult(
        created=result.count("created"),
        skipped=result.count("skipped"),
        invalid=result.count("invalid"),
        entries=[asdict(entry) for entry in result.entries],
    )
    return body.model_dump(mode="json")


def _require_opml_content_type(req: falcon.Request) -> None:
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type in OPML_MEDIA_TYPES:
        return
    raise falcon.HTTPUnsupportedMediaType(
        title="Unsupported media type",
        description="Send the OPML document with Content-Type "
        f"{', '.join(OPML_MEDIA_TYPES)}.",
    )


def _read_document(req: falcon.Request) -> bytes:
    if req.content_length is not None and req.content_length > MAX_OPML_BYTES:
        raise _document_too_large()
    document = req.bounded_stream.read(MAX_OPML_BYTES + 1)
    if len(document) > MAX_OPML_BYTES:
        raise _document_too_large()
    return document


def _document_too_large() -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Request body too large",
        description=f"The OPML document must be at most {MAX_OPML_BYTES} bytes.",
    )
