"""More of the local cloud, each on a cloud of its own: the sweeper releasing holds TTL has not
reached yet, SQS mappings of a small project made by the test, and `make dev` itself."""

import json
import os
import signal
import socket
import subprocess

import pytest

from cloud_harness import aws, start_cloud, stop_cloud, watch_an_abandoned_hold
from local.aws.appsync.gateway.server import free_port
from support import REPO, eventually, stack_variant, write_project


def test_the_sweeper_releases_an_abandoned_hold_before_ttl_does(tmp_path):
    project = stack_variant(tmp_path, "e2e", {})
    process, discovery, port = start_cloud(project, "--ttl-delay", "3600", "--schedule-every", "1")
    try:
        assert watch_an_abandoned_hold(discovery, port, "ghost2") == [["HELD", "OPEN"]]
        [name] = aws(discovery, "dynamodb").list_tables()["TableNames"]
        holds = aws(discovery, "dynamodb").scan(
            TableName=name,
            FilterExpression="begins_with(pk, :h)",
            ExpressionAttributeValues={":h": {"S": "HOLD#"}},
        )
        assert holds["Items"] == []  # the sweeper deleted the marker; TTL never ran
    finally:
        stop_cloud(process)


QUEUE_PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

dlq = aws.sqs.Queue("jobs-dlq", sqs_managed_sse_enabled=True)
jobs = aws.sqs.Queue(
    "jobs",
    sqs_managed_sse_enabled=True,
    visibility_timeout_seconds=1,
    redrive_policy=dlq.arn.apply(
        lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
    ),
)
role = aws.iam.Role("worker-role", assume_role_policy=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}]}))
worker = aws.lambda_.Function(
    "worker", runtime="python3.12", handler="worker.handler", role=role.arn,
    code=pulumi.AssetArchive({"worker.py": pulumi.FileAsset("worker.py")}),
)
aws.lambda_.EventSourceMapping(
    "jobs-to-worker", event_source_arn=jobs.arn, function_name=worker.arn,
    function_response_types=["ReportBatchItemFailures"],
)
pulumi.export("jobs", jobs.url)
pulumi.export("dlq", dlq.url)
"""
WORKER = """
import json
from pathlib import Path


def handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            with Path(__file__).with_name("done.txt").open("a") as done:
                done.write(f"{body['n']}\\n")
    return {"batchItemFailures": failures}
"""


def test_a_small_project_s_queue_mapping_with_redrive(tmp_path):
    project = write_project(tmp_path / "queues", QUEUE_PROGRAM, stack="e2e")
    (project / "worker.py").write_text(WORKER)
    process, discovery, _ = start_cloud(project, seed=None)
    try:
        assert discovery["graphqlUrl"] is None  # no API in this stack
        sqs = aws(discovery, "sqs")
        [jobs] = [u for u in sqs.list_queues()["QueueUrls"] if "/jobs-" in u and "dlq" not in u]
        [dlq] = [u for u in sqs.list_queues()["QueueUrls"] if "dlq" in u]
        for body in ({"n": 1}, {"n": 2, "poison": True}, {"n": 3}):
            sqs.send_message(QueueUrl=jobs, MessageBody=json.dumps(body))
        moved = eventually(lambda: sqs.receive_message(QueueUrl=dlq).get("Messages"))
        assert [json.loads(m["Body"])["n"] for m in moved] == [2]
        assert sorted((project / "done.txt").read_text().split()) == ["1", "3"]
    finally:
        stop_cloud(process)


MAKE_DEV_FILES = (
    "Makefile",
    "requirements.txt",
    "requirements-dev.txt",
    "constraints.txt",
    "policies",
    ".venv",
    "local",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "__main__.py",
    "components",
    "handlers",
    "devtools",
)
"""What `make dev` reads, linked into a copy: the test's `.slate/` (discovery file, lock and saved
state) is its own, never the one of a developer's `make dev` running in the repository."""


def test_make_dev_reaches_ready_and_ctrl_c_leaves_nothing_behind(tmp_path):
    for name in MAKE_DEV_FILES:
        (tmp_path / name).symlink_to(REPO / name)
    port = free_port()
    process = subprocess.Popen(
        ["make", "dev", f"PORT={port}", f"TLS_PORT={free_port()}"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ready."):
                break
        assert lines and lines[-1].startswith("Ready."), "".join(lines)
        discovery = json.loads((tmp_path / ".slate" / "local.json").read_text())
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
        rest = process.stdout.read()  # to the end: every process holding the pipe has exited
        assert "Stopped." in rest
        assert process.wait(60) in (0, -signal.SIGINT)  # make itself dies of the Ctrl-C
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert not (tmp_path / ".slate" / "local.json").exists()
    assert (tmp_path / ".slate" / "state" / "base.pickle").exists()  # its own saved state
    moto_port = int(discovery["awsEndpoint"].rsplit(":", 1)[1])
    for freed in (port, moto_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", freed), timeout=2).close()
