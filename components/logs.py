"""Log groups of the stack: each named after its stack and component, with a retention."""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from .validation import checked, one_of

DEFAULT_RETENTION_DAYS = 14
# The retention periods CloudWatch Logs accepts.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)


def checked_retention(component: str, args: Mapping[str, Any]) -> pulumi.Input[int]:
    """The `log_retention_days` argument, defaulted and checked."""
    value = args.get("log_retention_days", DEFAULT_RETENTION_DAYS)
    return checked(component, "log_retention_days", value, one_of(*RETENTION_DAYS))


def log_group(
    name: str,
    path_prefix: str,
    retention: pulumi.Input[int],
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """`<path_prefix>/<project>-<stack>-<name>`, unique per stack, kept `retention` days."""
    return aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"{path_prefix}/{pulumi.get_project()}-{pulumi.get_stack()}-{name}",
        retention_in_days=retention,
        tags=tags,
        opts=opts,
    )
