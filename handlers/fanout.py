"""The realtime fan-out: the table's stream (filtered to slot and booking changes and TTL
removals of hold markers) → `publishSlotUpdate` for every slot whose status changed,
`publishBookingUpdate` for every booking whose status changed, and the release of holds whose
marker DynamoDB's TTL removed.

The batch's updates are published first, all in one signed request; then Powertools batch
processing goes through the records, reporting each failed one (a refused update, a malformed
item, an unexpected record) as a batch item failure, so the event source mapping retries
(bisecting) only what failed. Every step is idempotent: a redelivered
batch republishes the same state, and a release only acts on a slot still held by its booking.
"""

import functools
import os
from dataclasses import asdict
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from api_publisher import ApiPublisher, PublishFailed, Update
from domain import business_metrics
from domain.entities import Booking, Hold, Slot
from domain.errors import MalformedItem
from domain.holds import HoldReleaser
from domain.instants import now
from domain.keys import BOOKING_PREFIX, HOLD_PREFIX, META, SLOT_PREFIX
from domain.layout import PK, SK

TTL_PRINCIPAL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
TABLE_NAME = os.environ["TABLE_NAME"]
table = boto3.resource("dynamodb").Table(TABLE_NAME)
business = business_metrics.publisher(TABLE_NAME)
releaser = HoldReleaser(table)
publisher = ApiPublisher(
    os.environ["GRAPHQL_URL"], os.environ["AWS_REGION"], boto3.Session().get_credentials()
)


class UnexpectedRecord(Exception):
    """A record the stream's filter should not have let through; it goes to the DLQ."""


def is_slot(record: DynamoDBRecord) -> bool:
    return str(record.dynamodb.keys.get(SK, "")).startswith(SLOT_PREFIX)


def is_booking(record: DynamoDBRecord) -> bool:
    keys = record.dynamodb.keys
    return str(keys.get(PK, "")).startswith(BOOKING_PREFIX) and keys.get(SK) == META


def is_slot_status_change(record: DynamoDBRecord) -> bool:
    return is_slot(record) and _status_changed(record)


def is_booking_status_change(record: DynamoDBRecord) -> bool:
    return is_booking(record) and _status_changed(record)


def _status_changed(record: DynamoDBRecord) -> bool:
    if record.event_name == DynamoDBRecordEventName.INSERT:
        return True
    if record.event_name == DynamoDBRecordEventName.MODIFY:
        return record.dynamodb.old_image.get("status") != record.dynamodb.new_image.get("status")
    return False


def is_expired_hold(record: DynamoDBRecord) -> bool:
    """A hold marker deleted by TTL (not by the saga or the sweeper, which act for themselves)."""
    identity = record.user_identity or {}
    return (
        record.event_name == DynamoDBRecordEventName.REMOVE
        and str(record.dynamodb.keys.get(PK, "")).startswith(HOLD_PREFIX)
        and {key: identity.get(key) for key in TTL_PRINCIPAL} == TTL_PRINCIPAL
    )


def update_of(record: DynamoDBRecord) -> Update | None:
    """The state to publish for a record: a slot's or a booking's new status, if it changed."""
    if is_slot_status_change(record):
        return Slot.from_item(record.dynamodb.new_image)
    if is_booking_status_change(record):
        return Booking.from_item(record.dynamodb.new_image)
    return None


def publish_updates(records: list[Any]) -> tuple[dict[str, Update], dict[str, Exception]]:
    """Publishes every update of the batch in one go: (sequence number → the update published,
    sequence number → why its record fails)."""
    updates: dict[str, Update] = {}
    failures: dict[str, Exception] = {}
    for raw in records:
        if not isinstance(raw, dict):
            continue  # the batch processor reports it
        record = DynamoDBRecord(raw)
        try:
            update = update_of(record)
        except (MalformedItem, KeyError, TypeError, ValueError) as error:
            failures[record.dynamodb.sequence_number] = error
            continue
        if update is not None:
            updates[record.dynamodb.sequence_number] = update
    refusals = publisher.publish(list(updates.values())) if updates else []
    for sequence, refusal in zip(list(updates), refusals, strict=True):
        if refusal is not None:
            failures[sequence] = PublishFailed(refusal)
            del updates[sequence]
    return updates, failures


@tracer.capture_method
def handle_record(
    record: DynamoDBRecord, published: dict[str, Update], failures: dict[str, Exception]
) -> None:
    sequence = record.dynamodb.sequence_number
    if sequence in failures:
        raise failures[sequence]
    if sequence in published:
        update = published[sequence]
        previous = record.dynamodb.old_image.get("status") if record.dynamodb.old_image else None
        for name in business_metrics.counted(update, previous):
            business.add_metric(name=name, unit=MetricUnit.Count, value=1)
        if isinstance(update, Slot):
            metrics.add_metric(name="SlotUpdatesPublished", unit=MetricUnit.Count, value=1)
            logger.info("published", extra={"slot": update.slot_id, "status": update.status})
        else:
            metrics.add_metric(name="BookingUpdatesPublished", unit=MetricUnit.Count, value=1)
            logger.info("published", extra={"booking": update.booking_id, "status": update.status})
    elif is_expired_hold(record):
        hold = Hold.from_item(record.dynamodb.old_image)
        release = releaser.release(hold, int(now().timestamp()), delete_marker=False)
        metrics.add_metric(name="ExpiredHoldsReleased", unit=MetricUnit.Count, value=1)
        business.add_metric(name=business_metrics.HOLDS_RELEASED, unit=MetricUnit.Count, value=1)
        logger.info("released", extra={"booking": hold.booking_id, **asdict(release)})
    elif is_slot(record) or is_booking(record):
        logger.debug("changed without a status change", extra={"keys": record.dynamodb.keys})
    else:
        raise UnexpectedRecord(f"{record.event_name} of {record.dynamodb.keys}")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@business.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") if isinstance(event, dict) else None
    published, failures = publish_updates(records if isinstance(records, list) else [])
    return process_partial_response(
        event=event,
        record_handler=functools.partial(handle_record, published=published, failures=failures),
        processor=processor,
        context=context,
    )
