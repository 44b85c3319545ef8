"""Dead-letter queue redrive for the local cloud: what `aws sqs start-message-move-task` does on
AWS, which moto does not implement. Each message in a dead-letter queue goes back to the queue
whose redrive policy names it (its source), body and attributes as they were, and leaves the
dead-letter queue only once it is sent.
"""

import json
from dataclasses import dataclass
from typing import Any

from local.errors import LocalError

BATCH = 10
HIDE_SECONDS = 30
"""How long a message being moved stays hidden: long enough to send it, short enough that a
move that stops half way leaves it visible again soon."""


class RedriveError(LocalError):
    """No such dead-letter queue, or one whose source is not one queue."""


@dataclass(frozen=True)
class Moved:
    dead_letter_queue: str
    source_queue: str
    messages: int


def dead_letter_sources(sqs: Any) -> dict[str, list[str]]:
    """Each dead-letter queue's URL → the URLs of the queues that redrive into it."""
    urls = sqs.list_queues().get("QueueUrls", [])
    arns = {_attributes(sqs, url, "QueueArn")["QueueArn"]: url for url in urls}
    sources: dict[str, list[str]] = {}
    for url in urls:
        policy = _attributes(sqs, url, "RedrivePolicy").get("RedrivePolicy")
        target = json.loads(policy).get("deadLetterTargetArn") if policy else None
        if target in arns:
            sources.setdefault(arns[target], []).append(url)
    return sources


def redrive(sqs: Any, queue: str | None = None) -> list[Moved]:
    """Moves every message of the dead-letter queue named `queue` (a name or URL; every
    dead-letter queue when None) back to its source queue."""
    sources = dead_letter_sources(sqs)
    chosen = {
        url: found
        for url, found in sources.items()
        if queue is None or queue in (url, url.rsplit("/", 1)[-1])
    }
    if queue is not None and not chosen:
        known = ", ".join(url.rsplit("/", 1)[-1] for url in sources) or "none"
        raise RedriveError(f"{queue} is not a dead-letter queue here (dead-letter queues: {known})")
    moved = []
    for url, found in sorted(chosen.items()):
        if len(found) != 1:
            raise RedriveError(f"{url} is the dead-letter queue of {len(found)} queues, not one")
        moved.append(Moved(url, found[0], _move(sqs, url, found[0])))
    return moved


def _move(sqs: Any, source: str, destination: str) -> int:
    count = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=source,
            MaxNumberOfMessages=BATCH,
            VisibilityTimeout=HIDE_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return count
        for message in messages:
            attributes = message.get("MessageAttributes")
            sqs.send_message(
                QueueUrl=destination,
                MessageBody=message["Body"],
                **({"MessageAttributes": attributes} if attributes else {}),
            )
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
            count += 1


def _attributes(sqs: Any, url: str, name: str) -> dict[str, str]:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name]).get("Attributes", {})
