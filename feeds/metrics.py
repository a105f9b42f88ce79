"""Prometheus helpers shared by the API and the workers.

When PROMETHEUS_MULTIPROC_DIR is set before prometheus_client is imported,
each process writes its values to files in that directory and a scrape adds
up the files of every process (counters and histograms are summed, gauges
follow their ``multiprocess_mode``). Without it, each process serves only its
own values. ``feeds api`` and ``feeds worker`` create a fresh directory when
the variable is unset (see ``feeds.metrics_dir``).
"""

import os

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """Return the multiprocess directory, or None in single-process mode."""
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


def exposition_registry(own: CollectorRegistry) -> CollectorRegistry:
    """Return the registry a scrape reads.

    In multiprocess mode that is a collector over every process's files,
    otherwise ``own``, the registry this process's metrics are in.
    """
    if multiprocess_dir() is None:
        return own

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry
