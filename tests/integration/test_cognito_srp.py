"""SRP sign-in against the local cloud's Cognito checks the password, as Cognito does: pycognito,
an independent client of the protocol, signs in with the right one and is refused with a wrong
one (moto alone lets any password through). Amplify's SRP is exercised in Node and Chromium by
the e2e and browser tiers."""

import base64

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from pycognito.aws_srp import AWSSRP

from local.aws.cognito import moto_patches, srp
from local.aws.cognito.srp import PasswordChallenge

PASSWORD = "Correct-horse-42!"
REGION = "us-east-1"


@pytest.fixture
def pool(aws_env):
    with mock_aws(), moto_patches.verified_srp():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool_id = cognito.create_user_pool(PoolName="srp", UsernameAttributes=["email"])[
            "UserPool"
        ]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["email"],
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username="sam@example.com",
            UserAttributes=[{"Name": "email", "Value": "sam@example.com"}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username="sam@example.com", Password=PASSWORD, Permanent=True
        )
        yield cognito, pool_id, client_id


def srp_sign_in(pool, password: str) -> dict:
    cognito, pool_id, client_id = pool
    return AWSSRP(
        username="sam@example.com",
        password=password,
        pool_id=pool_id,
        client_id=client_id,
        client=cognito,
    ).authenticate_user()


def test_the_right_password_signs_in_and_the_id_token_names_the_user(pool):
    tokens = srp_sign_in(pool, PASSWORD)["AuthenticationResult"]
    claims = tokens["IdToken"].split(".")[1]
    payload = base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))
    assert b'"email": "sam@example.com"' in payload or b'"email":"sam@example.com"' in payload


@pytest.mark.parametrize("password", ["Correct-horse-43!", "", PASSWORD.lower()])
def test_a_wrong_password_is_refused_as_cognito_refuses_it(pool, password):
    with pytest.raises(ClientError) as refused:
        srp_sign_in(pool, password)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == moto_patches.WRONG_PASSWORD


def test_a_claim_is_checked_once_a_replay_is_refused(pool):
    cognito, pool_id, client_id = pool
    prover = AWSSRP("sam@example.com", PASSWORD, pool_id, client_id, client=cognito)
    challenge = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=prover.get_auth_params()
    )
    answer = prover.process_challenge(challenge["ChallengeParameters"], prover.get_auth_params())
    respond = {
        "ClientId": client_id,
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": answer,
    }
    assert "AuthenticationResult" in cognito.respond_to_auth_challenge(**respond)
    with pytest.raises(ClientError) as replayed:
        cognito.respond_to_auth_challenge(**respond)
    assert replayed.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_the_challenge_is_real_srp_parameters(pool):
    cognito, _, client_id = pool
    prover = AWSSRP("sam@example.com", PASSWORD, pool[1], client_id, client=cognito)
    asked = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=prover.get_auth_params()
    )["ChallengeParameters"]
    assert int(asked["SRP_B"], 16) > 2**2048  # a group element, not a random uuid's hex
    assert len(asked["SALT"]) == 32
    assert base64.b64decode(asked["SECRET_BLOCK"], validate=True)


@pytest.mark.parametrize("srp_a", ["0", "zz", format(srp.N * 2, "x")])
def test_a_malformed_srp_a_is_refused(pool, srp_a):
    cognito, _, client_id = pool
    with pytest.raises(ClientError) as refused:
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "sam@example.com", "SRP_A": srp_a},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_a_signature_that_is_not_base64_is_a_wrong_claim():
    challenge = PasswordChallenge.start("eu-west-1_pool", "user", "pw", format(2**100, "x"))
    assert not challenge.verify("not base64!", "c2VjcmV0", "Mon Nov 30 23:43:58 UTC 2026")
