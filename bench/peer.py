"""The peer: the ``reader`` library refreshing the same feeds into SQLite.

reader runs in this process, so its CPU time is this process's CPU time
during ``Reader.update_feeds(scheduled=False, workers=N)``, which fetches
with N threads and stores from the calling thread.
"""

import os
import tempfile
import time

import psutil
import reader

from bench.processes import FeedServer
from bench.refresh import CASES, CaseResult
from bench.rounds import Round


def run_reader(
    server: FeedServer, *, feeds: int, workers: int, rounds: int
) -> dict[str, CaseResult]:
    """Measure every case with reader: prime once, then ``rounds`` per case."""
    results = {case: CaseResult() for case in CASES}
    with tempfile.TemporaryDirectory(prefix="feeds-bench-reader-") as folder:
        path = os.path.join(folder, "reader.sqlite")
        with reader.make_reader(path, search_enabled=False) as peer:
            for i in range(feeds):
                peer.add_feed(server.url(i))
            server.set_mode("new")
            _timed_update(peer, feeds, workers)
            for case in CASES:
                server.set_mode(case)
                for _ in range(rounds):
                    results[case].rounds.append(_timed_update(peer, feeds, workers))
    return results


def _timed_update(peer: reader.Reader, feeds: int, workers: int) -> Round:
    process = psutil.Process()
    cpu_before = _cpu(process)
    started = time.monotonic()
    peer.update_feeds(scheduled=False, workers=workers)
    seconds = time.monotonic() - started
    broken = sum(1 for feed in peer.get_feeds() if feed.last_exception)
    return Round(
        feeds=feeds,
        finished=feeds,
        failed=broken,
        seconds=seconds,
        worker_cpu=_cpu(process) - cpu_before,
        database_cpu=None,
    )


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system
