"""How the local cloud's process collects its garbage, so that no pause grows with its data.

Python's collector walks every object of a generation it collects. What the cloud holds (items,
stream records kept for 24 hours, moto's models) lives as long as the cloud does, and a full
collection that walked it all would pause every request for longer the more there is (~0.3 s
at 10,000 items). So what is alive at a quiet moment, or has just survived a full collection,
is set aside for good (`gc.freeze`): the next full collection walks only what came after it.
Under sustained load there is no quiet moment, and without the second rule each full
collection walked all that the load had kept since the last quiet one (0.34, 0.61, then 0.88 s
in a run of 9,000 bookings at concurrency 10). With it, a full collection walks what came since
the last, so it comes after every second collection of the middle generation, not every tenth:
44 to 79 ms every ~10 s under that load (0.33 to 0.39 s every minute with Python's tenth). Objects
set aside are still freed when nothing refers to them; only a cycle among them that becomes
garbage is not collected (one of a request in flight at a full collection: after 6,000
bookings, 26,000 objects of the 1.6 million set aside, against 13,000 with every fourth).
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

YOUNG_OBJECTS = 20_000
"""Allocations between collections of the youngest generation, once the cloud is ready (Python's
700 ran the collector dozens of times per booking, for 6% of its CPU)."""
MIDDLE_COLLECTIONS_PER_FULL = 1
"""Collections of the middle generation (each every 10 of the youngest) after which the next
is a full one: `gc`'s third threshold (Python's is 10)."""
FULL = 2
"""The oldest generation: a collection of it is a full collection."""


def settle() -> None:
    """Collects what is garbage now, then sets the rest aside (a quiet moment)."""
    gc.collect()
    set_aside()


def set_aside() -> None:
    """Sets what the heap holds aside for good, and collects the youngest generation every
    `YOUNG_OBJECTS` allocations from now on (and the whole heap more often)."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, gc.get_threshold()[1], MIDDLE_COLLECTIONS_PER_FULL)


@contextmanager
def set_aside_after_full_collections() -> Iterator[None]:
    """While the block runs, whatever survives a full collection is set aside after it."""

    def after(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == FULL:
            gc.freeze()

    gc.callbacks.append(after)
    try:
        yield
    finally:
        gc.callbacks.remove(after)
