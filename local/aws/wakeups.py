"""Writes wake their readers: a record added to a table's stream, a message sent to a queue or
made visible again, an item given an expiry — each wakes the threads that wait for it, so event
source mappings and TTL run when there is something to do, and sleep (no CPU) otherwise.

`watching_writes` hooks moto where those writes happen; `Waker` is what a reader waits on.
`as_dynamodb_service` marks the stream records of deletions made inside it as DynamoDB's own
(TTL), at the moment moto writes them.
"""

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import unix_time_millis
from moto.dynamodb.models.table import StreamShard
from moto.sqs.models import Queue, SQSBackend, sqs_backends

TTL = ("ttl", "")
"""The source every change of an item's expiry signals."""
SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
"""The identity of DynamoDB's own deletions, as GetRecords returns it (Lambda hands it to
functions as `type` / `principalId`)."""

_wakers: defaultdict[tuple[str, str], set["Waker"]] = defaultdict(set)
_lock = threading.Lock()
_service = threading.local()


def stream_source(table_name: str) -> tuple[str, str]:
    return ("stream", table_name)


def queue_source(queue_name: str) -> tuple[str, str]:
    return ("queue", queue_name)


class Waker:
    """What one reader waits on: set by a write to any of its sources, or by `stop`."""

    def __init__(self, *sources: tuple[str, str]) -> None:
        self.sources = sources
        self._event = threading.Event()
        self._stopped = threading.Event()
        with _lock:
            for source in sources:
                _wakers[source].add(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Sleeps until a write (True), `timeout` seconds (False) or `stop`; the wake-up is
        consumed before the caller reads, so a write during the read wakes it again."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken

    def set(self) -> None:
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()
        self._event.set()
        with _lock:
            for source in self.sources:
                _wakers[source].discard(self)

    def sleep(self, seconds: float) -> bool:
        """Sleeps `seconds` (writes do not cut it short) unless stopped; False once stopped."""
        return not self._stopped.wait(seconds)


def notify(source: tuple[str, str]) -> None:
    with _lock:
        wakers = list(_wakers.get(source, ()))
    for waker in wakers:
        waker.set()


@contextmanager
def as_dynamodb_service() -> Iterator[None]:
    """Deletions inside this block are DynamoDB's own: their REMOVE records carry its identity."""
    _service.active = True
    try:
        yield
    finally:
        _service.active = False


@contextmanager
def watching_writes() -> Iterator[None]:
    add_record = StreamShard.add
    add_message = Queue.add_message
    change_visibility = SQSBackend.change_message_visibility

    def record_added(shard: StreamShard, old: Any, new: Any) -> None:
        add_record(shard, old, new)
        if new is None and getattr(_service, "active", False) and shard.items:
            shard.items[-1].record["userIdentity"] = dict(SERVICE_IDENTITY)
        notify(stream_source(shard.table.name))

    def message_added(queue: Queue, message: Any) -> None:
        add_message(queue, message)
        notify(queue_source(queue.name))

    def visibility_changed(backend: SQSBackend, *args: Any, **kwargs: Any) -> None:
        change_visibility(backend, *args, **kwargs)
        notify(queue_source(kwargs["queue_name"] if "queue_name" in kwargs else args[0]))

    with (
        mock.patch.object(StreamShard, "add", record_added),
        mock.patch.object(Queue, "add_message", message_added),
        mock.patch.object(SQSBackend, "change_message_visibility", visibility_changed),
    ):
        yield


def seconds_until_visible(region: str, queue_name: str) -> float | None:
    """How long until the next message of the queue that is in flight or delayed can be
    received; None if there is none."""
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][region].get_queue(queue_name)
    now = unix_time_millis()
    times = [
        max(message.visible_at, message.delayed_until)
        for message in list(queue._messages)
        if not (message.visible and not message.delayed)
    ]
    return max(0.0, (min(times) - now) / 1000) if times else None
