"""DynamoDB's Time to Live, which moto never runs: items whose TTL attribute (epoch seconds) has
passed are deleted, and each deletion's stream record carries the identity DynamoDB's TTL
deletions carry — `{"type": "Service", "principalId": "dynamodb.amazonaws.com"}` — so stream
consumers can tell expiry from a delete. `delay_seconds` imitates TTL's lag (AWS: up to days);
the local cloud keeps it short.

This reads whole tables: it stands in for DynamoDB's own background process, not for an access
pattern of any application.
"""

import time
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

TTL_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
"""As GetRecords returns it; Lambda hands it to functions as `type` / `principalId`."""


class TtlExpiry:
    def __init__(self, client: Any, region: str, delay_seconds: float = 0.0) -> None:
        self.client = client
        self.region = region
        self.delay_seconds = delay_seconds

    def sweep(self, now: float | None = None) -> int:
        """Deletes every expired item of every table with TTL on; how many."""
        cutoff = (time.time() if now is None else now) - self.delay_seconds
        deleted = 0
        for name in self.client.list_tables()["TableNames"]:
            ttl = self.client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            attribute = ttl["AttributeName"]
            for item in self._expired(name, attribute, cutoff):
                deleted += self._expire(name, item, attribute)
        return deleted

    def _expired(self, table: str, attribute: str, cutoff: float) -> list[dict[str, Any]]:
        found, start = [], None
        while True:
            page = self.client.scan(
                TableName=table,
                FilterExpression="#ttl < :cutoff",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":cutoff": {"N": str(Decimal(int(cutoff)))}},
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def _expire(self, table: str, item: dict[str, Any], attribute: str) -> int:
        key = self._key(table, item)
        try:  # only the item as it was found: a rewrite since is not expired
            self.client.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="#ttl = :seen",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":seen": item[attribute]},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return 0
            raise
        self._mark_removal(table, key)
        return 1

    def _key(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        schema = self.client.describe_table(TableName=table)["Table"]["KeySchema"]
        return {k["AttributeName"]: item[k["AttributeName"]] for k in schema}

    def _mark_removal(self, table: str, key: dict[str, Any]) -> None:
        """The newest REMOVE record of that key becomes a TTL removal."""
        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][self.region].get_table(table).stream_shard
        if shard is None:
            return
        for stream_record in reversed(shard.items):
            record = stream_record.record
            if record["eventName"] == "REMOVE" and record["dynamodb"]["Keys"] == key:
                record["userIdentity"] = dict(TTL_IDENTITY)
                return
