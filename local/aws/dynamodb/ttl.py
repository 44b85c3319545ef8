"""DynamoDB's Time to Live, which moto never runs: items whose TTL attribute (epoch seconds) has
passed are deleted, and each deletion's stream record carries the identity DynamoDB's TTL
deletions carry — `{"type": "Service", "principalId": "dynamodb.amazonaws.com"}` — so stream
consumers can tell expiry from a delete. `delay_seconds` imitates TTL's lag (AWS: up to days);
the local cloud keeps it short.

Expired items are found in each table's expiry order (`indexes`), kept as items are
written, never by reading the table; `seconds_until_due` says when the next one expires, so the
local cloud sleeps until then (or until a write changes it).
"""

import time
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.exceptions import ConditionalCheckFailed
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from local.aws.dynamodb import indexes as dynamodb_indexes
from local.aws.dynamodb.moto_patches import DYNAMODB_LOCK
from local.aws.wakeups import as_dynamodb_service


class TtlExpiry:
    def __init__(self, region: str, delay_seconds: float = 0.0) -> None:
        self.region = region
        self.delay_seconds = delay_seconds

    @property
    def backend(self) -> DynamoDBBackend:
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][self.region]

    def sweep(self, now: float | None = None) -> int:
        """Deletes every expired item of every table with TTL on; how many."""
        cutoff = int((time.time() if now is None else now) - self.delay_seconds)
        deleted = 0
        with DYNAMODB_LOCK:
            for table in list(self.backend.tables.values()):
                index = dynamodb_indexes.index_of(table)
                attribute = index.ttl_attribute
                for keys, seen in index.expired(cutoff) if attribute else ():
                    deleted += self._expire(table, attribute, keys, seen)
        return deleted

    def seconds_until_due(self, now: float | None = None) -> float | None:
        """Seconds until the next item expires (after the delay); None if none will."""
        with DYNAMODB_LOCK:
            expiries = [
                dynamodb_indexes.index_of(table).next_expiry()
                for table in list(self.backend.tables.values())
            ]
        found = [e for e in expiries if e is not None]
        if not found:
            return None
        # An item expires once the whole second after its TTL value has begun.
        due = min(found) + 1 + self.delay_seconds
        return max(0.0, due - (time.time() if now is None else now))

    def _expire(self, table: Table, attribute: str, keys: Any, seen: Any) -> int:
        hash_value, range_value = keys
        key = {table.hash_key_attr: hash_value.to_json()}
        if range_value is not None:
            key[table.range_key_attr] = range_value.to_json()
        try:  # only the item as it was found: a rewrite since is not expired
            with as_dynamodb_service():
                self.backend.delete_item(
                    table.name,
                    key,
                    expression_attribute_names={"#ttl": attribute},
                    expression_attribute_values={":seen": seen.to_json()},
                    condition_expression="#ttl = :seen",
                )
        except ConditionalCheckFailed:
            return 0
        return 1
