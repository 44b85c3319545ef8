"""The gateway's HTTP endpoint with real clients: Cognito tokens from moto verified against the
pool's JWKS, IAM SigV4, API keys — and AppSync's refusals for everything else."""

import asyncio
import gzip
import json
import socket
import sys
import threading
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import boto3
import jwt
import moto.cognitoidp
import pytest
import requests
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from local.aws.appsync import ApiConfig, AuthConfig, GraphQLEngine, ResolverConfig
from local.aws.appsync.gateway import Authorizer, Unauthorized, gateway_app, serving
from local.aws.appsync.gateway.server import (
    EVENT_LOOP,
    TICK_SECONDS,
    PortInUse,
    listening_socket,
)
from local.aws.appsync.sources import NoneSource, SourceResult
from support import eventually

REGION = "us-east-1"
SCHEMA = """
type Who @aws_cognito_user_pools @aws_iam @aws_api_key { mode: String sub: String groups: [String] }
type Query @aws_cognito_user_pools {
  me: Who
  public: Who @aws_api_key
  system: Who @aws_iam
}
"""
WHO = (
    "import { util } from '@aws-appsync/utils';\n"
    "export function request(ctx) { return { payload: { mode: util.authType(),"
    " sub: ctx.identity?.sub ?? ctx.identity?.accountId ?? null,"
    " groups: ctx.identity?.groups ?? null } }; }\n"
    "export function response(ctx) { return ctx.result; }\n"
)
SIGNER = Credentials("AKIDLOCALGATEWAY", "local-secret")


observed: list[tuple] = []
"""What the gateway told its observer of each request: (caller, operation, outcome, ms)."""


def jwks(pool_id: str) -> dict:
    url = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}/.well-known/jwks.json"
    return requests.get(url, timeout=5).json()


@pytest.fixture
def gateway(aws_env):
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.create_group(UserPoolId=pool, GroupName="owners")
        for user, groups in (("alice", []), ("olga", ["owners"])):
            cognito.admin_create_user(UserPoolId=pool, Username=user)
            cognito.admin_set_user_password(
                UserPoolId=pool, Username=user, Password="Passw0rd!Local", Permanent=True
            )
            for group in groups:
                cognito.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=group)
        engine = GraphQLEngine(
            ApiConfig(
                schema=SCHEMA,
                auth=AuthConfig("AMAZON_COGNITO_USER_POOLS", ("AWS_IAM", "API_KEY")),
                resolvers=[
                    ResolverConfig("Query", field, WHO, data_source="none")
                    for field in ("me", "public", "system")
                ],
                data_sources={"none": NoneSource()},
            )
        )
        authorizer = Authorizer(
            config=engine.config.auth,
            account_id="123456789012",
            api_keys=frozenset({"da2-localkey"}),
            user_pool_id=pool,
            client_ids=frozenset({client}),
            jwks=jwks,
            secret_for={SIGNER.access_key: SIGNER.secret_key}.get,
        )
        observed.clear()
        app = gateway_app(engine, authorizer, observer=lambda *seen: observed.append(seen))
        with serving(app) as url:
            yield url + "/graphql", cognito, pool, client
        engine.close()


def sign_in(cognito, client: str, user: str) -> str:
    answer = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": "Passw0rd!Local"},
    )
    return answer["AuthenticationResult"]["IdToken"]


def post(url: str, query: str, headers: dict | None = None) -> requests.Response:
    return requests.post(url, json={"query": query}, headers=headers or {}, timeout=10)


def test_a_cognito_user_is_who_the_token_says(gateway):
    url, cognito, _, client = gateway
    token = sign_in(cognito, client, "olga")
    answer = post(url, "{ me { mode sub groups } }", {"Authorization": token})
    assert answer.status_code == 200
    me = answer.json()["data"]["me"]
    assert me["mode"] == "User Pool Authorization" and me["groups"] == ["owners"]
    assert me["sub"] == jwt.decode(token, options={"verify_signature": False})["sub"]


def test_iam_callers_are_verified_by_signature(gateway):
    url = gateway[0]
    body = json.dumps({"query": "{ system { mode sub } }"})
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(SIGNER, "appsync", REGION).add_auth(request)
    answer = requests.post(url, data=body, headers=dict(request.headers), timeout=10)
    assert answer.json() == {
        "data": {"system": {"mode": "IAM Authorization", "sub": "123456789012"}}
    }
    tampered = requests.post(
        url, data=body.replace("sub", "mode"), headers=dict(request.headers), timeout=10
    )
    assert tampered.status_code == 401
    assert tampered.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_api_keys_reach_only_what_the_schema_opens_to_them(gateway):
    url = gateway[0]
    assert post(url, "{ public { mode } }", {"x-api-key": "da2-localkey"}).json() == {
        "data": {"public": {"mode": "API Key Authorization"}}
    }
    closed = post(url, "{ me { mode } }", {"x-api-key": "da2-localkey"}).json()
    assert closed["errors"][0]["errorType"] == "Unauthorized"
    assert post(url, "{ public { mode } }", {"x-api-key": "da2-wrong"}).status_code == 401


