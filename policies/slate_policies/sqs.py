"""SQS queues: encryption, and a bounded redrive to a dead-letter queue."""

import json

from .common import resource_rule

QUEUE = "aws:sqs/queue:Queue"
MAX_RECEIVE_COUNT = {
    "maximumReceiveCount": {
        "type": "integer",
        "minimum": 1,
        "default": 10,
        "description": "The highest maxReceiveCount a redrive policy may set.",
    }
}

encryption = resource_rule(
    "sqs-encryption",
    "SQS queues encrypt messages at rest (SQS-managed or KMS).",
    QUEUE,
    lambda props, config, args: (
        []
        if props.get("sqsManagedSseEnabled") or props.get("kmsMasterKeyId")
        else ["messages are not encrypted: set sqsManagedSseEnabled or kmsMasterKeyId"]
    ),
)


def redrive_policy(value) -> dict:
    """A redrive policy given as JSON text or a mapping; empty when it is neither."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def redrive_limit(value) -> int | None:
    """The maxReceiveCount of a redrive policy, if it has one."""
    count = redrive_policy(value).get("maxReceiveCount")
    return int(count) if count is not None else None


def _bounded(props, config, args):
    count = redrive_limit(props.get("redrivePolicy"))
    highest = config.get("maximumReceiveCount", 10)
    if count is not None and count > highest:
        return [f"maxReceiveCount {count} is above {highest}"]
    return []


bounded_redrive = resource_rule(
    "sqs-bounded-redrive",
    "A queue's redrive to its dead-letter queue happens after a bounded number of receives.",
    QUEUE,
    _bounded,
    config=MAX_RECEIVE_COUNT,
)

POLICIES = [encryption, bounded_redrive]
