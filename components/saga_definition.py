"""The booking saga's Amazon States Language definition, built in one place.

The BookingSaga component deploys exactly what `definition()` returns, and the tests execute
exactly that on moto's interpreter.

Input (from a trusted caller: the API's resolver or the queue worker, which take the user from
the verified token and the time from their clock)::

    {"userSub", "venueId", "slotId", "failPayment": bool, "clientToken"?: str,
     "now": "2026-11-21T10:00:00Z", "nowEpoch": 1795000000}

Flow: check input → read the slot → PlaceHold (one transaction: slot HELD by this booking,
booking PENDING, the user's ref, the hold marker with its TTL) → TakePayment → ConfirmBooking
(one transaction) → the booking. A decline or any failure after the hold releases it
(ReleaseHold; after a charge, RefundPayment first) and the execution fails with the cause:
`PaymentDeclined`, `HoldExpired`, … A lost race fails with `SlotUnavailable` and writes nothing.
With a client token the booking id is derived from (user, token), so a repeated request finds
its booking instead of booking twice.
"""

from typing import Any

from .layout import model, table_layout

_ERRORS = model()["errors"]
SLOT_UNAVAILABLE = _ERRORS["slotUnavailable"]
PAYMENT_DECLINED = _ERRORS["paymentDeclined"]
HOLD_EXPIRED = _ERRORS["holdExpired"]
NOT_FOUND = _ERRORS["notFound"]
VALIDATION_ERROR = _ERRORS["validation"]
TRANSACTION_CANCELED = "DynamoDb.TransactionCanceledException"
DYNAMODB_TRANSIENT = [
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.ThrottlingException",
    "DynamoDb.RequestLimitExceeded",
    "DynamoDb.InternalServerErrorException",
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
]
LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
TRANSACT_WRITE = "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems"
GET_ITEM = "arn:aws:states:::dynamodb:getItem"
INVOKE = "arn:aws:states:::lambda:invoke"
BOOKING_ID = "$.ids.bookingId"


