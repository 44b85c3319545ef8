"""requestBooking on the local cloud with real clients: the requester follows its booking live
on onBookingUpdate while another user sees only the slot; and a burst of requests drains to
exactly one booking per slot, with nothing left on the queue or in its dead-letter queue."""

import asyncio
import hashlib
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication

from appsync_live import AcknowledgedTransport, all_acknowledged
from cloud_harness import aws, http_client, open_slot, start_cloud, stop_cloud, token
from support import eventually, run_local, stack_variant

REQUEST = """mutation($v: ID!, $s: ID!, $t: String!) {
  requestBooking(venueId: $v, slotId: $s, clientToken: $t) { bookingId status }
}"""
PASSWORD = "Burst-Passw0rd!"
USERS = 10
SLOTS = 50
REQUESTS = 200


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return stack_variant(tmp_path_factory.mktemp("queue"), "e2e", {})


@pytest.fixture(scope="module")
def cloud(project):
    process, discovery, port = start_cloud(project)
    yield discovery, port
    stop_cloud(process)


def post(discovery: dict, jwt: str, query: str, **variables) -> dict:
    return requests.post(
        discovery["graphqlUrl"],
        json={"query": query, "variables": variables},
        headers={"Authorization": jwt},
        timeout=60,
    ).json()


def test_the_requester_sees_its_booking_live_and_no_one_else_does(cloud):
    discovery, port = cloud
    alice, bob = (token(discovery, f"{n}@example.com") for n in ("alice", "bob"))
    venue, slot = open_slot(discovery, alice)
    _, other = open_slot(discovery, alice, index=1)
    host = f"127.0.0.1:{port}"
    mine = gql("subscription { onBookingUpdate { bookingId status } }")
    slots = gql("subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }")
    slots.variable_values = {"v": venue}

    def transport(jwt: str) -> AcknowledgedTransport:
        return AcknowledgedTransport(
            url=discovery["realtimeUrl"], auth=AppSyncJWTAuthentication(host=host, jwt=jwt)
        )

    async def listen(via: AcknowledgedTransport, query, seen: list, until: str) -> None:
        async with Client(transport=via) as live:
            async for update in live.subscribe(query):
                [(field, value)] = update.items()
                if field == "onSlotUpdate" and value["slotId"] != slot:
                    continue
                seen.append((value.get("bookingId"), value["status"]))
                if value["status"] == until:
                    return

    async def scenario() -> tuple[dict, dict, list, list, list]:
        alice_bookings, bob_bookings, bob_slots = [], [], []
        alices, bobs_slots, bobs = transport(alice), transport(bob), transport(bob)
        watchers = [
            asyncio.create_task(listen(alices, mine, alice_bookings, "CONFIRMED")),
            asyncio.create_task(listen(bobs_slots, slots, bob_slots, "BOOKED")),
        ]
        bob_mine = asyncio.create_task(listen(bobs, mine, bob_bookings, "CONFIRMED"))
        await all_acknowledged(alices, bobs_slots, bobs)
        answer = await asyncio.to_thread(post, discovery, alice, REQUEST, v=venue, s=slot, t="r1")
        await asyncio.wait_for(asyncio.gather(*watchers), 30)
        # A fence: bob's own booking, made after alice's was confirmed to her, reaches him on the
        # same subscription; anything of alice's that leaked to him would have come before it.
        own = await asyncio.to_thread(post, discovery, bob, REQUEST, v=venue, s=other, t="b1")
        await asyncio.wait_for(bob_mine, 30)
        return answer, own, alice_bookings, bob_slots, bob_bookings

    answer, own, alice_bookings, bob_slots, bob_bookings = asyncio.run(scenario())
    assert answer["data"]["requestBooking"]["status"] == "PENDING"
    alices_id = answer["data"]["requestBooking"]["bookingId"]
    assert alice_bookings == [(alices_id, "PENDING"), (alices_id, "CONFIRMED")]
    assert [status for _, status in bob_slots] == ["HELD", "BOOKED"]
    bobs_id = own["data"]["requestBooking"]["bookingId"]
    assert bob_bookings == [(bobs_id, "PENDING"), (bobs_id, "CONFIRMED")]  # nothing of alice's
    follow = gql("query($b: ID!) { booking(bookingId: $b) { status } }")
    follow.variable_values = {"b": answer["data"]["requestBooking"]["bookingId"]}
    assert http_client(discovery, alice).execute(follow)["booking"]["status"] == "CONFIRMED"


