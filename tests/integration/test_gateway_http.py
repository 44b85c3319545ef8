"""The gateway's HTTP endpoint with real clients: Cognito tokens from moto verified against the
pool's JWKS, IAM SigV4, API keys — and AppSync's refusals for everything else."""

import gzip
import json
import time
from pathlib import Path

import boto3
import jwt
import moto.cognitoidp
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from local.appsync import ApiConfig, AuthConfig, GraphQLEngine, ResolverConfig
from local.appsync.sources import NoneSource
from local.gateway import Authorizer, gateway_app, serving

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
        with serving(gateway_app(engine, authorizer)) as url:
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
    ["none", "garbage", "expired", "tampered", "other-pool", "other-client"],
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


def test_malformed_requests_are_400(gateway):
    url = gateway[0]
    empty = requests.post(url, data=b"", timeout=10)
    assert (empty.status_code, empty.json()["errors"][0]["message"]) == (
        400,
        "Request body is empty.",
    )
    meow = requests.post(url, data=b"meow", timeout=10)
    assert (meow.status_code, meow.json()["errors"][0]["errorType"]) == (
        400,
        "MalformedHttpRequestException",
    )
