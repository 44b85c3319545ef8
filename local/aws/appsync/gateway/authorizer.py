"""Who is calling: AppSync's authorization of a request, for the modes an API has.

- `AWS4-HMAC-SHA256 …` in `Authorization` → IAM (SigV4 verified, `local.aws.sigv4`);
- `x-api-key` → API key (one of the API's keys);
- any other `Authorization` → a Cognito user pool token (RS256, verified against the pool's
  JWKS, unexpired, issued by the pool, an ID token for one of its clients or an access token).

A request the API's modes cannot authorize is refused as AppSync refuses it: HTTP 401,
`UnauthorizedException`.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from local.aws.appsync.auth_modes import API_KEY, COGNITO, IAM, AuthConfig, Caller
from local.aws.sigv4 import SignatureError, verify

SIGV4_PREFIX = "AWS4-HMAC-SHA256 "
TOKEN_USES = {"id", "access"}
LEEWAY_SECONDS = 5
KEY_REFRESH_SECONDS = 30.0
"""After fetching the pool's key set, an unknown `kid` is refused without fetching it again
for this long (a stream of forged tokens must not become a stream of JWKS fetches)."""

Jwks = Callable[[str], Mapping[str, Any]]
"""User pool id → its JWKS document."""


class Unauthorized(Exception):
    """AppSync's 401: the message is what the caller is told."""


@dataclass
class Authorizer:
    """The auth modes of one API and what each needs to check a caller."""

    config: AuthConfig
    account_id: str
    api_keys: frozenset[str] = frozenset()
    user_pool_id: str | None = None
    client_ids: frozenset[str] = frozenset()
    jwks: Jwks | None = None
    secret_for: Callable[[str], str | None] = field(default=lambda _key: None)
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float | None = None

    def needs_body(self, headers: Mapping[str, Any]) -> bool:
        """Whether authorizing this request needs its body (a SigV4 signature covers it)."""
        authorization = _lowered(headers).get("authorization", "")
        return isinstance(authorization, str) and authorization.startswith(SIGV4_PREFIX)

    def caller(self, method: str, url: str, headers: Mapping[str, Any], body: bytes) -> Caller:
        lowered = _lowered(headers)
        for name in ("authorization", "x-api-key"):
            if not isinstance(lowered.get(name, ""), str):
                raise Unauthorized(f"The {name} header must be a string.")
        authorization = lowered.get("authorization", "")
        if authorization.startswith(SIGV4_PREFIX):
            return self._iam(method, url, lowered, body)
        if "x-api-key" in lowered:
            return self._api_key(lowered["x-api-key"])
        if authorization:
            return self._cognito(authorization.removeprefix("Bearer "))
        raise Unauthorized("Missing authorization header")

    def _iam(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Caller:
        self._require(IAM)
        try:
            signer = verify(method, url, headers, body, self.secret_for)
        except SignatureError as error:
            raise Unauthorized(f"The request signature is not valid: {error}") from error
        user = f"arn:aws:iam::{self.account_id}:user/{signer.access_key}"
        return Caller.iam(self.account_id, user)

    def _api_key(self, key: str) -> Caller:
        self._require(API_KEY)
        if key not in self.api_keys:
            raise Unauthorized("You are not authorized to make this call.")
        return Caller.api_key()

    def _cognito(self, token: str) -> Caller:
        self._require(COGNITO)
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                key=self._signing_key(header.get("kid")),
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("Token has expired.") from error
        except (jwt.PyJWTError, KeyError) as error:
            raise Unauthorized(f"Valid authorization header not provided: {error}") from error
        if claims["iss"] != self.issuer:
            raise Unauthorized("The token was not issued by this API's user pool.")
        if claims.get("token_use") not in TOKEN_USES:
            raise Unauthorized("The token is neither an ID token nor an access token.")
        audience = claims.get("aud") or claims.get("client_id")
        if self.client_ids and audience not in self.client_ids:
            raise Unauthorized("The token was issued to another client.")
        return Caller.cognito(claims)

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens, exactly (its region is its id's prefix)."""
        pool = self.user_pool_id or ""
        return f"https://cognito-idp.{pool.split('_', 1)[0]}.amazonaws.com/{pool}"

    def _signing_key(self, kid: str | None) -> Any:
        if self.jwks is None or self.user_pool_id is None:
            raise Unauthorized("This API has no user pool to check tokens against.")
        recently = (
            self._fetched_at is not None and self.clock() - self._fetched_at < KEY_REFRESH_SECONDS
        )
        if kid not in self._keys and not recently:
            self._fetched_at = self.clock()
            for key in self.jwks(self.user_pool_id).get("keys", []):
                self._keys[key["kid"]] = jwt.PyJWK(key).key
        if kid not in self._keys:
            raise Unauthorized("The token was signed with a key the user pool does not have.")
        return self._keys[kid]

    def _require(self, mode: str) -> None:
        if mode not in self.config.modes:
            raise Unauthorized("You are not authorized to make this call.")


def _lowered(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {str(name).lower(): value for name, value in headers.items()}
