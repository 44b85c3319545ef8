"""Publishes slots' and bookings' states through the API's system mutations
(`publishSlotUpdate`, `publishBookingUpdate`), signed with SigV4 (IAM), so AppSync pushes each
to the matching subscriptions: every `onSlotUpdate` of the slot's venue, or the booker's
`onBookingUpdate`.

A batch of updates goes as one request, one aliased mutation field per update (AppSync runs
them in order and notifies the subscriptions of each), at most `UPDATES_PER_REQUEST` at a time:
one signature and one round trip for a stream batch instead of one per record.

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
UPDATES_PER_REQUEST = 50
"""Each update is one resolver; the API allows 100 per request by default."""
SLOT_FIELDS = "venueId slotId startsAt endsAt price status"
BOOKING_FIELDS = (
    "bookingId venueId slotId status createdAt startsAt price userSub updatedAt failureReason"
    " refundId"
)
Update = Slot | Booking


class PublishFailed(Exception):
    """AppSync did not accept the update; the record is retried (a batch item failure)."""


class ApiPublisher:
    def __init__(self, url: str, region: str, credentials: Credentials) -> None:
        self.url = url
        self.region = region
        self.credentials = credentials

    def publish(self, updates: list[Update]) -> list[str | None]:
        """For each update, in order: None once AppSync published it, else why not."""
        refusals: list[str | None] = []
        for first in range(0, len(updates), UPDATES_PER_REQUEST):
            chunk = updates[first : first + UPDATES_PER_REQUEST]
            try:
                refusals += self._publish(chunk)
            except PublishFailed as error:
                refusals += [str(error)] * len(chunk)
        return refusals

    def _publish(self, updates: list[Update]) -> list[str | None]:
        fields, declared, variables = [], [], {}
        for n, update in enumerate(updates):
            kind, mutation, input_type, selected, value = _described(update)
            fields.append(f"u{n}: {mutation}({kind}: ${kind}{n}) {{ {selected} }}")
            declared.append(f"${kind}{n}: {input_type}!")
            variables[f"{kind}{n}"] = value
        query = f"mutation Publish({', '.join(declared)}) {{ {' '.join(fields)} }}"
        answer = self._post({"query": query, "variables": variables})
        data = answer.get("data") or {}
        errors = {
            str((error.get("path") or [""])[0]): error.get("message", "refused")
            for error in answer.get("errors") or []
        }
        refusals: list[str | None] = []
        for n in range(len(updates)):
            alias = f"u{n}"
            refused = errors.get(alias) or ("not published" if data.get(alias) is None else None)
            refusals.append(None if refused is None else f"{alias} was refused: {refused}")
        return refusals

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload)
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
        if not isinstance(answer, dict):
            raise PublishFailed(f"{self.url}: not a GraphQL response")
        return answer


def _described(update: Update) -> tuple[str, str, str, str, dict[str, Any]]:
    """(variable kind, mutation, input type, selection, input value) for one update."""
    if isinstance(update, Slot):
        value = {
            "venueId": update.venue_id,
            "slotId": update.slot_id,
            "startsAt": update.starts_at,
            "endsAt": update.ends_at,
            "price": update.price,
            "status": update.status.value,
        }
        return "slot", "publishSlotUpdate", "SlotInput", SLOT_FIELDS, value
    value = {
        "bookingId": update.booking_id,
        "venueId": update.venue_id,
        "slotId": update.slot_id,
        "status": update.status.value,
        "createdAt": update.created_at,
        "startsAt": update.starts_at,
        "price": update.price,
        "userSub": update.user_sub,
        "updatedAt": update.updated_at,
        "failureReason": update.failure_reason,
        "refundId": update.refund_id,
    }
    return "booking", "publishBookingUpdate", "BookingInput", BOOKING_FIELDS, value
