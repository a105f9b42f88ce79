"""The workers' Prometheus endpoint on FEEDS_WORKER_METRICS_HOST:PORT.

Every worker process tries to listen on the port when it boots. In
multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, as ``feeds worker`` does)
the first process to bind serves the sum of all processes that write to the
directory, and the others find the port taken and serve nothing. Without the
directory each process has only its own values, so with ``--processes`` above
1 a scrape returns only the values of the process that bound the port.
"""

import logging

from dramatiq import Middleware
from prometheus_client import start_http_server

from feeds import worker_metrics
from feeds.metrics import exposition_registry, multiprocess_dir
from feeds.settings import Settings

logger = logging.getLogger(__name__)


class MetricsServerMiddleware(Middleware):
    """Start the metrics server when a worker process boots, stop it on shutdown.

    Port 0 turns the server off.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server = None

    def after_worker_boot(self, broker, worker) -> None:
        host = self.settings.worker_metrics_host
        port = self.settings.worker_metrics_port
        if port == 0:
            return

        registry = exposition_registry(worker_metrics.REGISTRY)
        try:
            self._server, _ = start_http_server(port, addr=host, registry=registry)
        except OSError as error:
            _log_bind_failure(host, port, error)
            return
        logger.info("serving worker metrics", extra={"host": host, "port": port})

    def before_worker_shutdown(self, broker, worker) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _log_bind_failure(host: str, port: int, error: OSError) -> None:
    fields = {"host": host, "port": port, "error": str(error)}
    if multiprocess_dir() is not None:
        # Expected for every process but one: the first to bind serves all.
        logger.info("worker metrics port is taken, not serving metrics", extra=fields)
    else:
        logger.warning(
            "worker metrics port is taken and PROMETHEUS_MULTIPROC_DIR is unset, "
            "so this process's metrics are not served",
            extra=fields,
        )
