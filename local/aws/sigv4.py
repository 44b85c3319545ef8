"""Verifies AWS Signature Version 4 on an incoming request, as an AWS endpoint does.

Recomputes the signature with botocore's own signer over the headers the request says it
signed, with the secret of the access key it names, and compares. The local cloud answers
IAM-authorized calls with it; the tests use it to check what handlers send.
"""

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW_SECONDS = 300


class SignatureError(Exception):
    """The request is not signed, or not signed right; the message says which."""


@dataclass(frozen=True)
class Signer:
    """Who signed, for which region and service."""

    access_key: str
    region: str
    service: str
    session_token: str | None


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    *,
    now: datetime | None = None,
) -> Signer:
    """The signer of a correctly signed request; `SignatureError` otherwise."""
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization = lowered.get("authorization", "")
    if not authorization.startswith(ALGORITHM + " "):
        raise SignatureError(f"not signed with {ALGORITHM}")
    fields = _fields(authorization[len(ALGORITHM) + 1 :])
    try:
        access_key, date, region, service, terminal = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError) as error:
        raise SignatureError("malformed Authorization header") from error
    amz_date = lowered.get("x-amz-date", "")
    _check_time(amz_date, date, terminal, now or datetime.now(UTC))
    if "host" not in signed or any(name not in lowered for name in signed):
        raise SignatureError("the signed headers must include host and be present")
    secret = secret_for(access_key)
    if secret is None:
        raise SignatureError(f"unknown access key {access_key}")
    token = lowered.get("x-amz-security-token")
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: lowered[name] for name in signed}
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, secret, token), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("the signature does not match")
    return Signer(access_key, region, service, token)


def _fields(text: str) -> dict[str, str]:
    pairs = (part.strip().split("=", 1) for part in text.split(","))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def _check_time(amz_date: str, scope_date: str, terminal: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:
        raise SignatureError("missing or malformed X-Amz-Date") from error
    if terminal != "aws4_request" or scope_date != amz_date[:8]:
        raise SignatureError("the credential scope does not match the request date")
    if abs((now - signed_at).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError("the signature has expired (or is from the future)")
