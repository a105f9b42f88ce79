"""Generated requests against a live gunicorn, checked against /openapi.json.

Schemathesis loads the document from the running server and sends valid and
invalid requests for every operation with the attacker's bearer token. Every
response must be free of 5xx and match the documented status codes, content
types, headers and body schemas. Requests without a token or with a made-up
one must fail on every secured operation.

NOTE: each operation gets its own Hypothesis test built from
``APIOperation.as_strategy()``, because Schemathesis 4.32.5's lazy loader
``schemathesis.pytest.from_fixture`` fails under pytest 9.2 (it reads
``Function._nodeid``, which pytest 9 no longer has).
"""

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from feeds.api.openapi import build_document
from feeds.tokens import sign_token
from tests.conftest import JWT_SECRET
from tests.security.report import report_line
from tests.security.seed import restore_user

# Examples per operation and generation mode; raise it for a longer search.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]

URL_FIELDS = ("url", "feed_url")
GUNICORN_URI_TOO_LONG = 414


def generation_cases() -> list[tuple[str, str, GenerationMode]]:
    """Return (method, path, mode) for every documented operation.

    An operation without parameters or a body has no invalid input to
    generate, so it is only run with valid requests.
    """
    cases = []
    for path, item in build_document()["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation["parameters"] or "requestBody" in operation:
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module")
def live_schema(live_server):
    return schemathesis.openapi.from_url(live_server.base_url + "/openapi.json")


@pytest.fixture(scope="module")
def token(attacker) -> str:
    return sign_token(attacker.id, secret=JWT_SECRET, audience="authenticated")


@dataclass
class Tally:
    per_operation: Counter[str] = field(default_factory=Counter)
    uri_too_long: int = 0


@pytest.fixture(scope="module")
def tally(live_server, request):
    """Count examples per operation and report them with the requests served."""
    counts = Tally()
    yield counts
    report_line(
        request.config,
        f"schemathesis: {counts.per_operation.total()} examples over "
        f"{len(counts.per_operation)} operations ({counts.uri_too_long} with a "
        f"request line too long for gunicorn), {live_server.requests_served()} "
        "requests served",
    )


def aim_at_seeded_feed(case, feed_id: uuid.UUID | None) -> None:
    """Point a generated feed id at one of the attacker's feeds.

    Random UUIDs almost never match a row, so without this the generated
    requests would only ever see 404 on feed routes. Only values that are
    already UUIDs are replaced, so invalid cases stay invalid.
    """
    if feed_id is None:
        return
    if _is_uuid(case.path_parameters and case.path_parameters.get("feed_id")):
        case.path_parameters["feed_id"] = str(feed_id)
    if isinstance(case.body, dict) and _is_uuid(case.body.get("feed_id")):
        case.body["feed_id"] = str(feed_id)


def use_valid_url(case, url: str | None) -> None:
    """Replace a generated feed URL, which is rarely a valid http(s) URL."""
    if url is None or not isinstance(case.body, dict):
        return
    for name in URL_FIELDS:
        if isinstance(case.body.get(name), str):
            case.body[name] = url


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


@pytest.mark.parametrize(("method", "path", "mode"), generation_cases())
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_live_api_conforms(
    method,
    path,
    mode,
    data,
    live_schema,
    live_server,
    module_conn,
    attacker,
    token,
    tally,
):
    operation = live_schema[path][method]
    case = data.draw(operation.as_strategy(mode))
    restore_user(module_conn, attacker)
    feed_ids = [feed.id for feed in attacker.feeds]
    aim_at_seeded_feed(case, data.draw(st.sampled_from([*feed_ids, None])))
    if mode is GenerationMode.POSITIVE:
        url = f"https://example.com/{uuid.uuid4()}.xml"
        use_valid_url(case, data.draw(st.sampled_from([url, None])))
    tally.per_operation[case.operation.label] += 1

    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=live_server.base_url, headers=headers, timeout=30)
    if response.status_code == GUNICORN_URI_TOO_LONG:
        # gunicorn rejects a request line over its limit (4094 bytes by
        # default) itself, in HTML, before the application sees the request.
        tally.uri_too_long += 1
        return
    case.validate_response(
        response,
        checks=CHECKS,
        headers=headers,
        transport_kwargs={"base_url": live_server.base_url, "headers": headers},
    )
