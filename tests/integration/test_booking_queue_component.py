"""BookingQueue under the engine: an encrypted queue whose visibility covers six worker timeouts,
its dead-letter queue (14 days, maxReceiveCount from config, redrive allowed from the queue
only), the worker's mapping, the request workflow, and roles scoped to what each does."""

import json

import pytest

from components.request_definition import request_definition
from local.pulumi import engine

QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
MACHINE = "aws:sfn/stateMachine:StateMachine"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
REDRIVE_ALLOW = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
REQUIRED = {
    "table": {
        "name": "bookings",
        "arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings",
    },
    "state_machine_arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:saga",
}


def statements(deployment, policy_name: str) -> list[dict]:
    [policy] = [p for p in deployment.of_type(POLICY) if p.name == policy_name]
    return json.loads(policy.inputs["policy"])["Statement"]


def worker(deployment):
    [function] = [
        f for f in deployment.of_type(FUNCTION) if f.inputs["handler"] == "booking_worker.handler"
    ]
    return function


def test_the_queue_is_encrypted_and_redrives_to_its_dlq_after_max_receive_count(dev):
    queue = dev.named(QUEUE, "requests-queue")
    dlq = dev.named(QUEUE, "requests-dlq")
    assert queue.inputs["sqsManagedSseEnabled"] and dlq.inputs["sqsManagedSseEnabled"]
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq.outputs["arn"],
        "maxReceiveCount": 3,  # slate:maxReceiveCount in Pulumi.dev.yaml
    }
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * worker(dev).inputs["timeout"]
    [allow] = dev.of_type(REDRIVE_ALLOW)
    assert allow.inputs["queueUrl"] == dlq.outputs["url"]
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [queue.outputs["arn"]],
    }


def test_the_worker_drains_the_queue_in_batches_reporting_item_failures(dev):
    mapping = dev.named(MAPPING, "requests-mapping").inputs
    assert mapping["eventSourceArn"] == dev.named(QUEUE, "requests-queue").outputs["arn"]
    assert mapping["functionName"] == worker(dev).outputs["arn"]
    assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (10, 1)
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    variables = worker(dev).inputs["environment"]["variables"]
    assert variables["STATE_MACHINE_ARN"] == dev.outputs["bookingStateMachineArn"]


def test_the_worker_may_start_the_saga_and_consume_its_queue_only(dev):
    queue_arn = dev.named(QUEUE, "requests-queue").outputs["arn"]
    granted = statements(dev, "requests-worker-policy")
    assert {"Effect": "Allow", "Action": ["states:StartSyncExecution"],
            "Resource": dev.outputs["bookingStateMachineArn"]} in granted  # fmt: skip
    [consume] = [s for s in granted if s["Action"][0].startswith("sqs:")]
    assert consume["Resource"] == queue_arn
    assert set(consume["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }


def test_the_request_workflow_is_the_definition_and_sends_to_the_queue_only(dev):
    machine = dev.named(MACHINE, "requests-intake-state-machine")
    queue = dev.named(QUEUE, "requests-queue").outputs
    expected = request_definition(dev.outputs["tableName"], queue["url"], 900)
    assert json.loads(machine.inputs["definition"]) == expected
    assert machine.inputs["type"] == "EXPRESS"
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    granted = statements(dev, "requests-intake-policy")
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue["arn"]} in granted
    [table] = [s for s in granted if s["Action"][0].startswith("dynamodb:")]
    assert table["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    leading = table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert leading == ["VENUE#*", "BOOKING#*", "USER#*"]


def test_options(run_component):
    deployment = run_component(
        "BookingQueue",
        {
            **REQUIRED,
            "max_receive_count": 7,
            "worker_timeout_seconds": 30,
            "batch_size": 5,
            "batching_window_seconds": 0,
            "lock_seconds": 120,
        },
    )
    [queue] = [q.inputs for q in deployment.of_type(QUEUE) if "redrivePolicy" in q.inputs]
    assert json.loads(queue["redrivePolicy"])["maxReceiveCount"] == 7
    assert queue["visibilityTimeoutSeconds"] == 180
    mapping = deployment.one(MAPPING).inputs
    assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (5, 0)
    assert worker(deployment).inputs["timeout"] == 30
    assert "States.MathAdd($.nowEpoch, 120)" in deployment.one(MACHINE).inputs["definition"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_receive_count": 0}, "'max_receive_count' must be a whole number from 1 to 1000"),
        ({"worker_timeout_seconds": 901}, "'worker_timeout_seconds' must be a whole number"),
        ({"batch_size": 11}, "'batch_size' must be a whole number from 1 to 10"),
        ({"lock_seconds": 30}, "'lock_seconds' must be a whole number from 60 to 3600"),
        ({"maxReceiveCount": 3}, "'maxReceiveCount' is not an argument of BookingQueue"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=message):
        run_component("BookingQueue", {**REQUIRED, **args})


def test_the_saga_is_required(run_component):
    with pytest.raises(engine.EngineError, match="argument 'state_machine_arn' is required"):
        run_component("BookingQueue", {"table": REQUIRED["table"]})


def test_an_inner_function_s_argument_error_names_the_component_called(run_component):
    with pytest.raises(
        engine.EngineError, match="BookingQueue: argument 'powertools_layer_version' must be"
    ):
        run_component("BookingQueue", {**REQUIRED, "powertools_layer_version": 0})
