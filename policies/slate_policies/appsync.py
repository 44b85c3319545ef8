"""AppSync GraphQL APIs: not open by API key by default, logged, and not logging every field's
content on production stacks."""

from .common import PRODUCTION_STACKS, is_production, resource_rule, truthy

API = "aws:appsync/graphQLApi:GraphQLApi"

default_auth = resource_rule(
    "appsync-default-auth-not-api-key",
    "An API's default authorization is an identity (Cognito, IAM, OIDC, Lambda), not an API key.",
    API,
    lambda props, config, args: (
        ["the default authentication type is API_KEY"]
        if props.get("authenticationType") == "API_KEY"
        else []
    ),
)


def _logging(props, config, args):
    level = truthy(props, "logConfig", "fieldLogLevel")
    if not truthy(props, "logConfig", "cloudwatchLogsRoleArn") or level in (None, "NONE"):
        return ["logging is off: set logConfig with a role and a field log level"]
    if level == "ALL" and is_production(args, config):
        return ["field log level ALL on a production stack logs every field's data"]
    return []


logging = resource_rule(
    "appsync-logging",
    "APIs log to CloudWatch Logs; production stacks do not log at field level ALL.",
    API,
    _logging,
    config=PRODUCTION_STACKS,
)

POLICIES = [default_auth, logging]
