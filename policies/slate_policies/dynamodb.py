"""DynamoDB tables: backups, encryption, protection from deletion in production."""

from pulumi_policy import Severity

from .common import PRODUCTION_STACKS, is_production, resource_rule, truthy

TABLE = "aws:dynamodb/table:Table"

point_in_time_recovery = resource_rule(
    "dynamodb-point-in-time-recovery",
    "DynamoDB tables keep continuous backups (point-in-time recovery).",
    TABLE,
    lambda props, config, args: (
        []
        if truthy(props, "pointInTimeRecovery", "enabled")
        else ["point-in-time recovery is off: set pointInTimeRecovery.enabled"]
    ),
)


def _encryption(props, config, args):
    if not config.get("requireCustomerKey", False):
        return []  # DynamoDB always encrypts at rest; the AWS-owned key is then acceptable
    sse = props.get("serverSideEncryption") or {}
    if not (sse.get("enabled") and sse.get("kmsKeyArn")):
        return ["the table must be encrypted with a customer-managed KMS key (kmsKeyArn)"]
    return []


encryption = resource_rule(
    "dynamodb-encryption",
    "DynamoDB tables are encrypted with a customer-managed KMS key where required.",
    TABLE,
    _encryption,
    config={
        "requireCustomerKey": {
            "type": "boolean",
            "default": False,
            "description": "Require a customer-managed KMS key rather than the AWS-owned one.",
        }
    },
)

deletion_protection = resource_rule(
    "dynamodb-deletion-protection-in-production",
    "DynamoDB tables of production stacks are protected from deletion.",
    TABLE,
    lambda props, config, args: (
        ["deletion protection is off on a production stack: set deletionProtectionEnabled"]
        if is_production(args, config) and not props.get("deletionProtectionEnabled")
        else []
    ),
    severity=Severity.CRITICAL,
    config=PRODUCTION_STACKS,
)

POLICIES = [point_in_time_recovery, encryption, deletion_protection]
