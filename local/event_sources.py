"""Event source mappings, as Lambda runs them; `poll()` reads and processes once (the local cloud
calls it on a timer).

- Streams: records read from the stream's shards, kept or dropped by the mapping's filter
  criteria (EventBridge patterns, via moto's matcher), batched, and handed to the function;
  partial batch failures retried from the first failed record, a failing batch bisected, retries
  bounded, and what still fails described to the on-failure destination (an SQS queue) in
  Lambda's format.
- Queues: messages received in batches, filtered (on their JSON body), handed to the function;
  what succeeded is deleted, what failed (the batch item failures, or the whole batch on a
  function error) becomes visible again — and the queue's own redrive policy moves a message
  that keeps failing to its dead-letter queue after maxReceiveCount receives.
"""

import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from .lambda_runtime import LambdaRuntime


def filter_patterns(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """A mapping's filter criteria, parsed (none: every record passes)."""
    filters = (inputs.get("filterCriteria") or {}).get("filters") or []
    return [json.loads(f["pattern"]) for f in filters]


@dataclass
class StreamMapping:
    """One mapping from a DynamoDB stream to a function, as its resource declares it."""

    inputs: dict[str, Any]
    """The mapping's recorded inputs (camelCase)."""
    streams: Any
    """A boto3 DynamoDB Streams client."""
    sqs: Any
    """A boto3 SQS client (for the on-failure destination)."""
    lambdas: LambdaRuntime
    _iterators: dict[str, str] = field(default_factory=dict)

    def accepts(self, record: dict[str, Any]) -> bool:
        patterns = filter_patterns(self.inputs)
        return not patterns or any(EventPattern(None, p).matches_event(record) for p in patterns)

    def poll(self) -> int:
        """Processes what the stream holds now; how many records reached the function."""
        arn = self.inputs["eventSourceArn"]
        delivered = 0
        description = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            answer = self.streams.get_records(ShardIterator=iterator)
            self._iterators[shard_id] = answer["NextShardIterator"]
            records = [as_delivered(r, arn) for r in answer["Records"]]
            kept = [r for r in records if self.accepts(r)]
            size = int(self.inputs.get("batchSize") or 100)
            for start in range(0, len(kept), size):
                batch = kept[start : start + size]
                delivered += len(batch)
                self.process(batch, shard_id)
        return delivered

    def process(self, batch: list[dict[str, Any]], shard_id: str) -> None:
        """One batch to its end: done, or described to the on-failure destination."""
        retries = int(self.inputs.get("maximumRetryAttempts", -1))
        bisect = bool(self.inputs.get("bisectBatchOnFunctionError"))
        partial = "ReportBatchItemFailures" in (self.inputs.get("functionResponseTypes") or [])
        pending: deque[tuple[list[dict[str, Any]], int]] = deque([(batch, 0)])
        while pending:
            records, attempt = pending.popleft()
            records = self._fresh(records, shard_id)
            if not records:
                continue
            error, response = self._invoke(records)
            if error is None and partial and (response or {}).get("batchItemFailures"):
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
                first = next(
                    i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed
                )
                retry = records[first:]
            elif error is not None:
                retry = records
            else:
                continue
            if 0 <= retries <= attempt:
                self._give_up(retry, shard_id, attempt + 1, "RetryAttemptsExhausted", error)
            elif error is not None and bisect and len(retry) > 1:
                middle = len(retry) // 2
                pending.appendleft((retry[middle:], attempt + 1))
                pending.appendleft((retry[:middle], attempt + 1))
            else:
                pending.appendleft((retry, attempt + 1))

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[str | None, dict[str, Any] | None]:
        invocation = self.lambdas.invoke(
            self.inputs["functionName"], json.dumps({"Records": records})
        )
        payload = json.loads(invocation.payload or b"null")
        return invocation.function_error, payload if isinstance(payload, dict) else None

    def _fresh(self, records: list[dict[str, Any]], shard_id: str) -> list[dict[str, Any]]:
        """Records within the maximum record age; older ones go to the destination."""
        maximum = self.inputs.get("maximumRecordAgeInSeconds")
        if not maximum or maximum < 0:
            return records
        now = time.time()
        stale = [r for r in records if now - r["dynamodb"]["ApproximateCreationDateTime"] > maximum]
        if stale:
            self._give_up(stale, shard_id, 0, "RecordAgeExceeded", None)
        return [r for r in records if r not in stale]

    def _give_up(
        self,
        records: list[dict[str, Any]],
        shard_id: str,
        invocations: int,
        condition: str,
        error: str | None,
    ) -> None:
        destination = ((self.inputs.get("destinationConfig") or {}).get("onFailure") or {}).get(
            "destinationArn"
        )
        if not destination:
            return  # Lambda drops them too
        queue_url = self.sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
        arrivals = [r["dynamodb"]["ApproximateCreationDateTime"] for r in records]
        self.sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(
                {
                    "requestContext": {
                        "requestId": str(uuid.uuid4()),
                        "functionArn": self.inputs["functionName"],
                        "condition": condition,
                        "approximateInvokeCount": invocations,
                    },
                    "responseContext": {
                        "statusCode": 200,
                        "executedVersion": "$LATEST",
                        "functionError": error or "",
                    },
                    "version": "1.0",
                    "timestamp": datetime.now(UTC).isoformat(),
                    "DDBStreamBatchInfo": {
                        "shardId": shard_id,
                        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                        "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
                        "approximateArrivalOfLastRecord": _iso(max(arrivals)),
                        "batchSize": len(records),
                        "streamArn": self.inputs["eventSourceArn"],
                    },
                }
            ),
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def as_delivered(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as a mapping hands it to a function (times as epoch seconds)."""
    delivered = json.loads(json.dumps(record, default=lambda value: value.timestamp()))
    delivered["eventSourceARN"] = stream_arn
    identity = delivered.get("userIdentity")
    if identity:  # GetRecords' PrincipalId/Type are principalId/type in Lambda's events
        delivered["userIdentity"] = {k[0].lower() + k[1:]: v for k, v in identity.items()}
    return delivered


@dataclass
class QueueMapping:
    """One mapping from an SQS queue to a function."""

    inputs: dict[str, Any]
    sqs: Any
    lambdas: LambdaRuntime
    retry_after_seconds: int = 0
    """How long a failed message stays invisible (Lambda: the queue's visibility timeout)."""

    def poll(self) -> int:
        """One receive and its processing; how many messages reached the function."""
        arn = self.inputs["eventSourceArn"]
        queue_url = self.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        size = min(int(self.inputs.get("batchSize") or 10), 10)
        messages = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=size, AttributeNames=["All"]
        ).get("Messages", [])
        records = [_sqs_record(message, arn) for message in messages]
        patterns = filter_patterns(self.inputs)
        kept = [r for r in records if not patterns or any(_matches(p, r) for p in patterns)]
        done = [r for r in records if r not in kept]  # filtered out: Lambda deletes them
        failed: list[dict[str, Any]] = []
        if kept:
            invocation = self.lambdas.invoke(
                self.inputs["functionName"], json.dumps({"Records": kept})
            )
            payload = json.loads(invocation.payload or b"null")
            partial = "ReportBatchItemFailures" in (self.inputs.get("functionResponseTypes") or [])
            if invocation.function_error:
                failed = kept
            elif partial and isinstance(payload, dict) and payload.get("batchItemFailures"):
                ids = {f["itemIdentifier"] for f in payload["batchItemFailures"]}
                failed = [r for r in kept if r["messageId"] in ids]
            done += [r for r in kept if r not in failed]
        for record in done:
            self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
        for record in failed:
            self.sqs.change_message_visibility(
                QueueUrl=queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=self.retry_after_seconds,
            )
        return len(kept)


def _matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """SQS filters see the body as JSON when it is JSON."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        body = record["body"]
    return EventPattern(None, pattern).matches_event({**record, "body": body})


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }
