"""Releasing an expired hold: the slot back to OPEN and the booking EXPIRED, each by a
conditional write, so a release that comes twice (stream redelivery, sweeper and TTL racing)
changes nothing the second time and never reopens a slot someone else holds or booked."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import keys
from .entities import Hold
from .instants import format_instant, now
from .layout import MODEL, PK
from .statuses import BookingStatus, SlotStatus

HOLD_EXPIRED: str = MODEL["errors"]["holdExpired"]
CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Release:
    """What one release changed."""

    slot_reopened: bool
    booking_expired: bool
    marker_deleted: bool


class HoldReleaser:
    def __init__(self, table: Any) -> None:
        self.table = table

    def release(self, hold: Hold, now_epoch: int, *, delete_marker: bool) -> Release:
        """Reopens the slot if this booking still holds it and its hold has expired; marks the
        booking EXPIRED if it is still PENDING; deletes the marker when asked (TTL already did
        on the stream path)."""
        slot_reopened = self._conditional(
            "update_item",
            Key=keys.slot_key(hold.venue_id, hold.slot_id),
            UpdateExpression="SET #status = :open REMOVE holdExpiresAt, bookingId",
            ConditionExpression=(
                "#status = :held AND bookingId = :booking AND holdExpiresAt < :now"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":open": SlotStatus.OPEN.value,
                ":held": SlotStatus.HELD.value,
                ":booking": hold.booking_id,
                ":now": now_epoch,
            },
        )
        booking_expired = self._conditional(
            "update_item",
            Key=keys.booking_key(hold.booking_id),
            UpdateExpression=("SET #status = :expired, updatedAt = :at, failureReason = :reason"),
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":expired": BookingStatus.EXPIRED.value,
                ":pending": BookingStatus.PENDING.value,
                ":at": format_instant(now()),
                ":reason": HOLD_EXPIRED,
            },
        )
        marker_deleted = delete_marker and self._conditional(
            "delete_item",
            Key=keys.hold_key(hold.booking_id),
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
        )
        return Release(slot_reopened, booking_expired, marker_deleted)

    def _conditional(self, operation: str, **arguments: Any) -> bool:
        """True if the write happened; False if its condition no longer holds."""
        try:
            getattr(self.table, operation)(**arguments)
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True
