"""Key-ordered indexes over moto's DynamoDB tables, kept up to date as items are written, so a
query costs what DynamoDB's does — the page it returns — and expiry is found without a scan.

moto answers every Query by sorting every item of the table (`Table.all_items`), a cost that
grows with the table. Here each table keeps, per partition, its items' sort keys in order (for
the table and for each global secondary index), and the items in order of their TTL attribute.
Every write of moto's that changes an item (put, update, delete, and a cancelled transaction's
restore) re-indexes the one key it wrote.

`query` walks the index from the page's start and visits only that page's items, sizing each
once, then finishes as moto does (the same copies, made without `copy`'s dispatch; projection,
filter and `LastEvaluatedKey`), so its answers are moto's. What it cannot answer from an index
(legacy `KeyConditions` filters, multi-attribute keys, a GSI without a sort key, a malformed
start key) goes to moto's own `query`.

Every read and write of the indexes happens under the lock that serializes moto's item
operations (`moto_patches.DYNAMODB_LOCK`).
"""

import inspect
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table
from sortedcontainers import SortedList

from local.aws import wakeups
from local.aws.dynamodb.items import item_copy

Primary = tuple[Any, Any]
"""A table key as plain values: (hash, range or None)."""
Keys = tuple[DynamoType, DynamoType | None]
"""The same key as moto's own values (what `Table.items` is keyed by)."""

_BOUNDED = {"EQ", "=", "LT", "<", "LE", "<=", "GT", ">", "GE", ">=", "BETWEEN", "BEGINS_WITH"}


@dataclass
class OrderedEntries:
    """The items of one table or index: partition value → the items' sort tuples, in order."""

    partitions: defaultdict[Any, SortedList] = field(
        default_factory=lambda: defaultdict(SortedList)
    )
    keys: dict[tuple[Any, tuple], Keys] = field(default_factory=dict)
    """(partition, sort tuple) → the item's table key."""
    entries: dict[Primary, tuple[Any, tuple]] = field(default_factory=dict)
    """An item's table key → where it is indexed."""

    def set(self, primary: Primary, entry: tuple[Any, tuple] | None, keys: Keys) -> None:
        """Indexes the item at `primary` under `entry` (None: not indexed)."""
        current = self.entries.get(primary)
        if current == entry:
            return
        if current is not None:
            partition, sort = current
            self.partitions[partition].remove(sort)
            if not self.partitions[partition]:
                del self.partitions[partition]
            del self.keys[current]
            del self.entries[primary]
        if entry is not None:
            self.partitions[entry[0]].add(entry[1])
            self.keys[entry] = keys
            self.entries[primary] = entry


class TableIndex:
    """Every index of one moto table: its partitions, its GSIs and its expiry order."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.types = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
        self.base = OrderedEntries()
        self.gsis: dict[str, tuple[str, str, OrderedEntries]] = {}
        for index in table.global_indexes or []:
            hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            if len(hash_keys) == 1 and len(range_keys) == 1:
                self.gsis[index.name] = (hash_keys[0], range_keys[0], OrderedEntries())
        self.expiries: SortedList = SortedList()
        self._expiry_of: dict[Primary, tuple] = {}
        self._keys_of: dict[Primary, Keys] = {}
        self.full_reads = 1
        for item in _every_item(table):
            self.reindex(item.hash_key, item.range_key)

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.table.ttl
        return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None

    def item(self, keys: Keys) -> Item | None:
        hash_value, range_value = keys
        if range_value is None:
            found = self.table.items.get(hash_value)
            return found if isinstance(found, Item) else None
        partition = self.table.items.get(hash_value)
        return partition.get(range_value) if partition else None

    def reindex(self, hash_value: DynamoType, range_value: DynamoType | None) -> None:
        """Brings every index up to date with the item now stored at this key (or its absence)."""
        keys: Keys = (hash_value, range_value)
        primary: Primary = (hash_value.cast_value, _cast(range_value))
        item = self.item(keys)
        sort = (primary[1],) if range_value is not None else ()
        self.base.set(primary, (primary[0], sort) if item is not None else None, keys)
        for hash_name, range_name, entries in self.gsis.values():
            entries.set(primary, self._gsi_entry(item, hash_name, range_name, primary), keys)
        self._set_expiry(primary, item, keys)

    def _gsi_entry(
        self, item: Item | None, hash_name: str, range_name: str, primary: Primary
    ) -> tuple[Any, tuple] | None:
        if item is None:
            return None
        hash_value, range_value = item.attrs.get(hash_name), item.attrs.get(range_name)
        if not self._typed(hash_name, hash_value) or not self._typed(range_name, range_value):
            return None  # DynamoDB indexes only items with both keys, of the declared types
        return hash_value.cast_value, (range_value.cast_value, *primary)

    def _typed(self, name: str, value: DynamoType | None) -> bool:
        return value is not None and value.type == self.types.get(name, value.type)

    def _set_expiry(self, primary: Primary, item: Item | None, keys: Keys) -> None:
        current = self._expiry_of.pop(primary, None)
        if current is not None:
            self.expiries.remove(current)
            del self._keys_of[primary]
        attribute = self.table.ttl.get("AttributeName")
        value = item.attrs.get(attribute) if item is not None and attribute else None
        if value is None or value.type != "N":
            return
        entry = (value.cast_value, primary)
        self.expiries.add(entry)
        self._expiry_of[primary] = entry
        self._keys_of[primary] = keys
        wakeups.notify(wakeups.TTL)

    def expired(self, cutoff: int) -> list[tuple[Keys, DynamoType]]:
        """Items whose TTL attribute is below `cutoff` (epoch seconds), oldest first: each key
        with the TTL value it was found with."""
        if self.ttl_attribute is None:
            return []
        found = []
        for value, primary in self.expiries:
            if value >= cutoff:
                break
            found.append((self._keys_of[primary], DynamoType({"N": str(value)})))
        return found

    def next_expiry(self) -> float | None:
        """The earliest TTL value in the table (epoch seconds), if TTL is on."""
        if self.ttl_attribute is None or not self.expiries:
            return None
        return float(self.expiries[0][0])


_indexes: "weakref.WeakKeyDictionary[Table, TableIndex]" = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_of(table: Table) -> TableIndex:
    """The table's index, built once (one read of every item) and then kept by every write."""
    with _indexes_lock:
        index = _indexes.get(table)
        if index is None:
            index = _indexes[table] = TableIndex(table)
        return index


