"""Run the benchmark suite and write bench/RESULTS.md.

``python -m bench`` runs every benchmark at full size; BENCH_SCALE=small (or
``--scale small``) runs each with small sizes for development. ``--only``
names the benchmarks to run. Figures are kept in bench/results.json as each
benchmark finishes, and the page is written from them.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from bench import (
    api,
    breakdown,
    floor,
    machine,
    memory,
    parse,
    peer,
    profile,
    refresh,
    report,
    shared,
)
from bench import scheduler as scheduler_bench
from bench.database import server
from bench.feedserver import FeedState
from bench.processes import REPO_ROOT, feed_server
from bench.sizes import SIZES

BENCHMARKS = (
    "parse",
    "refresh",
    "breakdown",
    "scheduler",
    "api",
    "memory",
    "shared",
)
RESULTS_JSON = Path(REPO_ROOT) / "bench" / "results.json"
RESULTS_PAGE = Path(REPO_ROOT) / "bench" / "RESULTS.md"
DOMAIN_INTERVAL = "0.01"
WORKER_ENV = {"FEEDS_DOMAIN_INTERVAL_SECONDS": DOMAIN_INTERVAL}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "full"))
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--corpus", default=str(_default_corpus()))
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write RESULTS.md again from bench/results.json",
    )
    args = parser.parse_args()
    if args.report_only:
        RESULTS_PAGE.write_text(report.render(_load_previous()))
        return
    if args.scale not in SIZES:
        parser.error(f"unknown scale {args.scale!r}; use one of {', '.join(SIZES)}")
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    command = " ".join(["python -m bench", *sys.argv[1:]])
    results = _load_previous() if set(chosen) != set(BENCHMARKS) else {}
    earlier = results.pop("command", None)
    results["commands"] = [
        *results.get("commands", [earlier] if earlier else []),
        command,
    ]
    results["scale"] = args.scale
    results["machine"] = machine.describe()
    loads = results.setdefault("load_averages", [])
    loads.append(
        {
            "command": command,
            "commit": machine.git_commit(REPO_ROOT),
            "start": machine.load_average(),
        }
    )
    sizes = SIZES[args.scale]
    with server() as database:
        results["postgresql"] = database.describe()
        for name in chosen:
            started = time.monotonic()
            print(f"bench: {name} ...", flush=True)
            results[name] = RUNNERS[name](database, sizes, Path(args.corpus))
            elapsed = round(time.monotonic() - started, 1)
            results[name]["bench_seconds"] = elapsed
            _save(results)
            print(f"bench: {name} took {elapsed} s", flush=True)
    loads[-1]["end"] = machine.load_average()
    _save(results)
    RESULTS_PAGE.write_text(report.render(results))
    print(f"bench: wrote {RESULTS_PAGE}")


def _default_corpus() -> Path:
    data = os.environ.get(
        "FEEDS_TEST_DATA", Path(REPO_ROOT).parent / "shared" / "feeds"
    )
    return Path(data) / "corpus"


def _run_parse(database, sizes, corpus: Path) -> dict:
    if not corpus.is_dir():
        raise SystemExit(f"feed corpus not found at {corpus}: set FEEDS_TEST_DATA")
    return _plain(parse.run_parse(corpus, passes=sizes.parse_passes))


def _run_refresh(database, sizes, corpus) -> dict:
    out: dict = {"feeds": sizes.feeds, "ports": sizes.ports}
    out["domain_interval_seconds"] = float(DOMAIN_INTERVAL)
    with feed_server(ports=sizes.ports) as feeds:
        for processes, threads in ((1, 5), (2, 8)):
            key = f"{processes}x{threads}"
            measured = refresh.run_configuration(
                database, feeds, feeds=sizes.feeds, processes=processes,
                threads=threads, rounds=sizes.rounds, env=WORKER_ENV,
            )  # fmt: skip
            out[key] = _cases(measured)
        measured = peer.run_reader(
            feeds, feeds=sizes.feeds, workers=sizes.reader_workers, rounds=sizes.rounds
        )
        out["reader"] = _cases(measured)
        out["reader_workers"] = sizes.reader_workers
        out["floor"] = floor.run_floor(
            feeds, feeds=sizes.feeds, threads=sizes.reader_workers, rounds=sizes.rounds
        )
        measured = refresh.run_configuration(
            database, feeds, feeds=sizes.baseline_feeds, processes=1, threads=5,
            rounds=1, env={**WORKER_ENV, "module": "bench.baseline_actors"},
        )  # fmt: skip
        out["baseline_1x5"] = _cases(measured)
        measured = refresh.run_configuration(
            database, feeds, feeds=sizes.baseline_feeds, processes=1, threads=5,
            rounds=1, env=WORKER_ENV,
        )  # fmt: skip
        out["fixed_1x5"] = _cases(measured)
        out["baseline_feeds"] = sizes.baseline_feeds
        out["profile"] = _profile(database, feeds, sizes)
    out["document_cost"] = _document_cost()
    return out


def _run_breakdown(database, sizes, corpus) -> dict:
    with feed_server(ports=sizes.ports) as feeds:
        return breakdown.run_breakdown(
            database,
            feeds,
            feeds=sizes.breakdown_feeds,
            rounds=sizes.rounds,
            env=WORKER_ENV,
        )


def _document_cost() -> dict:
    """CPU of parsing the new-content case's documents in this process."""
    state = FeedState(items=20, new_items=5, paragraphs=3)
    bodies = [state.render(feed, 10).encode() for feed in range(50)]
    return parse.refresh_document_cost(bodies, repeats=3)


