"""A DynamoDB stream read as Lambda's event source mapping reads it: inside the service.

Lambda's poller is part of AWS, so it does not pay for the public API the way a client does.
Going through GetRecords in-process cost a booking more than a millisecond on each read, for
botocore's request, moto's dispatch, and a copy of every record. moto also keeps every shard
iterator it hands out, for good, and a mapping that reads on every write would hand out two per
write. This reader takes the records after a sequence number straight from moto's shard, under
the lock its writers hold (so it never sees a record of a transaction that is then cancelled),
and gives each one as Lambda hands it to a function.
"""

import json
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard

from local.aws.dynamodb.moto_patches import DYNAMODB_LOCK


class StreamGone(LookupError):
    """The stream, or the shard, no longer exists (its table was deleted or replaced)."""


class StreamReader:
    """The records of a stream's shards, read in-process from moto's DynamoDB."""

    def shard_ids(self, stream_arn: str) -> list[str]:
        with DYNAMODB_LOCK:
            shard = _shard(stream_arn)
            return [shard.id] if shard is not None else []

    def records_after(
        self, stream_arn: str, shard_id: str, sequence_number: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` records after `sequence_number` (None: from the oldest), each as a
        Lambda event record."""
        with DYNAMODB_LOCK:
            shard = _shard(stream_arn)
            if shard is None or shard.id != shard_id:
                raise StreamGone(f"{stream_arn} has no shard {shard_id}")
            first = shard.starting_sequence_number
            if sequence_number is not None:
                first = max(first, int(sequence_number) + 1)
            return [as_delivered(record, stream_arn) for record in shard.get(first, limit)]


def _shard(stream_arn: str) -> StreamShard | None:
    """`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`: its table's shard, if
    that table still has this stream."""
    parts = stream_arn.split(":", 5)
    if len(parts) < 6 or "/stream/" not in parts[5]:
        return None
    table_name, _, label = parts[5].removeprefix("table/").partition("/stream/")
    table = dynamodb_backends[parts[4]][parts[3]].tables.get(table_name)
    if table is None or table.latest_stream_label != label:
        return None
    return table.stream_shard


def as_delivered(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record as moto keeps it, as Lambda hands it to a function: a copy, its time in epoch
    seconds to the millisecond (as the service gives it), and its `userIdentity` keys in the
    event's spelling."""
    delivered = json.loads(json.dumps(record, default=_epoch_seconds))
    delivered["eventSourceARN"] = stream_arn
    identity = delivered.get("userIdentity")
    if identity:  # GetRecords' PrincipalId/Type are principalId/type in Lambda's events
        delivered["userIdentity"] = {k[0].lower() + k[1:]: v for k, v in identity.items()}
    return delivered


def _epoch_seconds(moment: datetime) -> float:
    if moment.tzinfo is None:  # moto keeps UTC without saying so
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000) / 1000
