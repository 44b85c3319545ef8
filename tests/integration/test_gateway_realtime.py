"""AppSync's real-time protocol on the gateway, with gql's AppSync transport and a raw WebSocket
client using the subprotocol form: acks, keep-alives, per-start auth, @aws_subscribe fan-out by
arguments, enhanced filters, stop/complete."""

import asyncio
import base64
import json

import pytest
import requests
import websockets
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

from local.aws.appsync import ApiConfig, AuthConfig, GraphQLEngine, ResolverConfig
from local.aws.appsync.gateway import Authorizer, gateway_app, serving
from local.aws.appsync.sources import NoneSource
from support import eventually_async

KEY = "da2-realtimekey"
SCHEMA = """
type Event @aws_api_key { channel: ID! level: Int! text: String }
type Query @aws_api_key { ping: String }
type Mutation @aws_api_key { send(channel: ID!, level: Int!, text: String): Event }
type Subscription @aws_api_key {
  onEvent(channel: ID!): Event @aws_subscribe(mutations: ["send"])
  onLoud: Event @aws_subscribe(mutations: ["send"])
}
"""
ECHO = (
    "export function request(ctx) { return { payload: ctx.args }; }\n"
    "export function response(ctx) { return ctx.result; }\n"
)
SUBSCRIBE_CHECKED = (
    "import { util } from '@aws-appsync/utils';\n"
    "export function request(ctx) { if (ctx.args.channel === 'forbidden') {"
    " util.error('no such channel', 'ValidationError'); } return { payload: null }; }\n"
    "export function response(ctx) { return null; }\n"
)
LOUD_ONLY = (
    "import { util, extensions } from '@aws-appsync/utils';\n"
    "export function request(ctx) { return { payload: null }; }\n"
    "export function response(ctx) { extensions.setSubscriptionFilter("
    "util.transform.toSubscriptionFilter({ level: { gt: 2 } })); return null; }\n"
)


observed: list[tuple] = []
"""What the gateway told its observer: (caller, operation, outcome, ms)."""


@pytest.fixture
def gateway():
    engine = GraphQLEngine(
        ApiConfig(
            schema=SCHEMA,
            auth=AuthConfig("API_KEY"),
            resolvers=[
                ResolverConfig("Query", "ping", ECHO, data_source="none"),
                ResolverConfig("Mutation", "send", ECHO, data_source="none"),
                ResolverConfig("Subscription", "onEvent", SUBSCRIBE_CHECKED, data_source="none"),
                ResolverConfig("Subscription", "onLoud", LOUD_ONLY, data_source="none"),
            ],
            data_sources={"none": NoneSource()},
        )
    )
    authorizer = Authorizer(config=engine.config.auth, account_id="1", api_keys=frozenset({KEY}))
    observed.clear()
    app = gateway_app(
        engine,
        authorizer,
        keep_alive_seconds=0.2,
        init_timeout_seconds=1.0,
        outbox_limit=50,
        observer=lambda *seen: observed.append(seen),
    )
    with serving(app) as url:
        yield url, app.state.hub
    engine.close()


def send(url: str, channel: str, level: int, text: str = "hi") -> dict:
    query = (
        "mutation($c: ID!, $l: Int!, $t: String) {"
        " send(channel: $c, level: $l, text: $t) { channel level text } }"
    )
    answer = requests.post(
        f"{url}/graphql",
        json={"query": query, "variables": {"c": channel, "l": level, "t": text}},
        headers={"x-api-key": KEY},
        timeout=10,
    )
    return answer.json()


def header(host: str, key: str = KEY) -> dict:
    return {"host": host, "x-api-key": key}


