"""A small HTTP load generator, used when wrk is not installed.

``python -m bench.loadgen`` sends requests from several threads for a fixed
time, one connection per request, and prints the count and latencies as JSON.
"""

import argparse
import http.client
import json
import threading
import time


def _worker(args, deadline: float, latencies: list, errors: list) -> None:
    headers = dict(h.split(": ", 1) for h in args.header)
    body = args.body.encode() if args.body else None
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(args.host, args.port, timeout=10)
            connection.request(args.method, args.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            ok = response.status < 400
        except OSError:
            ok = False
        (latencies if ok else errors).append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", required=True)
    parser.add_argument("--body", default="")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    latencies: list[float] = []
    errors: list[float] = []
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=_worker, args=(args, deadline, latencies, errors))
        for _ in range(args.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else None
    result = {
        "requests": len(latencies),
        "errors": len(errors),
        "requests_per_second": len(latencies) / args.seconds,
        "p99_seconds": p99,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
