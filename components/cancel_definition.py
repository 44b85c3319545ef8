"""The cancellation workflow's Amazon States Language definition: cancelling refunds the charge.

The BookingSaga component deploys exactly what `cancel_definition()` returns beside the booking
saga, and the tests execute exactly that on moto's interpreter.

Input (from `cancelBooking`'s resolver, which takes the user from the verified token and the
time from AppSync's clock)::

    {"bookingId", "userSub", "now": "2026-11-21T10:00:00Z", "nowEpoch": 1795000000}

Flow: read the booking → the caller's, CONFIRMED, its slot not yet started → MarkCancelling
(the booking, still CONFIRMED, carries `cancellingSince`: no second cancellation runs beside
this one) → RefundPayment (the payment function's refund, idempotent per booking) →
CompleteCancellation (one transaction: the booking CANCELLED with its refund reference, the
slot OPEN) → the booking.

A refund that fails clears the mark and fails with `RefundFailed`: the booking stays CONFIRMED
and its slot BOOKED. A booking is never CANCELLED without its refund, and never refunded while
it stays CONFIRMED: once refunded it is cancelled, its slot reopened if still held by it. A
mark left by an execution that died (older than an Express execution can run) no longer blocks:
the next cancellation refunds again, which returns the same refund, and completes.
"""

from typing import Any

from .layout import model
from .saga_definition import (
    DYNAMODB_TRANSIENT,
    TRANSACT_WRITE,
    TRANSACTION_CANCELED,
    Names,
    fail_state,
    failure_state,
    formatted,
    number_value,
    payment_task,
    read_state,
    retry_on,
)

_ERRORS = model()["errors"]
REFUND_FAILED = _ERRORS["refundFailed"]
CANCELLING_SINCE = "cancellingSince"
"""Marks a CONFIRMED booking whose cancellation is under way (epoch seconds)."""
STALE_MARK_SECONDS = 300
"""An Express execution runs five minutes at most: an older mark was left by a dead one."""
UPDATE_ITEM = "arn:aws:states:::dynamodb:updateItem"
BOOKING = "$.booking.Item"