def moto_private_key() -> jwt.PyJWK:
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK(json.loads(gzip.decompress(path.read_bytes())))


@pytest.mark.parametrize(
    "problem",
    ["none", "garbage", "expired", "tampered", "other-pool", "other-client", "lookalike-issuer"],
)
def test_unacceptable_tokens_are_refused_as_appsync_refuses_them(gateway, problem):
    url, cognito, _, client = gateway
    token = sign_in(cognito, client, "alice")
    claims = jwt.decode(token, options={"verify_signature": False})
    key = moto_private_key()
    forged = {
        "expired": {**claims, "exp": int(time.time()) - 3600},
        "other-pool": {**claims, "iss": claims["iss"].rsplit("/", 1)[0] + "/us-east-1_other"},
        "other-client": {**claims, "aud": "someone-else"},
        "lookalike-issuer": {
            **claims,
            "iss": "https://evil.example/" + claims["iss"].rsplit("/")[-1],
        },
    }
    if problem in forged:
        token = jwt.encode(forged[problem], key.key, algorithm="RS256", headers={"kid": key.key_id})
    headers = {
        "none": {},
        "garbage": {"Authorization": "not-a-jwt"},
        "tampered": {"Authorization": token[:-4] + "AAAA"},
    }.get(problem, {"Authorization": token})
    answer = post(url, "{ me { sub } }", headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["errors"][0]["errorType"] == "UnauthorizedException"
    assert answer.headers["x-amzn-ErrorType"] == "UnauthorizedException"  # what Amplify reads


KEY = {"x-api-key": "da2-localkey"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty."),
        (b"meow", "Unable to parse GraphQL query."),
        (b'{"query": 5}', "Unable to parse GraphQL query."),
        (b'{"query": "{ public { mode } }", "variables": []}', "Variables must be a JSON object."),
        (
            b'{"query": "{ public { mode } }", "operationName": 7}',
            "operationName must be a string.",
        ),
        (
            b'{"query": "{ public { mode } }", "variables": {"v": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            "Unable to parse GraphQL query.",
        ),
    ],
)
def test_malformed_requests_are_a_json_400(gateway, body, message):
    answer = requests.post(gateway[0], data=body, headers=KEY, timeout=10)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-amzn-ErrorType"] == "MalformedHttpRequestException"
    assert answer.json()["errors"][0] == {
        "errorType": "MalformedHttpRequestException",
        "message": message,
    }


def test_the_caller_is_authenticated_before_the_body_is_read(gateway):
    """A stranger's 2 MB body is refused from its headers: 401, not a parse error or a 413."""
    url = gateway[0]
    stranger = requests.post(url, data=b"x" * (2 * 1024 * 1024), timeout=10)
    assert stranger.status_code == 401
    assert stranger.json()["errors"][0]["errorType"] == "UnauthorizedException"
    unsigned_garbage = requests.post(url, data=b"meow", timeout=10)
    assert unsigned_garbage.status_code == 401


def test_bodies_over_the_cap_are_refused_unread(gateway):
    url = gateway[0]
    padding = " " * (1024 * 1024)
    big = requests.post(
        url, data=json.dumps({"query": "{ public { mode } }" + padding}), headers=KEY, timeout=10
    )
    assert big.status_code == 413
    assert big.json()["errors"][0]["errorType"] == "PayloadTooLargeException"
    assert big.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"

    def chunks():  # no Content-Length: the cap applies to what arrives
        yield b'{"query": "{ public { mode } }'
        for _ in range(40):
            yield b" " * 32 * 1024
        yield b'"}'

    streamed = requests.post(url, data=chunks(), headers=KEY, timeout=10)
    assert streamed.status_code == 413
    small = requests.post(url, json={"query": "{ public { mode } }" + " " * 1000}, headers=KEY)
    assert small.status_code == 200


