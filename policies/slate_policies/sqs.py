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


def redrive_limit(redrive_policy) -> int | None:
    """The maxReceiveCount of a redrive policy (JSON text or mapping), if it has one."""
    if isinstance(redrive_policy, str):
        try:
            redrive_policy = json.loads(redrive_policy)
        except ValueError:
            return None
    count = (redrive_policy or {}).get("maxReceiveCount")
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
