"""The stack's SQS queues: encrypted, and dead-letter queues that keep what failed 14 days."""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60
"""SQS's longest: time to look at a failure and redrive it."""


def dead_letter_queue(
    name: str,
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    opts: pulumi.ResourceOptions,
) -> aws.sqs.Queue:
    """`<name>-dlq`: SSE, 14 days."""
    return aws.sqs.Queue(
        f"{name}-dlq",
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
        tags=tags,
        opts=opts,
    )
