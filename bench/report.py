"""Render bench/results.json as the Markdown page bench/RESULTS.md."""

from bench.refresh import CASE_TITLES, CASES

CONFIGS = ("1x5", "2x8")


def render(results: dict) -> str:
    sections = [
        _header(results),
        _targets(results),
        CHANGES,
        _parse(results.get("parse")),
        _refresh(results.get("refresh")),
        _breakdown(results.get("breakdown")),
        _scheduler(results.get("scheduler")),
        _api(results.get("api")),
        _memory(results.get("memory")),
        _shared(results.get("shared")),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


CHANGES = """## Product changes made from these measurements

- `feeds/actors/broker.py`, `Consumer`: dramatiq-pg 0.12.0 never resets the
  backoff of a consumer that has its prefetch count of unacknowledged
  messages, so worker threads idled 0.5 to 1 s between batches. The count now
  restarts once there is room. Section 2 has feeds/s before and after.
- `feeds/actors/broker.py`, `Consumer`: each consumed message held a session
  advisory lock until the consumer next found the queue empty, which a steady
  stream never allows. With PostgreSQL's default lock table
  (max_locks_per_transaction 64, max_connections 100) the refresh benchmark
  stopped with "out of shared memory" after about 6,000 messages. The locks of
  acknowledged messages are now released before every poll.
- `feeds/scheduler.py`, `seconds_until_next_due`: the dispatcher's next-due
  query scanned every scheduled row each time the dispatcher woke, which is
  once per refresh start. It now reads the first row of each priority from the
  due index. Section 3 has the cost per refresh before and after at the
  largest table size.
- `feeds/scheduler.py`, `dispatch_round`: the dispatcher read the next due
  time in a statement of its own after dispatching. A row that became due
  between the two read as overdue yet not dispatched, so the dispatcher slept
  its full second: the due-to-start p99 was 1,005 ms at commit d5504fb. Both
  now use one transaction's now(). Over 60 s of a 100,000-row hour the
  slowest start went from 1.33 s to 0.14 s after its due time; section 3 has
  the p99 after.
- `feeds/scheduler.py`, the dispatch statement: the planner ran the
  one-refresh-per-URL check as an anti join against every queued or running
  row, so a dispatch grew with the refreshes in flight (8.4 ms for 32
  messages with 500 in flight, at 1,000 and at 100,000 rows). As a subplan
  per due row on feeds_url_idx it takes 3.2 ms (EXPLAIN ANALYZE).
- `feeds/refresh.py` and `take_domain_slot` (migration 0005): starting a
  refresh, claiming co-subscribers and taking the domain slot used three pool
  checkouts, three transactions and seven statements. They now share one
  checkout and one transaction with four statements. Refreshing 500 feeds
  that return 304 in one process, without Dramatiq, went from 6.6-7.0 ms to
  3.9-4.2 ms of CPU and from 3.0-3.4 ms to 1.7 ms of PostgreSQL CPU per
  refresh, in paired runs.
- `feeds/actors/dispatcher.py`: every refresh start sends a NOTIFY, and each
  woke every dispatcher for a full round of statements. A dispatcher now
  gathers notifications for up to 50 ms before its next round."""


def _table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(seconds) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.2f} ms"


def _ratio(a, b) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}×"


def _header(results: dict) -> str:
    machine = [[key, value] for key, value in results.get("machine", {}).items()]
    for load in results.get("load_averages", []):
        span = f"{load['start']} at start, {load.get('end', 'n/a')} at end"
        if "commit" in load:
            span += f", commit {load['commit']}"
        machine.append([f"load average (1, 5, 15 min), `{load['command']}`", span])
    database = [
        [f"PostgreSQL {k}", v] for k, v in results.get("postgresql", {}).items()
    ]
    return "\n\n".join(
        [
            "# Benchmark results",
            "`make bench` installs the `bench` extra and runs `python -m bench`. "
            f"These figures come from {_commands(results)} at scale "
            f"`{results.get('scale')}`, each section from the last command that "
            "ran it. `BENCH_SCALE=small make bench` runs small "
            "sizes. Figures are medians of repeated runs on a shared machine, so "
            "compare ratios measured in the same run rather than absolute figures "
            "across runs. Workers run as `python -m dramatiq feeds.actors "
            "--processes P --threads T` with FEEDS_DOMAIN_INTERVAL_SECONDS=0.01 "
            "and the default log level (INFO); the API runs as `python -m feeds "
            "api --workers 2`. PostgreSQL is an embedded server of its own unless "
            "BENCH_DATABASE_URL names one.",
            _table(["machine", ""], machine + database),
        ]
    )


def _commands(results: dict) -> str:
    commands = results.get("commands") or [results.get("command", "python -m bench")]
    return ", then ".join(f"`{command}`" for command in commands)


def _parse(parse: dict | None) -> str:
    if not parse:
        return ""
    rows = [
        ["files (rejected as not feeds)", f"{parse['files']} ({parse['rejected']})"],
        ["articles per pass", parse["articles"]],
        ["seconds per pass (median)", f"{parse['seconds']:.3f}"],
        ["articles/s", f"{parse['articles_per_second']:.0f}"],
        ["MB/s", f"{parse['megabytes_per_second']:.2f}"],
        ["share inside feedparser.parse (timed)", f"{parse['feedparser_share']:.1%}"],
        ["share inside feedparser.parse (cProfile)", f"{parse['profiled_share']:.1%}"],
    ]
    top = [[name, f"{share:.2%}"] for name, share in parse["top_own_functions"]]
    return "\n\n".join(
        [
            "## 1. Parse",
            "Every corpus file parsed with `feeds.parse.parse_feed` and turned into "
            "the rows `insert_articles` builds, with no database.",
            _table(["", ""], rows),
            "The service's functions with the most self time (cProfile):",
            _table(["function", "share of the pass"], top),
        ]
    )


def _refresh(refresh: dict | None) -> str:
    if not refresh:
        return ""
    rows = []
    for name in (*CONFIGS, "reader"):
        for case in CASES:
            result = refresh[name][case]
            rows.append(
                [
                    _config_label(name, refresh),
                    CASE_TITLES[case],
                    f"{result['feeds_per_second']:.1f}",
                    _ms(result["cpu_per_refresh"]),
                    _ms(result["database_cpu_per_refresh"]),
                    result["failed"],
                ]
            )
    head = [
        "workers",
        "case",
        "feeds/s",
        "worker CPU/refresh",
        "PostgreSQL CPU/refresh",
        "failed",
    ]
    return "\n\n".join(
        [
            "## 2. Refresh end to end",
            f"{refresh['feeds']:,} feeds on {refresh['ports']} ports of 127.0.0.1, "
            "20 items of about 1 kB each, 5 new items per fetch in the new-content "
            "case. Each case is one priming round and then measured rounds of "
            "every feed made due at once. Worker CPU is the user+system time of the "
            "worker processes. reader runs in the benchmark process with "
            "`update_feeds(scheduled=False, workers=N)` into SQLite.",
            _table(head, rows),
            _document_cost(refresh.get("document_cost")),
            _peer_ratios(refresh),
            _floor(refresh),
            _before_after(refresh),
            _profile(refresh.get("profile")),
        ]
    )


def _document_cost(cost: dict | None) -> str:
    if not cost:
        return ""
    return (
        "Parsing one new-content document in the benchmark process takes "
        f"{_ms(cost['parse_feed_cpu'])} of CPU in `parse_feed`, "
        f"{_ms(cost['feedparser_cpu'])} of it inside feedparser."
    )


def _config_label(name: str, refresh: dict) -> str:
    if name == "reader":
        return f"reader, {refresh['reader_workers']} threads"
    processes, threads = name.split("x")
    return f"feeds, {processes} × {threads}"


def _peer_ratios(refresh: dict) -> str:
    rows = []
    for config in CONFIGS:
        for case in CASES:
            ours = refresh[config][case]["feeds_per_second"]
            theirs = refresh["reader"][case]["feeds_per_second"]
            rows.append(
                [
                    _config_label(config, refresh),
                    CASE_TITLES[case],
                    _ratio(ours, theirs),
                ]
            )
    return "Our feeds/s divided by reader's:\n\n" + _table(
        ["workers", "case", "ratio"], rows
    )


FLOOR_CASES = ("etag", "same")
FLOOR_CLIENTS = {"httpx": "httpx.Client", "fetcher": "the service's Fetcher"}


