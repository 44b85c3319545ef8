"""The booking request workflow's Amazon States Language: what `requestBooking` runs.

`requestBooking` must answer at once with the booking whose id the saga derives from (user,
client token) by SHA-256. APPSYNC_JS has no hash function, so a resolver cannot derive that id
itself; this small Express workflow, started synchronously by the resolver (signed HTTP, no
Lambda, like `bookSlot`), derives it with the saga's own expression, records the request, and
queues it with Step Functions' SQS integration.

Input (from the resolver, which takes the user from the verified token and the time from its
clock)::

    {"userSub", "venueId", "slotId", "clientToken", "failPayment": bool, "correlationId",
     "now": "2026-11-21T10:00:00.000Z", "nowEpoch": 1795000000}

Flow: check input → the slot exists and starts later (else NotFound / SlotUnavailable, as
`bookSlot` answers) → one transaction: the booking PENDING with a `queuedAt` mark, the user's
ref, and the user's lock on the slot (until the hold time has passed) → the message → the
booking. The same token again finds its booking and queues nothing; another token while the
user's request for the slot is pending is `RequestPending`. A message that cannot be sent
undoes the record, so nothing is left that no worker will take up.
"""

from .layout import model
from .saga_definition import (
    BOOKING_ID,
    DERIVED_BOOKING_ID,
    DYNAMODB_TRANSIENT,
    NOT_FOUND,
    QUEUED_AT,
    SLOT_UNAVAILABLE,
    TRANSACT_WRITE,
    TRANSACTION_CANCELED,
    VALIDATION_ERROR,
    Names,
    booking_output,
    fail_state,
    ids_state,
    number_value,
    read_state,
    retry_on,
    token_reused_choice,
)

REQUEST_PENDING = model()["errors"]["requestPending"]
SEND_MESSAGE = "arn:aws:states:::sqs:sendMessage"
SQS_TRANSIENT = ["SQS.SdkClientException", "SQS.AmazonSQSException"]
QUEUE_UNAVAILABLE = "BookingQueueUnavailable"
REQUIRED_STRINGS = ("userSub", "venueId", "slotId", "clientToken", "correlationId", "now")
MESSAGE_FIELDS = ("userSub", "venueId", "slotId", "clientToken", "failPayment", "correlationId")
"""What the queue worker hands the saga, with `requestedAt` (the request's time) and the id."""


def request_definition(table_name: str, queue_url: str, lock_seconds: int) -> dict:
    """The workflow for one table and queue; a user's lock on a slot lasts `lock_seconds`."""
    names = Names(table_name)
    return {
        "Comment": "Records a booking request and queues it for the booking saga.",
        "StartAt": "CheckInput",
        "States": {
            "CheckInput": _check_input(),
            "InvalidInput": fail_state(VALIDATION_ERROR, "the request's input is malformed"),
            "DeriveBookingId": ids_state(DERIVED_BOOKING_ID, lock_seconds),
            "ReadSlot": read_state(table_name, names.slot_key(), "$.slot", "SlotExists"),
            "SlotExists": {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": "$.slot.Item", "IsPresent": True}, "Next": "NoSuchSlot"},
                    {
                        "Variable": "$.slot.Item.startsAt.S",
                        "StringGreaterThanPath": "$.now",
                        "Next": "RecordRequest",
                    },
                ],
                "Default": "SlotStarted",
            },
            "NoSuchSlot": fail_state(NOT_FOUND, "the venue has no such slot"),
            "SlotStarted": fail_state(SLOT_UNAVAILABLE, "the slot has already started"),
            "RecordRequest": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": _record(names)},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": None,
                        "Next": "LookupRequest",
                    }
                ],
                "Next": "Enqueue",
            },
            "LookupRequest": read_state(
                table_name, names.booking_key(), "$.existing", "IsRepeatedRequest"
            ),
            "IsRepeatedRequest": _is_repeated_request(),
            "RequestPending": fail_state(
                REQUEST_PENDING, "a request of yours for this slot is still pending"
            ),
            "TokenReused": fail_state(
                VALIDATION_ERROR, "this clientToken was used for another slot"
            ),
            "ExistingRequest": {
                "Type": "Pass",
                "Parameters": booking_output("$.existing.Item"),
                "End": True,
            },
            "Enqueue": {
                "Type": "Task",
                "Resource": SEND_MESSAGE,
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {
                        **{f"{field}.$": f"$.{field}" for field in MESSAGE_FIELDS},
                        "bookingId.$": BOOKING_ID,
                        "requestedAt.$": "$.now",
                    },
                    "MessageAttributes": {
                        "correlationId": {"DataType": "String", "StringValue.$": "$.correlationId"}
                    },
                },
                "ResultPath": None,
                "Retry": [retry_on(SQS_TRANSIENT)],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Forget"}],
                "Next": "Requested",
            },
            "Forget": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": _forget(names)},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "NotQueued"}],
                "Next": "NotQueued",
            },
            "NotQueued": fail_state(
                QUEUE_UNAVAILABLE, "the request could not be queued; nothing was booked"
            ),
            "Requested": {
                "Type": "Pass",
                "Parameters": {
                    "bookingId.$": BOOKING_ID,
                    "venueId.$": "$.venueId",
                    "slotId.$": "$.slotId",
                    "status": names.booking_status("PENDING"),
                    "createdAt.$": "$.now",
                    "updatedAt.$": "$.now",
                    "startsAt.$": "$.slot.Item.startsAt.S",
                    "price.$": "States.StringToJson($.slot.Item.price.N)",
                },
                "End": True,
            },
        },
    }


