"""IAM documents for the stack's roles, with the least-privilege rules checked as they are built."""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from .layout import model
from .validation import InvalidArgument

Statement = dict[str, Any]


SOURCE_ARN_SERVICES = {
    "states.amazonaws.com": "states",
    "appsync.amazonaws.com": "appsync",
    "scheduler.amazonaws.com": "scheduler",
}
"""Services that say which of their resources assumes a role (`aws:SourceArn`), by ARN service
name. Lambda states only the account its functions run in."""


def trust_policy(service: str, account: str, region: str, partition: str) -> str:
    """Lets `service` assume the role only for this account's resources (`aws:SourceAccount`)
    and, where it names the resource acting, only for its resources in this account and region
    (`aws:SourceArn`): the guard against a confused deputy acting for another account. The ARN
    is a pattern since the resource (a state machine, an API, a schedule) is made after the
    role it uses."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    arn_service = SOURCE_ARN_SERVICES.get(service)
    if arn_service is not None:
        source = f"arn:{partition}:{arn_service}:{region}:{account}:*"
        condition["ArnLike"] = {"aws:SourceArn": source}
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def assume_role_policy(service: str, parent: pulumi.Resource | None) -> pulumi.Output[str]:
    """`trust_policy` in the account, region and partition of `parent`'s provider."""
    opts = pulumi.InvokeOptions(parent=parent)
    return pulumi.Output.all(
        aws.get_caller_identity_output(opts=opts).account_id,
        aws.get_region_output(opts=opts).region,
        aws.get_partition_output(opts=opts).partition,
    ).apply(lambda found: trust_policy(service, *found))


def policy_document(component: str, statements: list[Statement]) -> pulumi.Output[str]:
    """A policy document from statements whose resources may still be Outputs. A statement
    granting every action (`*` or `service:*`) is refused: each role names what it does."""
    for statement in statements:
        actions = statement.get("Action")
        for action in [actions] if isinstance(actions, str) else actions or []:
            if not isinstance(action, str) or action == "*" or action.endswith(":*"):
                raise InvalidArgument(component, "policy_statements", f"grants {action!r}")
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def service_role(
    component: str,
    name: str,
    *,
    service: str,
    statements: list[Statement],
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """A role `service` assumes, with `statements` as its one inline policy."""
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=assume_role_policy(service, opts.parent),
        tags=tags,
        opts=opts,
    )
    aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=policy_document(component, statements),
        opts=opts,
    )
    return role


def table_statement(
    resource: Any, actions: list[str], partitions: tuple[str, ...], *, exact: tuple[str, ...] = ()
) -> Statement:
    """DynamoDB `actions` on `resource` (a table, its indexes), only on items whose partition
    key starts with the key prefix of one of `partitions` or equals one of `exact`."""
    prefixes = model()["keyPrefixes"]
    return {
        "Effect": "Allow",
        "Action": actions,
        "Resource": resource,
        "Condition": {
            "ForAllValues:StringLike": {
                "dynamodb:LeadingKeys": [*exact, *(f"{prefixes[p]}*" for p in partitions)]
            }
        },
    }
