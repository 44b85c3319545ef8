"""The stack's Express state machines: logged (errors only, no execution data) to a log group
with retention, traced with X-Ray, run by a role with exactly the given statements."""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from .iam import Statement, service_role
from .logs import log_group

LOG_GROUP_PREFIX = "/aws/vendedlogs/states"
DELIVERY_STATEMENT: Statement = {
    # Log delivery and X-Ray take no resource-level permissions.
    "Effect": "Allow",
    "Action": [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    ],
    "Resource": "*",
}


def express_state_machine(
    component: str,
    name: str,
    *,
    definition: pulumi.Input[Any],
    statements: list[Statement],
    retention: pulumi.Input[int],
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    opts: pulumi.ResourceOptions,
) -> aws.sfn.StateMachine:
    """An Express machine named `<name>-state-machine` running `definition` (a dict)."""
    logs = log_group(name, LOG_GROUP_PREFIX, retention, tags, opts)
    role = service_role(
        component,
        name,
        service="states.amazonaws.com",
        statements=[*statements, DELIVERY_STATEMENT],
        tags=tags,
        opts=opts,
    )
    return aws.sfn.StateMachine(
        f"{name}-state-machine",
        type="EXPRESS",
        role_arn=role.arn,
        definition=pulumi.Output.json_dumps(definition),
        logging_configuration={
            "level": "ERROR",
            "include_execution_data": False,
            "log_destination": pulumi.Output.concat(logs.arn, ":*"),
        },
        tracing_configuration={"enabled": True},
        tags=tags,
        opts=opts,
    )