def test_an_unknown_key_id_fetches_the_key_set_at_most_once_in_a_while(gateway):
    _, cognito, pool, client = gateway
    fetches, now = [], [1000.0]

    def counted(pool_id: str) -> dict:
        fetches.append(pool_id)
        return jwks(pool_id)

    authorizer = Authorizer(
        config=AuthConfig("AMAZON_COGNITO_USER_POOLS"),
        account_id="123456789012",
        user_pool_id=pool,
        jwks=counted,
        clock=lambda: now[0],
    )
    key = moto_private_key()
    claims = jwt.decode(sign_in(cognito, client, "alice"), options={"verify_signature": False})
    forged = jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": "unknown-kid"})
    for _ in range(50):
        with pytest.raises(Unauthorized, match="a key the user pool does not have"):
            authorizer.caller("POST", "https://x/graphql", {"Authorization": forged}, b"")
    assert len(fetches) == 1
    now[0] += 31
    with pytest.raises(Unauthorized):
        authorizer.caller("POST", "https://x/graphql", {"Authorization": forged}, b"")
    assert len(fetches) == 2
    token = sign_in(cognito, client, "alice")
    assert authorizer.caller("POST", "https://x/graphql", {"Authorization": token}, b"").mode


@pytest.mark.parametrize("headers", [{"Authorization": 5}, {"x-api-key": ["k"]}])
def test_header_values_that_are_not_strings_are_refused(headers):
    authorizer = Authorizer(config=AuthConfig("API_KEY"), account_id="1", api_keys=frozenset({"k"}))
    with pytest.raises(Unauthorized, match="must be a string"):
        authorizer.caller("POST", "https://x/graphql", headers, b"")


class Gate:
    """A data source that holds its first call until released, and counts calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def call(self, request):
        self.calls += 1
        self.release.wait(10)
        return SourceResult(result="done")


def test_a_request_whose_client_has_gone_resolves_no_further_field():
    gate = Gate()
    code = (
        "export function request(ctx) { return { payload: null }; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    engine = GraphQLEngine(
        ApiConfig(
            schema="type Query @aws_api_key { slow: String }",
            auth=AuthConfig("API_KEY"),
            resolvers=[ResolverConfig("Query", "slow", code, data_source="gate")],
            data_sources={"gate": gate},
        )
    )
    authorizer = Authorizer(config=engine.config.auth, account_id="1", api_keys=frozenset({"k"}))
    try:
        with serving(gateway_app(engine, authorizer)) as url:
            host, port = url.removeprefix("http://").split(":")
            body = json.dumps({"query": "{ a: slow b: slow c: slow }"}).encode()
            with socket.create_connection((host, int(port))) as client:
                client.sendall(
                    b"POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\n"
                    b"content-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                eventually(lambda: gate.calls, timeout=5, interval=0.01)
            time.sleep(1.0)  # the gateway sees the disconnect while the first field runs
            gate.release.set()
            time.sleep(0.5)
            assert gate.calls == 1
            after = requests.post(
                url + "/graphql", json={"query": "{ slow }"}, headers={"x-api-key": "k"}
            )
            assert after.json() == {"data": {"slow": "done"}}
    finally:
        engine.close()


def test_a_mutation_is_answered_only_after_its_changes_are_made_durable():
    """The local cloud journals changes in `before_acknowledging`: it must run before a
    mutation's answer leaves, and only for mutations."""
    code = (
        "export function request(ctx) { return { payload: 'ok' }; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    engine = GraphQLEngine(
        ApiConfig(
            schema="type Query @aws_api_key { read: String }\n"
            "type Mutation @aws_api_key { write: String }",
            auth=AuthConfig("API_KEY"),
            resolvers=[
                ResolverConfig("Query", "read", code, data_source="none"),
                ResolverConfig("Mutation", "write", code, data_source="none"),
            ],
            data_sources={"none": NoneSource()},
        )
    )
    authorizer = Authorizer(config=engine.config.auth, account_id="1", api_keys=frozenset({"k"}))
    flushed = []

    def flush() -> None:
        time.sleep(0.2)
        flushed.append(time.monotonic())

    try:
        with serving(gateway_app(engine, authorizer, before_acknowledging=flush)) as url:
            read = requests.post(url + "/graphql", json={"query": "{ read }"}, headers=KEY_K)
            assert read.json() == {"data": {"read": "ok"}} and flushed == []
            write = requests.post(
                url + "/graphql", json={"query": "mutation { write }"}, headers=KEY_K
            )
            answered = time.monotonic()
            assert write.json() == {"data": {"write": "ok"}}
            assert len(flushed) == 1 and flushed[0] <= answered
        with serving(gateway_app(engine, authorizer, before_acknowledging=lambda: 1 / 0)) as url:
            failed = requests.post(
                url + "/graphql", json={"query": "mutation { write }"}, headers=KEY_K
            )
            assert failed.status_code == 500
            assert failed.json()["errors"][0]["errorType"] == "InternalFailure"
            assert "division" not in failed.text
    finally:
        engine.close()


