"""The local cloud as its users run it: `python -m local up` in its own process, and the clients
they would use (Cognito sign-in against the moto endpoint, gql over HTTP and WebSocket, boto3)."""

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import boto3
import requests
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncJWTAuthentication

from appsync_live import AcknowledgedTransport, all_acknowledged
from domain import keys
from domain.entities import Booking, Hold, Slot
from domain.instants import format_instant
from domain.statuses import BookingStatus, SlotStatus
from local.aws.appsync.gateway.server import free_port
from support import CLEAN_ENV, REPO

STARTUP_SECONDS = 90
SEED = "devtools/seed.py:seed"


def start_cloud(directory, *options: str, seed: str | None = SEED):
    """`python -m local up` in its own process, once it says it is ready."""
    port = free_port()
    seeding = ["--seed", seed] if seed else []
    command = ["-m", "local", "up", "-C", str(directory), "--stack", "e2e", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, *command, *seeding, *options],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=CLEAN_ENV,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("Ready.") or time.monotonic() > deadline:
            break
    assert output and output[-1].startswith("Ready."), "".join(output)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
    discovery = json.loads((directory / ".slate" / "local.json").read_text())
    return process, discovery, port


def stop_cloud(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def token(discovery: dict, username: str) -> str:
    cognito = boto3.client(
        "cognito-idp",
        region_name=discovery["region"],
        endpoint_url=discovery["awsEndpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local-secret",
    )
    password = next(u["password"] for u in discovery["users"] if u["username"] == username)
    answer = cognito.initiate_auth(
        ClientId=discovery["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return answer["AuthenticationResult"]["IdToken"]


def http_client(discovery: dict, jwt: str) -> Client:
    """gql over HTTP, authorized with gql's AppSync auth, as an AppSync client is."""
    host = discovery["graphqlUrl"].split("/")[2]
    auth = AppSyncJWTAuthentication(host=host, jwt=jwt)
    return Client(transport=AIOHTTPTransport(url=discovery["graphqlUrl"], auth=auth))


def open_slot(discovery: dict, jwt: str, index: int = 0) -> tuple[str, str]:
    """(venue, slot): the demo venue's `index`-th open slot."""
    session = http_client(discovery, jwt)
    venue = session.execute(gql("{ venues { venueId } }"))["venues"][0]["venueId"]
    slots_query = gql("query($v: ID!) { venueSlots(venueId: $v) { slotId status } }")
    slots_query.variable_values = {"v": venue}
    slots = session.execute(slots_query)["venueSlots"]
    return venue, [s["slotId"] for s in slots if s["status"] == "OPEN"][index]


def watch_while(discovery: dict, port: int, jwts: list, venue: str, slot: str, *, act, last: str):
    """Statuses of `slot` each watcher saw while `act()` ran, up to status `last`; and what
    `act` returned."""
    host = f"127.0.0.1:{port}"
    watch = gql("subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }")
    watch.variable_values = {"v": venue}

    async def watcher(transport: AcknowledgedTransport, seen: list) -> None:
        async with Client(transport=transport) as live:
            async for update in live.subscribe(watch):
                if update["onSlotUpdate"]["slotId"] == slot:
                    seen.append(update["onSlotUpdate"]["status"])
                    if seen[-1] == last:
                        return

    async def scenario():
        seen_by = [[] for _ in jwts]
        transports = [
            AcknowledgedTransport(
                url=discovery["realtimeUrl"], auth=AppSyncJWTAuthentication(host=host, jwt=jwt)
            )
            for jwt in jwts
        ]
        tasks = [
            asyncio.create_task(watcher(transport, seen))
            for transport, seen in zip(transports, seen_by, strict=True)
        ]
        await all_acknowledged(*transports)
        outcome = await asyncio.to_thread(act)
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        return seen_by, outcome

    return asyncio.run(scenario())


def aws(discovery: dict, service: str, resource: bool = False):
    """A client (or resource) of the local cloud's AWS, as any outside tool would use it."""
    factory = boto3.resource if resource else boto3.client
    return factory(
        service,
        region_name=discovery["region"],
        endpoint_url=discovery["awsEndpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local-secret",
    )


def abandon(discovery: dict, venue: str, slot: str, booking: str) -> None:
    """The state a booking leaves when its client vanishes mid-payment, expired a minute ago."""
    [name] = aws(discovery, "dynamodb").list_tables()["TableNames"]
    table = aws(discovery, "dynamodb", resource=True).Table(name)
    current = Slot.from_item(table.get_item(Key=keys.slot_key(venue, slot))["Item"])
    expired = int(time.time()) - 60
    table.put_item(
        Item=replace(
            current, status=SlotStatus.HELD, hold_expires_at=expired, booking_id=booking
        ).to_item()
    )
    table.put_item(
        Item=Booking(
            booking_id=booking,
            user_sub="ghost",
            venue_id=venue,
            slot_id=slot,
            starts_at=current.starts_at,
            price=current.price,
            status=BookingStatus.PENDING,
            created_at=format_instant(datetime.now(UTC)),
            updated_at=format_instant(datetime.now(UTC)),
        ).to_item()
    )
    table.put_item(Item=Hold(booking, venue, slot, expired).to_item())


def book(discovery: dict, jwt: str, venue: str, slot: str, fail: bool = False):
    """The booking, or the error type it failed with."""
    query = (
        "mutation($v: ID!, $s: ID!, $f: Boolean) {"
        " bookSlot(venueId: $v, slotId: $s, failPayment: $f) { bookingId status } }"
    )
    answer = requests.post(
        discovery["graphqlUrl"],
        json={"query": query, "variables": {"v": venue, "s": slot, "f": fail}},
        headers={"Authorization": jwt},
        timeout=60,
    ).json()
    return answer["errors"][0]["errorType"] if "errors" in answer else answer["data"]["bookSlot"]


def watch_an_abandoned_hold(discovery: dict, port: int, booking_id: str) -> list[list[str]]:
    """What a watcher sees of an open slot while a booking abandons it past its expiry."""
    alice = token(discovery, "alice@example.com")
    venue, slot = open_slot(discovery, alice)
    seen_by, _ = watch_while(
        discovery,
        port,
        [alice],
        venue,
        slot,
        act=lambda: abandon(discovery, venue, slot, booking_id),
        last="OPEN",
    )
    return seen_by
