"""The local cloud's collection policy: what survives a full collection is set aside, so the
next one walks only what came after it (a count of the objects it would walk, not a clock)."""

import gc

import pytest

from local import heap


@pytest.fixture
def collector():
    """The test process's collector as it was, afterwards."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def kept(count: int) -> list[list[int]]:
    """Long-lived containers, as items and stream records are."""
    return [[n] for n in range(count)]


def test_what_survives_a_full_collection_is_set_aside(collector):
    with heap.set_aside_after_full_collections():
        first = kept(50_000)
        gc.collect()  # as the interpreter does once enough has survived
        assert gc.get_freeze_count() >= 50_000
        second = kept(10_000)
        gc.collect(1)  # a younger collection sets nothing aside: it walks little anyway
        assert len(gc.get_objects(heap.FULL)) >= 10_000
        gc.collect()
        assert len(gc.get_objects(heap.FULL)) < 1_000  # the next walks neither list
    gc.unfreeze()
    gc.collect()
    assert len(gc.get_objects(heap.FULL)) >= 60_000  # without the rule, it walks both
    assert len(first) + len(second) == 60_000


def test_a_cycle_set_aside_is_still_collected_once_unfrozen(collector):
    """What the rule costs: garbage cycles among objects set aside wait for an unfreeze."""
    with heap.set_aside_after_full_collections():
        cycle: list = []
        cycle.append(cycle)
        gc.collect()
        del cycle
        assert gc.collect() == 0
    gc.unfreeze()
    assert gc.collect() >= 1


def test_a_quiet_moment_sets_the_heap_aside_and_collects_the_young_less_often(collector):
    kept_alive = kept(1_000)
    before = gc.get_freeze_count()
    heap.settle()
    assert gc.get_freeze_count() >= before + 1_000
    assert gc.get_threshold() == (heap.YOUNG_OBJECTS, 10, heap.MIDDLE_COLLECTIONS_PER_FULL)
    assert len(kept_alive) == 1_000
