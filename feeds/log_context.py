"""The id of the API request being handled, added to every log line it causes.

The request id middleware binds the id when a request starts and resets it
when the response is done. ``RequestIdFilter`` copies the bound id onto each
record as ``request_id``, so modules log without passing the id around.
"""

import contextvars
import logging

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def bind_request_id(request_id: str) -> contextvars.Token:
    """Bind ``request_id`` to the current context until ``reset_request_id``."""
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token) -> None:
    """Restore the request id that was bound before ``bind_request_id``."""
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Add the bound request id to records that do not carry one already."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True
