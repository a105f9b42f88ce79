"""Timing probe that the soak loads into its worker processes (via PYTHONPATH).

It records, for every refresh that got a domain slot, the slot's start and the
moment the worker called the fetcher, one line per fetch in
``$SOAK_PROBE_DIR/probe-PID.log``: ``slot_start fetch_call url``. The soak
compares both with the feed servers' own request times to tell worker delays
from delays on the way to the server. It changes nothing else.
"""

import os
import threading
import time


def _install(folder: str) -> None:
    from feeds import throttle
    from feeds.fetch import Fetcher

    local = threading.local()
    log = open(os.path.join(folder, f"probe-{os.getpid()}.log"), "a", buffering=1)  # noqa: SIM115
    take_slot = throttle.take_slot
    fetch = Fetcher.fetch

    def recording_take_slot(*args, **kwargs):
        slot = take_slot(*args, **kwargs)
        if isinstance(slot, throttle.Slot):
            local.slot_start = slot.start_at.timestamp()
        return slot

    def recording_fetch(self, url, *args, **kwargs):
        called_at = time.time()
        slot_start = getattr(local, "slot_start", None)
        local.slot_start = None
        if slot_start is not None:
            log.write(f"{slot_start:.6f} {called_at:.6f} {url}\n")
        return fetch(self, url, *args, **kwargs)

    throttle.take_slot = recording_take_slot
    Fetcher.fetch = recording_fetch


if os.environ.get("SOAK_PROBE_DIR"):
    _install(os.environ["SOAK_PROBE_DIR"])
