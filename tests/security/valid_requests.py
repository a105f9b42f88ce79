"""A valid request for every documented operation, to attack one part at a time."""

import uuid
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from falcon.testing import Result, TestClient

from tests.security.operations import DocumentedOperation

OPML_TEMPLATE = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
<head><title>Subscriptions</title></head>
<body>
<outline text={title} title={title} type="rss" xmlUrl={url}/>
</body>
</opml>
"""


def unique_url(label: str) -> str:
    """Return a feed URL that no earlier request used."""
    return f"https://example.com/{label}/{uuid.uuid4()}.xml"


def opml_document(url: str, title: str) -> bytes:
    """Build an OPML document with one outline; both values are XML-escaped."""
    return OPML_TEMPLATE.format(url=quoteattr(url), title=quoteattr(title)).encode()


# Each builder gets the feed id the request should act on.
BODY_BUILDERS: dict[str, Callable[[uuid.UUID], Any]] = {
    "createFeed": lambda feed_id: {"url": unique_url("created"), "title": "Created"},
    "updateFeed": lambda feed_id: {"title": "Changed", "refresh_interval": 5},
    "scheduleFeed": lambda feed_id: {
        "feed_id": str(feed_id),
        "refresh_interval": 5,
        "force_immediate": True,
    },
    "cancelFeed": lambda feed_id: {"feed_id": str(feed_id)},
    "forceRefresh": lambda feed_id: {"feed_id": str(feed_id)},
    "importOpml": lambda feed_id: opml_document(unique_url("imported"), "Imported"),
}


def valid_body(operation: DocumentedOperation, feed_id: uuid.UUID) -> Any:
    """Return a valid body for the operation, or None when it takes none."""
    if not operation.body_media_types:
        return None
    builder = BODY_BUILDERS.get(operation.operation_id)
    if builder is None:
        pytest.fail(
            f"{operation.operation_id} takes a request body: add a builder of a "
            "valid body to BODY_BUILDERS in tests/security/valid_requests.py"
        )
    return builder(feed_id)


def send(
    client: TestClient,
    operation: DocumentedOperation,
    *,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    params: dict[str, str] | None = None,
) -> Result:
    """Send the operation's method to ``path``, encoding ``body`` by media type."""
    headers = dict(headers)
    kwargs: dict[str, Any] = {"params": params, "headers": headers}
    if isinstance(body, bytes | str):
        headers["Content-Type"] = operation.body_media_types[0]
        kwargs["body"] = body
    elif body is not None:
        kwargs["json"] = body
    return client.simulate_request(operation.method, path, **kwargs)
