"""The TypeScript client's Node tests against the API under gunicorn."""

import os
import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.rows import insert_article, insert_feed
from tests.api.tokens import make_token
from tests.apiserver import running_api
from tests.client.node import CLIENT_DIR, require_node_tool, require_npm
from tests.conftest import JWT_SECRET

PAGED_ARTICLES = 5
NPM_TEST_TIMEOUT_SECONDS = 300
# The node:test cases in clients/typescript/test.
NODE_TESTS = 17


@pytest.fixture
def api_url(settings, tmp_path):
    env = {"DATABASE_URL": settings.database_url, "FEEDS_JWT_SECRET": JWT_SECRET}
    with running_api(env, tmp_path / "gunicorn.log") as base_url:
        yield base_url


@pytest.fixture
def paged_feed_id(conn, user_id) -> uuid.UUID:
    """A feed of ``user_id`` with PAGED_ARTICLES articles a minute apart."""
    feed_id = insert_feed(conn, user_id, "https://example.com/paged.xml")
    newest = datetime.now(UTC)
    for index in range(PAGED_ARTICLES):
        published = newest - timedelta(minutes=index)
        insert_article(
            conn, feed_id, user_id, title=f"article-{index}", published_at=published
        )
    return feed_id


def test_typescript_client(api_url, paged_feed_id, user_id):
    npm = require_npm()
    require_node_tool("tsc")
    env = {
        **os.environ,
        "FEEDS_API_URL": api_url,
        "FEEDS_TOKEN": make_token(user_id),
        "FEEDS_PAGED_FEED_ID": str(paged_feed_id),
        "FEEDS_PAGED_ARTICLES": str(PAGED_ARTICLES),
    }

    completed = subprocess.run(
        [npm, "test"],
        cwd=CLIENT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=NPM_TEST_TIMEOUT_SECONDS,
    )
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output
    assert counted(output, "pass") == NODE_TESTS, output
    assert counted(output, "fail") == 0, output


def counted(output: str, word: str) -> int:
    """Return N from the node test runner's closing "pass N" or "fail N" line."""
    matches = re.findall(rf"^\S* ?{word} (\d+)$", output, flags=re.MULTILINE)
    assert matches, f"no '{word} N' line in the output:\n{output}"
    return int(matches[-1])
