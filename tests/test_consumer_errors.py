"""Consumer threads survive a database that drops their connection."""

import threading
import time
from queue import PriorityQueue

import dramatiq
import psycopg2
import pytest
from dramatiq import worker as dramatiq_worker
from dramatiq_pg.broker import PostgresConsumer

from feeds.scheduler import REFRESH_QUEUE

CLOSED = "connection already closed"


def delayed_message() -> dramatiq.Message:
    return dramatiq.Message(
        queue_name=REFRESH_QUEUE + ".DQ",
        actor_name="refresh_feed",
        args=(),
        kwargs={},
        options={"eta": int(time.time() * 1000) + 60_000},
    )


@pytest.fixture
def consumer_thread(broker, monkeypatch):
    """A Dramatiq consumer thread of the feeds queue, with one delayed message."""
    monkeypatch.setattr(dramatiq_worker, "CONSUMER_RESTART_DELAY_SECS", 0.05)
    thread = dramatiq_worker._ConsumerThread(
        broker=broker,
        queue_name=REFRESH_QUEUE,
        prefetch=2,
        work_queue=PriorityQueue(),
        worker_timeout=100,
    )
    message = delayed_message()
    thread.delay_queue.put((message.options["eta"], message))
    yield thread
    thread.stop()
    thread.join(timeout=5)


def fail_with(error: Exception):
    def fail(self, *args):
        raise error

    return fail


def run_briefly(thread: threading.Thread) -> None:
    thread.start()
    time.sleep(0.5)


@pytest.mark.parametrize(
    "next_error",
    [psycopg2.InterfaceError(CLOSED), ValueError("unexpected")],
    ids=["closed during consume", "unexpected error"],
)
def test_consumer_thread_survives_closed_connection(
    consumer_thread, monkeypatch, next_error
):
    monkeypatch.setattr(PostgresConsumer, "__next__", fail_with(next_error))
    monkeypatch.setattr(
        PostgresConsumer, "requeue", fail_with(psycopg2.InterfaceError(CLOSED))
    )

    run_briefly(consumer_thread)

    assert consumer_thread.is_alive()


def test_closed_connection_becomes_connection_error(broker, monkeypatch):
    monkeypatch.setattr(
        PostgresConsumer, "requeue", fail_with(psycopg2.InterfaceError(CLOSED))
    )
    consumer = broker.consume(REFRESH_QUEUE)

    with pytest.raises(dramatiq.ConnectionError, match=CLOSED):
        consumer.requeue([delayed_message()])
