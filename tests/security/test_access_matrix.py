"""Every secured route against bad tokens and another user's feed.

The routes come from the OpenAPI document. Each request is a valid one for
its route, so a 401 or 404 can only come from the token or the feed's owner.
The victim's rows are compared before and after every request.
"""

import pytest

from tests.api.tokens import make_token
from tests.conftest import JWT_SECRET
from tests.security.operations import secured_operations
from tests.security.report import report_line
from tests.security.seed import secret_strings, user_rows
from tests.security.valid_requests import send, valid_body

OTHER_SECRET = "another-secret-that-is-also-32-bytes-long-for-hs256"


def bad_credentials(user_id) -> dict[str, str | None]:
    """Authorization header values that must each get 401, by case name."""
    return {
        "no token": None,
        "malformed token": "Bearer not.a.jwt",
        "wrong signature": "Bearer " + make_token(user_id, secret=OTHER_SECRET),
        "wrong audience": "Bearer " + make_token(user_id, audience="another-app"),
        "expired": "Bearer " + make_token(user_id, expires_in=-60),
        "non-UUID subject": "Bearer " + make_token("alice"),
    }


CREDENTIAL_CASES = list(bad_credentials("x"))
OPERATIONS = secured_operations()


@pytest.fixture(scope="module")
def tally(request):
    """Count the matrix's cases and report them at the end of the run."""
    counts = {"401": 0, "foreign": 0}
    yield counts
    report_line(
        request.config,
        f"access matrix: {len(OPERATIONS)} secured operations, "
        f"{counts['401']} bad-token cases answered 401, "
        f"{counts['foreign']} foreign-feed cases isolated",
    )


@pytest.mark.parametrize("credential", CREDENTIAL_CASES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_bad_token_401(
    module_client, module_conn, victim, attacker, operation, credential, tally
):
    header = bad_credentials(attacker.id)[credential]
    headers = {} if header is None else {"Authorization": header}
    target = victim.feeds[0].id
    before = [user_rows(module_conn, user.id) for user in (victim, attacker)]

    result = send(
        module_client,
        operation,
        path=operation.path_for(target),
        headers=headers,
        body=valid_body(operation, target),
    )

    assert result.status_code == 401, result.text
    assert result.headers["WWW-Authenticate"].startswith("Bearer")
    assert result.json["title"] == "Authentication required"
    assert_no_secrets(result.text, victim)
    after = [user_rows(module_conn, user.id) for user in (victim, attacker)]
    assert after == before
    tally["401"] += 1


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_foreign_feed_isolated(
    module_client, module_conn, victim, attacker, operation, tally
):
    """A valid token never reaches another user's feed or rows.

    Routes that pick a feed return 404 for the victim's feed id. The others
    act on the caller's own rows and must not show the victim's.
    """
    token = make_token(attacker.id, secret=JWT_SECRET)
    target = victim.feeds[0].id
    before = user_rows(module_conn, victim.id)

    result = send(
        module_client,
        operation,
        path=operation.path_for(target),
        headers={"Authorization": f"Bearer {token}"},
        body=valid_body(operation, target),
    )

    if operation.names_a_feed:
        assert result.status_code == 404, result.text
        assert result.json["title"] == "Feed not found"
    else:
        assert 200 <= result.status_code < 300, result.text
    assert_no_secrets(result.text, victim)
    assert user_rows(module_conn, victim.id) == before
    tally["foreign"] += 1


def assert_no_secrets(text: str, victim) -> None:
    for secret in secret_strings(victim):
        # A 404 names the id that was asked for, which the caller already knew.
        if secret == str(victim.feeds[0].id):
            continue
        assert secret not in text