def test_a_burst_of_requests_ends_with_one_booking_per_slot_and_empty_queues(cloud):
    discovery, _ = cloud
    jwts = burst_users(discovery)
    owner = token(discovery, "olivia@example.com")
    slots = published_slots(discovery, owner, SLOTS)
    # Four requests for each slot, each from another user.
    plan = [
        (jwts[(n + n // SLOTS) % USERS], slots[n % SLOTS], f"burst-{n}") for n in range(REQUESTS)
    ]

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        answers = list(
            pool.map(lambda p: post(discovery, p[0], REQUEST, v=p[1][0], s=p[1][1], t=p[2]), plan)
        )
    assert all(a["data"]["requestBooking"]["status"] == "PENDING" for a in answers), answers
    ids = [a["data"]["requestBooking"]["bookingId"] for a in answers]
    final = wait_until_final(discovery, ids, timeout=120)
    print(f"\n{REQUESTS} requests: {time.monotonic() - began:.1f} s to the last final state")

    by_slot: dict[str, list[tuple[str, str | None]]] = {}
    for (_, (_, slot), _), booking_id in zip(plan, ids, strict=True):
        item = final[booking_id]
        by_slot.setdefault(slot, []).append((item["status"], item.get("failureReason")))
    for outcomes in by_slot.values():
        assert sorted(outcomes, key=str) == sorted(
            [("CONFIRMED", None)] + [("FAILED", "SlotUnavailable")] * (len(outcomes) - 1), key=str
        )
    sqs = aws(discovery, "sqs")
    for url in sqs.list_queues()["QueueUrls"]:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", url
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0", url


def burst_users(discovery: dict) -> list[str]:
    """Ten customers, created as an administrator would (the seed has two)."""
    cognito = aws(discovery, "cognito-idp")
    pool = discovery["userPoolId"]
    jwts = []
    for n in range(USERS):
        username = f"burst{n}@example.com"
        cognito.admin_create_user(
            UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": username}],
        )  # fmt: skip
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True
        )
        answer = cognito.initiate_auth(
            ClientId=discovery["userPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        jwts.append(answer["AuthenticationResult"]["IdToken"])
    return jwts


def published_slots(discovery: dict, owner: str, count: int) -> list[tuple[str, str]]:
    """`count` open slots of a new venue."""
    venue = post(discovery, owner, 'mutation { createVenue(name: "Queued") { venueId } }')
    venue_id = venue["data"]["createVenue"]["venueId"]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    publish = """mutation($v: ID!, $s: [NewSlotInput!]!) {
      publishSlots(venueId: $v, slots: $s) { slotId }
    }"""
    slots = []
    for first in range(0, count, 25):
        batch = [
            {
                "startsAt": (start + timedelta(minutes=30 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endsAt": (start + timedelta(minutes=30 * n + 30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "price": 1000,
            }
            for n in range(first, min(first + 25, count))
        ]
        published = post(discovery, owner, publish, v=venue_id, s=batch)["data"]["publishSlots"]
        slots += [(venue_id, s["slotId"]) for s in published]
    return slots


def wait_until_final(discovery: dict, booking_ids: list[str], timeout: float) -> dict[str, dict]:
    """Each booking once it is no longer PENDING, read from the table through the moto endpoint."""
    dynamodb = aws(discovery, "dynamodb", resource=True)
    [table_name] = aws(discovery, "dynamodb").list_tables()["TableNames"]
    table = dynamodb.Table(table_name)
    final: dict[str, dict] = {}

    def every_request_ended() -> bool:
        for booking_id in set(booking_ids) - set(final):
            item = table.get_item(Key={"pk": f"BOOKING#{booking_id}", "sk": "META"}).get("Item")
            if item and item["status"] != "PENDING":
                final[booking_id] = item
        return len(final) == len(set(booking_ids))

    eventually(every_request_ended, timeout=timeout, interval=0.2)
    return final


def test_make_redrive_sends_dead_letters_back_and_the_worker_books_them(cloud, project):
    discovery, _ = cloud
    alice = token(discovery, "alice@example.com")
    [(venue, slot)] = published_slots(discovery, token(discovery, "olivia@example.com"), 1)
    sqs = aws(discovery, "sqs")
    [dlq] = [url for url in sqs.list_queues()["QueueUrls"] if "requests-dlq" in url]
    sub = jwt.decode(alice, options={"verify_signature": False})["sub"]
    request = {  # a request the worker gave up on, as the request workflow wrote it
        "bookingId": hashlib.sha256(f"{sub}#dead-1".encode()).hexdigest(),
        "userSub": sub,
        "venueId": venue,
        "slotId": slot,
        "clientToken": "dead-1",
        "failPayment": False,
        "requestedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "correlationId": "dead-1",
    }
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(request))
    moved = redrive_command(project, dlq)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith(f"1 moved from {dlq} to ") and "requests-queue" in moved.stdout
    final = wait_until_final(discovery, [request["bookingId"]], timeout=30)
    assert final[request["bookingId"]]["status"] == "CONFIRMED"
    unknown = redrive_command(project, "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: nope is not a dead-letter queue here")


def redrive_command(project, queue: str) -> subprocess.CompletedProcess:
    """What `make redrive QUEUE=...` runs."""
    return run_local("redrive", "-C", str(project), "--queue", queue)
