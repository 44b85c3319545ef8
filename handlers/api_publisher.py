"""Publishes a slot's or a booking's state through the API's system mutations
(`publishSlotUpdate`, `publishBookingUpdate`), signed with SigV4 (IAM), so AppSync pushes it to
the matching subscriptions: every `onSlotUpdate` of the slot's venue, or the booker's
`onBookingUpdate`.

Uses only what the Lambda runtime has (botocore's signer, urllib): no HTTP library to package.
"""

import json
import urllib.error
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from domain.entities import Booking, Slot

SERVICE = "appsync"
TIMEOUT_SECONDS = 5
PUBLISH_SLOT = """mutation PublishSlotUpdate($slot: SlotInput!) {
  publishSlotUpdate(slot: $slot) { venueId slotId startsAt endsAt price status }
}"""
PUBLISH_BOOKING = """mutation PublishBookingUpdate($booking: BookingInput!) {
  publishBookingUpdate(booking: $booking) {
    bookingId venueId slotId status createdAt startsAt price userSub updatedAt failureReason
  }
}"""


class PublishFailed(Exception):
    """AppSync did not accept the update; the record is retried (a batch item failure)."""


class ApiPublisher:
    def __init__(self, url: str, region: str, credentials: Credentials) -> None:
        self.url = url
        self.region = region
        self.credentials = credentials

    def slot(self, slot: Slot) -> dict[str, Any]:
        """The slot as AppSync published it."""
        variables = {
            "slot": {
                "venueId": slot.venue_id,
                "slotId": slot.slot_id,
                "startsAt": slot.starts_at,
                "endsAt": slot.ends_at,
                "price": slot.price,
                "status": slot.status.value,
            }
        }
        return self._publish(PUBLISH_SLOT, variables, "publishSlotUpdate")

    def booking(self, booking: Booking) -> dict[str, Any]:
        """The booking as AppSync published it."""
        variables = {
            "booking": {
                "bookingId": booking.booking_id,
                "venueId": booking.venue_id,
                "slotId": booking.slot_id,
                "status": booking.status.value,
                "createdAt": booking.created_at,
                "startsAt": booking.starts_at,
                "price": booking.price,
                "userSub": booking.user_sub,
                "updatedAt": booking.updated_at,
                "failureReason": booking.failure_reason,
            }
        }
        return self._publish(PUBLISH_BOOKING, variables, "publishBookingUpdate")

    def _publish(self, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables})
        request = AWSRequest(
            method="POST", url=self.url, data=body, headers={"content-type": "application/json"}
        )
        SigV4Auth(self.credentials, SERVICE, self.region).add_auth(request)
        outgoing = urllib.request.Request(
            self.url, data=body.encode(), headers=dict(request.headers.items()), method="POST"
        )
        try:
            with urllib.request.urlopen(outgoing, timeout=TIMEOUT_SECONDS) as reply:
                answer = json.loads(reply.read())
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise PublishFailed(f"{self.url}: {error}") from error
        if answer.get("errors") or not (answer.get("data") or {}).get(field):
            raise PublishFailed(f"{field} was refused: {answer.get('errors')}")
        return answer["data"][field]
