"""RealtimeFanout under the engine: the stream mapping, its filters and failure handling, the
dead-letter queue, the schedule, and roles scoped to what each function does."""

import json

import pytest

from components.stream_filters import filter_patterns
from local.pulumi import engine

MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
STREAM_MAPPING = "realtime-stream"
FANOUT_DLQ = "realtime-dlq"
SCHEDULE = "aws:scheduler/schedule:Schedule"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
REQUIRED = {
    "table": {
        "name": "bookings",
        "arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings",
        "stream_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings/stream/2026",
    },
    "graphql_url": "https://example.appsync-api.eu-west-1.amazonaws.com/graphql",
    "publish_field_arn": (
        "arn:aws:appsync:eu-west-1:123456789012:apis/abc/types/Mutation/fields/publishSlotUpdate"
    ),
}


def statements(deployment, policy_name: str) -> list[dict]:
    [policy] = [p for p in deployment.of_type(POLICY) if p.name == policy_name]
    return json.loads(policy.inputs["policy"])["Statement"]


def test_the_stream_mapping_filters_and_fails_safely(dev):
    mapping = dev.named(MAPPING, STREAM_MAPPING).inputs
    table = dev.one("aws:dynamodb/table:Table").outputs
    [fanout] = [f for f in dev.of_type(FUNCTION) if f.inputs["handler"] == "fanout.handler"]
    assert mapping["eventSourceArn"] == table["streamArn"]
    assert mapping["functionName"] == fanout.outputs["arn"]
    assert fanout.inputs["timeout"] == 60
    assert mapping["startingPosition"] == "LATEST"
    assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (100, 0)
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["bisectBatchOnFunctionError"] is True
    assert (mapping["maximumRetryAttempts"], mapping["maximumRecordAgeInSeconds"]) == (5, 3600)
    dlq = dev.named(QUEUE, FANOUT_DLQ)
    assert mapping["destinationConfig"] == {"onFailure": {"destinationArn": dlq.outputs["arn"]}}
    patterns = [json.loads(f["pattern"]) for f in mapping["filterCriteria"]["filters"]]
    assert patterns == filter_patterns(bookings=True)
    assert patterns[1]["userIdentity"] == {
        "type": ["Service"],
        "principalId": ["dynamodb.amazonaws.com"],
    }


def test_the_dead_letter_queue_is_encrypted_and_keeps_14_days(dev):
    queue = dev.named(QUEUE, FANOUT_DLQ).inputs
    assert queue["sqsManagedSseEnabled"] is True
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600


def test_the_sweeper_runs_every_minute_through_its_own_role(dev):
    schedule = dev.one(SCHEDULE).inputs
    [sweeper] = [f for f in dev.of_type(FUNCTION) if f.inputs["handler"] == "sweeper.handler"]
    assert schedule["scheduleExpression"] == "rate(1 minute)"
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule["target"]["arn"] == sweeper.outputs["arn"]
    dlq = dev.named(QUEUE, FANOUT_DLQ).outputs["arn"]
    assert schedule["target"]["deadLetterConfig"] == {"arn": dlq}
    assert statements(dev, "realtime-scheduler-policy") == [
        {
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": sweeper.outputs["arn"],
        },
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dlq},
    ]


def test_the_fanout_may_publish_only_the_two_mutations_and_release_holds(dev):
    api = dev.one("slate:index:BookingApi").outputs
    table_arn = dev.outputs["tableArn"]
    granted = {s["Action"][0]: s for s in statements(dev, "realtime-fanout-policy")}
    assert granted["appsync:GraphQL"]["Resource"] == [
        api["publish_field_arn"],
        api["publish_booking_field_arn"],
    ]
    assert api["publish_field_arn"].endswith("/types/Mutation/fields/publishSlotUpdate")
    assert api["publish_booking_field_arn"].endswith("/types/Mutation/fields/publishBookingUpdate")
    release = granted["dynamodb:UpdateItem"]
    assert release["Action"] == ["dynamodb:UpdateItem"] and release["Resource"] == table_arn
    assert release["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
        "VENUE#*",
        "BOOKING#*",
    ]
    assert granted["dynamodb:DescribeStream"]["Resource"] == dev.outputs["tableStreamArn"]
    assert granted["sqs:SendMessage"]["Resource"] == dev.named(QUEUE, FANOUT_DLQ).outputs["arn"]
    assert granted["dynamodb:ListStreams"]["Resource"] == "*"  # no resource-level permission


def test_the_sweeper_queries_only_the_holds_index(dev):
    granted = {s["Action"][0]: s for s in statements(dev, "realtime-sweeper-policy")}
    table_arn = dev.outputs["tableArn"]
    query = granted["dynamodb:Query"]
    assert query["Resource"] == f"{table_arn}/index/*"
    assert query["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["HOLD"]
    writes = granted["dynamodb:UpdateItem"]
    assert writes["Action"] == ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    assert writes["Resource"] == table_arn


def test_options(run_component):
    deployment = run_component(
        "RealtimeFanout",
        {
            **REQUIRED,
            "sweep_rate_minutes": 5,
            "batch_size": 10,
            "batching_window_seconds": 2,
            "maximum_retry_attempts": 2,
            "maximum_record_age_seconds": 600,
        },
    )
    assert deployment.one(SCHEDULE).inputs["scheduleExpression"] == "rate(5 minutes)"
    mapping = deployment.one(MAPPING).inputs
    assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (10, 2)
    assert (mapping["maximumRetryAttempts"], mapping["maximumRecordAgeInSeconds"]) == (2, 600)
    [fanout] = [f for f in deployment.of_type(FUNCTION) if f.inputs["handler"] == "fanout.handler"]
    assert fanout.inputs["environment"]["variables"]["GRAPHQL_URL"] == REQUIRED["graphql_url"]
    # Without the booking mutation's ARN, only slots are published: no booking in the filter.
    patterns = [json.loads(f["pattern"]) for f in mapping["filterCriteria"]["filters"]]
    assert patterns == filter_patterns(bookings=False) and len(patterns) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"sweep_rate_minutes": 0}, "argument 'sweep_rate_minutes'"),
        ({"batch_size": 5000}, "argument 'batch_size'"),
        ({"maximum_retry_attempts": -1}, "argument 'maximum_retry_attempts'"),
        ({"maximum_record_age_seconds": 10}, "argument 'maximum_record_age_seconds'"),
        ({"sweep_every": 1}, "'sweep_every' is not an argument of RealtimeFanout"),
    ],
)
def test_invalid_args_are_rejected_naming_the_argument(run_component, args, message):
    with pytest.raises(engine.EngineError, match=message):
        run_component("RealtimeFanout", {**REQUIRED, **args})


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_required_args(run_component, missing):
    args = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(engine.EngineError, match=f"argument '{missing}' is required"):
        run_component("RealtimeFanout", args)


def test_an_inner_function_s_argument_error_names_the_component_called(run_component):
    with pytest.raises(
        engine.EngineError, match="RealtimeFanout: argument 'powertools_layer_version' must be"
    ):
        run_component("RealtimeFanout", {**REQUIRED, "powertools_layer_version": -1})


def test_the_table_needs_its_stream(run_component):
    table = {key: value for key, value in REQUIRED["table"].items() if key != "stream_arn"}
    with pytest.raises(
        engine.EngineError, match="RealtimeFanout: argument 'table' needs its 'stream_arn'"
    ):
        run_component("RealtimeFanout", {**REQUIRED, "table": table})
