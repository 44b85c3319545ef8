"""Event source mappings, as Lambda runs them. `poll()` reads and processes what the source holds
now; `pump()` does the same once a batch is full or the mapping's batching window has passed
(else it says how long to wait). The local cloud calls `pump` when a write wakes the mapping.

- Streams: records read from the stream's shards, kept or dropped by the mapping's filter
  criteria (EventBridge patterns, via moto's matcher), batched, and handed to the function;
  partial batch failures retried from the first failed record, a failing batch bisected, retries
  bounded, and what still fails described to the on-failure destination (an SQS queue) in
  Lambda's format. The mapping's place in each shard moves past a batch only once that batch is
  done (delivered, or described to the destination): an error while processing loses nothing,
  and the batch is read again. A response naming a record that is not in the batch fails the
  whole batch, as Lambda treats it.
- Queues: messages received in batches, filtered (on their JSON body), handed to the function;
  what succeeded is deleted, what failed (the batch item failures, or the whole batch on a
  function error) becomes visible again — and the queue's own redrive policy moves a message
  that keeps failing to its dead-letter queue after maxReceiveCount receives.
"""

import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.dynamodb.stream_reader import StreamReader

GET_RECORDS_LIMIT = 1000
INVALID_RESPONSE = "InvalidBatchItemFailures"
"""The function error a response naming records outside its batch counts as."""
Backoff = Callable[[int], bool]
"""Waits before retry number n (from 1); False: stop retrying (the cloud is stopping)."""


def no_backoff(_attempt: int) -> bool:
    return True