def _floor(refresh: dict) -> str:
    floor = refresh.get("floor")
    if not floor:
        return ""
    rows = []
    for case in FLOOR_CASES:
        reader = refresh["reader"][case]["feeds_per_second"]
        for key, label in FLOOR_CLIENTS.items():
            result = floor[case][key]
            cap = _cap(result)
            rows.append(
                [
                    CASE_TITLES[case],
                    label,
                    f"{result['requests_per_second']:.1f}",
                    _ms(result["client_cpu"]),
                    _ms(result["server_cpu"]),
                    f"{cap:.0f}",
                    _ratio(cap, reader),
                ]
            )
    head = [
        "case",
        "client",
        "requests/s",
        "client CPU/request",
        "feed server CPU/request",
        "cap on 2 cores, requests/s",
        "cap / reader's feeds/s",
    ]
    return (
        f"The HTTP floor: the {refresh['feeds']:,} feeds requested as in the 304 "
        f"and unchanged-body cases from {floor['threads']} threads of the "
        "benchmark process, with no database and no queue. The cap is 2 CPU "
        "seconds per second divided by the client's and the feed server's CPU "
        "per request: the most any refresher of these feeds can reach on this "
        "machine with that client.\n\n" + _table(head, rows)
    )


def _cap(result: dict) -> float:
    return 2.0 / (result["client_cpu"] + result["server_cpu"])


def _breakdown(breakdown: dict | None) -> str:
    if not breakdown:
        return ""
    rows = []
    for case in FLOOR_CASES:
        request = breakdown["floor"][case]["httpx"]
        alone = breakdown["in_process"][case]
        worker = breakdown["worker"][case]
        rows.append(
            [
                CASE_TITLES[case],
                _ms(request["client_cpu"]),
                _ms(request["server_cpu"]),
                _ms(alone["cpu_per_refresh"]),
                _ms(alone["database_cpu_per_refresh"]),
                _ms(worker["cpu_per_refresh"]),
                _ms(worker["database_cpu_per_refresh"]),
                _ms(worker["cpu_per_refresh"] - alone["cpu_per_refresh"]),
                _ms(
                    worker["database_cpu_per_refresh"]
                    - alone["database_cpu_per_refresh"]
                ),
            ]
        )
    head = [
        "case",
        "request alone: httpx",
        "request alone: feed server",
        "refresh in process",
        "its PostgreSQL CPU",
        "refresh by a 1 × 5 worker",
        "its PostgreSQL CPU",
        "queue: worker CPU",
        "queue: PostgreSQL CPU",
    ]
    return (
        "### Where a refresh that parses nothing spends CPU\n\n"
        f"{breakdown['feeds']:,} feeds in one run: requested alone by "
        f"{breakdown['threads']} threads with httpx, refreshed by "
        "`Refresher.refresh` called in the benchmark process (no Dramatiq, no "
        "dispatcher), and refreshed by a 1 × 5 worker. The queue columns are the "
        "worker's cost minus the in-process cost: Dramatiq, dramatiq-pg's "
        "statements and the dispatcher. Figures are CPU per refresh.\n\n"
        + _table(head, rows)
    )


def _before_after(refresh: dict) -> str:
    if "baseline_1x5" not in refresh:
        return ""
    rows = []
    for case in CASES:
        before = refresh["baseline_1x5"][case]["feeds_per_second"]
        after = refresh["fixed_1x5"][case]["feeds_per_second"]
        rows.append(
            [CASE_TITLES[case], f"{before:.1f}", f"{after:.1f}", _ratio(after, before)]
        )
    return (
        "Before and after the product changes listed above, 1 × 5, "
        f"{refresh['baseline_feeds']} feeds, one round each. Before is "
        "`dramatiq bench.baseline_actors`, which puts back dramatiq-pg's own "
        "consumer and the scanning next-due query:\n\n"
        + _table(["case", "feeds/s before", "feeds/s after", "after/before"], rows)
    )


def _profile(profile: dict | None) -> str:
    if not profile:
        return ""
    if "error" in profile:
        return f"Worker profile: {profile['error']}."
    rows = [[name, f"{share:.1%}"] for name, share in profile["shares"].items()]
    return (
        "Where worker threads spend a first new-content round (1 × 5, py-spy "
        f"`--subprocesses --nonblocking`, {profile['samples']} samples). Samples "
        "of threads waiting for a notification, a lock or a timer are left out, "
        "but a thread blocked inside a database call (a round trip or a commit) "
        "still counts, so the database share is time, not CPU:\n\n"
        + _table(["part", "share of samples"], rows)
    )


