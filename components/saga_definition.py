"""The booking saga's Amazon States Language definition, built in one place.

The BookingSaga component deploys exactly what `definition()` returns, and the tests execute
exactly that on moto's interpreter.

Input (from a trusted caller: the API's resolver or the queue worker, which take the user from
the verified token and the time from their clock)::

    {"userSub", "venueId", "slotId", "failPayment": bool, "clientToken"?: str,
     "requestedAt"?: str, "now": "2026-11-21T10:00:00Z", "nowEpoch": 1795000000}

`requestedAt` (with a client token) says the booking was requested through the queue at that
time: `requestBooking` recorded it PENDING with a `queuedAt` mark, its user's ref and a lock on
(user, slot). The saga takes such a record over in PlaceHold, keeps its creation time, and ends
it like any other booking; a request whose slot is taken or gone ends FAILED with the reason.

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
QUEUED_AT = "queuedAt"
"""Marks a booking `requestBooking` recorded and no saga has taken up yet."""
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
CREATED_AT = "$.ids.createdAt"
CORRELATION_ID = "$$.Execution.Name"
"""The payment function logs under the execution's name: the queue worker names each execution
after the request's correlation id."""
DERIVED_BOOKING_ID = "States.Hash(States.Format('{}#{}', $.userSub, $.clientToken), 'SHA-256')"


def definition(table_name: str, payment_function_arn: str, hold_ttl_seconds: int) -> dict:
    """The state machine for one table and payment function."""
    names = Names(table_name)
    return {
        "Comment": "Books one slot: hold, pay, confirm; compensates on any failure.",
        "StartAt": "CheckInput",
        "States": {
            "CheckInput": _check_input(),
            "InvalidInput": fail_state(VALIDATION_ERROR, "the saga's input is malformed"),
            "DeriveBookingId": ids_state(DERIVED_BOOKING_ID, hold_ttl_seconds),
            "DeriveRequestedBookingId": ids_state(
                DERIVED_BOOKING_ID, hold_ttl_seconds, created_at="$.requestedAt"
            ),
            "GenerateBookingId": ids_state("States.UUID()", hold_ttl_seconds),
            "ReadSlot": read_state(table_name, names.slot_key(), "$.slot", "SlotExists"),
            "SlotExists": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.slot.Item", "IsPresent": True, "Next": "PlaceHold"}],
                "Default": "SlotMissing",
            },
            "SlotMissing": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.requestedAt", "IsPresent": True, "Next": "RequestSlotMissing"}
                ],
                "Default": "NoSuchSlot",
            },
            "NoSuchSlot": fail_state(NOT_FOUND, "the venue has no such slot"),
            "RequestSlotMissing": failure_state(
                NOT_FOUND, "the venue has no such slot", "FailRequest"
            ),
            "RequestUnavailable": failure_state(
                SLOT_UNAVAILABLE, "the slot is held or booked by someone else", "FailRequest"
            ),
            "FailRequest": {
                # A recorded request the saga cannot take up ends FAILED, its lock released.
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.fail_request()},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        # Another execution took the request up meanwhile: judge it again.
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": None,
                        "Next": "LookupBooking",
                    }
                ],
                "Next": "Failed",
            },
            "PlaceHold": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.place_hold()},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [
                    {
                        "ErrorEquals": [TRANSACTION_CANCELED],
                        "ResultPath": "$.error",
                        "Next": "LookupBooking",
                    }
                ],
                "Next": "TakePayment",
            },
            "LookupBooking": read_state(
                table_name, names.booking_key(), "$.existing", "IsRepeatedRequest"
            ),
            "IsRepeatedRequest": _is_repeated_request(names),
            "SlotUnavailable": fail_state(
                SLOT_UNAVAILABLE, "the slot is held or booked by someone else"
            ),
            "TokenReused": fail_state(
                VALIDATION_ERROR, "this clientToken was used for another slot"
            ),
            "RepeatFailure": {
                "Type": "Fail",
                "ErrorPath": "$.existing.Item.failureReason.S",
                "Cause": "this request was made before and failed",
            },
            "ExistingBooking": {
                "Type": "Pass",
                "Parameters": booking_output("$.existing.Item"),
                "End": True,
            },
            "TakePayment": payment_task(
                payment_function_arn,
                {
                    "action": "charge",
                    "bookingId.$": BOOKING_ID,
                    "amount.$": "States.StringToJson($.slot.Item.price.N)",
                    "failPayment.$": "$.failPayment",
                },
                ResultSelector={"chargeId.$": "$.Payload.chargeId"},
                ResultPath="$.payment",
                Catch=[
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
                Next="ConfirmBooking",
            ),
            "ConfirmBooking": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.confirm()},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
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
                    "createdAt.$": CREATED_AT,
                    "startsAt.$": "$.slot.Item.startsAt.S",
                    "price.$": "States.StringToJson($.slot.Item.price.N)",
                },
                "End": True,
            },
            # The caller sees this cause, not the payment function's error payload.
            "PaymentWasDeclined": failure_state(
                PAYMENT_DECLINED, "the payment was declined", "ReleaseHold"
            ),
            "HoldLost": failure_state(
                HOLD_EXPIRED,
                "the hold expired and the slot was taken before confirmation",
                "RefundPayment",
            ),
            "RefundPayment": payment_task(
                payment_function_arn,
                {"action": "refund", "bookingId.$": BOOKING_ID},
                ResultPath=None,
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "ReleaseHold"}],
                Next="ReleaseHold",
            ),
            "ReleaseHold": {
                "Type": "Task",
                "Resource": TRANSACT_WRITE,
                "Parameters": {"TransactItems": names.release()},
                "ResultPath": None,
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
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
                "Retry": [retry_on(DYNAMODB_TRANSIENT)],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}],
                "Next": "Failed",
            },
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


