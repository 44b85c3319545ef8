"""The payment handler as Lambda runs it: idempotent charges, declines, refunds, bad events."""

import json

import pytest
from boto3.dynamodb.conditions import Key

from domain import keys, layout
from domain.entities import Payment
from domain.statuses import PaymentStatus
from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime
from support import REPO


@pytest.fixture
def invoke(aws_env, booking_table):
    runtime = LambdaRuntime()
    runtime.register(
        FunctionSpec(
            name="payment",
            arn="arn:aws:lambda:us-east-1:123456789012:function:payment",
            handler="payment.handler",
            code_root=REPO / "handlers",
            environment={
                "TABLE_NAME": booking_table.name,
                "POWERTOOLS_SERVICE_NAME": "payment",
                "POWERTOOLS_METRICS_NAMESPACE": "Slate",
            },
            timeout_seconds=10,
        )
    )

    def call(**event) -> tuple[dict, str | None]:
        result = runtime.invoke("payment", json.dumps(event))
        return json.loads(result.payload), result.function_error

    return call


def ledger(table) -> list[Payment]:
    items = table.query(
        KeyConditionExpression=Key(layout.PK).eq(keys.payment_key("b1")[layout.PK])
    )["Items"]
    return [Payment.from_item(item) for item in items]


def test_a_charge_is_recorded_once(invoke, booking_table):
    result, error = invoke(action="charge", bookingId="b1", amount=4500, failPayment=False)
    assert error is None
    assert result["status"] == "CHARGED"
    assert result["amount"] == 4500
    [payment] = ledger(booking_table)
    assert payment.charge_id == result["chargeId"]


def test_a_retried_charge_returns_the_first_result_and_charges_once(invoke, booking_table):
    first, _ = invoke(action="charge", bookingId="b1", amount=4500)
    again, error = invoke(action="charge", bookingId="b1", amount=4500)
    assert error is None
    assert again == first
    assert len(ledger(booking_table)) == 1


def test_a_retry_with_another_amount_is_refused(invoke, booking_table):
    invoke(action="charge", bookingId="b1", amount=4500)
    result, error = invoke(action="charge", bookingId="b1", amount=10)
    assert (error, result["errorType"]) == ("Unhandled", "IdempotencyValidationError")
    assert [p.amount for p in ledger(booking_table)] == [4500]


def forget_idempotency(table) -> None:
    """What expiry of the idempotency records does."""
    for item in table.scan()["Items"]:
        if item[layout.PK].startswith(keys.IDEMPOTENCY_PREFIX):
            table.delete_item(Key={layout.PK: item[layout.PK], layout.SK: item[layout.SK]})


def test_the_provider_itself_never_charges_a_booking_twice(invoke, booking_table):
    """Even past the idempotency records (expired, say), one charge per booking."""
    first, _ = invoke(action="charge", bookingId="b1", amount=4500)
    forget_idempotency(booking_table)
    again, _ = invoke(action="charge", bookingId="b1", amount=4500)
    assert again["chargeId"] == first["chargeId"]
    forget_idempotency(booking_table)
    conflict, error = invoke(action="charge", bookingId="b1", amount=10)
    assert (error, conflict["errorType"]) == ("Unhandled", "PaymentConflict")
    assert len(ledger(booking_table)) == 1


def test_a_decline_charges_nothing(invoke, booking_table):
    result, error = invoke(action="charge", bookingId="b1", amount=4500, failPayment=True)
    assert error == "Unhandled"
    assert result["errorType"] == "PaymentDeclined"
    assert "declined" in result["errorMessage"]
    assert ledger(booking_table) == []


def test_a_refund_happens_once_and_only_after_a_charge(invoke, booking_table):
    result, _ = invoke(action="refund", bookingId="b1")
    assert result["status"] == "NOT_CHARGED"
    invoke(action="charge", bookingId="b2", amount=100)
    first, _ = invoke(action="refund", bookingId="b2")
    second, _ = invoke(action="refund", bookingId="b2")
    assert first["status"] == second["status"] == "REFUNDED"
    refunded = Payment.from_item(booking_table.get_item(Key=keys.payment_key("b2"))["Item"])
    assert refunded.status == PaymentStatus.REFUNDED


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"bookingId": "b1", "amount": 1}, "action"),
        ({"action": "charge", "amount": 1}, "bookingId"),
        ({"action": "charge", "bookingId": "b#1", "amount": 1}, "bookingId"),
        ({"action": "charge", "bookingId": "b1", "amount": -5}, "amount"),
        ({"action": "charge", "bookingId": "b1", "amount": "5"}, "amount"),
        ({"action": "charge", "bookingId": "b1", "amount": 5, "failPayment": "yes"}, "failPayment"),
        ({"action": "charge", "bookingId": "b1", "amount": 5, "card": "4242"}, "card"),
        ({"action": "steal", "bookingId": "b1", "amount": 5}, "action"),
    ],
)
def test_malformed_events_are_rejected_and_charge_nothing(invoke, booking_table, event, problem):
    result, error = invoke(**event)
    assert (error, result["errorType"]) == ("Unhandled", "InvalidPaymentRequest")
    assert problem in result["errorMessage"]
    assert ledger(booking_table) == []


def test_a_charge_needs_an_amount(invoke, booking_table):
    result, _ = invoke(action="charge", bookingId="b1")
    assert result["errorType"] == "InvalidPaymentRequest"
    assert "amount greater than zero" in result["errorMessage"]
