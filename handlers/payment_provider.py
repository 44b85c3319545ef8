"""A mock payment provider: charges and refunds recorded in the table, idempotent per booking.

It stands in for a real processor (Stripe, Adyen) and behaves like one where it matters: the
booking id is the idempotency key, so a second charge for the same booking returns the first
charge instead of taking money twice, and a refund happens at most once.
"""

import uuid
from typing import Any

from botocore.exceptions import ClientError

from domain import keys
from domain.entities import Payment
from domain.instants import format_instant, now
from domain.layout import PK
from domain.statuses import PaymentStatus

CONDITION_FAILED = "ConditionalCheckFailedException"


class PaymentDeclined(Exception):
    """The provider refused the charge; retrying will not help."""


class PaymentConflict(Exception):
    """The booking was already charged a different amount."""


class MockPaymentProvider:
    def __init__(self, table: Any) -> None:
        self.table = table

    def charge(self, booking_id: str, amount: int, decline: bool) -> Payment:
        if decline:
            raise PaymentDeclined(f"the card was declined for booking {booking_id}")
        payment = Payment(
            booking_id=booking_id,
            charge_id=f"ch_{uuid.uuid4().hex}",
            amount=amount,
            status=PaymentStatus.CHARGED,
            charged_at=format_instant(now()),
        )
        try:
            self.table.put_item(
                Item=payment.to_item(), ConditionExpression=f"attribute_not_exists({PK})"
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != CONDITION_FAILED:
                raise
            existing = self._get(booking_id)
            if existing.amount != amount:
                raise PaymentConflict(
                    f"booking {booking_id} was charged {existing.amount}, not {amount}"
                ) from None
            return existing
        return payment

    def refund(self, booking_id: str) -> Payment | None:
        """Refund the booking's charge once (a second refund returns the first); None if it
        was never charged."""
        try:
            response = self.table.update_item(
                Key=keys.payment_key(booking_id),
                UpdateExpression="SET #status = :refunded, refundId = :id, refundedAt = :at",
                ConditionExpression="#status = :charged",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":refunded": PaymentStatus.REFUNDED.value,
                    ":charged": PaymentStatus.CHARGED.value,
                    ":id": f"re_{uuid.uuid4().hex}",
                    ":at": format_instant(now()),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != CONDITION_FAILED:
                raise
            item = self.table.get_item(Key=keys.payment_key(booking_id), ConsistentRead=True)
            return Payment.from_item(item["Item"]) if "Item" in item else None
        return Payment.from_item(response["Attributes"])

    def _get(self, booking_id: str) -> Payment:
        item = self.table.get_item(Key=keys.payment_key(booking_id), ConsistentRead=True)["Item"]
        return Payment.from_item(item)
