"""The booking queue's worker: each message is one request `requestBooking` recorded, run to its
end by the booking saga itself (StartSyncExecution of the state machine `bookSlot` runs).

Message (from the request workflow)::

    {"bookingId", "userSub", "venueId", "slotId", "clientToken", "failPayment": bool,
     "requestedAt", "correlationId"}

A booked slot and a declined payment, a slot taken or gone, are results: the saga has written
them to the booking, and the message is done. A failing or throttled saga call, or an outcome
the saga did not decide (a timeout, an internal error), is a batch item failure: the queue
delivers the message again, up to its `maxReceiveCount`, then to the dead-letter queue; so is a
message that is not a booking request. A redelivery runs the saga again with the same token, so
it finds the booking instead of booking or charging twice.

Every log line carries the request's correlation id, and the saga's execution is named after it
(so are the payment function's log lines).
"""

import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.instants import parse_instant
from domain.keys import ID_PATTERN, SLOT_ID_PATTERN, SUB_PATTERN
from domain.layout import MODEL

BOOKING_ID_PATTERN = r"^[0-9a-f]{64}$"
"""The saga derives a requested booking's id as the hex SHA-256 of (user, client token)."""
SAGA_RESULTS = frozenset(
    MODEL["errors"][name]
    for name in ("slotUnavailable", "paymentDeclined", "holdExpired", "notFound", "validation")
)
"""Failures the saga decided and wrote to the booking: final, never retried."""
SUCCEEDED = "SUCCEEDED"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
states = boto3.client("stepfunctions")
STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]


class MalformedRequest(Exception):
    """The message is not a booking request; it goes to the dead-letter queue in the end."""


class SagaNotFinished(Exception):
    """The saga could not be run to a result; the queue delivers the message again."""


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    booking_id: str = Field(alias="bookingId", pattern=BOOKING_ID_PATTERN)
    user_sub: str = Field(alias="userSub", pattern=SUB_PATTERN.pattern)
    venue_id: str = Field(alias="venueId", pattern=ID_PATTERN.pattern)
    slot_id: str = Field(alias="slotId", pattern=SLOT_ID_PATTERN.pattern)
    client_token: str = Field(alias="clientToken", pattern=ID_PATTERN.pattern)
    fail_payment: bool = Field(alias="failPayment")
    requested_at: str = Field(alias="requestedAt", max_length=40)
    correlation_id: str = Field(alias="correlationId", pattern=ID_PATTERN.pattern)


def parse_request(body: str) -> BookingRequest:
    try:
        request = BookingRequest.model_validate_json(body)
        parse_instant(request.requested_at, "requestedAt")
    except (ValidationError, ValueError) as error:
        raise MalformedRequest(f"not a booking request: {error}") from None
    return request


def saga_input(request: BookingRequest, at: datetime) -> dict[str, Any]:
    return {
        "userSub": request.user_sub,
        "venueId": request.venue_id,
        "slotId": request.slot_id,
        "clientToken": request.client_token,
        "failPayment": request.fail_payment,
        "requestedAt": request.requested_at,
        "now": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "nowEpoch": int(at.timestamp()),
    }


@tracer.capture_method
def handle_record(record: SQSRecord) -> str:
    logger.set_correlation_id(None)
    logger.remove_keys(["booking_id"])
    request = parse_request(record.body)
    logger.set_correlation_id(request.correlation_id)
    logger.append_keys(booking_id=request.booking_id)
    try:
        outcome = states.start_sync_execution(
            stateMachineArn=STATE_MACHINE_ARN,
            name=request.correlation_id,
            input=json.dumps(saga_input(request, datetime.now(UTC))),
        )
    except (ClientError, BotoCoreError) as error:
        raise SagaNotFinished(f"the booking saga could not be started: {error}") from error
    status, error = outcome["status"], outcome.get("error")
    if status == SUCCEEDED:
        metrics.add_metric(name="RequestsBooked", unit=MetricUnit.Count, value=1)
        logger.info("booked", extra={"execution": outcome["executionArn"]})
        return SUCCEEDED
    if error in SAGA_RESULTS:
        metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
        logger.info("refused", extra={"error": error, "cause": outcome.get("cause")})
        return error
    raise SagaNotFinished(f"the booking saga ended {status}: {error} {outcome.get('cause')}")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
