"""The dispatcher thread's wake-ups, against a real PostgreSQL."""

import importlib
import threading
import time

import pytest

from feeds import scheduler
from feeds.db import SCHEDULE_CHANNEL, connect


@pytest.fixture
def dispatcher(actors_environment):
    return importlib.import_module("feeds.actors.dispatcher")


def test_dispatcher_notification_burst_one_round(settings, dispatcher, monkeypatch):
    rounds = []
    dispatch_round = scheduler.dispatch_round
    woken = threading.Event()

    def counting_round(*args, **kwargs):
        rounds.append(time.monotonic())
        woken.set()
        return dispatch_round(*args, **kwargs)

    monkeypatch.setattr(scheduler, "dispatch_round", counting_round)
    monkeypatch.setattr(dispatcher, "NOTIFY_WINDOW_SECONDS", 1.0)
    quiet = settings.model_copy(update={"dispatch_interval_seconds": 30.0})
    thread = dispatcher.Dispatcher(quiet, threads=1)
    thread.start()
    try:
        assert woken.wait(timeout=30), "the dispatcher never ran its first round"
        time.sleep(0.5)
        before = len(rounds)
        with connect(settings, autocommit=True) as conn:
            for _ in range(8):
                conn.execute(
                    "SELECT pg_notify(%(channel)s, '')", {"channel": SCHEDULE_CHANNEL}
                )
                time.sleep(0.02)
        time.sleep(2.0)
        after_burst = len(rounds) - before
    finally:
        thread.stop()

    assert after_burst == 1, f"{after_burst} rounds for 8 notifications"
