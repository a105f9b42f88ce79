"""The X-Request-ID header: echoed when the client sends a sane one, else new."""

import re
import uuid

import falcon

from feeds.log_context import bind_request_id, reset_request_id

HEADER = "X-Request-ID"

# Letters, digits and a few separators, so the value is safe in logs and
# headers whatever the client sent.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class RequestIdMiddleware:
    """Store the request id in ``req.context.request_id`` and return it.

    The id is also bound to the logging context until the response is done,
    so every log line of the request carries it as ``request_id``.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        incoming = req.get_header(HEADER)
        if incoming and _SANE_ID.fullmatch(incoming):
            req.context.request_id = incoming
        else:
            req.context.request_id = uuid.uuid4().hex
        req.context.request_id_binding = bind_request_id(req.context.request_id)

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
    ) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header(HEADER, request_id)

        binding = getattr(req.context, "request_id_binding", None)
        if binding is not None:
            reset_request_id(binding)