def b64url(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def start(subscription_id: str, query: str, host: str, key: str = KEY, **variables) -> str:
    data = json.dumps({"query": query, "variables": variables})
    return json.dumps(
        {
            "id": subscription_id,
            "type": "start",
            "payload": {"data": data, "extensions": {"authorization": header(host, key)}},
        }
    )


def connect(host: str, key: str = KEY, **options):
    """A WebSocket to the gateway, authorized by the `header-<base64url>` subprotocol."""
    protocols = ["graphql-ws", "header-" + b64url(header(host, key))]
    return websockets.connect(f"ws://{host}/graphql", subprotocols=protocols, **options)


async def next_of(ws, kind: str) -> dict:
    """The next message of `kind`, skipping keep-alives."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] == kind:
            return message
        assert message["type"] == "ka", message


def test_gql_subscribers_receive_matching_mutations_only(gateway):
    url, hub = gateway
    host = url.removeprefix("http://")
    query = gql("subscription($c: ID!) { onEvent(channel: $c) { channel text } }")
    query.variable_values = {"c": "a"}

    async def scenario():
        transport = AppSyncWebsocketsTransport(
            url=f"ws://{host}/graphql/realtime",
            auth=AppSyncApiKeyAuthentication(host=host, api_key=KEY),
        )
        received = []
        async with Client(transport=transport) as session:

            async def listen():
                async for result in session.subscribe(query):
                    received.append(result)
                    if len(received) == 2:
                        return

            task = asyncio.create_task(listen())
            await eventually_async(lambda: hub.active == 1)
            for channel, text in (("b", "not for a"), ("a", "one"), ("a", "two")):
                await asyncio.to_thread(send, url, channel, 1, text)
            await asyncio.wait_for(task, 5)
        return received

    received = asyncio.run(scenario())
    assert received == [
        {"onEvent": {"channel": "a", "text": "one"}},
        {"onEvent": {"channel": "a", "text": "two"}},
    ]
    operations = [(caller.mode, operation, outcome) for caller, operation, outcome, _ in observed]
    assert operations == [
        ("API_KEY", "subscription onEvent", "ok"),  # the start, then the three mutations
        *[("API_KEY", "mutation send", "ok")] * 3,
    ]


def test_the_protocol_with_the_subprotocol_header(gateway):
    url, hub = gateway
    host = url.removeprefix("http://")

    async def scenario():
        async with connect(host) as ws:
            assert ws.subprotocol == "graphql-ws"
            await ws.send(json.dumps({"type": "connection_init"}))
            ack = await next_of(ws, "connection_ack")
            assert ack["payload"] == {"connectionTimeoutMs": 300000}
            await next_of(ws, "ka")
            await ws.send(
                start("s1", "subscription($c: ID!) { onEvent(channel: $c) { level } }", host, c="a")
            )
            assert await next_of(ws, "start_ack") == {"id": "s1", "type": "start_ack"}
            await asyncio.to_thread(send, url, "a", 7)
            assert await next_of(ws, "data") == {
                "id": "s1",
                "type": "data",
                "payload": {"data": {"onEvent": {"level": 7}}},
            }
            await ws.send(json.dumps({"id": "s1", "type": "stop"}))
            assert await next_of(ws, "complete") == {"id": "s1", "type": "complete"}
            assert hub.active == 0

    asyncio.run(scenario())


def test_each_start_is_authorized_and_resolved(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        query = "subscription($c: ID!) { onEvent(channel: $c) { level } }"
        async with websockets.connect(
            f"ws://{host}/graphql/realtime?header={base64.b64encode(json.dumps(header(host)).encode()).decode()}&payload=e30=",
            subprotocols=["graphql-ws"],
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await next_of(ws, "connection_ack")
            await ws.send(start("bad-key", query, host, key="da2-wrong", c="a"))
            refused = await next_of(ws, "error")
            assert refused["id"] == "bad-key"
            assert refused["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
            await ws.send(start("bad-channel", query, host, c="forbidden"))
            invalid = await next_of(ws, "error")
            assert invalid["payload"]["errors"][0]["errorType"] == "ValidationError"
            await ws.send(json.dumps({"type": "subscribe-please"}))
            unknown = await next_of(ws, "error")
            assert unknown["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"

    asyncio.run(scenario())


def test_a_bad_connection_header_is_a_connection_error(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        async with connect(host, key="da2-wrong") as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            error = await next_of(ws, "connection_error")
            assert error["payload"]["errors"][0]["errorType"] == "UnauthorizedException"

    asyncio.run(scenario())


def test_enhanced_filters_set_by_the_subscription_resolver_apply(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        async with connect(host) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await next_of(ws, "connection_ack")
            await ws.send(start("loud", "subscription { onLoud { level } }", host))
            await next_of(ws, "start_ack")
            for level in (1, 2, 3):
                await asyncio.to_thread(send, url, "any", level)
            data = await next_of(ws, "data")
            assert data["payload"]["data"] == {"onLoud": {"level": 3}}

    asyncio.run(scenario())


ON_EVENT = "subscription($c: ID!) { onEvent(channel: $c) { channel level text } }"


async def subscribed(host: str, count: int, channel: str, **options):
    """An initialized connection holding `count` subscriptions to `channel`."""
    ws = await connect(host, **options)
    await ws.send(json.dumps({"type": "connection_init"}))
    await next_of(ws, "connection_ack")
    for n in range(count):
        await ws.send(start(f"s{n}", ON_EVENT, host, c=channel))
        await next_of(ws, "start_ack")
    return ws


def test_a_subscriber_that_stops_reading_delays_no_one_and_is_closed(gateway):
    """The probe's case: A holds 100 subscriptions and stops reading; B gets every update
    exactly once, every publish succeeds, and A is closed as too slow."""
    url, hub = gateway
    host = url.removeprefix("http://")
    updates = 60

    async def scenario():
        stalled = await subscribed(host, 100, "busy", max_queue=1, close_timeout=0.1)
        reader = await subscribed(host, 1, "busy")
        received = []

        async def read():
            while len(received) < updates:
                received.append(await next_of(reader, "data"))

        reading = asyncio.create_task(read())
        answers = [
            await asyncio.to_thread(send, url, "busy", n, "x" * 4_000) for n in range(updates)
        ]
        await asyncio.wait_for(reading, 10)
        await eventually_async(lambda: hub.active == 1)  # A's 100 are gone with A
        await reader.close()
        await stalled.close()
        return answers, received

    answers, received = asyncio.run(scenario())
    assert all(answer["data"]["send"]["level"] == n for n, answer in enumerate(answers))
    assert [message["payload"]["data"]["onEvent"]["level"] for message in received] == list(
        range(updates)
    )


def test_a_subscriber_closing_mid_publish_fails_no_publish(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        leaving = await subscribed(host, 5, "c")
        staying = await subscribed(host, 1, "c")
        publishes = [asyncio.to_thread(send, url, "c", n) for n in range(20)]
        closing = asyncio.create_task(leaving.close())
        answers = await asyncio.gather(*publishes)
        await closing
        levels = sorted(
            [
                (await next_of(staying, "data"))["payload"]["data"]["onEvent"]["level"]
                for _ in range(20)
            ]
        )
        await staying.close()
        return answers, levels

    answers, levels = asyncio.run(scenario())
    assert all("errors" not in answer for answer in answers)
    assert levels == list(range(20))


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("not json", "The message is not valid JSON."),
        (b"\x00\x01", "Binary frames are not supported; send JSON text frames."),
        ('["a list"]', "The message must be a JSON object."),
        ('{"id": "s9", "type": "start", "payload": "x"}', "A start needs a payload object."),
        ('{"id": 7, "type": "start", "payload": {}}', "A start needs an id (a string)."),
        (
            '{"id": "s9", "type": "start", "payload": {"data": "{}", "extensions": 5}}',
            "A start needs payload.extensions.authorization.",
        ),
    ],
)
def test_malformed_frames_get_an_error_frame_and_the_connection_stays(gateway, frame, expected):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        ws = await subscribed(host, 0, "any")
        await ws.send(frame)
        error = await next_of(ws, "error")
        await ws.send(start("after", ON_EVENT, host, c="a"))
        ack = await next_of(ws, "start_ack")
        await ws.close()
        return error, ack

    error, ack = asyncio.run(scenario())
    assert error["payload"]["errors"] == [{"errorType": "BadRequestException", "message": expected}]
    assert ack == {"id": "after", "type": "start_ack"}


def test_a_numeric_authorization_is_refused_not_a_crash(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        ws = await subscribed(host, 0, "any")
        data = json.dumps({"query": ON_EVENT, "variables": {"c": "a"}})
        extensions = {"authorization": {"host": host, "Authorization": 12345}}
        await ws.send(
            json.dumps(
                {"id": "n", "type": "start", "payload": {"data": data, "extensions": extensions}}
            )
        )
        refused = await next_of(ws, "error")
        await ws.close()
        protocols = ["graphql-ws", "header-" + b64url({"host": host, "Authorization": 12345})]
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=protocols) as bad:
            await bad.send(json.dumps({"type": "connection_init"}))
            connection_error = await next_of(bad, "connection_error")
        return refused, connection_error

    refused, connection_error = asyncio.run(scenario())
    assert refused["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
    assert connection_error["payload"]["errors"][0]["errorType"] == "UnauthorizedException"


def test_appsyncs_connection_limits(gateway):
    url, _ = gateway
    host = url.removeprefix("http://")

    async def scenario():
        ws = await subscribed(host, 100, "a")
        await ws.send(start("s0", ON_EVENT, host, c="a"))
        duplicate = await next_of(ws, "error")
        await ws.send(start("s100", ON_EVENT, host, c="a"))
        over = await next_of(ws, "error")
        await ws.send(json.dumps({"id": "s3", "type": "stop"}))
        await next_of(ws, "complete")
        await ws.send(start("s100", ON_EVENT, host, c="a"))
        room = await next_of(ws, "start_ack")
        await ws.close()
        silent = await connect(host)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(silent.recv(), 5)
        return duplicate, over, room, closed.value.rcvd.code

    duplicate, over, room, code = asyncio.run(scenario())
    assert duplicate["payload"]["errors"] == [
        {"errorType": "DuplicatedOperationError", "message": "Duplicated operation with id s0"}
    ]
    assert over["id"] == "s100"
    assert over["payload"]["errors"][0]["errorType"] == "MaxSubscriptionsReachedError"
    assert room == {"id": "s100", "type": "start_ack"}
    assert code == 4408  # no connection_init within the timeout
