"""AuthPool under the engine: pool, client and groups as AWS would receive them."""

import pytest

from local.pulumi import engine, predicted
from support import COMPONENT_PROGRAM, component_config, write_project

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GROUP = "aws:cognito/userGroup:UserGroup"


@pytest.fixture(scope="module")
def defaults(tmp_path_factory):
    config = component_config("AuthPool", {})
    directory = write_project(tmp_path_factory.mktemp("auth"), COMPONENT_PROGRAM, config)
    return engine.run(directory, "test", predicted.PredictedBackend)


def test_user_pool_signs_in_by_verified_email_with_a_strict_password_policy(defaults):
    pool = defaults.one(POOL).inputs
    assert pool["usernameAttributes"] == ["email"]
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["usernameConfiguration"] == {"caseSensitive": False}
    assert pool["passwordPolicy"] == {
        "minimumLength": 12,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 3,
    }
    assert pool["accountRecoverySetting"] == {
        "recoveryMechanisms": [{"name": "verified_email", "priority": 1}]
    }
    assert pool["deletionProtection"] == "INACTIVE"
    assert pool["mfaConfiguration"] == "OFF"
    assert pool.get("softwareTokenMfaConfiguration") is None


def test_app_client_for_web_and_api_sign_in(defaults):
    client = defaults.one(CLIENT)
    pool = defaults.one(POOL)
    assert client.inputs["userPoolId"] == pool.id
    assert sorted(client.inputs["explicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client.inputs["generateSecret"] is False
    # ID tokens name the user (the web app shows who is signed in), and nothing more.
    assert client.inputs["readAttributes"] == ["email", "email_verified"]
    assert client.inputs["preventUserExistenceErrors"] == "ENABLED"
    assert client.inputs["enableTokenRevocation"] is True
    assert client.inputs["accessTokenValidity"] == 60
    assert client.inputs["idTokenValidity"] == 60
    assert client.inputs["refreshTokenValidity"] == 30
    assert client.inputs["tokenValidityUnits"] == {
        "accessToken": "minutes",
        "idToken": "minutes",
        "refreshToken": "days",
    }


def test_groups_and_outputs(defaults):
    component = defaults.one("slate:index:AuthPool")
    pool = defaults.one(POOL)
    groups = {group.inputs["name"]: group for group in defaults.of_type(GROUP)}
    assert set(groups) == {"admins", "owners"}
    assert all(group.inputs["userPoolId"] == pool.id for group in groups.values())
    assert groups["admins"].inputs["precedence"] < groups["owners"].inputs["precedence"]
    children = defaults.children(component.urn)
    assert {child.type for child in children} == {POOL, CLIENT, GROUP}
    assert len(children) == 4
    assert component.outputs == {
        "user_pool_id": pool.id,
        "user_pool_arn": pool.outputs["arn"],
        "client_id": defaults.one(CLIENT).id,
        "issuer_url": f"https://cognito-idp.eu-west-1.amazonaws.com/{pool.id}",
        "admins_group": "admins",
        "owners_group": "owners",
    }


def test_options(run_component):
    args = {
        "deletion_protection": True,
        "password_minimum_length": 16,
        "mfa": "OPTIONAL",
        "access_token_minutes": 15,
        "refresh_token_days": 7,
        "tags": {"team": "identity"},
    }
    deployment = run_component("AuthPool", args)
    pool = deployment.one(POOL).inputs
    client = deployment.one(CLIENT).inputs
    assert pool["deletionProtection"] == "ACTIVE"
    assert pool["passwordPolicy"]["minimumLength"] == 16
    assert pool["mfaConfiguration"] == "OPTIONAL"
    assert pool["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert pool["tags"] == {"team": "identity"}
    assert (client["accessTokenValidity"], client["idTokenValidity"]) == (15, 15)
    assert client["refreshTokenValidity"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"password_minimum_length": 6}, "'password_minimum_length' must be a whole number"),
        ({"password_minimum_length": True}, "'password_minimum_length' must be a whole number"),
        ({"mfa": "ON"}, "'mfa' must be one of"),
        ({"access_token_minutes": 1441}, "'access_token_minutes' must be a whole number"),
        ({"refresh_token_days": 0}, "'refresh_token_days' must be a whole number"),
        ({"deletion_protection": "true"}, "'deletion_protection' must be true or false"),
        ({"passwordLength": 12}, "'passwordLength' is not an argument of AuthPool"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=f"AuthPool: argument {message}"):
        run_component("AuthPool", args)