def definition(table_name: str, payment_function_arn: str, hold_ttl_seconds: int) -> dict:
    """The state machine for one table and payment function."""
    names = _Names(table_name)
    return {
        "Comment": "Books one slot: hold, pay, confirm; compensates on any failure.",
        "StartAt": "CheckInput",
        "States": {
            "CheckInput": _check_input(),
            "InvalidInput": _fail(VALIDATION_ERROR, "the saga's input is malformed"),
            "DeriveBookingId": _ids(
                "States.Hash(States.Format('{}#{}', $.userSub, $.clientToken), 'SHA-256')",
                hold_ttl_seconds,
            ),
            "GenerateBookingId": _ids("States.UUID()", hold_ttl_seconds),
            "ReadSlot": {
                "Type": "Task",
                "Resource": GET_ITEM,
                "Parameters": {
                    "TableName": table_name,
                    "Key": names.slot_key(),
                    "ConsistentRead": True,
                },
                "ResultPath": "$.slot",
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Next": "SlotExists",
            },
            "SlotExists": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.slot.Item", "IsPresent": True, "Next": "PlaceHold"}],
                "Default": "NoSuchSlot",
            },
            "NoSuchSlot": _fail(NOT_FOUND, "the venue has no such slot"),
            "PlaceHold": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.place_hold()},
                "ResultPath": None,
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": "$.error",
                        "Next": "LookupBooking",
                    }
                ],
                "Next": "TakePayment",
            },
            "LookupBooking": {
                "Type": "Task",
                "Resource": GET_ITEM,
                "Parameters": {
                    "TableName": table_name,
                    "Key": names.booking_key(),
                    "ConsistentRead": True,
                },
                "ResultPath": "$.existing",
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Next": "IsRepeatedRequest",
            },
            "IsRepeatedRequest": _is_repeated_request(names),
            "SlotUnavailable": _fail(
                SLOT_UNAVAILABLE, "the slot is held or booked by someone else"
            ),
            "TokenReused": _fail(VALIDATION_ERROR, "this clientToken was used for another slot"),
            "RepeatFailure": {
                "Type": "Fail",
                "ErrorPath": "$.existing.Item.failureReason.S",
                "Cause": "this request was made before and failed",
            },
            "ExistingBooking": {
                "Type": "Pass",
                "Parameters": _booking_output("$.existing.Item"),
                "End": True,
            },
            "TakePayment": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {
                    "FunctionName": payment_function_arn,
                    "Payload": {
                        "action": "charge",
                        "bookingId.$": BOOKING_ID,
                        "amount.$": "States.StringToJson($.slot.Item.price.N)",
                        "failPayment.$": "$.failPayment",
                    },
                },
                "ResultSelector": {"chargeId.$": "$.Payload.chargeId"},
                "ResultPath": "$.payment",
                "Retry": [_retry(LAMBDA_TRANSIENT, interval=1)],
                "Catch": [
                    {
                        "ErrorEquals": [PAYMENT_DECLINED],
                        "ResultPath": "$.error",
                        "Next": "PaymentWasDeclined",
                    },
                    {
                        "ErrorEquals": ["States.ALL"],
                        "ResultPath": "$.error",
                        "Next": "RefundPayment",
                    },
                ],
                "Next": "ConfirmBooking",
            },
            "ConfirmBooking": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.confirm()},
                "ResultPath": None,
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": "$.error",
                        "Next": "HoldLost",
                    },
                    {
                        "ErrorEquals": ["States.ALL"],
                        "ResultPath": "$.error",
                        "Next": "RefundPayment",
                    },
                ],
                "Next": "Confirmed",
            },
            "Confirmed": {
                "Type": "Pass",
                "Parameters": {
                    "bookingId.$": BOOKING_ID,
                    "venueId.$": "$.venueId",
                    "slotId.$": "$.slotId",
                    "status": names.booking_status("CONFIRMED"),
                    "createdAt.$": "$.now",
                    "startsAt.$": "$.slot.Item.startsAt.S",
                    "price.$": "States.StringToJson($.slot.Item.price.N)",
                },
                "End": True,
            },
            "PaymentWasDeclined": {
                # The caller sees this cause, not the payment function's error payload.
                "Type": "Pass",
                "Parameters": {"Error": PAYMENT_DECLINED, "Cause": "the payment was declined"},
                "ResultPath": "$.error",
                "Next": "ReleaseHold",
            },
            "HoldLost": {
                "Type": "Pass",
                "Parameters": {
                    "Error": HOLD_EXPIRED,
                    "Cause": "the hold expired and the slot was taken before confirmation",
                },
                "ResultPath": "$.error",
                "Next": "RefundPayment",
            },
            "RefundPayment": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {
                    "FunctionName": payment_function_arn,
                    "Payload": {"action": "refund", "bookingId.$": BOOKING_ID},
                },
                "ResultPath": None,
                "Retry": [_retry(LAMBDA_TRANSIENT, interval=1)],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "ReleaseHold"}
                ],
                "Next": "ReleaseHold",
            },
            "ReleaseHold": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.release()},
                "ResultPath": None,
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": None,
                        "Next": "MarkFailed",
                    }
                ],
                "Next": "Failed",
            },
            "MarkFailed": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.release()[1:]},
                "ResultPath": None,
                "Retry": [_retry(DYNAMODB_TRANSIENT)],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}],
                "Next": "Failed",
            },
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


