"""CloudWatch log groups: a retention, within a configured maximum; a missing one is remediable."""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .common import resource_rule

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CONFIG = {
    "maximumDays": {
        "type": "integer",
        "minimum": 1,
        "default": 365,
        "description": "The longest retention allowed.",
    },
    "defaultDays": {
        "type": "integer",
        "minimum": 1,
        "default": 14,
        "description": "The retention remediation sets where there is none.",
    },
}


def _retention(props, config, args):
    days = props.get("retentionInDays")
    highest = config.get("maximumDays", 365)
    if not days:
        return ["the log group keeps logs forever: set retentionInDays"]
    if days > highest:
        return [f"retentionInDays {days} is above the maximum of {highest}"]
    return []


def _remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """A missing retention becomes the configured default; a too-long one is left to a person."""
    if args.resource_type != LOG_GROUP or args.props.get("retentionInDays"):
        return None
    return {**args.props, "retentionInDays": (args.get_config() or {}).get("defaultDays", 14)}


retention = resource_rule(
    "logs-retention",
    "Log groups keep logs for a bounded time, within the configured maximum.",
    LOG_GROUP,
    _retention,
    config=CONFIG,
    remediate=_remediate,
)

POLICIES = [retention]
