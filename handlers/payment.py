"""TakePayment / RefundPayment: the booking saga's payment step, as a Lambda function.

Event (from the state machine): `{"action": "charge" | "refund", "bookingId", "amount",
"failPayment", "correlationId"}`; the correlation id (the execution's name) is on every log
line. A charge returns `{"bookingId", "chargeId", "amount", "status"}`, a refund
`{"bookingId", "status": "REFUNDED", "refundId"}` (`NOT_CHARGED` and no id when nothing was
charged); a decline raises `PaymentDeclined` (the state machine's error name, never retried);
a malformed event raises `InvalidPaymentRequest`. Powertools idempotency keyed on (action,
bookingId) replays the first result to a retried invocation (a retry with another amount is an
`IdempotencyValidationError`), and the provider itself charges and refunds a booking at most
once.
"""

import os
from typing import Any, Literal

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from domain.keys import ID_PATTERN, IDEMPOTENCY_PREFIX
from domain.layout import PK, SK, TTL_ATTRIBUTE
from payment_provider import MockPaymentProvider, PaymentDeclined

MAX_AMOUNT = 10_000_000
NOT_CHARGED = "NOT_CHARGED"
"""A refund's answer for a booking that was never charged: nothing to give back."""
IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60

logger = Logger()
tracer = Tracer()
metrics = Metrics()
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
provider = MockPaymentProvider(table)
idempotency = IdempotencyConfig(
    event_key_jmespath="[action, bookingId]",
    payload_validation_jmespath="amount",
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
)
persistence = DynamoDBPersistenceLayer(
    table_name=os.environ["TABLE_NAME"],
    key_attr=PK,
    sort_key_attr=SK,
    static_pk_value=f"{IDEMPOTENCY_PREFIX}payment",
    expiry_attr=TTL_ATTRIBUTE,
)


class InvalidPaymentRequest(Exception):
    """The event is not a payment request; nothing was charged."""


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    action: Literal["charge", "refund"]
    booking_id: str = Field(alias="bookingId", pattern=ID_PATTERN.pattern)
    amount: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    fail_payment: bool = Field(default=False, alias="failPayment")
    correlation_id: str | None = Field(default=None, alias="correlationId", max_length=80)


@idempotent_function(
    data_keyword_argument="request", persistence_store=persistence, config=idempotency
)
def process(request: dict[str, Any]) -> dict[str, Any]:
    payment = PaymentRequest.model_validate(request)
    if payment.action == "refund":
        refunded = provider.refund(payment.booking_id)
        metrics.add_metric(name="PaymentRefunded", unit=MetricUnit.Count, value=1)
        if refunded is None:
            logger.info("refund", extra={"status": NOT_CHARGED})
            return {"bookingId": payment.booking_id, "status": NOT_CHARGED}
        logger.info("refund", extra={"status": refunded.status, "refund_id": refunded.refund_id})
        return {
            "bookingId": payment.booking_id,
            "status": refunded.status.value,
            "refundId": refunded.refund_id,
        }
    if payment.amount == 0:
        raise InvalidPaymentRequest("a charge needs an amount greater than zero")
    try:
        charge = provider.charge(payment.booking_id, payment.amount, payment.fail_payment)
    except PaymentDeclined:
        metrics.add_metric(name="PaymentDeclined", unit=MetricUnit.Count, value=1)
        logger.info("declined", extra={"amount": payment.amount})
        raise
    metrics.add_metric(name="PaymentCharged", unit=MetricUnit.Count, value=1)
    logger.info("charged", extra={"amount": payment.amount, "charge_id": charge.charge_id})
    return {
        "bookingId": charge.booking_id,
        "chargeId": charge.charge_id,
        "amount": charge.amount,
        "status": charge.status.value,
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    metrics.add_metric(name="PaymentRequests", unit=MetricUnit.Count, value=1)
    try:
        request = parse(event=event, model=PaymentRequest)
    except ValidationError as error:
        raise InvalidPaymentRequest(f"malformed payment request: {error}") from None
    logger.set_correlation_id(request.correlation_id)
    logger.append_keys(booking_id=request.booking_id, action=request.action)
    return process(request=request.model_dump(by_alias=True, exclude={"correlation_id"}))