class Names:
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

    def payment_status(self, status: str) -> str:
        return self._status("payment", status)

    def _status(self, kind: str, status: str) -> str:
        if status not in self.statuses[kind]:
            raise KeyError(f"{status} is not a {kind} status in the model")
        return status

    def key(self, prefix: str, id_path: str, sort: dict | None = None) -> dict:
        return {
            self.pk: formatted(self.prefix[prefix] + "{}", id_path),
            self.sk: sort or {"S": self.meta},
        }

    def slot_key(self) -> dict:
        return self.key("venue", "$.venueId", formatted(self.prefix["slot"] + "{}", "$.slotId"))

    def booking_key(self) -> dict:
        return self.key("booking", BOOKING_ID)

    def booking_sort(self) -> dict:
        return formatted(self.prefix["booking"] + "{}#{}", CREATED_AT, BOOKING_ID)

    def request_lock_key(self) -> dict:
        """The user's lock on the slot while a request of theirs for it is pending."""
        sort = formatted(self.prefix["request"] + "{}#{}", "$.venueId", "$.slotId")
        return self.key("user", "$.userSub", sort)

    def release_request_lock(self) -> dict:
        # Unconditional: whichever of the user's bookings of the slot ends, the lock may go.
        return {"Delete": {"TableName": self.table, "Key": self.request_lock_key()}}

    def booking_item(self, **extra: dict) -> dict:
        """The booking, PENDING, as the saga's input and the slot it read describe it."""
        return {
            **self.booking_key(),
            self.gsi1pk: formatted(self.prefix["venue"] + "{}", "$.venueId"),
            self.gsi1sk: self.booking_sort(),
            "entity": {"S": "Booking"},
            "bookingId": {"S.$": BOOKING_ID},
            "userSub": {"S.$": "$.userSub"},
            "venueId": {"S.$": "$.venueId"},
            "slotId": {"S.$": "$.slotId"},
            "startsAt": {"S.$": "$.slot.Item.startsAt.S"},
            "price": {"N.$": "$.slot.Item.price.N"},
            "status": {"S": self.booking_status("PENDING")},
            "createdAt": {"S.$": CREATED_AT},
            "updatedAt": {"S.$": "$.now"},
            **extra,
        }

    def booking_ref_key(self) -> dict:
        return self.key("user", "$.userSub", self.booking_sort())

    def booking_ref(self) -> dict:
        """The user's ref to the booking: their bookings, newest first."""
        return {
            **self.booking_ref_key(),
            "entity": {"S": "BookingRef"},
            "userSub": {"S.$": "$.userSub"},
            "bookingId": {"S.$": BOOKING_ID},
            "venueId": {"S.$": "$.venueId"},
            "slotId": {"S.$": "$.slotId"},
            "createdAt": {"S.$": CREATED_AT},
        }

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
                        ":expires": number_value("$.ids.holdExpiresAt"),
                        ":booking": {"S.$": BOOKING_ID},
                        ":price": {"N.$": "$.slot.Item.price.N"},
                        ":now": {"S.$": "$.now"},
                        ":nowEpoch": number_value("$.nowEpoch"),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self.booking_item(),
                    # New, or the user's own request for this slot, recorded and not taken up.
                    "ConditionExpression": (
                        f"{not_exists} OR (attribute_exists({QUEUED_AT})"
                        " AND userSub = :user AND venueId = :venue AND slotId = :slot)"
                    ),
                    "ExpressionAttributeValues": {
                        ":user": {"S.$": "$.userSub"},
                        ":venue": {"S.$": "$.venueId"},
                        ":slot": {"S.$": "$.slotId"},
                    },
                }
            },
            # No condition: written only with the booking above, whose condition decides; a
            # recorded request already wrote this same ref.
            {"Put": {"TableName": self.table, "Item": self.booking_ref()}},
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self.key("hold", BOOKING_ID),
                        # The holds index: expired holds are a key range (sweeper).
                        self.gsi1pk: {"S": self.holds_partition},
                        self.gsi1sk: formatted("{}#{}", "$.ids.holdExpiresAt", BOOKING_ID),
                        "entity": {"S": "Hold"},
                        "bookingId": {"S.$": BOOKING_ID},
                        "venueId": {"S.$": "$.venueId"},
                        "slotId": {"S.$": "$.slotId"},
                        self.ttl: number_value("$.ids.holdExpiresAt"),
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
            self.release_request_lock(),
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
            self.release_request_lock(),
        ]

    def fail_request(self) -> list[dict]:
        """A recorded request, not taken up, FAILED with `$.error`; the user's lock gone."""
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": self.booking_key(),
                    "UpdateExpression": (
                        f"SET #status = :failed, updatedAt = :updated, failureReason = :reason"
                        f" REMOVE {QUEUED_AT}"
                    ),
                    "ConditionExpression": f"attribute_exists({QUEUED_AT})",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":failed": {"S": self.booking_status("FAILED")},
                        ":updated": {"S.$": "$$.State.EnteredTime"},
                        ":reason": {"S.$": "$.error.Error"},
                    },
                }
            },
            self.release_request_lock(),
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
                    {"Variable": "$.requestedAt", "IsPresent": True},
                    {"Variable": "$.requestedAt", "IsString": True},
                    {"Variable": "$.clientToken", "IsPresent": True},
                    {"Variable": "$.clientToken", "IsString": True},
                ],
                "Next": "DeriveRequestedBookingId",
            },
            {"Variable": "$.requestedAt", "IsPresent": True, "Next": "InvalidInput"},
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


