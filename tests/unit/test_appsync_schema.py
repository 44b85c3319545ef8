"""AppSync's implicit schema (AWS scalars, auth directives) and its authorization rules."""

import pytest
from graphql import graphql_sync

from local.aws.appsync.auth_modes import API_KEY, COGNITO, IAM, AuthConfig, Caller, may_access
from local.aws.appsync.schema import build_appsync_schema

SCHEMA = build_appsync_schema(
    """
    type Query @aws_cognito_user_pools @aws_iam {
      open: String
      keyed: String @aws_api_key
      admins: String @aws_cognito_user_pools(cognito_groups: ["admins"])
      legacy: String @aws_auth(cognito_groups: ["owners"])
      echo(at: AWSDateTime, day: AWSDate, time: AWSTime, ts: AWSTimestamp, email: AWSEmail,
           json: AWSJSON, url: AWSURL, phone: AWSPhone, ip: AWSIPAddress): String
    }
    type Undirected { field: String }
    """
)
QUERY = SCHEMA.query_type
UNDIRECTED = SCHEMA.type_map["Undirected"]
CONFIG = AuthConfig(default_mode=COGNITO, additional_modes=(IAM, API_KEY))


def user(*groups: str) -> Caller:
    return Caller.cognito({"sub": "u1", "cognito:groups": list(groups)})


IAM_CALLER = Caller.iam("123456789012", "arn:aws:iam::123456789012:role/r")


@pytest.mark.parametrize(
    ("caller", "field", "allowed"),
    [
        (user(), "open", True),  # the type's directives
        (IAM_CALLER, "open", True),
        (Caller.api_key(), "open", False),
        (Caller.api_key(), "keyed", True),  # the field's directives replace the type's
        (user(), "keyed", False),
        (user("owners"), "admins", False),
        (user("admins"), "admins", True),
        (IAM_CALLER, "admins", False),
        (user("owners"), "legacy", True),
        (user(), "legacy", False),
    ],
)
def test_directives_decide_who_reaches_a_field(caller, field, allowed):
    assert may_access(CONFIG, caller, QUERY, QUERY.fields[field]) is allowed


def test_without_directives_only_the_default_mode_may_read():
    field = UNDIRECTED.fields["field"]
    assert may_access(CONFIG, user(), UNDIRECTED, field)
    assert not may_access(CONFIG, IAM_CALLER, UNDIRECTED, field)
    deny = AuthConfig(default_mode=COGNITO, cognito_default_action="DENY")
    assert not may_access(deny, user(), UNDIRECTED, field)


def test_a_mode_the_api_lacks_reaches_nothing():
    cognito_only = AuthConfig(default_mode=COGNITO)
    assert not may_access(cognito_only, Caller.api_key(), QUERY, QUERY.fields["keyed"])


def test_identity_per_mode():
    assert Caller.api_key().identity is None
    identity = user("admins").identity
    assert identity["sub"] == "u1" and identity["groups"] == ["admins"]
    assert IAM_CALLER.identity["accountId"] == "123456789012"
    assert IAM_CALLER.auth_type == "IAM Authorization"


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("at", '"2026-12-01T19:00:00Z"'),
        ("at", '"2026-12-01T19:00:00.123+05:30"'),
        ("day", '"2026-12-01"'),
        ("day", '"2026-12-01Z"'),
        ("time", '"19:00:00.5Z"'),
        ("ts", "1795000000"),
        ("email", '"a@example.com"'),
        ("json", '"{\\"a\\": [1]}"'),
        ("url", '"https://example.com/x?y=1"'),
        ("phone", '"+1 206 555 0100"'),
        ("ip", '"10.0.0.1/8"'),
    ],
)
def test_valid_aws_scalars_are_accepted(argument, value):
    result = graphql_sync(SCHEMA, f"{{ echo({argument}: {value}) }}")
    assert result.errors is None


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("at", '"2026-12-01T19:00:00"'),  # no zone
        ("at", '"2026-13-01T19:00:00Z"'),
        ("day", '"2026-02-30"'),
        ("time", '"25:00"'),
        ("ts", '"1795000000"'),
        ("email", '"not-an-email"'),
        ("json", '"{broken"'),
        ("url", '"example.com"'),
        ("phone", '"call me"'),
        ("ip", '"10.0.0.300"'),
    ],
)
def test_invalid_aws_scalars_are_rejected(argument, value):
    result = graphql_sync(SCHEMA, f"{{ echo({argument}: {value}) }}")
    assert result.errors, (argument, value)
