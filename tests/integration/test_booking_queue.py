"""requestBooking's path through the queue, on the dev stack provisioned into moto: the request
workflow records and queues, the worker books with the saga itself; declines, lost races, the
same token twice, redeliveries, poison messages and a failing saga each end where they should."""

import json
import logging
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from domain import keys
from local.aws.stepfunctions import sync_executions as stepfunctions
from queue_harness import body

QUEUED_AT = "queuedAt"
SERVICES = ("requests-worker", "booking-payment")


def requested(queued, slot, user, token, **extra) -> dict:
    outcome = queued.request(slot, user, token, **extra)
    assert outcome["status"] == "SUCCEEDED", outcome
    return outcome["output"]


def test_a_request_is_recorded_pending_queued_once_and_booked_by_the_worker(queued):
    slot = queued.put_slot()
    booking = requested(queued, slot, "ann", "t1")
    assert booking["status"] == "PENDING" and booking["slotId"] == slot.slot_id
    record = queued.booking(booking["bookingId"])
    assert record["status"] == "PENDING" and QUEUED_AT in record
    assert record["correlationId"] == "corr-t1"
    [ref, lock] = sorted(queued.user_items("ann"), key=lambda i: i["sk"])
    assert ref["sk"].startswith(keys.BOOKING_PREFIX) and lock["sk"].startswith("REQUEST#")
    [message] = queued.messages(queued.queue_url)
    assert body(message)["bookingId"] == booking["bookingId"]
    assert message["MessageAttributes"]["correlationId"]["StringValue"] == "corr-t1"
    queued.sqs.change_message_visibility(
        QueueUrl=queued.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )

    assert queued.drain() == 1
    done = queued.booking(booking["bookingId"])
    assert done["status"] == "CONFIRMED" and QUEUED_AT not in done
    assert done["createdAt"] == record["createdAt"]  # the request's time, kept
    [ref_after] = queued.user_items("ann")  # one ref; the lock is gone
    assert ref_after["bookingId"] == booking["bookingId"]
    assert queued.waiting() == 0 and queued.waiting(queued.dlq_url) == 0
    assert len(queued.items(f"{keys.PAYMENT_PREFIX}{booking['bookingId']}")) == 1


def test_a_declined_payment_is_a_result_not_a_retry(queued):
    slot = queued.put_slot()
    booking = requested(queued, slot, "bea", "t1", failPayment=True)
    assert queued.drain() == 1  # delivered once, never again
    done = queued.booking(booking["bookingId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "PaymentDeclined")
    slot_now = queued.table.get_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))["Item"]
    assert slot_now["status"] == "OPEN"
    assert [i["sk"].split("#")[0] for i in queued.user_items("bea")] == ["BOOKING"]
    assert queued.waiting() == 0 and queued.waiting(queued.dlq_url) == 0


def test_the_same_token_twice_is_one_booking_and_one_message(queued):
    slot = queued.put_slot()
    first = requested(queued, slot, "cal", "t1")
    again = requested(queued, slot, "cal", "t1")
    assert again["bookingId"] == first["bookingId"] and again["status"] == "PENDING"
    assert queued.waiting() == 1
    queued.drain()
    assert requested(queued, slot, "cal", "t1")["status"] == "CONFIRMED"
    assert queued.waiting() == 0


def test_another_token_while_pending_is_refused_and_writes_nothing(queued):
    slot = queued.put_slot()
    requested(queued, slot, "dee", "t1")
    before = queued.table.scan()["Items"]
    refused = queued.request(slot, "dee", "t2")
    assert (refused["status"], refused["error"]) == ("FAILED", "RequestPending")
    assert queued.table.scan()["Items"] == before
    assert queued.waiting() == 1
    assert requested(queued, queued.put_slot(), "dee", "t3")["status"] == "PENDING"  # other slot
    queued.drain()
    assert requested(queued, slot, "dee", "t4")["status"] == "PENDING"  # no longer pending


def test_a_token_used_for_another_slot_is_a_validation_error(queued):
    requested(queued, queued.put_slot(), "eve", "t1")
    reused = queued.request(queued.put_slot(), "eve", "t1")
    assert (reused["status"], reused["error"]) == ("FAILED", "ValidationError")


@pytest.mark.parametrize(
    ("starts_in", "slot_id", "error"),
    [
        (timedelta(hours=-1), None, "SlotUnavailable"),  # already started
        (timedelta(days=1), "20990101T000000Z-abcdef12", "NotFound"),
    ],
)
def test_a_past_or_unknown_slot_is_refused_and_nothing_is_queued(queued, starts_in, slot_id, error):
    slot = queued.put_slot(starts_in=starts_in)
    if slot_id is not None:
        slot = slot.__class__(**{**slot.__dict__, "slot_id": slot_id})
    before = queued.table.scan()["Items"]
    outcome = queued.request(slot, "fay", "t1")
    assert (outcome["status"], outcome["error"]) == ("FAILED", error)
    assert queued.table.scan()["Items"] == before and queued.waiting() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"clientToken": None},
        {"failPayment": "yes"},
        {"correlationId": 7},
        {"nowEpoch": "now"},
    ],
)
def test_malformed_input_is_a_validation_error_and_writes_nothing(queued, change):
    slot = queued.put_slot()
    before = queued.table.scan()["Items"]
    payload = {k: v for k, v in change.items() if v is not None}
    outcome = queued.request(slot, "gus", "t1", **payload) if payload else None
    if outcome is None:  # a missing token
        outcome = stepfunctions.start_sync_execution(
            queued.deployment.outputs["requestStateMachineArn"],
            {"userSub": "gus", "venueId": "v1", "slotId": slot.slot_id, "failPayment": False},
        )
    assert (outcome["status"], outcome["error"]) == ("FAILED", "ValidationError")
    assert queued.table.scan()["Items"] == before and queued.waiting() == 0


