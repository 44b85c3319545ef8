"""SQS mappings with a small project of the test's own, provisioned into moto: partial batch
failures, filters, and redrive to the dead-letter queue after maxReceiveCount."""

import json

import boto3
import pytest
from moto import mock_aws

from local.aws.awslambda.event_sources import QueueMapping
from local.aws.awslambda.runtime import LambdaRuntime
from local.pulumi import engine
from local.pulumi.provisioning import ProvisioningBackend

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

dlq = aws.sqs.Queue("jobs-dlq", sqs_managed_sse_enabled=True)
jobs = aws.sqs.Queue(
    "jobs",
    sqs_managed_sse_enabled=True,
    redrive_policy=dlq.arn.apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
    ),
)
role = aws.iam.Role("worker-role", assume_role_policy=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}]}))
worker = aws.lambda_.Function(
    "worker",
    runtime="python3.12",
    handler="worker.handler",
    role=role.arn,
    code=pulumi.AssetArchive({"worker.py": pulumi.FileAsset("worker.py")}),
)
aws.lambda_.EventSourceMapping(
    "jobs-to-worker",
    event_source_arn=jobs.arn,
    function_name=worker.arn,
    batch_size=10,
    function_response_types=["ReportBatchItemFailures"],
    filter_criteria={"filters": [{"pattern": json.dumps({"body": {"kind": ["job"]}})}]},
)
pulumi.export("jobs", jobs.url)
pulumi.export("dlq", dlq.url)
"""
WORKER = """
import json
from pathlib import Path

DONE = Path(__file__).with_name("done.txt")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        if json.loads(record["body"]).get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            with DONE.open("a") as done:
                done.write(f"{json.loads(record['body'])['n']}\\n")
    return {"batchItemFailures": failures}
"""


@pytest.fixture
def queues(aws_env, make_project):
    project = make_project(PROGRAM)
    (project / "worker.py").write_text(WORKER)
    runtime = LambdaRuntime()
    with mock_aws():
        clients = lambda service: boto3.client(service, region_name="eu-west-1")  # noqa: E731
        deployment = engine.run(project, "test", ProvisioningBackend.factory(clients, runtime))
        mapping = QueueMapping(
            inputs=deployment.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs,
            sqs=clients("sqs"),
            lambdas=runtime,
            retry_after_seconds=0,  # a failed message is retried at once
        )
        yield deployment, mapping, clients("sqs"), project / "done.txt"


def count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_partial_failures_are_retried_and_poison_ends_in_the_dlq(queues):
    deployment, mapping, sqs, done = queues
    jobs, dlq = deployment.outputs["jobs"], deployment.outputs["dlq"]
    for body in (
        {"kind": "job", "n": 1},
        {"kind": "job", "n": 2, "poison": True},
        {"kind": "job", "n": 3},
    ):
        sqs.send_message(QueueUrl=jobs, MessageBody=json.dumps(body))
    sqs.send_message(QueueUrl=jobs, MessageBody=json.dumps({"kind": "noise"}))
    assert mapping.poll() == 3  # the noise is filtered out (and deleted)
    assert sorted(done.read_text().split()) == ["1", "3"]
    assert count(sqs, jobs) == 1  # only the poison message is left, visible again
    assert mapping.poll() == 1  # its second receive fails too
    assert mapping.poll() == 0  # past maxReceiveCount: moved, not delivered
    assert count(sqs, jobs) == 0
    [moved] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert json.loads(moved["Body"])["poison"] is True
