"""The broker's consumer against a real database queue."""

import time

import dramatiq


def test_full_consumer_backs_off_more_each_time(broker):
    consumer = broker.consume("feeds", prefetch=2, timeout=100)
    consumer.in_processing.update({"a", "b"})

    for _ in range(4):
        assert next(consumer) is None

    assert consumer.misses == 4


def test_consumer_with_room_resets_backoff(broker):
    consumer = broker.consume("feeds", prefetch=2, timeout=100)
    consumer.in_processing.update({"a", "b"})
    for _ in range(8):
        next(consumer)

    consumer.in_processing.clear()
    next(consumer)
    assert consumer.misses == 0

    consumer.in_processing.update({"a", "b"})
    started = time.monotonic()
    next(consumer)
    assert time.monotonic() - started < 0.1
    assert consumer.misses == 1
    consumer.close()


def advisory_locks(conn) -> int:
    """Count advisory locks in this test's database; pg_locks spans the server."""
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
    ).fetchone()
    return row["n"]


def test_steady_stream_releases_message_locks(broker, conn):
    for _ in range(20):
        broker.enqueue(dramatiq.Message("feeds", "refresh_feed", (), {}, {}))
    consumer = broker.consume("feeds", prefetch=4, timeout=100)

    consumed = 0
    while consumed < 20:
        message = next(consumer)
        assert message is not None
        consumer.ack(message)
        consumed += 1

    assert advisory_locks(conn) <= 1
    consumer.close()
