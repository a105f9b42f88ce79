"""The API under a real gunicorn on a free loopback port, for end-to-end tests."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.api.helpers import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


@contextmanager
def running_api(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start gunicorn with ``env`` added to this environment; yield its base URL.

    gunicorn's output goes to ``log_path``, which startup failures quote.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--no-control-socket",
        "feeds.api.wsgi:app",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base_url, process, log_path)
            yield base_url
        finally:
            stop_process(process)


def wait_until_serving(
    base_url: str, process: subprocess.Popen, log_path: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with httpx.Client(base_url=base_url, trust_env=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log_path.read_text(errors="replace")
                raise AssertionError(f"gunicorn exited early:\n{output}")
            try:
                http.get("/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
    raise AssertionError(f"gunicorn did not serve {base_url} in time")


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
