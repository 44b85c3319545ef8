"""The local cloud end to end, as `make dev` runs it: `python -m local up` in its own process,
used with real clients — Cognito sign-in against the moto endpoint, gql over HTTP and over
AppSync's real-time WebSocket."""

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import boto3
import pytest
import requests
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.requests import RequestsHTTPTransport

from domain import keys
from domain.entities import Booking, Hold, Slot
from domain.instants import format_instant
from domain.statuses import BookingStatus, SlotStatus
from local.gateway.server import free_port
from support import REPO, stack_variant

KEYS = {
    "graphqlUrl",
    "realtimeUrl",
    "region",
    "awsEndpoint",
    "userPoolId",
    "userPoolClientId",
    "apiKey",
    "users",
}
STARTUP_SECONDS = 90


def start_cloud(directory, *options: str):
    """`python -m local up` in its own process, once it says it is ready."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local",
            "up",
            "-C",
            str(directory),
            "--stack",
            "e2e",
            "--port",
            str(port),
            "--seed",
            "devtools/seed.py:seed",
            *options,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
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


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return stack_variant(tmp_path_factory.mktemp("cloud"), "e2e", {})


@pytest.fixture(scope="module")
def cloud(project):
    process, discovery, port = start_cloud(project)
    yield process, discovery, port
    stop_cloud(process)


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
    transport = RequestsHTTPTransport(url=discovery["graphqlUrl"], headers={"Authorization": jwt})
    return Client(transport=transport)


def test_discovery_names_every_endpoint_and_the_demo_users(cloud):
    _, discovery, _ = cloud
    assert set(discovery) == KEYS
    groups = [tuple(u["groups"]) for u in discovery["users"]]
    assert groups.count(()) >= 2 and ("admins",) in groups


def open_slot(discovery: dict, jwt: str, index: int = 0) -> tuple[str, str]:
    """(venue, slot): the demo venue's `index`-th open slot."""
    with http_client(discovery, jwt) as session:
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

    async def watcher(jwt: str, seen: list) -> None:
        transport = AppSyncWebsocketsTransport(
            url=discovery["realtimeUrl"], auth=AppSyncJWTAuthentication(host=host, jwt=jwt)
        )
        async with Client(transport=transport) as live:
            async for update in live.subscribe(watch):
                if update["onSlotUpdate"]["slotId"] == slot:
                    seen.append(update["onSlotUpdate"]["status"])
                    if seen[-1] == last:
                        return

    async def scenario():
        seen_by = [[] for _ in jwts]
        tasks = [
            asyncio.create_task(watcher(jwt, seen)) for jwt, seen in zip(jwts, seen_by, strict=True)
        ]
        await asyncio.sleep(2)  # every subscription acknowledged
        outcome = await asyncio.to_thread(act)
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        return seen_by, outcome

    return asyncio.run(scenario())


def test_two_watchers_see_a_booking_live(cloud):
    _, discovery, port = cloud
    alice, bob = (token(discovery, f"{n}@example.com") for n in ("alice", "bob"))
    venue, slot = open_slot(discovery, alice)
    seen_by, booking = watch_while(
        discovery,
        port,
        [alice, bob],
        venue,
        slot,
        act=lambda: book(discovery, alice, venue, slot),
        last="BOOKED",
    )
    assert booking["status"] == "CONFIRMED"
    assert seen_by == [["HELD", "BOOKED"], ["HELD", "BOOKED"]]


def test_a_declined_payment_and_a_cancellation_reopen_the_slot_live(cloud):
    _, discovery, port = cloud
    alice, bob = (token(discovery, f"{n}@example.com") for n in ("alice", "bob"))
    venue, slot = open_slot(discovery, alice)
    seen_by, declined = watch_while(
        discovery,
        port,
        [alice, bob],
        venue,
        slot,
        act=lambda: book(discovery, bob, venue, slot, fail=True),
        last="OPEN",
    )
    assert declined == "PaymentDeclined"
    assert seen_by == [["HELD", "OPEN"], ["HELD", "OPEN"]]
    _, booking = watch_while(
        discovery,
        port,
        [alice],
        venue,
        slot,
        act=lambda: book(discovery, bob, venue, slot),
        last="BOOKED",
    )

    def cancel():
        request = gql("mutation($b: ID!) { cancelBooking(bookingId: $b) { status } }")
        request.variable_values = {"b": booking["bookingId"]}
        with http_client(discovery, bob) as session:
            return session.execute(request)["cancelBooking"]["status"]

    seen_by, cancelled = watch_while(discovery, port, [alice], venue, slot, act=cancel, last="OPEN")
    assert (cancelled, seen_by) == ("CANCELLED", [["OPEN"]])
    mine = gql("{ myBookings { bookingId } }")
    with http_client(discovery, alice) as session:
        assert booking["bookingId"] not in {
            b["bookingId"] for b in session.execute(mine)["myBookings"]
        }


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


def test_an_abandoned_hold_is_released_by_ttl_and_published(cloud):
    _, discovery, port = cloud
    alice = token(discovery, "alice@example.com")
    venue, slot = open_slot(discovery, alice)
    seen_by, _ = watch_while(
        discovery,
        port,
        [alice],
        venue,
        slot,
        act=lambda: abandon(discovery, venue, slot, "ghost1"),
        last="OPEN",
    )
    assert seen_by == [["HELD", "OPEN"]]


def test_a_record_the_fanout_cannot_publish_ends_in_the_on_failure_queue(cloud):
    _, discovery, _ = cloud
    [name] = aws(discovery, "dynamodb").list_tables()["TableNames"]
    table = aws(discovery, "dynamodb", resource=True).Table(name)
    broken = {
        **keys.slot_key("v-broken", "20990101T000000Z-deadbeef"),
        "entity": "Slot",
        "status": "GONE",
    }
    table.put_item(Item=broken)
    sqs = aws(discovery, "sqs")
    [dlq] = [url for url in sqs.list_queues()["QueueUrls"] if "dlq" in url]
    for _ in range(100):
        messages = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
        if messages:
            break
        time.sleep(0.1)
    [message] = messages
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"].startswith("arn:aws:dynamodb:")


def test_twenty_concurrent_bookings_of_one_slot_make_one(cloud):
    _, discovery, _ = cloud
    jwt = token(discovery, "alice@example.com")
    venue, slot = open_slot(discovery, jwt)
    query = "mutation($v: ID!, $s: ID!) { bookSlot(venueId: $v, slotId: $s) { status } }"

    def attempt(_):
        return requests.post(
            discovery["graphqlUrl"],
            json={"query": query, "variables": {"v": venue, "s": slot}},
            headers={"Authorization": jwt},
            timeout=60,
        ).json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(attempt, range(20)))
    assert sum("errors" not in a for a in answers) == 1
    assert {a["errors"][0]["errorType"] for a in answers if "errors" in a} == {"SlotUnavailable"}


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


def test_calls_without_a_valid_token_are_refused(cloud):
    _, discovery, _ = cloud
    refused = requests.post(
        discovery["graphqlUrl"], json={"query": "{ venues { name } }"}, timeout=10
    )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_ctrl_c_leaves_no_process_port_or_discovery(cloud, project):
    process, discovery, port = cloud
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    assert not (project / ".slate" / "local.json").exists()
    moto_port = int(discovery["awsEndpoint"].rsplit(":", 1)[1])
    for freed in (port, moto_port):  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", freed), timeout=2).close()