def filter_patterns(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """A mapping's filter criteria, parsed (none: every record passes)."""
    filters = (inputs.get("filterCriteria") or {}).get("filters") or []
    return [json.loads(f["pattern"]) for f in filters]


@dataclass
class Gathering:
    """A batching window: when the mapping first saw records it has not delivered yet."""

    window_seconds: float
    since: float | None = None

    def wait(self, waiting: int, batch_size: int) -> float | None:
        """Seconds still to gather `waiting` records before delivering; None: deliver now."""
        if waiting == 0:
            self.since = None
            return None
        if self.window_seconds <= 0 or waiting >= batch_size:
            return None
        now = time.monotonic()
        if self.since is None:
            self.since = now
        remaining = self.since + self.window_seconds - now
        return remaining if remaining > 0 else None

    def delivered(self) -> None:
        self.since = None


@dataclass
class StreamMapping:
    """One mapping from a DynamoDB stream to a function, as its resource declares it."""

    inputs: dict[str, Any]
    """The mapping's recorded inputs (camelCase)."""
    streams: StreamReader
    sqs: Any
    """A boto3 SQS client (for the on-failure destination)."""
    lambdas: LambdaRuntime
    backoff: Backoff = no_backoff
    checkpoints: dict[str, str] = field(default_factory=dict)
    """Shard → the sequence number of the last record done with (give a previous run's to
    resume after it)."""
    _shards: list[str] = field(default_factory=list)
    _gathering: Gathering = field(init=False)
    _judged: dict[str, bool] = field(default_factory=dict)
    """eventID → whether the filters accept it, for the records read but not yet done with: a
    batching window looks at the same records at every wake."""

    def __post_init__(self) -> None:
        self._gathering = Gathering(float(self.inputs.get("maximumBatchingWindowInSeconds") or 0))
        self._patterns = [EventPattern(None, p) for p in filter_patterns(self.inputs)]

    @property
    def batch_size(self) -> int:
        return int(self.inputs.get("batchSize") or 100)

    def accepts(self, record: dict[str, Any]) -> bool:
        if not self._patterns:
            return True
        judged = self._judged.get(record["eventID"])
        if judged is None:
            judged = self._judged[record["eventID"]] = _matches_any(self._patterns, record)
        return judged

    def poll(self) -> int:
        """Processes what the stream holds now; how many records reached the function."""
        delivered = sum(self._drain(shard_id) for shard_id in self._shard_ids())
        self._judged.clear()  # every record read has been checkpointed
        return delivered

    def pump(self) -> float | None:
        """`poll`, once a batch is full or the batching window has passed; else the seconds to
        wait for it."""
        if self._gathering.window_seconds <= 0:
            self.poll()
            return None
        waiting = sum(
            len([r for r in self._read(shard_id) if self.accepts(r)])
            for shard_id in self._shard_ids()
        )
        wait = self._gathering.wait(waiting, self.batch_size)
        if wait is None and waiting:
            self.poll()
            self._gathering.delivered()
        return wait

    def _shard_ids(self) -> list[str]:
        if not self._shards:
            self._shards = self.streams.shard_ids(self.inputs["eventSourceArn"])
        return self._shards

    def _read(self, shard_id: str) -> list[dict[str, Any]]:
        """The records after the checkpoint, up to GetRecords' limit."""
        return self.streams.records_after(
            self.inputs["eventSourceArn"],
            shard_id,
            self.checkpoints.get(shard_id),
            GET_RECORDS_LIMIT,
        )

    def _drain(self, shard_id: str) -> int:
        """Delivers the shard's records in batches, each checkpointed once done."""
        delivered = 0
        while True:
            records = self._read(shard_id)
            batch: list[dict[str, Any]] = []
            for record in records:
                if self.accepts(record):
                    batch.append(record)
                if len(batch) == self.batch_size:
                    self.process(batch, shard_id)
                    delivered += len(batch)
                    batch = []
                    self._checkpoint(shard_id, record)
            if batch:
                self.process(batch, shard_id)
                delivered += len(batch)
            if records:
                self._checkpoint(shard_id, records[-1])
            if len(records) < GET_RECORDS_LIMIT:
                return delivered

    def _checkpoint(self, shard_id: str, record: dict[str, Any]) -> None:
        self.checkpoints[shard_id] = record["dynamodb"]["SequenceNumber"]

    def process(self, batch: list[dict[str, Any]], shard_id: str) -> None:
        """One batch to its end: done, or described to the on-failure destination."""
        retries = int(self.inputs.get("maximumRetryAttempts", -1))
        bisect = bool(self.inputs.get("bisectBatchOnFunctionError"))
        partial = "ReportBatchItemFailures" in (self.inputs.get("functionResponseTypes") or [])
        pending: deque[tuple[list[dict[str, Any]], int]] = deque([(batch, 0)])
        while pending:
            records, attempt = pending.popleft()
            if attempt and not self.backoff(attempt):
                raise InterruptedError("the mapping stopped while retrying a batch")
            records = self._fresh(records, shard_id)
            if not records:
                continue
            error, response = self._invoke(records)
            failed = (response or {}).get("batchItemFailures") if partial else None
            if error is None and failed:
                retry = _from_first_failure(records, failed)
                if retry is None:  # a failure that names no record of the batch
                    error, retry = INVALID_RESPONSE, records
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
        table = self.inputs["eventSourceArn"].split("/")[1]
        invocation = self.lambdas.invoke(
            self.inputs["functionName"], json.dumps({"Records": records}), f"stream of {table}"
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


def _from_first_failure(
    records: list[dict[str, Any]], failures: Any
) -> list[dict[str, Any]] | None:
    """The records from the first one reported failed on; None if a report names no record of
    the batch (or is malformed)."""
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    try:
        failed = {f["itemIdentifier"] for f in failures}
    except (KeyError, TypeError):
        return None
    if not failed <= set(sequence_numbers):
        return None
    first = min(sequence_numbers.index(number) for number in failed)
    return records[first:]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


@dataclass
class QueueMapping:
    """One mapping from an SQS queue to a function."""

    inputs: dict[str, Any]
    sqs: Any
    lambdas: LambdaRuntime
    retry_after_seconds: int | None = None
    """How long a failed message stays invisible; None: the queue's visibility timeout, as
    Lambda leaves it."""

    def __post_init__(self) -> None:
        self._gathering = Gathering(float(self.inputs.get("maximumBatchingWindowInSeconds") or 0))
        self._queue_url: str | None = None

    @property
    def batch_size(self) -> int:
        return min(int(self.inputs.get("batchSize") or 10), 10)

    @property
    def queue_url(self) -> str:
        if self._queue_url is None:
            name = self.inputs["eventSourceArn"].rsplit(":", 1)[-1]
            self._queue_url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._queue_url

    def pump(self) -> float | None:
        """Receives and processes until the queue shows nothing, once a batch is full or the
        batching window has passed; else the seconds to wait for it."""
        if self._gathering.window_seconds > 0:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            waiting = int(attributes["ApproximateNumberOfMessages"])
            wait = self._gathering.wait(waiting, self.batch_size)
            if wait is not None:
                return wait
        while self._receive()[0]:
            pass
        self._gathering.delivered()
        return None

    def poll(self) -> int:
        """One receive and its processing; how many messages reached the function."""
        return self._receive()[1]

    def _receive(self) -> tuple[int, int]:
        """(messages received, messages that reached the function)."""
        arn = self.inputs["eventSourceArn"]
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, AttributeNames=["All"]
        ).get("Messages", [])
        records = [_sqs_record(message, arn) for message in messages]
        patterns = filter_patterns(self.inputs)
        kept = [r for r in records if not patterns or any(_matches(p, r) for p in patterns)]
        done = [r for r in records if r not in kept]  # filtered out: Lambda deletes them
        failed: list[dict[str, Any]] = []
        if kept:
            invocation = self.lambdas.invoke(
                self.inputs["functionName"],
                json.dumps({"Records": kept}),
                f"queue {arn.rsplit(':', 1)[-1]}",
            )
            payload = json.loads(invocation.payload or b"null")
            partial = "ReportBatchItemFailures" in (self.inputs.get("functionResponseTypes") or [])
            if invocation.function_error:
                failed = kept
            elif partial and isinstance(payload, dict) and payload.get("batchItemFailures"):
                failed = _failed_messages(kept, payload["batchItemFailures"])
            done += [r for r in kept if r not in failed]
        for record in done:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
        for record in failed if self.retry_after_seconds is not None else ():
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=self.retry_after_seconds,
            )
        return len(records), len(kept)


def _failed_messages(kept: list[dict[str, Any]], failures: Any) -> list[dict[str, Any]]:
    """The messages a partial batch response names; all of them if it names one that is not
    in the batch (Lambda counts an invalid response as the whole batch failing)."""
    ids = {r["messageId"] for r in kept}
    try:
        failed = {f["itemIdentifier"] for f in failures}
    except (KeyError, TypeError):
        return kept
    return kept if not failed <= ids else [r for r in kept if r["messageId"] in failed]


def _matches_any(patterns: list[EventPattern], record: dict[str, Any]) -> bool:
    """`EventPattern.matches_event` for several patterns, with the record flattened once (moto
    flattens it for each pattern, and a stream record is most of the cost), and not first
    copied through JSON as moto copies an event: a delivered record is JSON already, and
    flattening only reads it."""
    flat = EventPattern._flatten_dict(record)
    return any(p._does_event_match(flat, p.get_pattern()) for p in patterns)


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