def _scheduler(scheduler: dict | None) -> str:
    if not scheduler:
        return ""
    sizes = sorted(
        int(key.split("_")[1]) for key in scheduler if key.startswith("dispatch_")
    )
    rows = []
    for rows_count in sizes:
        dispatch = scheduler[f"dispatch_{rows_count}"]
        cost = scheduler[f"refresh_cost_{rows_count}"]
        rows.append(
            [
                f"{rows_count:,}",
                _ms(dispatch["seconds_per_message"]),
                _ms(dispatch["idle_call_seconds"]),
                _ms(cost["cpu_per_refresh"]),
                _ms(cost["database_cpu_per_refresh"]),
                f"{cost['feeds_per_second']:.1f}",
            ]
        )
    largest = sizes[-1]
    baseline = scheduler.get(f"baseline_refresh_cost_{largest}")
    if baseline:
        rows.append(
            [
                f"{largest:,}, before the product changes",
                "",
                "",
                _ms(baseline["cpu_per_refresh"]),
                _ms(baseline["database_cpu_per_refresh"]),
                f"{baseline['feeds_per_second']:.1f}",
            ]
        )
    head = [
        "schedule rows",
        "dispatch per message",
        "dispatch call, nothing due",
        "worker CPU/refresh",
        "PostgreSQL CPU/refresh",
        "feeds/s",
    ]
    lag = scheduler["lag"]
    lag_rows = [
        ["rows due in the window (started)", f"{lag['due']} ({lag['started']})"],
        ["median lag", _ms(lag["median_seconds"])],
        ["p99 lag", _ms(lag["p99_seconds"])],
        ["max lag", _ms(lag["max_seconds"])],
        [
            f"POST /api/rss/init, {lag['init_scheduled']:,} feeds",
            ", ".join(_ms(s) for s in lag["init_seconds"]),
        ],
    ]
    return "\n\n".join(
        [
            "## 3. Scheduler at scale",
            "Schedule rows have due times spread evenly over an hour. Dispatch: "
            "`scheduler.dispatch` timed until the first 1,000 due rows are queued "
            "(32 messages a call, as for 16 live threads), with the table sizes "
            "taking turns in each repeat. Refresh cost: 1,000 "
            "feeds returning 304 refreshed by 2 × 8 workers while the other rows "
            "wait in the table.",
            _table(head, rows),
            f"Lag from due time to refresh start with idle 2 × 8 workers over "
            f"{lag['window_seconds']:.0f} s of a {lag['rows']:,}-row hour (a "
            "1-item feed), then POST /api/rss/init against gunicorn for users "
            "whose feeds have no schedule rows:",
            _table(["", ""], lag_rows),
        ]
    )


def _api(api: dict | None) -> str:
    if not api:
        return ""
    rows = [
        [
            load["route"],
            f"{load['requests_per_second']:.0f}",
            _ms(load["p99_seconds"]),
            load["errors"],
        ]
        for load in api["loads"]
    ]
    return "\n\n".join(
        [
            "## 4. API under load",
            f"`{api['tool']}` with 16 connections for {api['seconds']:.0f} s per "
            "run, medians of 3 runs, against gunicorn with 2 workers. The user has "
            "50 feeds among 10,050.",
            _table(["route", "requests/s", "p99 latency", "errors"], rows),
        ]
    )


