"""BookingSaga: the Express state machine that books one slot, and its payment function."""

from typing import Required, TypedDict

import pulumi

from .booking_table import TableReference, table_reference
from .cancel_definition import cancel_definition
from .express_workflow import express_state_machine
from .iam import table_statement
from .logs import checked_retention
from .python_function import DEFAULT_POWERTOOLS_LAYER_VERSION, PythonFunction
from .saga_definition import definition
from .validation import checked, checked_tags, int_between, reject_unknown, require

COMPONENT = "BookingSaga"
ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
]
SAGA_PARTITIONS = ("venue", "booking", "user", "hold")
PAYMENT_PARTITIONS = ("payment", "idempotency")
CANCEL_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
CANCEL_PARTITIONS = ("venue", "booking")
"""The cancellation reads and marks the booking, and updates it and its slot."""


class BookingSagaArgs(TypedDict, total=False):
    """Where the saga books, and how long a hold lasts."""

    table: Required[pulumi.Input[TableReference]]
    """The BookingTable the saga writes (`BookingTable.reference`); its roles are scoped to it."""

    hold_ttl_seconds: pulumi.Input[int]
    """How long a slot stays held for a booking in payment, 60-3600 seconds. Default 900."""

    log_retention_days: pulumi.Input[int]
    """Retention of the workflow's and the payment function's logs. Default 14."""

    powertools_layer_version: pulumi.Input[int]
    """Version of the AWS-managed Powertools layer for the payment function. Default 27."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to every resource of the saga."""


class BookingSaga(pulumi.ComponentResource):
    """Books a slot in one synchronous Express execution: PlaceHold (one transaction) →
    TakePayment (Lambda, idempotent) → ConfirmBooking (one transaction), releasing the hold and
    refunding on any failure; and the cancellation workflow (refund, then CANCELLED and the slot
    reopened). Logged and traced; every role least-privilege."""

    state_machine_arn: pulumi.Output[str]
    """ARN of the Express state machine (start it with StartSyncExecution)."""

    state_machine_name: pulumi.Output[str]
    """Name of the state machine."""

    payment_function_arn: pulumi.Output[str]
    """ARN of the payment function."""

    payment_function_name: pulumi.Output[str]
    """Name of the payment function."""

    cancel_state_machine_arn: pulumi.Output[str]
    """ARN of the cancellation workflow (Express; StartSyncExecution): what the BookingApi's
    `cancelBooking` runs. It refunds the payment, then cancels the booking and reopens the
    slot."""

    def __init__(
        self, name: str, args: BookingSagaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        reject_unknown(COMPONENT, args, BookingSagaArgs)
        require(COMPONENT, args, "table")
        table = table_reference(COMPONENT, args)
        child = pulumi.ResourceOptions(parent=self)
        tags = checked_tags(COMPONENT, args)
        retention = checked_retention(COMPONENT, args)
        hold_ttl = checked(
            COMPONENT, "hold_ttl_seconds", args.get("hold_ttl_seconds", 900), int_between(60, 3600)
        )
        table_arn = table["arn"]

        payment = PythonFunction(
            f"{name}-payment",
            {
                "handler": "payment.handler",
                "description": "Takes and refunds a booking's payment (mock provider).",
                "environment": {"TABLE_NAME": table["name"]},
                "policy_statements": [table_statement(table_arn, ITEM_ACTIONS, PAYMENT_PARTITIONS)],
                "log_retention_days": retention,
                "powertools_layer_version": args.get(
                    "powertools_layer_version", DEFAULT_POWERTOOLS_LAYER_VERSION
                ),
                "tags": tags,
            },
            opts=child,
            owner=COMPONENT,
        )
        invoke_payment = {
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [payment.function_arn, pulumi.Output.concat(payment.function_arn, ":*")],
        }
        machine = express_state_machine(
            COMPONENT,
            name,
            definition=pulumi.Output.all(table["name"], payment.function_arn, hold_ttl).apply(
                lambda values: definition(*values)
            ),
            statements=[
                table_statement(table_arn, ITEM_ACTIONS, SAGA_PARTITIONS),
                invoke_payment,
            ],
            retention=retention,
            tags=tags,
            opts=child,
        )

        cancel = express_state_machine(
            COMPONENT,
            f"{name}-cancel",
            definition=pulumi.Output.all(table["name"], payment.function_arn).apply(
                lambda values: cancel_definition(*values)
            ),
            statements=[
                table_statement(table_arn, CANCEL_ACTIONS, CANCEL_PARTITIONS),
                invoke_payment,
            ],
            retention=retention,
            tags=tags,
            opts=child,
        )

        self.state_machine_arn = machine.arn
        self.state_machine_name = machine.name
        self.payment_function_arn = payment.function_arn
        self.payment_function_name = payment.function_name
        self.cancel_state_machine_arn = cancel.arn
        self.register_outputs(
            {
                "cancel_state_machine_arn": self.cancel_state_machine_arn,
                "state_machine_arn": self.state_machine_arn,
                "state_machine_name": self.state_machine_name,
                "payment_function_arn": self.payment_function_arn,
                "payment_function_name": self.payment_function_name,
            }
        )
