"""Headless Chromium driven from the command line: the DOM and screenshots."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("FEEDS_TEST_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_SECONDS = 90
# Headless, no sandbox (the tests run as root), and none of the background
# requests Chromium makes to Google's services; loopback traffic only.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--run-all-compositor-stages-before-draw",
]


def require_chromium() -> Path:
    """Return the Chromium binary, or fail the test with how to install it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Run `make test-deps` (as root it "
            "installs Debian's chromium package) or set FEEDS_TEST_CHROMIUM to the "
            "binary.",
            pytrace=False,
        )
    return CHROMIUM


def dump_dom(url: str) -> str:
    """Load ``url`` and return the DOM that Chromium serializes after loading."""
    return _run(["--dump-dom", url]).stdout


def screenshot(url: str, path: Path, *, width: int, height: int) -> None:
    """Save a PNG of the viewport, ``width`` by ``height`` CSS pixels, to ``path``."""
    _run([f"--screenshot={path}", f"--window-size={width},{height}", url])
    assert path.is_file(), f"Chromium wrote no screenshot to {path}"


def _run(arguments: list[str]) -> subprocess.CompletedProcess:
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="feeds-chromium-") as profile:
        completed = subprocess.run(
            [str(binary), *FLAGS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    assert completed.returncode == 0, (
        f"Chromium exited with {completed.returncode}:\n{completed.stderr[-4000:]}"
    )
    return completed
