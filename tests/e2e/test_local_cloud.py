"""The local cloud end to end, as `make dev` runs it: `python -m local up` in its own process,
used with real clients — Cognito sign-in against the moto endpoint, gql over HTTP and over
AppSync's real-time WebSocket."""

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.requests import RequestsHTTPTransport

from local.gateway.server import free_port
from support import REPO

DISCOVERY = REPO / ".slate" / "local.json"
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


@pytest.fixture(scope="module")
def cloud():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local",
            "up",
            "--port",
            str(port),
            "--seed",
            "devtools/seed.py:seed",
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
    discovery = json.loads(DISCOVERY.read_text())
    yield process, discovery, port
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


def test_ctrl_c_leaves_no_process_port_or_discovery(cloud):
    process, discovery, port = cloud
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    assert not DISCOVERY.exists()
    moto_port = int(discovery["awsEndpoint"].rsplit(":", 1)[1])
    for freed in (port, moto_port):  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", freed), timeout=2).close()
