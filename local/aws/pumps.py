"""The local cloud's background work, each source on a thread of its own: event source mappings
and TTL expiry sleep until a write wakes them (or until a batching window, a message's
visibility or an item's expiry comes due), schedules until their next run. Nothing polls, so an
idle cloud uses no CPU; a source that fails or retries delays only itself; stopping wakes every
thread at once.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.aws.wakeups import Waker

log = logging.getLogger("local.aws.pumps")
MINIMUM_WAIT_SECONDS = 0.05
"""The shortest wait `earliest` allows between two runs."""
FAILURE_BACKOFF_SECONDS = (0.1, 5.0)
"""After an unexpected failure: the first wait before trying again, and the longest."""

Pump = Callable[[], float | None]
"""Does what is due; returns how long until it is due again unless woken (None: until woken)."""


@dataclass
class Pumps:
    threads: list[threading.Thread] = field(default_factory=list)
    wakers: list[Waker] = field(default_factory=list)

    def start(self, name: str, pump: Pump, waker: Waker) -> None:
        """Runs `pump` now, then whenever `waker` is woken or the pump's own wait runs out."""
        self.wakers.append(waker)
        thread = threading.Thread(target=_loop, args=(name, pump, waker), name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        for waker in self.wakers:
            waker.stop()
        for thread in self.threads:
            thread.join(timeout)


def _loop(name: str, pump: Pump, waker: Waker) -> None:
    failures = 0
    wait: float | None = None
    first = True
    while True:
        if not first:
            waker.wait(wait)
        first = False
        if waker.stopped:
            return
        try:
            wait = pump()
            failures = 0
        except Exception:
            if waker.stopped:
                return
            log.exception("%s failed; it tries again", name)
            first, longest = FAILURE_BACKOFF_SECONDS
            wait = min(longest, first * 2**failures)
            failures += 1


def backoff(waker: Waker, first: float, longest: float) -> Callable[[int], bool]:
    """Waits before retry n (first · 2ⁿ⁻¹ seconds, at most `longest`); False once stopped."""
    return lambda attempt: waker.sleep(min(longest, first * 2 ** (attempt - 1)))


def earliest(work: Callable[[], Any], due: Callable[[], float | None]) -> Pump:
    """A pump that does `work`, then waits for whichever comes first: its own wait (if it
    returns one) or `due`."""

    def pump() -> float | None:
        waits = [w for w in (work(), due()) if isinstance(w, float)]
        return max(MINIMUM_WAIT_SECONDS, min(waits)) if waits else None

    return pump