def _memory(memory: dict | None) -> str:
    if not memory:
        return ""
    points = memory["points"]
    first = next((p for p in points if p["refreshes"] >= 1000), points[0])
    picks = [first, *points[len(points) // 4 :: max(1, len(points) // 4)], points[-1]]
    rows = []
    for point in sorted({p["refreshes"]: p for p in picks}.values(), key=_count):
        sizes = ", ".join(f"{size / 2**20:.1f}" for size in point["rss_bytes"])
        rows.append([f"{point['refreshes']:,}", sizes])
    return "\n\n".join(
        [
            "## 5. Worker memory",
            f"2 × 8 workers refreshing {memory['feeds']:,} small feeds (3 items, "
            "one new item per fetch) round after round.",
            _table(["refreshes", "RSS of each worker process (MiB)"], rows),
        ]
    )


def _count(point: dict) -> int:
    return point["refreshes"]


def _shared(shared: dict | None) -> str:
    if not shared:
        return ""
    rows = [
        [i + 1, r["subscribers"], r["refreshed"], r["requests"], f"{r['seconds']:.1f}"]
        for i, r in enumerate(shared["rounds"])
    ]
    return "\n\n".join(
        [
            "## 6. Shared fetching",
            "One URL with a subscription per user, every subscription due at once.",
            _table(
                [
                    "due time",
                    "subscribers",
                    "refreshed",
                    "requests received",
                    "seconds",
                ],
                rows,
            ),
        ]
    )


# -- targets ----------------------------------------------------------------------


def _targets(results: dict) -> str:
    rows = []
    for check in (
        _peer_targets,
        _feedparser_target,
        _scale_targets,
        _lag_targets,
        _memory_target,
        _shared_target,
    ):
        rows += check(results)
    if not rows:
        return ""
    rows = [row if len(row) == 4 else [*row, ""] for row in rows]
    return "## Targets\n\n" + _table(["target", "measured", "verdict", "cause"], rows)


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


def _peer_targets(results: dict) -> list:
    refresh = results.get("refresh")
    if not refresh:
        return []
    rows = []
    for case, needed in (("new", 2), ("etag", 10), ("same", 10)):
        theirs = refresh["reader"][case]["feeds_per_second"]
        config = max(CONFIGS, key=lambda c: refresh[c][case]["feeds_per_second"])
        best = refresh[config][case]
        ratio = best["feeds_per_second"] / theirs if theirs else 0
        rows.append(
            [
                f"≥ {needed}× reader's feeds/s, {CASE_TITLES[case]}",
                f"{ratio:.2f}× ({best['feeds_per_second']:.1f} vs {theirs:.1f} "
                f"feeds/s, {_config_label(config, refresh)})",
                _verdict(ratio >= needed),
                ""
                if ratio >= needed
                else _cpu_cause(best, refresh["reader"][case], needed)
                + _floor_cause(refresh, case, theirs)
                + _breakdown_cause(results.get("breakdown"), case)
                + _parser_cause(refresh, case, needed),
            ]
        )
    return rows


def _cpu_cause(ours: dict, theirs: dict, needed: int) -> str:
    database = ours["database_cpu_per_refresh"] or 0.0
    budget = theirs["cpu_per_refresh"] / needed
    return (
        "CPU-bound on 2 cores: a refresh costs "
        f"{_ms(ours['cpu_per_refresh'])} of worker and {_ms(database)} of "
        f"PostgreSQL CPU. reader spends {_ms(theirs['cpu_per_refresh'])} in "
        f"all, so {needed}× its rate leaves {_ms(budget)} per refresh"
    )


def _floor_cause(refresh: dict, case: str, theirs: float) -> str:
    floor = refresh.get("floor")
    if not floor or case not in FLOOR_CASES:
        return ""
    plain = floor[case]["httpx"]
    cap = _cap(plain)
    return (
        f". The request alone costs {_ms(plain['client_cpu'])} in an httpx client "
        f"and {_ms(plain['server_cpu'])} in the feed server, so no refresher "
        f"exceeds {cap:.0f} feeds/s here, {cap / theirs:.1f}× reader "
        "(the HTTP floor in section 2)"
    )


def _breakdown_cause(breakdown: dict | None, case: str) -> str:
    if not breakdown or case not in FLOOR_CASES:
        return ""
    request = breakdown["floor"][case]["httpx"]["client_cpu"]
    alone = breakdown["in_process"][case]
    worker = breakdown["worker"][case]
    queue_cpu = worker["cpu_per_refresh"] - alone["cpu_per_refresh"]
    queue_database = (
        worker["database_cpu_per_refresh"] - alone["database_cpu_per_refresh"]
    )
    return (
        f". Measured in one run of {breakdown['feeds']:,} feeds (section 2), a "
        f"1 × 5 refresh costs {_ms(worker['cpu_per_refresh'])} of worker and "
        f"{_ms(worker['database_cpu_per_refresh'])} of PostgreSQL CPU: the "
        f"request {_ms(request)} in httpx, the refresh without a queue "
        f"{_ms(alone['cpu_per_refresh'])} and "
        f"{_ms(alone['database_cpu_per_refresh'])} in all, and the queue "
        f"(Dramatiq, dramatiq-pg, dispatcher) {_ms(queue_cpu)} and "
        f"{_ms(queue_database)}"
    )


def _parser_cause(refresh: dict, case: str, needed: int) -> str:
    cost = refresh.get("document_cost")
    if not cost or case != "new":
        return ""
    budget = refresh["reader"][case]["cpu_per_refresh"] / needed
    return (
        f". feedparser alone takes {_ms(cost['feedparser_cpu'])} per document "
        f"(section 2), {cost['feedparser_cpu'] / budget:.2f}× that budget, and "
        "reader parses with feedparser too"
    )


def _feedparser_target(results: dict) -> list:
    refresh = results.get("refresh") or {}
    cost = refresh.get("document_cost")
    if not cost:
        return []
    new = refresh["1x5"]["new"]
    worker = new["cpu_per_refresh"]
    database = new["database_cpu_per_refresh"] or 0.0
    outside = 1 - cost["feedparser_cpu"] / worker
    outside_all = 1 - cost["feedparser_cpu"] / (worker + database)
    return [
        [
            "time outside feedparser ≤ 1/4 of a new-content refresh",
            f"{outside:.0%} of worker CPU ({outside_all:.0%} with PostgreSQL's): "
            f"feedparser {_ms(cost['feedparser_cpu'])} of {_ms(worker)} worker "
            f"and {_ms(database)} PostgreSQL CPU per refresh (1 × 5)",
            _verdict(outside <= 0.25),
            f"parse_feed's own work "
            f"{_ms(cost['parse_feed_cpu'] - cost['feedparser_cpu'])}, and "
            f"{_ms(worker - cost['parse_feed_cpu'])} of fetching, database "
            "statements and queue handling per refresh (profile below)",
        ]
    ]


def _scale_targets(results: dict) -> list:
    scheduler = results.get("scheduler")
    if not scheduler:
        return []
    sizes = sorted(int(k.split("_")[1]) for k in scheduler if k.startswith("dispatch_"))
    small, large = sizes[0], sizes[-1]
    rows = []
    pairs = (
        ("worker CPU per refresh", "refresh_cost", "cpu_per_refresh", ""),
        (
            "PostgreSQL CPU per refresh",
            "refresh_cost",
            "database_cpu_per_refresh",
            "",
        ),
        (
            "dispatch cost per message",
            "dispatch",
            "seconds_per_message",
            DISPATCH_CAUSE,
        ),
    )
    for label, prefix, field, cause in pairs:
        a = scheduler[f"{prefix}_{small}"][field]
        b = scheduler[f"{prefix}_{large}"][field]
        if a is None or b is None:
            continue
        rows.append(
            [
                f"{label} at {large:,} rows within 1.2× of {small:,}",
                f"{b / a:.2f}× ({_ms(b)} vs {_ms(a)})",
                _verdict(b / a <= 1.2),
                "" if b / a <= 1.2 else cause,
            ]
        )
    return rows


LAG_CAUSE = (
    "late starts: compare the due time, the message's dispatch time and the "
    "run's start (section 3) to tell the dispatcher from the consumer"
)

DISPATCH_CAUSE = (
    "see the dispatch statement's plan: EXPLAIN (ANALYZE) of scheduler._DISPATCH "
    "at both table sizes"
)


def _lag_targets(results: dict) -> list:
    scheduler = results.get("scheduler")
    if not scheduler:
        return []
    lag = scheduler["lag"]
    p99 = lag["p99_seconds"]
    init = max(lag["init_seconds"])
    return [
        [
            "due-to-start lag p99 < 1 s, idle workers",
            f"{_ms(p99)} (median {_ms(lag['median_seconds'])}, "
            f"max {_ms(lag['max_seconds'])})",
            _verdict(p99 is not None and p99 < 1),
            "" if p99 is not None and p99 < 1 else LAG_CAUSE,
        ],
        [
            f"POST /api/rss/init for {lag['init_scheduled']:,} feeds < 1 s",
            f"{_ms(init)} (slowest of {len(lag['init_seconds'])})",
            _verdict(init < 1),
        ],
    ]


def _memory_target(results: dict) -> list:
    memory = results.get("memory")
    if not memory:
        return []
    points = memory["points"]
    first = next((p for p in points if p["refreshes"] >= 1000), points[0])
    last = points[-1]
    growth = max(
        b / a for a, b in zip(first["rss_bytes"], last["rss_bytes"], strict=False)
    )
    return [
        [
            f"worker RSS after {last['refreshes']:,} refreshes within 10% of "
            f"after {first['refreshes']:,}",
            f"{growth:.2f}× (largest growth of one process)",
            _verdict(growth <= 1.10),
        ]
    ]


def _shared_target(results: dict) -> list:
    shared = results.get("shared")
    if not shared:
        return []
    requests = [r["requests"] for r in shared["rounds"]]
    return [
        [
            "one request per shared URL per due time",
            f"{', '.join(map(str, requests))} requests for "
            f"{shared['rounds'][0]['subscribers']} subscribers",
            _verdict(all(n == 1 for n in requests)),
            "" if all(n == 1 for n in requests) else SHARED_CAUSE,
        ]
    ]


SHARED_CAUSE = (
    "a refresh joins only subscriptions that have not started yet, so the "
    "refreshes that worker threads start at the same moment each fetch"
)
