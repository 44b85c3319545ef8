"""SigV4 verification: a correctly signed request passes; any change to what was signed fails."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.aws.sigv4 import SignatureError, verify

URL = "http://127.0.0.1:4000/graphql"
BODY = b'{"query": "mutation { publishSlotUpdate }"}'
SECRETS = {"AKID": "secret"}.get


def signed(body: bytes = BODY, secret: str = "secret", token: str | None = "token") -> dict:
    request = AWSRequest(
        method="POST", url=URL, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials("AKID", secret, token), "appsync", "eu-west-1").add_auth(request)
    return {**dict(request.headers.items()), "Host": "127.0.0.1:4000"}


def test_a_signed_request_names_its_signer():
    signer = verify("POST", URL, signed(), BODY, SECRETS)
    assert (signer.access_key, signer.region, signer.service) == ("AKID", "eu-west-1", "appsync")
    assert signer.session_token == "token"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda h: (h, b'{"query": "something else"}'), "does not match"),
        (lambda h: ({**h, "content-type": "text/plain"}, BODY), "does not match"),
        (lambda h: ({**h, "X-Amz-Security-Token": "other"}, BODY), "does not match"),
        (lambda h: ({k: v for k, v in h.items() if k != "Authorization"}, BODY), "not signed"),
        (lambda h: ({k: v for k, v in h.items() if k != "X-Amz-Date"}, BODY), "X-Amz-Date"),
        (lambda h: ({**h, "Authorization": "AWS4-HMAC-SHA256 nonsense"}, BODY), "malformed"),
    ],
)
def test_any_change_to_the_signed_request_fails(change, problem):
    headers, body = change(signed())
    with pytest.raises(SignatureError, match=problem):
        verify("POST", URL, headers, body, SECRETS)


def test_the_wrong_secret_or_an_unknown_key_fails():
    with pytest.raises(SignatureError, match="does not match"):
        verify("POST", URL, signed(secret="guess"), BODY, SECRETS)
    with pytest.raises(SignatureError, match="unknown access key"):
        verify("POST", URL, signed(), BODY, {}.get)


def test_an_old_signature_expires():
    later = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(SignatureError, match="expired"):
        verify("POST", URL, signed(), BODY, SECRETS, now=later)
