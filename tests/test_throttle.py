import threading
from datetime import timedelta

from feeds import throttle
from feeds.db import connect


def test_domain_of_includes_default_ports():
    assert throttle.domain_of("https://Example.org/feed") == "example.org:443"
    assert throttle.domain_of("http://example.org/feed") == "example.org:80"
    assert throttle.domain_of("http://127.0.0.1:8080/x") == "127.0.0.1:8080"


def test_slots_are_spaced_across_connections(settings):
    starts = []

    def take() -> None:
        with connect(settings, autocommit=True) as conn:
            slot = throttle.take_slot(
                conn, "example.org:443", interval_seconds=1.0, max_wait_seconds=60
            )
            starts.append(slot.start_at)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    starts.sort()
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 8
    assert all(gap >= timedelta(seconds=1) for gap in gaps), gaps


def test_far_slot_defers_and_spreads(conn):
    def take():
        return throttle.take_slot(
            conn, "example.org:443", interval_seconds=10.0, max_wait_seconds=1.0
        )

    first = take()
    deferred = [take(), take(), take()]

    assert isinstance(first, throttle.Slot)
    assert all(isinstance(d, throttle.Deferred) for d in deferred)
    times = [d.retry_at for d in deferred]
    assert times == sorted(times)
    assert times[1] - times[0] == timedelta(seconds=10)


def test_block_until_holds_every_feed_of_domain(conn):
    now = conn.execute("SELECT now() AS now").fetchone()["now"]
    throttle.block_until(conn, "example.org:443", now + timedelta(hours=1))

    slot = throttle.take_slot(
        conn, "example.org:443", interval_seconds=1.0, max_wait_seconds=5.0
    )

    assert isinstance(slot, throttle.Deferred)
    assert slot.retry_at >= now + timedelta(hours=1)