KEY_K = {"x-api-key": "k"}


def test_the_observer_hears_of_every_request_with_its_caller_operation_and_outcome(gateway):
    url, cognito, _, client = gateway
    token = sign_in(cognito, client, "olga")
    post(url, "{ me { mode } again: me { sub } }", {"Authorization": token})
    post(url, "{ system { mode } }", {"Authorization": token})
    post(url, "{ me { mode } }")
    post(url, "{ nope }", {"Authorization": token})
    [(ok_caller, *ok), (refused_caller, *refused), (nobody, *unauthorized), (_, *invalid)] = (
        observed
    )
    assert ok_caller.groups == ("owners",) and ok[:2] == ["query me x2", "ok"]
    assert refused_caller is not None and refused[:2] == ["query system", "Unauthorized"]
    assert nobody is None and unauthorized[:2] == ["-", "UnauthorizedException"]
    assert invalid[:2] == ["-", "error"]  # no operation: the query does not validate
    assert all(seen[3] >= 0 for seen in observed)


AMPLIFY_HEADERS = "authorization,x-api-key,x-amz-date,x-amz-security-token,x-amz-user-agent"


def test_a_browser_preflight_is_answered_as_appsync_answers_it(gateway):
    answer = requests.options(
        gateway[0],
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": AMPLIFY_HEADERS + ",content-type",
        },
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert all(h in allowed for h in (AMPLIFY_HEADERS + ",content-type").split(","))


def test_cross_origin_answers_carry_cors_and_appsync_s_headers(gateway):
    origin = {"Origin": "http://localhost:5173"}
    ok = post(gateway[0], "{ public { mode } }", {**KEY, **origin})
    refused = post(gateway[0], "{ public { mode } }", origin)
    partial = post(gateway[0], "{ public { mode } nope }", {**KEY, **origin})
    for answer in (ok, refused, partial):
        assert answer.headers["access-control-allow-origin"] == "*"
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert "x-amzn-errortype" in exposed and "x-amzn-requestid" in exposed
        assert len(answer.headers["x-amzn-RequestId"]) == 36
    assert ok.status_code == 200 and "x-amzn-ErrorType" not in ok.headers
    assert refused.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    # A query the schema refuses is, for AppSync, a 200 with the errors in its body.
    assert partial.status_code == 200 and partial.json()["errors"]
    assert "x-amzn-ErrorType" not in partial.headers


def test_the_gateway_serves_on_uvloop_where_it_is_built():
    async def loop_kind(request: Request) -> PlainTextResponse:
        return PlainTextResponse(type(asyncio.get_running_loop()).__module__)

    with serving(Starlette(routes=[Route("/", loop_kind)])) as url:
        kind = requests.get(url, timeout=10).text
    assert kind.split(".")[0] == EVENT_LOOP == ("asyncio" if sys.platform == "win32" else "uvloop")


def test_a_gateway_at_rest_wakes_once_a_second_and_stops_at_once(monkeypatch):
    ticks: list[float] = []
    real_tick = uvicorn.Server.on_tick

    async def counted(server: uvicorn.Server, counter: int) -> bool:
        ticks.append(time.monotonic())
        return await real_tick(server, counter)

    monkeypatch.setattr(uvicorn.Server, "on_tick", counted)
    with serving(Starlette(routes=[])) as url:
        time.sleep(2.5)
        dated = parsedate_to_datetime(requests.get(url, timeout=10).headers["date"])
        stopped_at = time.monotonic()
    before, after = [t for t in ticks if t < stopped_at], [t for t in ticks if t >= stopped_at]
    # uvicorn's own loop looks ten times a second (25 times here); this one once a second,
    # and once more, woken, to stop.
    assert 2 <= len(before) <= 4 and len(after) == 1
    assert after[0] - stopped_at < TICK_SECONDS / 2
    assert abs(dated.timestamp() - time.time()) <= 2 * TICK_SECONDS


def test_a_listening_socket_holds_its_port_until_a_server_serves_on_it():
    listener = listening_socket()
    port = listener.getsockname()[1]
    with pytest.raises(PortInUse, match=f"port {port} .* in use .* choose another with PORT="):
        listening_socket(port, "PORT=")
    with serving(Starlette(routes=[]), listener) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert requests.get(url, timeout=10).status_code == 404
    listening_socket(port).close()  # the port is free again once the server has stopped