def _profile(database, feeds, sizes) -> dict:
    with tempfile.TemporaryDirectory(prefix="feeds-bench-profile-") as folder:
        output = Path(folder) / "stacks.txt"
        refresh.profile_new_content(
            database, feeds, feeds=sizes.feeds, threads=5, env=WORKER_ENV,
            output=str(output),
        )  # fmt: skip
        if not output.exists():
            return {"error": "py-spy wrote no output"}
        samples, shares = profile.stack_shares(output)
    return {"samples": samples, "shares": shares}


def _run_scheduler(database, sizes, corpus) -> dict:
    out: dict = {}
    with feed_server(ports=sizes.ports, items=1, paragraphs=0) as feeds:
        dispatch = scheduler_bench.measure_dispatch(
            database, feeds, sizes.schedule_rows, repeats=sizes.rounds
        )
        for rows in sizes.schedule_rows:
            out[f"dispatch_{rows}"] = _plain(dispatch[rows])
            out[f"refresh_cost_{rows}"] = _plain(
                scheduler_bench.measure_refresh_cost(
                    database, feeds, rows, rounds=sizes.rounds, env=WORKER_ENV
                )
            )
        largest = max(sizes.schedule_rows)
        baseline_env = {**WORKER_ENV, "module": "bench.baseline_actors"}
        out[f"baseline_refresh_cost_{largest}"] = _plain(
            scheduler_bench.measure_refresh_cost(
                database, feeds, largest, rounds=sizes.rounds, env=baseline_env
            )
        )
        out["lag"] = _plain(
            scheduler_bench.measure_lag(
                database, feeds, largest, window_seconds=sizes.lag_seconds,
                init_feeds=sizes.init_feeds, init_repeats=3, env=WORKER_ENV,
            )
        )  # fmt: skip
    return out


def _run_api(database, sizes, corpus) -> dict:
    tool, loads = api.run_api(database, seconds=sizes.api_seconds, repeats=3, workers=2)
    return {"tool": tool, "seconds": sizes.api_seconds, "loads": _plain(loads)}


def _run_memory(database, sizes, corpus) -> dict:
    with feed_server(ports=sizes.ports, items=3, paragraphs=1) as feeds:
        points = memory.run_memory(
            database, feeds, feeds=sizes.memory_feeds, refreshes=sizes.memory_refreshes,
            processes=2, threads=8, env=WORKER_ENV,
        )  # fmt: skip
    return {"points": _plain(points), "feeds": sizes.memory_feeds}


def _run_shared(database, sizes, corpus) -> dict:
    with feed_server(ports=1) as feeds:
        rounds = shared.run_shared(
            database, feeds, subscribers=sizes.subscribers, rounds=2, env=WORKER_ENV
        )
    return {"rounds": _plain(rounds)}


RUNNERS = {
    "parse": _run_parse,
    "refresh": _run_refresh,
    "breakdown": _run_breakdown,
    "scheduler": _run_scheduler,
    "api": _run_api,
    "memory": _run_memory,
    "shared": _run_shared,
}


def _cases(measured: dict) -> dict:
    return {
        case: {
            "feeds_per_second": result.feeds_per_second,
            "cpu_per_refresh": result.cpu_per_refresh,
            "database_cpu_per_refresh": result.database_cpu_per_refresh,
            "failed": result.failed,
            "rounds": _plain(result.rounds),
        }
        for case, result in measured.items()
    }


def _plain(value):
    """Turn dataclasses (with their properties) into JSON-ready values."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if is_dataclass(value):
        fields = asdict(value)
        for name in dir(type(value)):
            if isinstance(getattr(type(value), name), property):
                fields[name] = getattr(value, name)
        return {key: _plain(item) for key, item in fields.items()}
    return value


def _load_previous() -> dict:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {}


def _save(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
