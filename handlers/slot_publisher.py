"""Publishes a slot's state to the API's `publishSlotUpdate` mutation, signed with SigV4 (IAM),
so AppSync pushes it to every `onSlotUpdate` subscription of the slot's venue.

Uses only what the Lambda runtime has (botocore's signer, urllib): no HTTP library to package.
"""

import json
import urllib.error
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from domain.entities import Slot

SERVICE = "appsync"
TIMEOUT_SECONDS = 5
PUBLISH = """mutation PublishSlotUpdate($slot: SlotInput!) {
  publishSlotUpdate(slot: $slot) { venueId slotId startsAt endsAt price status }
}"""


class PublishFailed(Exception):
    """AppSync did not accept the update; the record is retried (a batch item failure)."""


class SlotPublisher:
    def __init__(self, url: str, region: str, credentials: Credentials) -> None:
        self.url = url
        self.region = region
        self.credentials = credentials

    def publish(self, slot: Slot) -> dict[str, Any]:
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
        body = json.dumps({"query": PUBLISH, "variables": variables})
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
        if answer.get("errors") or not (answer.get("data") or {}).get("publishSlotUpdate"):
            raise PublishFailed(f"publishSlotUpdate was refused: {answer.get('errors')}")
        return answer["data"]["publishSlotUpdate"]
