"""Processes the benchmarks start: the feed server, workers and the API.

Every process is started in its own session and killed with its group when
the benchmark leaves the ``with`` block, so nothing outlives a run.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class FeedServer:
    process: subprocess.Popen
    ports: list[int]

    def url(self, feed: int) -> str:
        """Return the URL of feed ``feed``, spread round-robin over the ports."""
        port = self.ports[feed % len(self.ports)]
        return f"http://127.0.0.1:{port}/feed/{feed}.xml"

    def set_mode(self, mode: str) -> None:
        self._get(f"/_control/mode/{mode}")

    def stats(self) -> dict:
        return json.loads(self._get("/_control/stats"))

    def _get(self, path: str) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[0], timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"feed server control {path} failed: {body!r}")
        return body


@contextmanager
def feed_server(*, ports: int, items: int = 20, paragraphs: int = 3) -> Iterator:
    """Run ``bench.feedserver`` until the block ends."""
    command = [
        sys.executable,
        "-m",
        "bench.feedserver",
        "--ports",
        str(ports),
        "--items",
        str(items),
        "--paragraphs",
        str(paragraphs),
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the feed server exited before printing its ports")
        yield FeedServer(process, json.loads(line)["ports"])
    finally:
        stop_group(process)


def service_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Return the environment of a worker or API process of the benchmarks."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FEEDS_JWT_SECRET": JWT_SECRET,
        "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
        "FEEDS_WORKER_METRICS_PORT": "0",
        "FEEDS_CONNECT_TIMEOUT_SECONDS": "5",
        "FEEDS_READ_TIMEOUT_SECONDS": "10",
        "FEEDS_TOTAL_TIMEOUT_SECONDS": "20",
    }
    env.update(overrides)
    return env


JWT_SECRET = "benchmark-secret-at-least-32-bytes-long-0123"


@contextmanager
def workers(
    database_url: str,
    *,
    processes: int,
    threads: int,
    profile_to: str | None = None,
    module: str = "feeds.actors",
    **env: str,
) -> Iterator[psutil.Process]:
    """Run ``dramatiq MODULE`` until the block ends.

    With ``profile_to`` the workers run under py-spy, which writes collapsed
    stacks of every worker process to that file when they stop.
    """
    command = [
        sys.executable,
        "-m",
        "dramatiq",
        module,
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    if profile_to:
        command = _under_py_spy(command, profile_to)
    with _logged(command, service_env(database_url, **env)) as process:
        root = psutil.Process(process.pid)
        try:
            yield root
        finally:
            if profile_to:
                _stop_profiled(root, process)


def _stop_profiled(py_spy: psutil.Process, process: subprocess.Popen) -> None:
    """Stop the workers but not py-spy, which writes its output when they exit."""
    for child in py_spy.children():
        child.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass


def _under_py_spy(command: list[str], output: str) -> list[str]:
    py_spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    return [
        py_spy,
        "record",
        "--subprocesses",
        "--nonblocking",
        "--format",
        "raw",
        "--rate",
        "100",
        "--output",
        output,
        "--",
        *command,
    ]


@contextmanager
def api_server(database_url: str, *, bind: str, workers: int) -> Iterator:
    """Run ``feeds api`` (gunicorn) until the block ends, once /health responds."""
    command = [
        sys.executable,
        "-m",
        "feeds",
        "api",
        "--bind",
        bind,
        "--workers",
        str(workers),
    ]
    env = service_env(database_url, FEEDS_LOG_LEVEL="WARNING")
    with _logged(command, env) as process:
        host, port = bind.rsplit(":", 1)
        _wait_for_http(host, int(port), process)
        yield process


@contextmanager
def _logged(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Run a command with its output in a temporary file, shown if it fails."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process)
            if process.returncode not in (0, -signal.SIGTERM):
                log.seek(0)
                tail = log.read().decode(errors="replace")[-3000:]
                print(f"{command[2:5]} exited with {process.returncode}:\n{tail}")


def _wait_for_http(host: str, port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the API server exited during start-up")
        try:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", "/health")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the API server did not respond on {host}:{port} in 30 s")


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_group(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop a process, then anything left in its group.

    SIGTERM goes to the leader only, because dramatiq and gunicorn stop their
    own children and treat a second signal as a request to kill them. What is
    still running after ``timeout`` gets SIGKILL.
    """
    if process.poll() is None:
        if process.stdin:
            process.stdin.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def tree_cpu_seconds(root: psutil.Process) -> float:
    """Sum user and system CPU seconds of a process and its live descendants."""
    total = 0.0
    for process in [root, *_descendants(root)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def tree_rss_bytes(root: psutil.Process) -> list[int]:
    """Return the resident set size of each live descendant of ``root``."""
    sizes = []
    for process in _descendants(root):
        try:
            sizes.append(process.memory_info().rss)
        except psutil.NoSuchProcess:
            continue
    return sizes


def _descendants(root: psutil.Process) -> list[psutil.Process]:
    try:
        return root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
