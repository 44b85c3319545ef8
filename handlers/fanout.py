"""The realtime fan-out: the table's stream (filtered to slot and booking changes and TTL
removals of hold markers) → `publishSlotUpdate` for every slot whose status changed,
`publishBookingUpdate` for every booking whose status changed, and the release of holds whose
marker DynamoDB's TTL removed.

Powertools batch processing reports each failed record as a batch item failure, so the event
source mapping retries (bisecting) only what failed. Every step is idempotent: a redelivered
batch republishes the same state, and a release only acts on a slot still held by its booking.
"""

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

from api_publisher import ApiPublisher
from domain.entities import Booking, Hold, Slot
from domain.holds import HoldReleaser
from domain.instants import now
from domain.keys import BOOKING_PREFIX, HOLD_PREFIX, META, SLOT_PREFIX
from domain.layout import PK, SK

TTL_PRINCIPAL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
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


@tracer.capture_method
def handle_record(record: DynamoDBRecord) -> None:
    if is_slot_status_change(record):
        slot = Slot.from_item(record.dynamodb.new_image)
        publisher.slot(slot)
        metrics.add_metric(name="SlotUpdatesPublished", unit=MetricUnit.Count, value=1)
        logger.info("published", extra={"slot": slot.slot_id, "status": slot.status})
    elif is_booking_status_change(record):
        booking = Booking.from_item(record.dynamodb.new_image)
        publisher.booking(booking)
        metrics.add_metric(name="BookingUpdatesPublished", unit=MetricUnit.Count, value=1)
        logger.info("published", extra={"booking": booking.booking_id, "status": booking.status})
    elif is_expired_hold(record):
        hold = Hold.from_item(record.dynamodb.old_image)
        release = releaser.release(hold, int(now().timestamp()), delete_marker=False)
        metrics.add_metric(name="ExpiredHoldsReleased", unit=MetricUnit.Count, value=1)
        logger.info("released", extra={"booking": hold.booking_id, **asdict(release)})
    elif is_slot(record) or is_booking(record):
        logger.debug("changed without a status change", extra={"keys": record.dynamodb.keys})
    else:
        raise UnexpectedRecord(f"{record.event_name} of {record.dynamodb.keys}")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