class _Names:
    """Keys, attributes and statuses as DynamoDB JSON in the saga, from the shared model."""

    def __init__(self, table_name: str) -> None:
        self.table = table_name
        shared = model()
        self.prefix = shared["keyPrefixes"]
        self.meta = shared["meta"]
        self.statuses = shared["statuses"]
        self.holds_partition = shared["holdsPartition"]
        layout = table_layout()
        self.pk, self.sk = layout.partition_key, layout.sort_key
        [index] = layout.indexes
        self.gsi1pk, self.gsi1sk = index.partition_key, index.sort_key
        self.ttl = layout.ttl_attribute

    def slot_status(self, status: str) -> str:
        return self._status("slot", status)

    def booking_status(self, status: str) -> str:
        return self._status("booking", status)

    def _status(self, kind: str, status: str) -> str:
        if status not in self.statuses[kind]:
            raise KeyError(f"{status} is not a {kind} status in the model")
        return status

    def key(self, prefix: str, id_path: str, sort: dict | None = None) -> dict:
        return {
            self.pk: _formatted(self.prefix[prefix] + "{}", id_path),
            self.sk: sort or {"S": self.meta},
        }

    def slot_key(self) -> dict:
        return self.key("venue", "$.venueId", _formatted(self.prefix["slot"] + "{}", "$.slotId"))

    def booking_key(self) -> dict:
        return self.key("booking", BOOKING_ID)

    def _booking_sort(self) -> dict:
        return _formatted(self.prefix["booking"] + "{}#{}", "$.now", BOOKING_ID)

    def place_hold(self) -> list[dict]:
        not_exists = f"attribute_not_exists({self.pk})"
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": self.slot_key(),
                    "UpdateExpression": (
                        "SET #status = :held, holdExpiresAt = :expires, bookingId = :booking"
                    ),
                    "ConditionExpression": (
                        f"attribute_exists({self.pk}) AND price = :price AND startsAt > :now"
                        " AND (#status = :open OR (#status = :held AND holdExpiresAt < :nowEpoch))"
                    ),
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":held": {"S": self.slot_status("HELD")},
                        ":open": {"S": self.slot_status("OPEN")},
                        ":expires": _number("$.ids.holdExpiresAt"),
                        ":booking": {"S.$": BOOKING_ID},
                        ":price": {"N.$": "$.slot.Item.price.N"},
                        ":now": {"S.$": "$.now"},
                        ":nowEpoch": _number("$.nowEpoch"),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self.booking_key(),
                        self.gsi1pk: _formatted(self.prefix["venue"] + "{}", "$.venueId"),
                        self.gsi1sk: self._booking_sort(),
                        "entity": {"S": "Booking"},
                        "bookingId": {"S.$": BOOKING_ID},
                        "userSub": {"S.$": "$.userSub"},
                        "venueId": {"S.$": "$.venueId"},
                        "slotId": {"S.$": "$.slotId"},
                        "startsAt": {"S.$": "$.slot.Item.startsAt.S"},
                        "price": {"N.$": "$.slot.Item.price.N"},
                        "status": {"S": self.booking_status("PENDING")},
                        "createdAt": {"S.$": "$.now"},
                        "updatedAt": {"S.$": "$.now"},
                    },
                    "ConditionExpression": not_exists,
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self.key("user", "$.userSub", self._booking_sort()),
                        "entity": {"S": "BookingRef"},
                        "userSub": {"S.$": "$.userSub"},
                        "bookingId": {"S.$": BOOKING_ID},
                        "venueId": {"S.$": "$.venueId"},
                        "slotId": {"S.$": "$.slotId"},
                        "createdAt": {"S.$": "$.now"},
                    },
                    "ConditionExpression": not_exists,
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self.key("hold", BOOKING_ID),
                        # The holds index: expired holds are a key range (sweeper).
                        self.gsi1pk: {"S": self.holds_partition},
                        self.gsi1sk: _formatted("{}#{}", "$.ids.holdExpiresAt", BOOKING_ID),
                        "entity": {"S": "Hold"},
                        "bookingId": {"S.$": BOOKING_ID},
                        "venueId": {"S.$": "$.venueId"},
                        "slotId": {"S.$": "$.slotId"},
                        self.ttl: _number("$.ids.holdExpiresAt"),
                    },
                    "ConditionExpression": not_exists,
                }
            },
        ]

    def _held_by_this_booking(self, update: str, values: dict) -> dict:
        return {
            "Update": {
                "TableName": self.table,
                "Key": self.slot_key(),
                "UpdateExpression": update,
                "ConditionExpression": "bookingId = :booking AND #status = :held",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":booking": {"S.$": BOOKING_ID},
                    ":held": {"S": self.slot_status("HELD")},
                    **values,
                },
            }
        }

    def _pending_booking(self, update: str, values: dict) -> dict:
        return {
            "Update": {
                "TableName": self.table,
                "Key": self.booking_key(),
                "UpdateExpression": update,
                "ConditionExpression": "#status = :pending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":pending": {"S": self.booking_status("PENDING")},
                    ":updated": {"S.$": "$$.State.EnteredTime"},
                    **values,
                },
            }
        }

    def _delete_hold(self) -> dict:
        return {"Delete": {"TableName": self.table, "Key": self.key("hold", BOOKING_ID)}}

    def confirm(self) -> list[dict]:
        return [
            self._held_by_this_booking(
                "SET #status = :booked REMOVE holdExpiresAt",
                {":booked": {"S": self.slot_status("BOOKED")}},
            ),
            self._pending_booking(
                "SET #status = :confirmed, updatedAt = :updated, chargeId = :charge",
                {
                    ":confirmed": {"S": self.booking_status("CONFIRMED")},
                    ":charge": {"S.$": "$.payment.chargeId"},
                },
            ),
            self._delete_hold(),
        ]

    def release(self) -> list[dict]:
        """Slot back to OPEN if this booking still holds it; booking FAILED; marker gone.
        `MarkFailed` uses all but the first item, for when the slot is no longer ours."""
        return [
            self._held_by_this_booking(
                "SET #status = :open REMOVE holdExpiresAt, bookingId",
                {":open": {"S": self.slot_status("OPEN")}},
            ),
            self._pending_booking(
                "SET #status = :failed, updatedAt = :updated, failureReason = :reason",
                {
                    ":failed": {"S": self.booking_status("FAILED")},
                    ":reason": {"S.$": "$.error.Error"},
                },
            ),
            self._delete_hold(),
        ]


