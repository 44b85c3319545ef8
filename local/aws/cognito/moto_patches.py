"""Where moto's Cognito needs help to behave as AWS does: SRP sign-in checks the password.

Moto answers `InitiateAuth(USER_SRP_AUTH)` with random hex for `SALT` and `SRP_B`, and its
`PASSWORD_VERIFIER` step accepts any signature: a wrong password signs in through Amplify's
`signIn` (SRP is its default). `verified_srp` makes the first step a real SRP challenge
(`srp.PasswordChallenge`) and the second check its claim, refusing a wrong one as Cognito
does (`NotAuthorizedException`, "Incorrect username or password."). The secret block, which
moto uses as the session's key, becomes real base64, since clients decode it into the claim.
"""

import base64
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend

from local.aws.cognito.srp import PasswordChallenge

CHALLENGE_SECONDS = 180
"""How long a challenge waits for its answer (Cognito's sessions last three minutes)."""
WRONG_PASSWORD = "Incorrect username or password."
EXPIRED = "Invalid session for the user, session is expired."


class _Challenges:
    """Challenges between their two steps, by secret block; old ones are dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, tuple[float, PasswordChallenge]] = {}

    def add(self, secret_block: str, challenge: PasswordChallenge) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (at, _) in self._open.items() if now - at > CHALLENGE_SECONDS]:
                del self._open[key]
            self._open[secret_block] = (now, challenge)

    def take(self, secret_block: str) -> PasswordChallenge | None:
        with self._lock:
            taken = self._open.pop(secret_block, None)
        return taken[1] if taken else None


@contextmanager
def verified_srp() -> Iterator[None]:
    challenges = _Challenges()
    initiate = CognitoIdpBackend.initiate_auth
    respond = CognitoIdpBackend.respond_to_auth_challenge

    def initiate_auth(
        backend: CognitoIdpBackend, client_id: str, auth_flow: str, parameters: dict[str, str]
    ) -> dict[str, Any]:
        answer = initiate(backend, client_id, auth_flow, parameters)
        if answer.get("ChallengeName") != "PASSWORD_VERIFIER":
            return answer
        username, pool = backend.sessions.pop(answer["Session"])
        asked = answer["ChallengeParameters"]
        user = backend.admin_get_user(pool.id, asked["USERNAME"])
        try:
            challenge = PasswordChallenge.start(
                pool.id, asked["USER_ID_FOR_SRP"], user.password or "", parameters["SRP_A"]
            )
        except ValueError as error:
            raise InvalidParameterException(str(error)) from None
        secret_block = base64.b64encode(secrets.token_bytes(48)).decode()
        backend.sessions[secret_block] = (username, pool)
        challenges.add(secret_block, challenge)
        parameters_out = {**asked, **challenge.parameters, "SECRET_BLOCK": secret_block}
        return {**answer, "Session": secret_block, "ChallengeParameters": parameters_out}

    def respond_to_auth_challenge(
        backend: CognitoIdpBackend,
        session: str,
        client_id: str,
        challenge_name: str,
        responses: dict[str, str],
    ) -> dict[str, Any]:
        if challenge_name == "PASSWORD_VERIFIER":
            secret_block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
            challenge = challenges.take(secret_block)
            if challenge is None:
                raise NotAuthorizedError(EXPIRED)
            if not challenge.verify(
                responses.get("PASSWORD_CLAIM_SIGNATURE", ""),
                secret_block,
                responses.get("TIMESTAMP", ""),
            ):
                backend.sessions.pop(secret_block, None)
                raise NotAuthorizedError(WRONG_PASSWORD)
        return respond(backend, session, client_id, challenge_name, responses)

    with (
        mock.patch.object(CognitoIdpBackend, "initiate_auth", initiate_auth),
        mock.patch.object(
            CognitoIdpBackend, "respond_to_auth_challenge", respond_to_auth_challenge
        ),
    ):
        yield
