"""The local cloud's dead-letter redrive (moto has no message move tasks): messages go back to
the queue whose redrive policy names the dead-letter queue, with their attributes, once each."""

import json

import boto3
import pytest
from moto import mock_aws

from local.aws.sqs.redrive import RedriveError, dead_letter_sources, redrive
from support import run_local


@pytest.fixture
def sqs(aws_env):
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def queue_with_dlq(sqs, name: str, dlq_url: str | None = None) -> tuple[str, str]:
    if dlq_url is None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return url, dlq_url


def bodies(sqs, url: str) -> list[tuple[str, dict]]:
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return sorted((m["Body"], m.get("MessageAttributes", {})) for m in found.get("Messages", []))


def test_dead_letters_go_back_to_their_source_with_their_attributes(sqs):
    work, dlq = queue_with_dlq(sqs, "work")
    tagged = {"correlationId": {"DataType": "String", "StringValue": "c-1"}}
    sqs.send_message(QueueUrl=dlq, MessageBody="first", MessageAttributes=tagged)
    for n in range(12):  # more than one receive's worth
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{n:02}")
    [moved] = redrive(sqs, "work-dlq")
    assert (moved.dead_letter_queue, moved.source_queue, moved.messages) == (dlq, work, 13)
    assert bodies(sqs, dlq) == []
    received = []
    while batch := bodies(sqs, work):
        received += batch
    assert len(received) == 13 and ("first", tagged) in [
        (
            body,
            {k: {"DataType": v["DataType"], "StringValue": v["StringValue"]} for k, v in a.items()},
        )
        for body, a in received
    ]


def test_every_dead_letter_queue_is_redriven_when_none_is_named(sqs):
    first, first_dlq = queue_with_dlq(sqs, "a")
    second, second_dlq = queue_with_dlq(sqs, "b")
    sqs.create_queue(QueueName="plain")
    sqs.send_message(QueueUrl=first_dlq, MessageBody="x")
    sqs.send_message(QueueUrl=second_dlq, MessageBody="y")
    moved = {(m.source_queue, m.messages) for m in redrive(sqs)}
    assert moved == {(first, 1), (second, 1)}
    assert set(dead_letter_sources(sqs)) == {first_dlq, second_dlq}


def test_a_queue_that_is_not_a_dead_letter_queue_is_refused(sqs):
    queue_with_dlq(sqs, "work")
    sqs.create_queue(QueueName="plain")
    with pytest.raises(RedriveError, match=r"plain is not a dead-letter queue here .*work-dlq"):
        redrive(sqs, "plain")


def test_a_dead_letter_queue_of_two_sources_is_refused_and_keeps_its_messages(sqs):
    _, shared = queue_with_dlq(sqs, "a")
    queue_with_dlq(sqs, "b", dlq_url=shared)
    sqs.send_message(QueueUrl=shared, MessageBody="x")
    with pytest.raises(RedriveError, match="dead-letter queue of 2 queues"):
        redrive(sqs, "a-dlq")
    assert [body for body, _ in bodies(sqs, shared)] == ["x"]


def test_redrive_without_a_running_cloud_says_how_to_start_one(tmp_path):
    """A discovery file whose cloud is gone (its lock is free) is not a running cloud."""
    (tmp_path / ".slate").mkdir()
    (tmp_path / ".slate" / "local.json").write_text(json.dumps({"awsEndpoint": "http://x"}))
    (tmp_path / ".slate" / "lock").touch()
    run = run_local("redrive", "-C", str(tmp_path))
    assert run.returncode == 1
    assert run.stderr.startswith("error: no local cloud is running in ")
    assert "make dev" in run.stderr
