"""The API under load from a second process: wrk, or bench.loadgen without it."""

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass

from bench.database import Server, connect, insert_feeds, schedule_rows
from bench.processes import JWT_SECRET, REPO_ROOT, api_server, free_port
from feeds.tokens import sign_token

USER_FEEDS = 50
OTHER_FEEDS = 10_000
CONNECTIONS = 16
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class Load:
    route: str
    requests_per_second: float
    p99_seconds: float | None
    errors: int


def run_api(
    database: Server, *, seconds: float, repeats: int, workers: int
) -> tuple[str, list[Load]]:
    """Load GET /api/feeds and POST /api/rss/force-refresh; medians of repeats."""
    url = database.new_database()
    try:
        user, feed_ids = _seed(url)
        token = sign_token(user, secret=JWT_SECRET, audience="authenticated")
        port = free_port()
        tool = "wrk" if shutil.which("wrk") else "bench.loadgen"
        loads = []
        with api_server(url, bind=f"127.0.0.1:{port}", workers=workers):
            for route in ("GET /api/feeds", "POST /api/rss/force-refresh"):
                runs = [
                    _load(tool, port, route, token, feed_ids, seconds)
                    for _ in range(repeats)
                ]
                loads.append(_median(route, runs))
        return tool, loads
    finally:
        database.drop(url)


def _seed(url: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    user = uuid.uuid4()
    with connect(url) as conn:
        urls = [f"https://feeds.example.com/{i}.xml" for i in range(USER_FEEDS)]
        feed_ids = insert_feeds(conn, urls, users=[user] * USER_FEEDS)
        others = [f"https://other.example.com/{i}.xml" for i in range(OTHER_FEEDS)]
        other_ids = insert_feeds(conn, others)
        schedule_rows(conn, feed_ids + other_ids, [600.0] * (USER_FEEDS + OTHER_FEEDS))
        conn.execute("ANALYZE")
    return user, feed_ids


def _median(route: str, runs: list[Load]) -> Load:
    p99s = [r.p99_seconds for r in runs if r.p99_seconds is not None]
    return Load(
        route=route,
        requests_per_second=statistics.median(r.requests_per_second for r in runs),
        p99_seconds=statistics.median(p99s) if p99s else None,
        errors=sum(r.errors for r in runs),
    )


def _load(tool, port, route, token, feed_ids, seconds) -> Load:
    if tool == "wrk":
        return _wrk(port, route, token, feed_ids, seconds)
    return _loadgen(port, route, token, feed_ids, seconds)


def _wrk(port, route, token, feed_ids, seconds) -> Load:
    method, path = route.split(" ")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_wrk_script(method, feed_ids))
        script.flush()
        command = [
            "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--latency",
            "-s", script.name, "-H", f"Authorization: Bearer {token}",
            f"http://127.0.0.1:{port}{path}",
        ]  # fmt: skip
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    return Load(route, _wrk_rate(output), _wrk_p99(output), _wrk_errors(output))


def _wrk_script(method: str, feed_ids: list[uuid.UUID]) -> str:
    if method == "GET":
        return ""
    ids = ", ".join(f'"{feed_id}"' for feed_id in feed_ids)
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"local ids = {{{ids}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  local body = '{\"feed_id\": \"' .. ids[(i % #ids) + 1] .. '\"}'\n"
        "  return wrk.format(nil, nil, nil, body)\n"
        "end\n"
    )


def _wrk_rate(output: str) -> float:
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def _wrk_p99(output: str) -> float | None:
    match = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def _wrk_errors(output: str) -> int:
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        errors += int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+)", output)
    if match:
        errors += sum(int(n) for n in match.groups())
    return errors


def _loadgen(port, route, token, feed_ids, seconds) -> Load:
    method, path = route.split(" ")
    command = [
        sys.executable, "-m", "bench.loadgen", "--port", str(port),
        "--method", method, "--path", path, "--seconds", str(seconds),
        "--connections", str(CONNECTIONS),
        "--header", f"Authorization: Bearer {token}",
        "--header", "Content-Type: application/json",
    ]  # fmt: skip
    if method == "POST":
        # NOTE: bench.loadgen sends one body, so every request forces the same
        # feed; wrk's script cycles through the user's feeds.
        command += ["--body", json.dumps({"feed_id": str(feed_ids[0])})]
    output = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(output)
    return Load(
        route, result["requests_per_second"], result["p99_seconds"], result["errors"]
    )