def full_reads() -> int:
    """How many times an index was built by reading a whole table (each table once)."""
    with _indexes_lock:
        return sum(index.full_reads for index in _indexes.values())


def _every_item(table: Table) -> Iterator[Item]:
    for value in table.items.values():
        if isinstance(value, Item):
            yield value
        else:
            yield from value.values()


def _cast(value: DynamoType | None) -> Any:
    return None if value is None else value.cast_value


QueryFunction = Callable[..., tuple[list[Item], int, dict[str, Any] | None]]


@dataclass(frozen=True)
class _Query:
    """`Table.query`'s arguments."""

    hash_key: DynamoType | None
    range_comparison: str | None
    range_objs: list[DynamoType]
    limit: int
    exclusive_start_key: dict[str, Any] | None
    forward: bool
    projection_expressions: list[list[str]] | None
    index_name: str | None
    consistent_read: bool
    filter_expression: Any
    hash_conditions: list[tuple[str, DynamoType]]
    range_conditions: list[tuple[str, str, list[DynamoType]]]


def indexed_query(original: QueryFunction) -> QueryFunction:
    """`Table.query` answered from the indexes; what they cannot answer goes to `original`."""
    signature = inspect.signature(original)

    def query(table: Table, *args: Any, **kwargs: Any) -> tuple[list[Item], int, Any]:
        bound = signature.bind(table, *args, **kwargs)
        bound.apply_defaults()
        given = bound.arguments
        request = _Query(
            given["hash_key"],
            given["range_comparison"],
            given["range_objs"],
            given["limit"],
            given["exclusive_start_key"],
            given["scan_index_forward"],
            given["projection_expressions"],
            given["index_name"],
            given["consistent_read"],
            given["filter_expression"],
            given["hash_key_conditions"] or [],
            given["range_key_conditions"] or [],
        )
        plan = None if given["filter_kwargs"] else _plan(table, request)
        if plan is None:
            return original(table, *args, **kwargs)
        return plan.run(request)

    return query


