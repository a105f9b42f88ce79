"""Benchmark sizes: ``full`` is the suite, ``small`` is for development."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    feeds: int
    ports: int
    rounds: int
    reader_workers: int
    baseline_feeds: int
    parse_passes: int
    schedule_rows: tuple[int, ...]
    lag_seconds: float
    init_feeds: int
    api_seconds: float
    memory_feeds: int
    memory_refreshes: int
    subscribers: int
    breakdown_feeds: int


SIZES = {
    "full": Sizes(
        feeds=2000,
        ports=100,
        rounds=3,
        reader_workers=16,
        baseline_feeds=300,
        parse_passes=5,
        schedule_rows=(1000, 100_000),
        lag_seconds=90.0,
        init_feeds=10_000,
        api_seconds=20.0,
        memory_feeds=1000,
        memory_refreshes=50_000,
        subscribers=1000,
        breakdown_feeds=1000,
    ),
    "small": Sizes(
        feeds=200,
        ports=20,
        rounds=1,
        reader_workers=16,
        baseline_feeds=100,
        parse_passes=1,
        schedule_rows=(1000, 10_000),
        lag_seconds=15.0,
        init_feeds=1000,
        api_seconds=3.0,
        memory_feeds=200,
        memory_refreshes=1000,
        subscribers=100,
        breakdown_feeds=200,
    ),
}
