"""A real gunicorn process serving the API on loopback, with an access log."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.helpers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


class LiveServer:
    """Start gunicorn on enter and stop it on exit.

    ``base_url`` is the server's address; ``requests_served()`` counts the
    access log's lines, one per request, from the end of startup on.
    """

    def __init__(self, database_url: str, jwt_secret: str, folder: Path) -> None:
        self.base_url = f"http://127.0.0.1:{free_port()}"
        self._database_url = database_url
        self._jwt_secret = jwt_secret
        self._access_log = folder / "access.log"
        self._output_path = folder / "gunicorn.log"
        self._process: subprocess.Popen | None = None
        self._startup_requests = 0

    def __enter__(self) -> "LiveServer":
        self._output = self._output_path.open("wb")
        self._process = subprocess.Popen(
            self._command(),
            cwd=REPO_ROOT,
            env=self._env(),
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_serving()
            self._startup_requests = self._access_log_lines()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._output.close()

    def requests_served(self) -> int:
        return self._access_log_lines() - self._startup_requests

    def output(self) -> str:
        """Return the end of gunicorn's own log, for failure messages."""
        return self._output_path.read_text(errors="replace")[-5000:]

    def _access_log_lines(self) -> int:
        if not self._access_log.exists():
            return 0
        with self._access_log.open("rb") as log:
            return sum(1 for _ in log)

    def _command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "feeds.api.wsgi:app",
            "--bind",
            self.base_url.removeprefix("http://"),
            "--workers",
            "2",
            "--access-logfile",
            str(self._access_log),
            "--no-control-socket",
        ]

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self._database_url,
            "FEEDS_JWT_SECRET": self._jwt_secret,
            "FEEDS_LOG_LEVEL": "WARNING",
        }

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        with httpx.Client(base_url=self.base_url, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise AssertionError(f"gunicorn exited early:\n{self.output()}")
                try:
                    http.get("/healthz", timeout=1)
                    return
                except httpx.TransportError:
                    time.sleep(0.1)
        raise AssertionError(f"gunicorn did not serve {self.base_url} in time")
