"""AppSync's authorization model: who the caller is, and which fields their mode may reach.

A field may be reached in the modes its own auth directives name; with none, in those its type
names; with neither, only in the API's default mode. `cognito_groups` narrows Cognito access to
members of the listed groups (from the token's `cognito:groups` claim).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import DirectiveNode, GraphQLField, GraphQLObjectType

COGNITO = "AMAZON_COGNITO_USER_POOLS"
IAM = "AWS_IAM"
API_KEY = "API_KEY"
OIDC = "OPENID_CONNECT"
LAMBDA = "AWS_LAMBDA"

MODE_DIRECTIVES = {
    COGNITO: "aws_cognito_user_pools",
    IAM: "aws_iam",
    API_KEY: "aws_api_key",
    OIDC: "aws_oidc",
    LAMBDA: "aws_lambda",
}
AUTH_TYPES = {
    COGNITO: "User Pool Authorization",
    IAM: "IAM Authorization",
    API_KEY: "API Key Authorization",
    OIDC: "Open ID Connect Authorization",
    LAMBDA: "Lambda Authorization",
}
"""What `util.authType()` answers in each mode."""
_DIRECTIVE_MODES = {directive: mode for mode, directive in MODE_DIRECTIVES.items()}
GROUPS_CLAIM = "cognito:groups"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the mode it came in by and `ctx.identity` as AppSync builds it."""

    mode: str
    identity: dict[str, Any] | None = None
    groups: tuple[str, ...] = field(default=())

    @classmethod
    def cognito(cls, claims: dict[str, Any], source_ip: str = "127.0.0.1") -> "Caller":
        """A user signed in to the pool, from the verified token's claims."""
        groups = tuple(claims.get(GROUPS_CLAIM) or ())
        identity = {
            "sub": claims["sub"],
            "issuer": claims.get("iss"),
            "username": claims.get("cognito:username") or claims.get("username"),
            "claims": claims,
            "sourceIp": [source_ip],
            "defaultAuthStrategy": "ALLOW",
            "groups": list(groups) or None,
        }
        return cls(COGNITO, identity, groups)

    @classmethod
    def iam(cls, account_id: str, user_arn: str, source_ip: str = "127.0.0.1") -> "Caller":
        """A SigV4-signed caller (a role or user of the account)."""
        identity = {
            "accountId": account_id,
            "cognitoIdentityPoolId": None,
            "cognitoIdentityId": None,
            "sourceIp": [source_ip],
            "username": user_arn.rsplit("/", 1)[-1],
            "userArn": user_arn,
            "cognitoIdentityAuthType": None,
            "cognitoIdentityAuthProvider": None,
        }
        return cls(IAM, identity)

    @classmethod
    def api_key(cls) -> "Caller":
        return cls(API_KEY, None)

    @property
    def auth_type(self) -> str:
        return AUTH_TYPES[self.mode]


@dataclass(frozen=True)
class AuthConfig:
    """The API's modes: the default one first; and what Cognito does for undirected fields."""

    default_mode: str
    additional_modes: tuple[str, ...] = ()
    cognito_default_action: str = "ALLOW"

    @property
    def modes(self) -> tuple[str, ...]:
        return (self.default_mode, *self.additional_modes)


def may_access(
    config: AuthConfig, caller: Caller, parent: GraphQLObjectType, field_: GraphQLField
) -> bool:
    """Whether `caller` may resolve `field_` of `parent`, by AppSync's rules."""
    if caller.mode not in config.modes:
        return False
    directives = _auth_directives(field_) or _auth_directives(parent)
    if not directives:
        if caller.mode != config.default_mode:
            return False
        return caller.mode != COGNITO or config.cognito_default_action == "ALLOW"
    for directive in directives:
        name = directive.name.value
        if name == "aws_auth" and caller.mode == COGNITO:
            return _in_groups(caller, directive)
        if _DIRECTIVE_MODES.get(name) == caller.mode:
            return caller.mode != COGNITO or _in_groups(caller, directive)
    return False


def _auth_directives(element: GraphQLField | GraphQLObjectType) -> list[DirectiveNode]:
    node = element.ast_node
    found = node.directives if node is not None and node.directives else ()
    return [d for d in found if d.name.value in _DIRECTIVE_MODES or d.name.value == "aws_auth"]


def _in_groups(caller: Caller, directive: DirectiveNode) -> bool:
    groups = _groups_argument(directive)
    return groups is None or bool(set(groups) & set(caller.groups))


def _groups_argument(directive: DirectiveNode) -> Iterable[str] | None:
    for argument in directive.arguments or ():
        if argument.name.value == "cognito_groups":
            return [value.value for value in argument.value.values]
    return None
