"""The dispatcher thread that runs inside every worker process.

It moves due schedule rows into the Dramatiq queue, recovers rows left queued
or running by a killed worker, keeps the worker's heartbeat row fresh and
prunes old refresh history. Every few seconds it also reads queue depth and
schedule lag into the worker's metrics. It sleeps until the next row is due, the
dispatch interval passes, or a NOTIFY on the schedule channel wakes it.
"""

import logging
import os
import socket
import threading
import time
import uuid

import psycopg
from dramatiq import Middleware

from feeds import queue_stats, runs, scheduler, worker_metrics
from feeds.db import SCHEDULE_CHANNEL, connect
from feeds.settings import Settings

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_SECONDS = 10.0
PRUNE_INTERVAL_SECONDS = 3600.0
QUEUE_STATS_INTERVAL_SECONDS = 5.0
RECONNECT_DELAY_SECONDS = 2.0
NOTIFY_WINDOW_SECONDS = 0.05


class Dispatcher:
    def __init__(self, settings: Settings, *, threads: int) -> None:
        self.settings = settings
        self.threads = threads
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.timeouts = scheduler.stale_timeouts(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="dispatcher", daemon=True
        )
        self._last_housekeeping = 0.0
        self._last_prune = 0.0
        self._last_queue_stats = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            with connect(self.settings, autocommit=True) as conn:
                scheduler.remove_worker(conn, self.worker_id)
        except psycopg.Error:
            logger.warning("could not remove worker heartbeat row")

    def _run(self) -> None:
        logger.info("dispatcher started", extra={"worker_id": self.worker_id})
        while not self._stop.is_set():
            try:
                with connect(self.settings, autocommit=True) as conn:
                    conn.execute(f"LISTEN {SCHEDULE_CHANNEL}")
                    self._loop(conn)
            except psycopg.Error as error:
                logger.warning(
                    "dispatcher lost its connection", extra={"error": str(error)}
                )
                self._stop.wait(RECONNECT_DELAY_SECONDS)
        logger.info("dispatcher stopped", extra={"worker_id": self.worker_id})

    def _loop(self, conn: psycopg.Connection) -> None:
        while not self._stop.is_set():
            self._housekeeping(conn)
            self._read_queue_stats(conn)
            dispatched = scheduler.dispatch_round(
                conn,
                self.timeouts,
                depth_per_thread=self.settings.queue_depth_per_thread,
            )
            if dispatched.sent:
                logger.debug("dispatched refreshes", extra={"count": dispatched.sent})
            self._wait(conn, dispatched.next_due_seconds)

    def _housekeeping(self, conn: psycopg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < HOUSEKEEPING_INTERVAL_SECONDS:
            return
        self._last_housekeeping = now
        scheduler.heartbeat(
            conn,
            worker_id=self.worker_id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            threads=self.threads,
        )
        scheduler.recover_stale(conn, self.timeouts)
        if now - self._last_prune >= PRUNE_INTERVAL_SECONDS:
            self._last_prune = now
            runs.prune(conn, keep_days=self.settings.run_history_days)

    def _read_queue_stats(self, conn: psycopg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_queue_stats < QUEUE_STATS_INTERVAL_SECONDS:
            return
        self._last_queue_stats = now

        # A failed reading leaves the gauges as they were and must not stop
        # dispatch. A lost connection fails the next dispatch, which reconnects.
        try:
            stats = queue_stats.read_queue_stats(conn)
        except psycopg.Error as error:
            logger.warning("could not read queue metrics", extra={"error": str(error)})
            return
        worker_metrics.record_queue_stats(stats)

    def _wait(self, conn: psycopg.Connection, due_in: float | None) -> None:
        """Sleep until a NOTIFY, the next due row or the dispatch interval.

        A row already due was held back (no room in the queue, its URL busy or
        another dispatcher's round), so only a NOTIFY or the interval ends the
        sleep. After a NOTIFY the dispatcher gathers more for a short window:
        every refresh start sends one, and one round can refill the queue for
        all of them.
        """
        timeout = self.settings.dispatch_interval_seconds
        if due_in is not None and due_in > 0:
            timeout = min(timeout, due_in)
        started = time.monotonic()
        notified = False
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            notified = True

        window = 0.0
        if notified:
            window = min(NOTIFY_WINDOW_SECONDS, timeout - (time.monotonic() - started))
        for _ in conn.notifies(timeout=max(0.0, window)):
            pass


class DispatcherMiddleware(Middleware):
    """Start the dispatcher when a worker process boots, stop it on shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dispatcher: Dispatcher | None = None

    def after_worker_boot(self, broker, worker) -> None:
        self.dispatcher = Dispatcher(self.settings, threads=worker.worker_threads)
        self.dispatcher.start()

    def before_worker_shutdown(self, broker, worker) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
