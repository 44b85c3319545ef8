"""Where moto's DynamoDB needs help to behave as AWS does.

- Conditions: moto checks a condition and then writes, without a lock, so two threads can both
  pass the same condition; and a read of a missing key inserts an empty partition, which breaks
  a transaction copying the table at that moment. `serialized_dynamodb` runs each item operation
  (and each transaction) alone: conditional writes become atomic, as DynamoDB guarantees and as
  Slate's correctness requires. Stream reads take the same lock, so a reader never sees a
  record of a transaction that is then cancelled.
- Transactions: moto backs up every table a transaction touches by copying it whole (~110 ms a
  transaction at 5,000 items); `item_level_transactions` backs up only the items the
  transaction names, and the stream records it added, and restores those on a cancel.
- Queries: moto sorts the whole table for every Query. `indexed_tables` answers them from
  key-ordered indexes kept by every write (`indexes`), and counts every read of a whole table
  (`full_table_reads`), so a regression shows as a number, not a slowdown.
- Streams: moto keeps every record for good; `expire_stream_records` drops what is past the
  service's 24 hours (the saved state calls it as it writes a new base).
- Item size: moto sums the size of a whole item each time it sets one attribute, so building
  an item costs the square of its attribute count; `items_sized_once` checks a new item once.
- Answers: moto turns each answer into plain data node by node, asking every string and number
  whether it is a date, an attribute value or a model; `plain_data_as_is` passes plain data
  through at once and writes each attribute value straight away (half a 100-item query's
  handling).

Beside these: calls from inside the process skip moto's serializer and botocore's parser
(`in_process`), and expressions are parsed once per shape (`expressions`).
"""

import bisect
import copy
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import utilities as dynamodb_utilities
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend

from local.aws.dynamodb import indexes as dynamodb_indexes
from local.aws.dynamodb.items import item_copy

_ITEM_OPERATIONS = (
    "get_item",
    "query",
    "scan",
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
)
DYNAMODB_LOCK = threading.RLock()
"""Held by every item operation, transaction and stream read of moto's DynamoDB."""
_full_table_reads = [0]


@contextmanager
def serialized_dynamodb() -> Iterator[None]:
    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with DYNAMODB_LOCK:
                return method(*args, **kwargs)

        return locked

    with ExitStack() as patches:
        for name in _ITEM_OPERATIONS:
            original = getattr(DynamoDBBackend, name)
            patches.enter_context(mock.patch.object(DynamoDBBackend, name, serialized(original)))
        get_records = serialized(DynamoDBStreamsBackend.get_records)
        patches.enter_context(mock.patch.object(DynamoDBStreamsBackend, "get_records", get_records))
        yield


def full_table_reads() -> int:
    """How many times a whole table was read (moto's own query or scan, or an index built)."""
    return _full_table_reads[0] + dynamodb_indexes.full_reads()


ItemObserver = Callable[[Table, DynamoType, DynamoType | None], None]
_item_observers: list[ItemObserver] = []


def item_written(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    """Every write of an item ends here (under `DYNAMODB_LOCK`): the indexes follow it, and so
    does whatever observes writes (the local cloud's snapshots)."""
    dynamodb_indexes.index_of(table).reindex(hash_value, range_value)
    for observer in _item_observers:
        observer(table, hash_value, range_value)


@contextmanager
def observing_item_writes(observer: ItemObserver) -> Iterator[None]:
    _item_observers.append(observer)
    try:
        yield
    finally:
        _item_observers.remove(observer)


@contextmanager
def indexed_tables() -> Iterator[None]:
    """Queries from the indexes; every write re-indexes the key it wrote."""
    put, delete, update = Table.put_item, Table.delete_item, DynamoDBBackend.update_item
    every_item, indexed_items = Table.all_items, Table.has_idx_items

    def put_item(table: Table, *args: Any, **kwargs: Any) -> Any:
        item = put(table, *args, **kwargs)
        item_written(table, item.hash_key, item.range_key)
        return item

    def delete_item(table: Table, hash_key: Any, range_key: Any) -> Any:
        try:
            return delete(table, hash_key, range_key)
        finally:
            item_written(table, hash_key, range_key)

    def update_item(backend: DynamoDBBackend, table_name: str, key: dict, *args, **kwargs):
        try:
            return update(backend, table_name, key, *args, **kwargs)
        finally:
            table = backend.tables.get(table_name)
            if table is not None and table.hash_key_attr in key:
                range_key = key.get(table.range_key_attr) if table.range_key_attr else None
                item_written(
                    table,
                    DynamoType(key[table.hash_key_attr]),
                    DynamoType(range_key) if range_key is not None else None,
                )

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def read(*args: Any, **kwargs: Any) -> Any:
            _full_table_reads[0] += 1
            return method(*args, **kwargs)

        return read

    with (
        mock.patch.object(Table, "query", dynamodb_indexes.indexed_query(Table.query)),
        mock.patch.object(Table, "put_item", put_item),
        mock.patch.object(Table, "delete_item", delete_item),
        mock.patch.object(DynamoDBBackend, "update_item", update_item),
        mock.patch.object(Table, "all_items", counted(every_item)),
        mock.patch.object(Table, "has_idx_items", counted(indexed_items)),
    ):
        yield


@contextmanager
def items_sized_once() -> Iterator[None]:
    """A new item's attributes go in unchecked, but the last, which moto's own check measures
    against the whole item. That is the largest of the sums moto checks one attribute at a
    time (each adds a size to the one before), so the item passes exactly when moto's steps
    all pass, and a 15-attribute item costs 18 µs, not 180."""

    def init(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict) -> None:
        item.hash_key, item.range_key = hash_key, range_key
        item.attrs = LimitedSizeDict()
        converted = [(name, DynamoType(value)) for name, value in attrs.items()]
        if converted:
            dict.update(item.attrs, converted[:-1])
            name, value = converted[-1]
            item.attrs[name] = value

    with mock.patch.object(Item, "__init__", init):
        yield


_ORIGINAL_TO_DICT = dynamodb_utilities.dynamo_to_dict
_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})
_MAPS = frozenset({dict, LimitedSizeDict})
_BINARY = frozenset({"B", "BS"})


