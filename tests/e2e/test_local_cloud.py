"""The local cloud end to end, as `make dev` runs it: `python -m local up` in its own process,
used with real clients — Cognito sign-in against the moto endpoint, gql over HTTP and over
AppSync's real-time WebSocket, boto3 against the moto endpoint."""

import asyncio
import base64
import gzip
import json
import signal
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import moto.cognitoidp
import pytest
import requests
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from gql import gql

from cloud_harness import (
    aws,
    book,
    http_client,
    open_slot,
    start_cloud,
    stop_cloud,
    token,
    watch_an_abandoned_hold,
    watch_while,
)
from domain import keys
from support import eventually, stack_variant

KEYS = {
    "graphqlUrl",
    "realtimeUrl",
    "region",
    "awsEndpoint",
    "iamCredentials",
    "httpsGraphqlUrl",
    "caFile",
    "userPoolId",
    "userPoolClientId",
    "apiKey",
    "users",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return stack_variant(tmp_path_factory.mktemp("cloud"), "e2e", {})


@pytest.fixture(scope="module")
def cloud(project):
    process, discovery, port = start_cloud(project)
    yield process, discovery, port
    stop_cloud(process)


def test_discovery_names_every_endpoint_and_the_demo_users(cloud):
    _, discovery, _ = cloud
    assert set(discovery) == KEYS
    groups = [tuple(u["groups"]) for u in discovery["users"]]
    assert groups.count(()) >= 2 and ("admins",) in groups


def test_every_endpoint_listens_on_127_0_0_1_only(cloud):
    """Anyone can mint a token moto accepts (its signing key ships with moto), so nothing of
    the local cloud may be reachable from another address: a socket bound to every interface
    would answer on 127.0.0.2 too."""
    _, discovery, port = cloud
    moto_port = int(discovery["awsEndpoint"].rsplit(":", 1)[1])
    for listening in (port, moto_port):
        socket.create_connection(("127.0.0.1", listening), timeout=2).close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", listening), timeout=2).close()


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
        return http_client(discovery, bob).execute(request)["cancelBooking"]["status"]

    seen_by, cancelled = watch_while(discovery, port, [alice], venue, slot, act=cancel, last="OPEN")
    assert (cancelled, seen_by) == ("CANCELLED", [["OPEN"]])
    mine = gql("{ myBookings { bookingId } }")
    listed = http_client(discovery, alice).execute(mine)["myBookings"]
    assert booking["bookingId"] not in {b["bookingId"] for b in listed}


def test_an_abandoned_hold_is_released_by_ttl_and_published(cloud):
    _, discovery, port = cloud
    assert watch_an_abandoned_hold(discovery, port, "ghost1") == [["HELD", "OPEN"]]


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
    [dlq] = [url for url in sqs.list_queues()["QueueUrls"] if "realtime-dlq" in url]
    [message] = eventually(lambda: sqs.receive_message(QueueUrl=dlq).get("Messages"))
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


def test_unauthorized_calls_are_refused_in_appsync_s_shape(cloud):
    _, discovery, _ = cloud
    url = discovery["graphqlUrl"]
    alice = token(discovery, "alice@example.com")
    claims = jwt.decode(alice, options={"verify_signature": False})
    expired = forge({**claims, "exp": int(time.time()) - 60})
    for headers in ({}, {"Authorization": alice[:-4] + "AAAA"}, {"Authorization": expired}):
        refused = requests.post(
            url, json={"query": "{ venues { name } }"}, headers=headers, timeout=10
        )
        assert refused.status_code == 401, headers
        assert refused.json()["errors"][0]["errorType"] == "UnauthorizedException"
    publish = (
        'mutation { publishSlotUpdate(slot: {venueId: "v", slotId: "s",'
        ' startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-01T01:00:00Z", price: 1,'
        " status: OPEN}) { slotId } }"
    )
    for query in ('mutation { createVenue(name: "mine") { venueId } }', publish):  # group; IAM only
        body = requests.post(
            url, json={"query": query}, headers={"Authorization": alice}, timeout=10
        )
        assert body.json()["errors"][0]["errorType"] == "Unauthorized"


def forge(claims: dict) -> str:
    """A token signed with the key moto's Cognito signs with."""
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    key = jwt.PyJWK(json.loads(gzip.decompress(path.read_bytes())))
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key.key_id})