def cancel_definition(table_name: str, payment_function_arn: str) -> dict[str, Any]:
    """The workflow for one table and payment function."""
    names = Names(table_name)
    booking_key = names.key("booking", "$.bookingId")
    return {
        "Comment": "Cancels a confirmed booking: refund, then CANCELLED and the slot reopened.",
        "StartAt": "CheckInput",
        "States": {
            "CheckInput": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.bookingId", "IsString": True},
                            {"Variable": "$.userSub", "IsString": True},
                            {"Variable": "$.now", "IsTimestamp": True},
                            {"Variable": "$.nowEpoch", "IsNumeric": True},
                        ],
                        "Next": "ReadBooking",
                    }
                ],
                "Default": "InvalidInput",
            },
            "InvalidInput": fail_state(_ERRORS["validation"], "the input is malformed"),
            "ReadBooking": read_state(table_name, booking_key, "$.booking", "IsCancellable"),
            "IsCancellable": {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": BOOKING, "IsPresent": True}, "Next": "NoSuchBooking"},
                    {
                        "Not": {
                            "Variable": f"{BOOKING}.userSub.S",
                            "StringEqualsPath": "$.userSub",
                        },
                        "Next": "NotTheBooker",
                    },
                    {
                        "Not": {
                            "Variable": f"{BOOKING}.status.S",
                            "StringEquals": names.booking_status("CONFIRMED"),
                        },
                        "Next": "NotConfirmed",
                    },
                    {
                        "Not": {
                            "Variable": f"{BOOKING}.startsAt.S",
                            "TimestampGreaterThanPath": "$.now",
                        },
                        "Next": "AlreadyStarted",
                    },
                ],
                "Default": "MarkCancelling",
            },
            "NoSuchBooking": fail_state(_ERRORS["notFound"], "no such booking"),
            "NotTheBooker": fail_state(
                _ERRORS["unauthorized"], "only its booker can cancel a booking"
            ),
            "NotConfirmed": fail_state(
                _ERRORS["validation"], "only a CONFIRMED booking can be cancelled"
            ),
            "AlreadyStarted": fail_state(_ERRORS["validation"], "the slot has already started"),
            "MarkCancelling": {
                "Type": "Task",
                "Resource": UPDATE_ITEM,
                "Parameters": {
                    "TableName": table_name,
                    "Key": booking_key,
                    "UpdateExpression": "SET #mark = :now",
                    "ConditionExpression": (
                        "#status = :confirmed AND userSub = :user"
                        " AND (attribute_not_exists(#mark) OR #mark < :stale)"
                    ),
                    "ExpressionAttributeNames": {"#status": "status", "#mark": CANCELLING_SINCE},
                    "ExpressionAttributeValues": {
                        ":now": number_value("$.nowEpoch"),
                        ":stale": number_value(
                            f"States.MathAdd($.nowEpoch, -{STALE_MARK_SECONDS})"
                        ),
                        ":confirmed": {"S": names.booking_status("CONFIRMED")},
                        ":user": {"S.$": "$.userSub"},
                    },
                },
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                        "ResultPath": None,
                        "Next": "AlreadyCancelling",
                    }
                ],
                "Next": "RefundPayment",
            },
            "AlreadyCancelling": fail_state(
                _ERRORS["requestPending"],
                "this booking changed or is being cancelled already; read it again",
            ),
            "RefundPayment": payment_task(
                payment_function_arn,
                {"action": "refund", "bookingId.$": "$.bookingId"},
                ResultSelector={"refund.$": "$.Payload"},
                ResultPath="$.payment",
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "NotRefunded"}],
                Next="WasRefunded",
            ),
            "WasRefunded": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.payment.refund.status",
                        "StringEquals": names.payment_status("REFUNDED"),
                        "Next": "CompleteCancellation",
                    }
                ],
                "Default": "NotRefunded",
            },
            "NotRefunded": failure_state(
                REFUND_FAILED,
                "the payment could not be refunded; the booking stays CONFIRMED",
                "ClearMark",
            ),
            "ClearMark": {
                "Type": "Task",
                "Resource": UPDATE_ITEM,
                "Parameters": {
                    "TableName": table_name,
                    "Key": booking_key,
                    "UpdateExpression": "REMOVE #mark",
                    "ConditionExpression": "#mark = :now",
                    "ExpressionAttributeNames": {"#mark": CANCELLING_SINCE},
                    "ExpressionAttributeValues": {":now": number_value("$.nowEpoch")},
                },
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}],
                "Next": "Failed",
            },
            "CompleteCancellation": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": [_cancelled(names), _reopened(names)]},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        # The slot is no longer this booking's: cancel the booking alone.
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": None,
                        "Next": "CancelBookingOnly",
                    },
                    {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Unfinished"},
                ],
                "Next": "Cancelled",
            },
            "Unfinished": fail_state(
                _ERRORS["requestPending"],
                "the payment was refunded but the booking could not be updated yet; cancelling"
                f" it again in {STALE_MARK_SECONDS // 60} minutes finishes it (with the same"
                " refund)",
            ),
            "CancelBookingOnly": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": [_cancelled(names)]},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Unfinished"}
                ],
                "Next": "Cancelled",
            },
            "Cancelled": {
                "Type": "Pass",
                "Parameters": {
                    "bookingId.$": f"{BOOKING}.bookingId.S",
                    "venueId.$": f"{BOOKING}.venueId.S",
                    "slotId.$": f"{BOOKING}.slotId.S",
                    "status": names.booking_status("CANCELLED"),
                    "createdAt.$": f"{BOOKING}.createdAt.S",
                    "startsAt.$": f"{BOOKING}.startsAt.S",
                    "price.$": f"States.StringToJson({BOOKING}.price.N)",
                    "updatedAt.$": "$.now",
                    "refundId.$": "$.payment.refund.refundId",
                },
                "End": True,
            },
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


def _cancelled(names: Names) -> dict[str, Any]:
    """The booking CANCELLED with its refund, by the execution that marked it."""
    return {
        "Update": {
            "TableName": names.table,
            "Key": names.key("booking", "$.bookingId"),
            "UpdateExpression": (
                "SET #status = :cancelled, refundId = :refund, updatedAt = :now REMOVE #mark"
            ),
            "ConditionExpression": "#status = :confirmed AND #mark = :since",
            "ExpressionAttributeNames": {"#status": "status", "#mark": CANCELLING_SINCE},
            "ExpressionAttributeValues": {
                ":cancelled": {"S": names.booking_status("CANCELLED")},
                ":confirmed": {"S": names.booking_status("CONFIRMED")},
                ":refund": {"S.$": "$.payment.refund.refundId"},
                ":now": {"S.$": "$.now"},
                ":since": number_value("$.nowEpoch"),
            },
        }
    }


def _reopened(names: Names) -> dict[str, Any]:
    """The slot OPEN again, if this booking still holds it BOOKED."""
    slot = formatted(names.prefix["slot"] + "{}", f"{BOOKING}.slotId.S")
    return {
        "Update": {
            "TableName": names.table,
            "Key": names.key("venue", f"{BOOKING}.venueId.S", slot),
            "UpdateExpression": "SET #status = :open REMOVE bookingId, holdExpiresAt",
            "ConditionExpression": "#status = :booked AND bookingId = :booking",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":open": {"S": names.slot_status("OPEN")},
                ":booked": {"S": names.slot_status("BOOKED")},
                ":booking": {"S.$": "$.bookingId"},
            },
        }
    }