def _check_input() -> dict:
    required = [
        {"Variable": "$.userSub", "IsString": True},
        {"Variable": "$.venueId", "IsString": True},
        {"Variable": "$.slotId", "IsString": True},
        {"Variable": "$.failPayment", "IsBoolean": True},
        {"Variable": "$.now", "IsString": True},
        {"Variable": "$.nowEpoch", "IsNumeric": True},
    ]
    well_formed = [{"Variable": c["Variable"], "IsPresent": True} for c in required]
    return {
        "Type": "Choice",
        "Choices": [
            {"Not": {"And": well_formed}, "Next": "InvalidInput"},
            {"Not": {"And": required}, "Next": "InvalidInput"},
            {
                "And": [
                    {"Variable": "$.clientToken", "IsPresent": True},
                    {"Variable": "$.clientToken", "IsString": True},
                ],
                "Next": "DeriveBookingId",
            },
            {"Variable": "$.clientToken", "IsPresent": True, "Next": "InvalidInput"},
        ],
        "Default": "GenerateBookingId",
    }


def _ids(booking_id_expression: str, hold_ttl_seconds: int) -> dict:
    return {
        "Type": "Pass",
        "Parameters": {
            "bookingId.$": booking_id_expression,
            "holdExpiresAt.$": f"States.MathAdd($.nowEpoch, {int(hold_ttl_seconds)})",
        },
        "ResultPath": "$.ids",
        "Next": "ReadSlot",
    }


def _is_repeated_request(names: _Names) -> dict:
    item = "$.existing.Item"
    return {
        "Type": "Choice",
        "Choices": [
            {"Not": {"Variable": item, "IsPresent": True}, "Next": "SlotUnavailable"},
            {
                "Or": [
                    {"Not": {"Variable": f"{item}.slotId.S", "StringEqualsPath": "$.slotId"}},
                    {"Not": {"Variable": f"{item}.venueId.S", "StringEqualsPath": "$.venueId"}},
                ],
                "Next": "TokenReused",
            },
            {
                "Variable": f"{item}.status.S",
                "StringEquals": names.booking_status("FAILED"),
                "Next": "RepeatFailure",
            },
        ],
        "Default": "ExistingBooking",
    }


def _booking_output(item: str) -> dict[str, Any]:
    return {
        "bookingId.$": f"{item}.bookingId.S",
        "venueId.$": f"{item}.venueId.S",
        "slotId.$": f"{item}.slotId.S",
        "status.$": f"{item}.status.S",
        "createdAt.$": f"{item}.createdAt.S",
        "startsAt.$": f"{item}.startsAt.S",
        "price.$": f"States.StringToJson({item}.price.N)",
    }


def _formatted(template: str, *paths: str) -> dict:
    arguments = ", ".join(paths)
    return {"S.$": f"States.Format('{template}', {arguments})"}


def _number(path: str) -> dict:
    return {"N.$": f"States.Format('{{}}', {path})"}


def _retry(errors: list[str], interval: int = 1) -> dict:
    return {"ErrorEquals": errors, "IntervalSeconds": interval, "MaxAttempts": 3, "BackoffRate": 2}


def _fail(error: str, cause: str) -> dict:
    return {"Type": "Fail", "Error": error, "Cause": cause}