def test_a_raw_client_speaks_the_protocol_with_the_subprotocol_header(cloud):
    _, discovery, port = cloud
    jwt = token(discovery, "bob@example.com")
    venue, slot = open_slot(discovery, jwt)
    host = f"127.0.0.1:{port}"
    header = (
        base64.urlsafe_b64encode(json.dumps({"host": host, "Authorization": jwt}).encode())
        .decode()
        .rstrip("=")
    )
    query = json.dumps(
        {
            "query": "subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }",
            "variables": {"v": venue},
        }
    )

    async def scenario() -> None:
        protocols = ["graphql-ws", f"header-{header}"]
        async with websockets.connect(discovery["realtimeUrl"], subprotocols=protocols) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            ack = json.loads(await ws.recv())
            assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
            start = {
                "id": "raw-1",
                "type": "start",
                "payload": {
                    "data": query,
                    "extensions": {"authorization": {"host": host, "Authorization": jwt}},
                },
            }
            await ws.send(json.dumps(start))
            assert await next_message(ws, "start_ack") == {"id": "raw-1", "type": "start_ack"}
            await asyncio.to_thread(book, discovery, jwt, venue, slot)
            data = await next_message(ws, "data")
            while data["payload"]["data"]["onSlotUpdate"]["slotId"] != slot:  # earlier changes
                data = await next_message(ws, "data")
            assert data["payload"]["data"]["onSlotUpdate"] == {"slotId": slot, "status": "HELD"}
            await ws.send(json.dumps({"id": "raw-1", "type": "stop"}))
            assert (await next_message(ws, "complete"))["id"] == "raw-1"

    asyncio.run(scenario())


async def next_message(ws, kind: str) -> dict:
    """The next message of `kind`, past keep-alives."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if message["type"] == kind:
            return message


def test_https_and_wss_answer_with_a_certificate_the_local_authority_issued(cloud):
    """What Amplify derives from the GraphQL URL: `https://…/graphql` and
    `wss://…/graphql/realtime`, trusted through `caFile` alone."""
    _, discovery, _ = cloud
    url, ca_file = discovery["httpsGraphqlUrl"], discovery["caFile"]
    jwt = token(discovery, "alice@example.com")
    for address in (url, url.replace("localhost", "127.0.0.1")):  # both names are covered
        answer = requests.post(
            address,
            json={"query": "{ venues { name } }"},
            headers={"Authorization": jwt},
            verify=ca_file,
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["data"]["venues"]
    with pytest.raises(requests.exceptions.SSLError):  # untrusted without the local authority
        requests.post(url, json={"query": "{ venues { name } }"}, timeout=10)
    host = url.split("/")[2]
    header = base64.urlsafe_b64encode(json.dumps({"host": host, "Authorization": jwt}).encode())
    realtime = "wss://" + host + "/graphql/realtime"

    async def handshake() -> dict:
        trusted = ssl.create_default_context(cafile=ca_file)
        protocols = ["graphql-ws", "header-" + header.decode().rstrip("=")]
        async with websockets.connect(realtime, subprotocols=protocols, ssl=trusted) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            return json.loads(await ws.recv())

    assert asyncio.run(handshake())["type"] == "connection_ack"


def test_the_iam_credentials_in_the_discovery_file_sign_requests_the_gateway_accepts(cloud):
    """The published keys work; moto's own (what the functions sign with in-process) are not
    what an outside client is told, and a wrong secret is refused."""
    _, discovery, _ = cloud
    keys = discovery["iamCredentials"]
    publish = (
        'mutation { publishSlotUpdate(slot: {venueId: "v", slotId: "s",'
        ' startsAt: "2099-01-01T00:00:00Z", endsAt: "2099-01-01T01:00:00Z", price: 1,'
        " status: OPEN}) { slotId status } }"
    )

    def signed(secret: str) -> requests.Response:
        request = AWSRequest(
            method="POST",
            url=discovery["graphqlUrl"],
            data=json.dumps({"query": publish}),
            headers={"content-type": "application/json"},
        )
        credentials = Credentials(keys["accessKeyId"], secret)
        SigV4Auth(credentials, "appsync", discovery["region"]).add_auth(request)
        return requests.post(
            request.url, data=request.body, headers=dict(request.headers), timeout=10
        )

    accepted = signed(keys["secretAccessKey"])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"]["publishSlotUpdate"] == {"slotId": "s", "status": "OPEN"}
    refused = signed("not-the-secret")
    assert refused.status_code == 401
    assert refused.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_ctrl_c_leaves_no_process_port_or_discovery(cloud, project):
    process, discovery, port = cloud
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    assert not (project / ".slate" / "local.json").exists()
    moto_port = int(discovery["awsEndpoint"].rsplit(":", 1)[1])
    for freed in (port, moto_port):  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", freed), timeout=2).close()