def test_a_slot_taken_before_the_worker_ends_the_request_failed(queued):
    slot = queued.put_slot()
    booking = requested(queued, slot, "hal", "t1")
    queued.table.update_item(
        Key=keys.slot_key(slot.venue_id, slot.slot_id),
        UpdateExpression="SET #s = :booked, bookingId = :other",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":booked": "BOOKED", ":other": "someone-else"},
    )
    queued.drain()
    done = queued.booking(booking["bookingId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "SlotUnavailable")
    assert QUEUED_AT not in done
    assert [i["sk"].split("#")[0] for i in queued.user_items("hal")] == ["BOOKING"]  # no lock
    assert queued.waiting(queued.dlq_url) == 0


def test_a_slot_gone_before_the_worker_ends_the_request_failed(queued):
    slot = queued.put_slot()
    booking = requested(queued, slot, "ida", "t1")
    queued.table.delete_item(Key=keys.slot_key(slot.venue_id, slot.slot_id))
    queued.drain()
    done = queued.booking(booking["bookingId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "NotFound")


def test_a_redelivery_after_the_saga_finished_books_and_charges_nothing_more(queued):
    slot = queued.put_slot()
    booking = requested(queued, slot, "jon", "t1")
    [message] = queued.messages(queued.queue_url)
    queued.sqs.change_message_visibility(
        QueueUrl=queued.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    queued.drain()
    confirmed = queued.booking(booking["bookingId"])
    queued.sqs.send_message(QueueUrl=queued.queue_url, MessageBody=message["Body"])  # again
    assert queued.drain() == 1
    assert queued.booking(booking["bookingId"]) == confirmed
    assert len(queued.items(f"{keys.PAYMENT_PREFIX}{booking['bookingId']}")) == 1
    assert len(queued.user_items("jon")) == 1
    assert queued.waiting() == 0 and queued.waiting(queued.dlq_url) == 0


@pytest.mark.parametrize(
    "message",
    ["not json", json.dumps({"bookingId": "x"}), json.dumps(["a", "list"])],
)
def test_a_poison_message_reaches_the_dlq_after_max_receive_count(queued, message):
    queued.sqs.send_message(QueueUrl=queued.queue_url, MessageBody=message)
    receives = json.loads(
        queued.sqs.get_queue_attributes(
            QueueUrl=queued.queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
    )["maxReceiveCount"]
    assert queued.drain() == receives  # each delivery reached the worker and failed
    [dead] = queued.messages(queued.dlq_url)
    assert dead["Body"] == message
    assert queued.waiting() == 0


def test_a_failing_saga_call_is_retried_by_the_queue_then_dead_lettered(queued, monkeypatch):
    slot = queued.put_slot()
    booking = requested(queued, slot, "kim", "t1")

    def throttled(*_, **__):
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
            stepfunctions.OPERATION,
        )

    monkeypatch.setattr(stepfunctions, "start_sync_execution", throttled)
    assert queued.drain() == 3
    monkeypatch.undo()
    [dead] = queued.messages(queued.dlq_url)
    assert body(dead)["bookingId"] == booking["bookingId"]
    assert queued.booking(booking["bookingId"])["status"] == "PENDING"  # nothing half done
    # Sent back (a redrive), it is booked.
    queued.sqs.send_message(QueueUrl=queued.queue_url, MessageBody=dead["Body"])
    queued.drain()
    assert queued.booking(booking["bookingId"])["status"] == "CONFIRMED"


class Kept(logging.Handler):
    """Keeps each line a Powertools logger writes, formatted as it writes it."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_every_log_line_of_the_worker_and_the_payment_carries_the_correlation_id(queued):
    slot = queued.put_slot()
    requested(queued, slot, "lou", "t1", correlationId="trace-lou-1")
    queued.runtime.preload()  # the functions' loggers exist
    kept = []
    for service in SERVICES:
        logger = logging.getLogger(service)
        kept.append(Kept(logger.handlers[0].formatter))
        logger.addHandler(kept[-1])
    try:
        queued.drain()
    finally:
        for service, handler in zip(SERVICES, kept, strict=True):
            logging.getLogger(service).removeHandler(handler)
    lines = [line for handler in kept for line in handler.lines]
    assert {line["service"] for line in lines} == set(SERVICES)
    assert all(line["correlation_id"] == "trace-lou-1" for line in lines), lines


def test_a_message_that_cannot_be_sent_leaves_no_request_behind(queued, monkeypatch):
    from moto.sqs.models import SQSBackend

    def unavailable(*_, **__):
        raise RuntimeError("SQS is down")

    slot = queued.put_slot()
    before = queued.table.scan()["Items"]
    monkeypatch.setattr(SQSBackend, "send_message", unavailable)
    outcome = queued.request(slot, "max", "t1")
    assert (outcome["status"], outcome["error"]) == ("FAILED", "BookingQueueUnavailable")
    assert queued.table.scan()["Items"] == before
