"""Slate's policies, importable on their own: `__main__.py` of the pack only builds the pack
from `POLICIES` (building it starts the pack's server, which never returns)."""

from . import (
    appsync,
    cloudwatch,
    cognito,
    dynamodb,
    event_sources,
    iam,
    lambda_functions,
    logs,
    sqs,
    stack,
    step_functions,
)

POLICIES = [
    *dynamodb.POLICIES,
    *lambda_functions.POLICIES,
    *step_functions.POLICIES,
    *sqs.POLICIES,
    *event_sources.POLICIES,
    *appsync.POLICIES,
    *cognito.POLICIES,
    *iam.POLICIES,
    *logs.POLICIES,
    *cloudwatch.POLICIES,
    *stack.POLICIES,
]