@dataclass
class _Plan:
    """One query the indexes answer: which entries, which attribute the range condition
    reads, and the attributes its start key is made of (moto's sort order)."""

    table: Table
    index: TableIndex
    entries: OrderedEntries
    partition: Any
    range_attribute: str | None
    partition_attribute: str
    sort_attributes: list[str | None]
    """The attributes of a start key, in the order of the index's sort tuples."""

    def start(self, exclusive_start_key: dict[str, Any]) -> tuple | None:
        """The sort tuple to continue after; None if the key is not of this partition (moto
        then orders it against every partition: its own `query` answers)."""
        if DynamoType(exclusive_start_key[self.partition_attribute]).cast_value != self.partition:
            return None
        return tuple(
            DynamoType(exclusive_start_key[a]).cast_value if a else None
            for a in self.sort_attributes
        )

    def run(self, query: _Query) -> tuple[list[Item], int, dict[str, Any] | None]:
        sorts = self.entries.partitions.get(self.partition, SortedList())
        start = None
        if query.exclusive_start_key is not None:
            start = self.start(query.exclusive_start_key)
        comparison = query.range_comparison
        results: list[Item] = []
        size = 0
        last_evaluated_key = None
        for position in _positions(sorts, start, query.forward, comparison, query.range_objs):
            item = self.index.item(self.entries.keys[(self.partition, sorts[position])])
            item_size = item.size()
            if len(results) == query.limit or size + item_size > RESULT_SIZE_LIMIT:
                last_evaluated_key = self.table._get_last_evaluated_key(
                    results[-1], query.index_name
                )
                break
            if comparison and not self._in_range(item, comparison, query.range_objs):
                continue
            results.append(item)
            size += item_size
        scanned = len(results)
        results = [item_copy(item) for item in results]
        if query.index_name:
            secondary = self.table.get_index(query.index_name)
            results = [secondary.project(r) for r in results]
        if query.filter_expression is not None:
            results = [item for item in results if query.filter_expression.expr(item)]
        if query.projection_expressions:
            results = [r.project(query.projection_expressions) for r in results]
        return results, scanned, last_evaluated_key

    def _in_range(self, item: Item, comparison: str, range_objs: list[DynamoType]) -> bool:
        value = item.attrs.get(self.range_attribute) if self.range_attribute else item.range_key
        return bool(value) and value.compare(comparison, range_objs)


def _plan(table: Table, query: _Query) -> _Plan | None:
    """How the indexes answer this query, or None for moto's own `query`."""
    ranges = query.range_conditions
    if len(ranges) > 1:
        return None
    if query.range_comparison is not None and query.range_comparison.upper() not in _BOUNDED:
        return None
    index = index_of(table)
    table_keys = [table.hash_key_attr, table.range_key_attr]
    if query.index_name is None:
        if query.hash_key is None:
            return None
        plan = _Plan(
            table,
            index,
            index.base,
            query.hash_key.cast_value,
            ranges[0][0] if ranges else None,
            table.hash_key_attr,
            [table.range_key_attr] if table.range_key_attr else [],
        )
    else:
        gsi = index.gsis.get(query.index_name)
        if gsi is None or query.consistent_read or len(query.hash_conditions) != 1:
            return None
        hash_name, range_name, entries = gsi
        attribute, value = query.hash_conditions[0]
        if attribute != hash_name or value.type != index.types.get(hash_name):
            return None
        plan = _Plan(
            table,
            index,
            entries,
            value.cast_value,
            ranges[0][0] if ranges else range_name,
            hash_name,
            [range_name, *table_keys],
        )
    start = query.exclusive_start_key
    if start is not None and (
        any(a and a not in start for a in [plan.partition_attribute, *plan.sort_attributes])
        or plan.start(start) is None
    ):
        return None
    return plan


def _positions(
    sorts: SortedList,
    start: tuple | None,
    forward: bool,
    comparison: str | None,
    values: list[DynamoType],
) -> Iterator[int]:
    """Positions in `sorts` from the page's start, in query order: from the start of the range
    condition's bounds, and one past their end (moto looks one item past a full page)."""
    low, high = 0, len(sorts)
    if comparison:
        low, high = _bounds(sorts, comparison.upper(), [v.cast_value for v in values])
    if forward:
        first = low if start is None else max(low, sorts.bisect_right(start))
        yield from range(first, min(high + 1, len(sorts)))
    else:
        last = high - 1 if start is None else min(high - 1, sorts.bisect_left(start) - 1)
        yield from range(last, max(low - 2, -1), -1)


def _bounds(sorts: SortedList, comparison: str, values: list[Any]) -> tuple[int, int]:
    """[low, high): the positions whose first sort value can meet the range condition."""
    first = values[0]
    below, above = (first,), (first, _Top())
    if comparison in ("EQ", "="):
        return sorts.bisect_left(below), sorts.bisect_right(above)
    if comparison in ("LT", "<"):
        return 0, sorts.bisect_left(below)
    if comparison in ("LE", "<="):
        return 0, sorts.bisect_right(above)
    if comparison in ("GT", ">"):
        return sorts.bisect_right(above), len(sorts)
    if comparison in ("GE", ">="):
        return sorts.bisect_left(below), len(sorts)
    if comparison == "BETWEEN":
        return sorts.bisect_left(below), sorts.bisect_right((values[1], _Top()))
    # BEGINS_WITH: every match sorts at or after the prefix; checked item by item after it.
    low = sorts.bisect_left(below)
    high = low
    while high < len(sorts) and _starts_with(sorts[high][0], first):
        high += 1
    return low, high


def _starts_with(value: Any, prefix: Any) -> bool:
    return isinstance(value, type(prefix)) and value.startswith(prefix)


class _Top:
    """Sorts after every value: `(v, _Top())` is past every tuple that starts with v."""

    def __lt__(self, _other: Any) -> bool:
        return False

    def __gt__(self, _other: Any) -> bool:
        return True
