"""Where a Slate stack answers, for the tools that talk to one (`make smoke`, `make watch`):
a `pulumi stack output --json` file; the outputs of a stack named explicitly; the local cloud
running in the project; else the outputs of the `dev` stack."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STACK = "dev"


class StackNotFound(Exception):
    """Nothing to point at, or outputs that lack what the tools need."""


@dataclass(frozen=True)
class Target:
    """Where the stack answers."""

    graphql_url: str
    realtime_url: str
    region: str
    user_pool_id: str
    client_id: str
    aws_endpoint: str | None = None
    """The local cloud's AWS endpoint; None: wherever boto3 sends calls."""
    demo_users: tuple[dict[str, Any], ...] = ()
    """The local cloud's seeded users (username, password, groups)."""
    https_graphql_url: str | None = None
    """The local cloud's HTTPS endpoint (browsers and Amplify need one); None: `graphql_url`
    is HTTPS already."""

    @property
    def browser_graphql_url(self) -> str:
        """Where a browser app sends its calls (Amplify derives wss:// from it)."""
        return self.https_graphql_url or self.graphql_url

    @classmethod
    def from_discovery(cls, discovery: dict[str, Any]) -> "Target":
        return cls(
            discovery["graphqlUrl"],
            discovery["realtimeUrl"],
            discovery["region"],
            discovery["userPoolId"],
            discovery["userPoolClientId"],
            discovery["awsEndpoint"],
            tuple(discovery.get("users") or ()),
            discovery.get("httpsGraphqlUrl"),
        )

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> "Target":
        missing = [
            k
            for k in ("graphqlUrl", "realtimeUrl", "region", "userPoolId", "userPoolClientId")
            if not outputs.get(k)
        ]
        if missing:
            raise StackNotFound(f"the stack outputs lack {', '.join(missing)}")
        return cls(
            outputs["graphqlUrl"],
            outputs["realtimeUrl"],
            outputs["region"],
            outputs["userPoolId"],
            outputs["userPoolClientId"],
        )

    def sign_in(self, username: str, password: str) -> str:
        """An ID token (password auth, as the app client allows)."""
        answer = self.cognito().initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return answer["AuthenticationResult"]["IdToken"]

    def cognito(self) -> Any:
        extra = {"endpoint_url": self.aws_endpoint} if self.aws_endpoint else {}
        if self.aws_endpoint:  # the local cloud accepts any keys
            extra |= {"aws_access_key_id": "smoke", "aws_secret_access_key": "smoke"}
        return boto3.client("cognito-idp", region_name=self.region, **extra)


def find_target(outputs_file: Path | None, stack: str | None, directory: Path) -> Target:
    """`stack` None: the local cloud when one runs here (a discovery file left by a killed one
    does not count), else the dev stack's outputs."""
    if outputs_file is not None:
        return Target.from_outputs(json.loads(outputs_file.read_text()))
    if stack is None:
        discovery = _live_discovery(directory)
        if discovery is not None:
            return Target.from_discovery(discovery)
    stack = stack or DEFAULT_STACK
    try:
        printed = subprocess.run(
            ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except FileNotFoundError as error:
        raise StackNotFound(
            "no local cloud is running here and the Pulumi CLI is not installed:"
            " start make dev, or give --outputs FILE"
        ) from error
    except subprocess.CalledProcessError as error:
        raise StackNotFound(f"pulumi stack output failed: {error.stderr.strip()}") from error
    return Target.from_outputs(json.loads(printed))


def _live_discovery(directory: Path) -> dict[str, Any] | None:
    """The running local cloud's discovery, as the local cloud itself tells a live one."""
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))  # run as `python devtools/<tool>.py`, as the Makefile does
    from local.discovery import live_discovery

    return live_discovery(directory)