def _record(names: Names) -> list[dict]:
    return [
        {
            "Put": {
                "TableName": names.table,
                "Item": names.booking_item(
                    **{
                        QUEUED_AT: {"S.$": "$.now"},
                        "correlationId": {"S.$": "$.correlationId"},
                    }
                ),
                "ConditionExpression": f"attribute_not_exists({names.pk})",
            }
        },
        {"Put": {"TableName": names.table, "Item": names.booking_ref()}},
        {
            "Put": {
                "TableName": names.table,
                "Item": {
                    **names.request_lock_key(),
                    "entity": {"S": "RequestLock"},
                    "bookingId": {"S.$": BOOKING_ID},
                    names.ttl: number_value("$.ids.holdExpiresAt"),
                },
                "ConditionExpression": (
                    f"attribute_not_exists({names.pk}) OR {names.ttl} < :nowEpoch"
                ),
                "ExpressionAttributeValues": {":nowEpoch": number_value("$.nowEpoch")},
            }
        },
    ]


def _forget(names: Names) -> list[dict]:
    """The record undone: only while it is still an untaken request of this execution's."""
    return [
        {
            "Delete": {
                "TableName": names.table,
                "Key": names.booking_key(),
                "ConditionExpression": f"attribute_exists({QUEUED_AT})",
            }
        },
        {"Delete": {"TableName": names.table, "Key": names.booking_ref_key()}},
        {
            "Delete": {
                "TableName": names.table,
                "Key": names.request_lock_key(),
                "ConditionExpression": "bookingId = :booking",
                "ExpressionAttributeValues": {":booking": {"S.$": BOOKING_ID}},
            }
        },
    ]


def _check_input() -> dict:
    typed = [{"Variable": f"$.{name}", "IsString": True} for name in REQUIRED_STRINGS]
    typed += [
        {"Variable": "$.failPayment", "IsBoolean": True},
        {"Variable": "$.nowEpoch", "IsNumeric": True},
    ]
    present = [{"Variable": c["Variable"], "IsPresent": True} for c in typed]
    return {
        "Type": "Choice",
        "Choices": [
            {"Not": {"And": present}, "Next": "InvalidInput"},
            {"Not": {"And": typed}, "Next": "InvalidInput"},
        ],
        "Default": "DeriveBookingId",
    }


def _is_repeated_request() -> dict:
    item = "$.existing.Item"
    return {
        "Type": "Choice",
        "Choices": [
            # The booking is not there: the lock of another pending request refused this one.
            {"Not": {"Variable": item, "IsPresent": True}, "Next": "RequestPending"},
            token_reused_choice(item),
        ],
        "Default": "ExistingRequest",
    }
