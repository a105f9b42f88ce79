"""Real ``dramatiq feeds.actors`` worker processes for end-to-end tests."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from feeds.cli import worker_command
from feeds.settings import Settings


def worker_env(settings: Settings, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "FEEDS_JWT_SECRET": settings.jwt_secret,
        "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
        "FEEDS_DOMAIN_INTERVAL_SECONDS": "0",
        "FEEDS_DISPATCH_INTERVAL_SECONDS": "0.2",
        "FEEDS_CONNECT_TIMEOUT_SECONDS": "2",
        "FEEDS_READ_TIMEOUT_SECONDS": "3",
        "FEEDS_TOTAL_TIMEOUT_SECONDS": "5",
        "FEEDS_REFRESH_TIME_LIMIT_SECONDS": "15",
    }
    env.update(overrides)
    return env


@contextmanager
def running_worker(
    settings: Settings, *, processes: int = 1, threads: int = 3, **env: str
) -> Iterator[subprocess.Popen]:
    """Run a worker until the block ends; its output is printed on failure."""
    command = worker_command(processes, threads)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            env=worker_env(settings, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)
            log.seek(0)
            sys.stdout.write(log.read().decode(errors="replace")[-20000:])


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(
    condition: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.2
) -> object:
    """Poll ``condition`` until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
