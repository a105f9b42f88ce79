"""gunicorn settings for the API: ``gunicorn -c python:feeds.api.gunicorn_conf``.

``feeds api`` passes it. In prometheus_client's multiprocess mode the master
removes a dead worker's live gauge files, so gauges of the ``live*`` modes
stop counting it. Counters and histograms of dead workers stay in the sum.
On exit the master removes the metrics directory if ``feeds api`` created it.
"""

from prometheus_client import multiprocess

from feeds.metrics import multiprocess_dir
from feeds.metrics_dir import remove_own_dir


def child_exit(server, worker) -> None:
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    remove_own_dir()
