"""Subscriptions that say when they are live: gql's AppSync transport, plus the moment AppSync
acknowledged the subscription (`start_ack`).

gql reads `start_ack` and keeps it to itself; a caller that must act only once a subscriber is
listening (a smoke check, a test) would otherwise have to guess with a pause. The frame is
AppSync's own, so this works the same against a deployed API and the local cloud.
"""

import asyncio
from typing import Any

from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

ACKNOWLEDGED_SECONDS = 10.0
"""How long a subscription may take to be acknowledged before it counts as failed."""


class AcknowledgedTransport(AppSyncWebsocketsTransport):
    """An `AppSyncWebsocketsTransport` whose `acknowledged` event is set by the first
    `start_ack` (one subscription per transport, as gql's `Client.subscribe` uses it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acknowledged = asyncio.Event()

    def _parse_answer(self, answer: str) -> Any:
        parsed = super()._parse_answer(answer)
        if parsed[0] == "start_ack":
            self.acknowledged.set()
        return parsed


async def all_acknowledged(*transports: AcknowledgedTransport) -> None:
    """Until every transport's subscription is acknowledged; TimeoutError past the limit."""
    await asyncio.wait_for(
        asyncio.gather(*(transport.acknowledged.wait() for transport in transports)),
        ACKNOWLEDGED_SECONDS,
    )