def ids_state(booking_id_expression: str, hold_ttl_seconds: int, created_at: str = "$.now") -> dict:
    """The booking's id, its creation time and when a hold placed now expires, in `$.ids`."""
    return {
        "Type": "Pass",
        "Parameters": {
            "bookingId.$": booking_id_expression,
            "createdAt.$": created_at,
            "holdExpiresAt.$": f"States.MathAdd($.nowEpoch, {int(hold_ttl_seconds)})",
        },
        "ResultPath": "$.ids",
        "Next": "ReadSlot",
    }


def _is_repeated_request(names: Names) -> dict:
    item = "$.existing.Item"
    return {
        "Type": "Choice",
        "Choices": [
            {"Not": {"Variable": item, "IsPresent": True}, "Next": "SlotUnavailable"},
            token_reused_choice(item),
            {"Variable": f"{item}.{QUEUED_AT}", "IsPresent": True, "Next": "RequestUnavailable"},
            {
                "Variable": f"{item}.status.S",
                "StringEquals": names.booking_status("FAILED"),
                "Next": "RepeatFailure",
            },
        ],
        "Default": "ExistingBooking",
    }


def token_reused_choice(item: str) -> dict:
    """To `TokenReused` when the booking found under the token is for another slot."""
    return {
        "Or": [
            {"Not": {"Variable": f"{item}.slotId.S", "StringEqualsPath": "$.slotId"}},
            {"Not": {"Variable": f"{item}.venueId.S", "StringEqualsPath": "$.venueId"}},
        ],
        "Next": "TokenReused",
    }


def booking_output(item: str) -> dict[str, Any]:
    return {
        "bookingId.$": f"{item}.bookingId.S",
        "venueId.$": f"{item}.venueId.S",
        "slotId.$": f"{item}.slotId.S",
        "status.$": f"{item}.status.S",
        "createdAt.$": f"{item}.createdAt.S",
        "startsAt.$": f"{item}.startsAt.S",
        "price.$": f"States.StringToJson({item}.price.N)",
    }


def formatted(template: str, *paths: str) -> dict:
    """A DynamoDB string made with States.Format from `paths`."""
    arguments = ", ".join(paths)
    return {"S.$": f"States.Format('{template}', {arguments})"}


def number_value(path: str) -> dict:
    return {"N.$": f"States.Format('{{}}', {path})"}


def read_state(table_name: str, key: dict, result_path: str, next_state: str) -> dict:
    """A consistent GetItem into `result_path`, retried on DynamoDB's transient errors."""
    return {
        "Type": "Task",
        "Resource": GET_ITEM,
        "Parameters": {"TableName": table_name, "Key": key, "ConsistentRead": True},
        "ResultPath": result_path,
        "Retry": [retry_on(DYNAMODB_TRANSIENT)],
        "Next": next_state,
    }


def payment_task(function_arn: str, payload: dict[str, Any], **state: Any) -> dict[str, Any]:
    """A call of the payment function, logged under the execution's name (its correlation id)
    and retried on Lambda's transient errors; `state` adds the rest of the Task state."""
    return {
        "Type": "Task",
        "Resource": INVOKE,
        "Parameters": {
            "FunctionName": function_arn,
            "Payload": {**payload, "correlationId.$": CORRELATION_ID},
        },
        "Retry": [retry_on(LAMBDA_TRANSIENT, interval=1)],
        **state,
    }


def retry_on(errors: list[str], interval: int = 1) -> dict:
    return {"ErrorEquals": errors, "IntervalSeconds": interval, "MaxAttempts": 3, "BackoffRate": 2}


def fail_state(error: str, cause: str) -> dict:
    return {"Type": "Fail", "Error": error, "Cause": cause}


def failure_state(error: str, cause: str, next_state: str) -> dict:
    """Records the failure in `$.error` on the way to the state that writes it down."""
    return {
        "Type": "Pass",
        "Parameters": {"Error": error, "Cause": cause},
        "ResultPath": "$.error",
        "Next": next_state,
    }
