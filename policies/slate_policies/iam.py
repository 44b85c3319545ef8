"""IAM policies: no action wildcards, no `*` resource on data actions, DynamoDB grants named."""

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

POLICIES = [no_wildcard_actions, no_wildcard_data_resources, dynamodb_named_tables]
