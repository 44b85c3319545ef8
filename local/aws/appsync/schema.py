"""An AppSync schema as graphql-core builds it: AppSync's directives and AWS scalars declared
the way AppSync declares them implicitly, and each scalar checked as AppSync checks it."""

import ipaddress
import json
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, parse
from graphql.language import ValueNode
from graphql.utilities import value_from_ast_untyped

APPSYNC_DIRECTIVES = {
    "aws_subscribe": "directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION",
    "aws_auth": "directive @aws_auth(cognito_groups: [String!]!) on FIELD_DEFINITION",
    "aws_api_key": "directive @aws_api_key on FIELD_DEFINITION | OBJECT",
    "aws_iam": "directive @aws_iam on FIELD_DEFINITION | OBJECT",
    "aws_oidc": "directive @aws_oidc on FIELD_DEFINITION | OBJECT",
    "aws_lambda": "directive @aws_lambda on FIELD_DEFINITION | OBJECT",
    "aws_cognito_user_pools": (
        "directive @aws_cognito_user_pools(cognito_groups: [String!]) on FIELD_DEFINITION | OBJECT"
    ),
}

_TIME_ZONE = r"(Z|[+-]\d{2}:\d{2}(:\d{2})?)"
_DATE = re.compile(rf"^\d{{4}}-\d{{2}}-\d{{2}}{_TIME_ZONE}?$")
_TIME = re.compile(rf"^\d{{2}}:\d{{2}}(:\d{{2}}(\.\d{{1,9}})?)?{_TIME_ZONE}?$")
_DATE_TIME = re.compile(
    rf"^\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}(:\d{{2}}(\.\d{{1,9}})?)?{_TIME_ZONE}$"
)
_ZONE_SUFFIX = re.compile(_TIME_ZONE + "$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,30}$")


def _checked(name: str, pattern: re.Pattern[str], parse_: Callable[[str], Any]) -> Callable:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise GraphQLError(f"'{value}' is not a valid '{name}'")
        try:
            parse_(_without_zone(value) if name in ("AWSDate", "AWSTime") else value)
        except ValueError as error:
            raise GraphQLError(f"'{value}' is not a valid '{name}'") from error
        return value

    return check


def _without_zone(text: str) -> str:
    return _ZONE_SUFFIX.sub("", text)


def _timestamp(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"'{value}' is not a valid 'AWSTimestamp'")
    return value


def _ip_address(value: Any) -> str:
    try:
        ipaddress.ip_interface(value)
    except ValueError as error:
        raise GraphQLError(f"'{value}' is not a valid 'AWSIPAddress'") from error
    return value


def _json_input(value: Any) -> Any:
    if not isinstance(value, str):
        raise GraphQLError(f"'{value}' is not a valid 'AWSJSON'")
    try:
        return json.loads(value)
    except ValueError as error:
        raise GraphQLError(f"'{value}' is not a valid 'AWSJSON'") from error


def _json_output(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# scalar → (check of an input value, serialization of a result value)
AWS_SCALARS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "AWSDate": (_checked("AWSDate", _DATE, date.fromisoformat),) * 2,
    "AWSTime": (_checked("AWSTime", _TIME, time.fromisoformat),) * 2,
    "AWSDateTime": (_checked("AWSDateTime", _DATE_TIME, datetime.fromisoformat),) * 2,
    "AWSTimestamp": (_timestamp, _timestamp),
    "AWSEmail": (_checked("AWSEmail", _EMAIL, str),) * 2,
    "AWSURL": (_checked("AWSURL", _URL, str),) * 2,
    "AWSPhone": (_checked("AWSPhone", _PHONE, str),) * 2,
    "AWSIPAddress": (_ip_address, _ip_address),
    "AWSJSON": (_json_input, _json_output),
}


def build_appsync_schema(sdl: str) -> GraphQLSchema:
    """The schema, with whatever AppSync declares implicitly and the schema does not."""
    defined = {
        definition.name.value
        for definition in parse(sdl).definitions
        if getattr(definition, "name", None) is not None
    }
    prelude = [f"scalar {name}" for name in AWS_SCALARS if name not in defined]
    prelude += [text for name, text in APPSYNC_DIRECTIVES.items() if name not in defined]
    schema = build_schema("\n".join([*prelude, sdl]))
    for name, (check, serialize) in AWS_SCALARS.items():
        scalar = schema.type_map[name]
        scalar.parse_value = scalar.coerce_input_value = check
        scalar.serialize = scalar.coerce_output_value = serialize
        scalar.parse_literal = _literal(check)
        scalar.coerce_input_literal = None
    return schema


def _literal(check: Callable[[Any], Any]) -> Callable[..., Any]:
    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        return check(value_from_ast_untyped(node, variables))

    return parse_literal