def _to_dict(value: Any) -> Any:
    """moto's `dynamo_to_dict`, which keeps these leaves, rebuilds these containers (an item's
    attributes among them) as plain ones, and writes an attribute value as `{type: value}`;
    anything else (binary, which it decodes; a model, a date, a subclass) goes to moto's own."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind in _MAPS:
        return {key: _to_dict(item) for key, item in value.items()}
    if kind is list:
        return [_to_dict(item) for item in value]
    if kind is DynamoType and value.type not in _BINARY:
        return {value.type: _to_dict(value.value)}
    return _ORIGINAL_TO_DICT(value)


@contextmanager
def plain_data_as_is() -> Iterator[None]:
    with (
        mock.patch.object(dynamodb_utilities, "dynamo_to_dict", _to_dict),
        mock.patch.object(dynamodb_responses, "dynamo_to_dict", _to_dict),
    ):
        yield


class _SameTable:
    """Stands in for `copy` inside moto's DynamoDB models: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value)


@contextmanager
def item_level_transactions() -> Iterator[None]:
    """moto backs up every table a transaction touches by deep-copying it, a cost that grows
    with the table; this backs up only the items the transaction names (and the length of each
    table's stream), and restores those when the transaction is cancelled."""
    original = DynamoDBBackend.transact_write_items

    def transact(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = [_snapshot(backend, entry) for entry in transact_items]
        streams = {
            name: len(table.stream_shard.items)
            for name, table in backend.tables.items()
            if table.stream_shard is not None
        }
        try:
            with mock.patch.object(dynamodb_models, "copy", _SameTable):
                original(backend, transact_items)
        except (
            TransactionCanceledException,
            MultipleTransactionsException,
            MockValidationException,
        ):
            for snapshot in saved:
                if snapshot is not None:
                    _restore(*snapshot)
            for name, length in streams.items():
                del backend.tables[name].stream_shard.items[length:]
            raise

    with mock.patch.object(DynamoDBBackend, "transact_write_items", transact):
        yield


def _snapshot(backend: DynamoDBBackend, entry: dict[str, Any]) -> tuple | None:
    """(table, hash, range, a copy of the item or None) for one transaction item."""
    _, operation = next(iter(entry.items()))
    table = backend.tables.get(operation.get("TableName"))
    key = operation.get("Key") or operation.get("Item") or {}
    if table is None or table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    partition = table.items.get(hash_value)
    if range_value is None:
        current = partition
    else:
        current = partition.get(range_value) if partition else None
    return table, hash_value, range_value, None if current is None else item_copy(current)


def _restore(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
    put_back(table, hash_value, range_value, item)
    item_written(table, hash_value, range_value)


STREAM_RETENTION = timedelta(hours=24)
"""How long DynamoDB Streams keeps a record."""


def expire_stream_records(now: datetime) -> int:
    """Drops the stream records older than `STREAM_RETENTION`, as DynamoDB Streams does (moto
    keeps every one for good); how many. Records are appended in time order, so the expired
    ones are a prefix; the shard's first sequence number moves past them, and every later
    record keeps its own."""
    cutoff = (now - STREAM_RETENTION).astimezone(UTC).replace(tzinfo=None)  # moto's naive UTC
    dropped = 0
    with DYNAMODB_LOCK:
        for regions in dynamodb_models.dynamodb_backends.values():
            for backend in regions.values():
                for table in backend.tables.values():
                    shard = table.stream_shard
                    if shard is None or not shard.items:
                        continue
                    expired = bisect.bisect_left(shard.items, cutoff, key=_record_time)
                    del shard.items[:expired]
                    shard.starting_sequence_number += expired
                    dropped += expired
    return dropped


def _record_time(record: Any) -> datetime:
    moment = record.record["dynamodb"]["ApproximateCreationDateTime"]
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def put_back(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
    """Stores `item` at its key in the table as moto keeps items (None: removes it), with no
    stream record and no hook: a restore, not a write."""
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition = table.items[hash_value]
    if item is None:
        partition.pop(range_value, None)
        if not partition:
            del table.items[hash_value]
    else:
        partition[range_value] = item


# Parsed definitions and paths hold no execution state, so they are shared across sessions.
