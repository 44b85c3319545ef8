"""IAM policies: no action wildcards, no `*` resource on data actions, DynamoDB grants named;
roles that AWS services assume are guarded against confused deputies."""

import re

from .common import as_list, resource_rule, statements

DOCUMENT_PROPERTIES = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies",),
}
DATA_ACTION = re.compile(
    r"^(dynamodb:(Get|Put|Update|Delete|BatchGet|BatchWrite|ConditionCheck)Item|dynamodb:Query"
    r"|dynamodb:Scan|dynamodb:PartiQL\w*|s3:(Get|Put|Delete)Object\w*|sqs:(Send|Receive|Delete)"
    r"Message\w*|sns:Publish|kms:(Decrypt|Encrypt|GenerateDataKey\w*)|secretsmanager:GetSecretValue)$"
)
TABLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]+"
    r"(/index/([A-Za-z0-9_.-]+|\*)|/stream/[^*]+)?$"
)


def _documents(props, resource_type):
    for prop in DOCUMENT_PROPERTIES[resource_type]:
        value = props.get(prop)
        if prop == "inlinePolicies":
            for inline in value or []:
                yield inline.get("policy")
        else:
            yield value


def _allowed(props, args):
    for document in _documents(props, args.resource_type):
        for statement in statements(document):
            if statement.get("Effect", "Allow") == "Allow":
                yield as_list(statement.get("Action")), as_list(statement.get("Resource"))


no_wildcard_actions = resource_rule(
    "iam-no-wildcard-actions",
    "Policies name the actions they grant: no `*` and no `service:*`.",
    tuple(DOCUMENT_PROPERTIES),
    lambda props, config, args: [
        f"grants every action ({action})"
        for actions, _ in _allowed(props, args)
        for action in actions
        if action == "*" or str(action).endswith(":*")
    ],
)

no_wildcard_data_resources = resource_rule(
    "iam-no-wildcard-resource-on-data-actions",
    "Actions that read or write data (items, objects, messages, secrets) name their resources.",
    tuple(DOCUMENT_PROPERTIES),
    lambda props, config, args: [
        f"{action} on every resource (*)"
        for actions, resources in _allowed(props, args)
        if "*" in resources
        for action in actions
        if DATA_ACTION.match(str(action))
    ],
)

dynamodb_named_tables = resource_rule(
    "iam-dynamodb-named-tables",
    "DynamoDB grants name their tables (and those tables' indexes or streams), no wildcards.",
    tuple(DOCUMENT_PROPERTIES),
    lambda props, config, args: [
        f"{', '.join(a for a in actions if str(a).startswith('dynamodb:'))} on {resource}"
        for actions, resources in _allowed(props, args)
        if any(str(a).startswith("dynamodb:") and a != "dynamodb:ListStreams" for a in actions)
        for resource in resources
        if not TABLE_ARN.match(str(resource))
    ],
)

ROLE = "aws:iam/role:Role"
SOURCE_ARN_SERVICES = {
    "sourceArnServices": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "states.amazonaws.com",
            "appsync.amazonaws.com",
            "scheduler.amazonaws.com",
            "events.amazonaws.com",
            "pipes.amazonaws.com",
        ],
        "description": "Service principals that say which of their resources assumes a role"
        " (aws:SourceArn), so trust in them must name those resources.",
    }
}


def _condition_keys(statement) -> set[str]:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return set()
    return {key.lower() for test in condition.values() if isinstance(test, dict) for key in test}


def _unguarded_services(props, config, args):
    source_arn_services = config.get(
        "sourceArnServices", SOURCE_ARN_SERVICES["sourceArnServices"]["default"]
    )
    for statement in statements(props.get("assumeRolePolicy")):
        principal = statement.get("Principal")
        if statement.get("Effect", "Allow") != "Allow" or not isinstance(principal, dict):
            continue
        keys = _condition_keys(statement)
        for service in as_list(principal.get("Service")):
            if "aws:sourceaccount" not in keys:
                yield f"{service} may assume it for any account (no aws:SourceAccount condition)"
            elif service in source_arn_services and "aws:sourcearn" not in keys:
                yield f"{service} may assume it for any of its resources (no aws:SourceArn)"


confused_deputy_guard = resource_rule(
    "iam-service-trust-confused-deputy",
    "A role an AWS service assumes trusts it only for this account (aws:SourceAccount) and,"
    " where the service names the resource acting, only for named resources (aws:SourceArn).",
    ROLE,
    _unguarded_services,
    config=SOURCE_ARN_SERVICES,
)

POLICIES = [
    no_wildcard_actions,
    no_wildcard_data_resources,
    dynamodb_named_tables,
    confused_deputy_guard,
]
