"""`feeds up` on a machine without a database: embedded PostgreSQL, API, worker."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import SHARED_FEEDS
from tests.workers import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_until(process: subprocess.Popen, pattern: str, timeout: float) -> str:
    """Read the process's output until ``pattern`` matches; return all read."""
    output = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output += line
        if re.search(pattern, output):
            return output
    raise AssertionError(f"no {pattern!r} in output:\n{output}")


def test_up_serves_api_and_refreshes(tmp_path, feed_server):
    body = (SHARED_FEEDS / "cases" / "01-no-guid-stable-links.xml").read_bytes()
    feed_url = feed_server.route("/news.xml", body)
    bind = f"127.0.0.1:{free_port()}"
    unset = {"DATABASE_URL", "FEEDS_JWT_SECRET"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        FEEDS_HOME=str(tmp_path / "home"),
        FEEDS_ALLOW_PRIVATE_ADDRESSES="true",
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "feeds", "up", "--bind", bind],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = read_until(process, r"token:\s+(\S+)", timeout=120)
        token = re.search(r"token:\s+(\S+)", output)[1]
        auth = {"Authorization": f"Bearer {token}"}
        api = f"http://{bind}"

        created = httpx.post(f"{api}/api/feeds", json={"url": feed_url}, headers=auth)
        assert created.status_code == 201, created.text
        feed_id = created.json()["id"]

        def articles():
            response = httpx.get(f"{api}/api/feeds/{feed_id}/articles", headers=auth)
            return response.json()["articles"]

        stored = wait_for(articles, timeout=30)
        assert len(stored) == 3
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)

    assert process.returncode == 0
    assert not (tmp_path / "home" / "pgdata" / "postmaster.pid").exists()
