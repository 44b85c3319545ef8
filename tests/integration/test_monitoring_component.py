"""Monitoring under the engine: the alert topic, one alarm per signal (each describing what to
look at first, treating missing data deliberately, sending ALARM and OK to the topic), the
thresholds from config, the dashboard, and refusals of arguments it cannot build from."""

import json

import pytest

from local.pulumi import engine, predicted
from support import stack_variant

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/requests"


def alarms(deployment) -> dict:
    """Each alarm by its label (its name without the component's)."""
    return {a.name.split("-", 1)[1]: a.inputs for a in deployment.of_type(ALARM)}


def watched(alarm: dict) -> list[tuple[str, str, dict]]:
    metrics = [q["metric"] for q in alarm.get("metricQueries", []) if "metric" in q]
    if "metricName" in alarm:
        metrics.append(alarm)
    return [(m["namespace"], m["metricName"], m["dimensions"]) for m in metrics]


def test_every_signal_of_the_stack_has_its_alarm(dev):
    found = alarms(dev)
    functions = ("payment", "worker", "fanout", "sweeper")
    assert set(found) == {
        "failed-booking-rate",
        *(f"{f}-error-rate" for f in functions),
        *(f"{f}-throttles" for f in functions),
        *(
            f"{m}-executions-{e}"
            for m in ("booking", "cancel", "requests")
            for e in ("failed", "timed-out")
        ),
        "requests-depth",
        "requests-oldest-message",
        "requests-dlq-messages",
        "realtime-dlq-messages",
        "fanout-iterator-age",
        "api-5xx",
        "api-latency-p99",
        "table-throttles",
        "table-system-errors",
    }
    [topic] = dev.of_type(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    for name, alarm in found.items():
        assert alarm["alarmActions"] == alarm["okActions"] == [topic.outputs["arn"]], name
        assert alarm["treatMissingData"] == "notBreaching", name
        assert len(alarm["alarmDescription"]) > 60, name  # what it means, what to look at
        periods = [q["metric"]["period"] for q in alarm.get("metricQueries", []) if "metric" in q]
        assert set(periods or [alarm["period"]]) == {300}, name
    assert not dev.of_type(SUBSCRIPTION)  # slate:alarmEmail is empty in dev


def test_the_failed_booking_rate_is_metric_math_over_the_business_metrics(dev):
    alarm = alarms(dev)["failed-booking-rate"]
    table = dev.outputs["tableName"]
    assert watched(alarm) == [
        ("Slate", "BookingsConfirmed", {"TableName": table}),
        ("Slate", "BookingsFailed", {"TableName": table}),
    ]
    [expression] = [q for q in alarm["metricQueries"] if q.get("returnData")]
    assert expression["expression"] == "IF(m1 + m2 > 0, 100 * m2 / (m1 + m2), 0)"
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (5, "GreaterThanThreshold")


def test_each_alarm_watches_the_resource_it_names(dev):
    found = alarms(dev)
    payment = dev.outputs["paymentFunctionName"]
    assert watched(found["payment-error-rate"]) == [
        ("AWS/Lambda", "Invocations", {"FunctionName": payment}),
        ("AWS/Lambda", "Errors", {"FunctionName": payment}),
    ]
    assert found["payment-error-rate"]["threshold"] == 1
    dlq = dev.outputs["bookingDeadLetterQueueUrl"].rsplit("/", 1)[1]
    assert watched(found["requests-dlq-messages"]) == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": dlq})
    ]
    assert found["requests-dlq-messages"]["threshold"] == 0
    assert found["requests-depth"]["threshold"] == 1000
    assert found["requests-oldest-message"]["threshold"] == 900
    assert found["fanout-iterator-age"]["threshold"] == 60_000
    machine = dev.outputs["bookingStateMachineArn"]
    assert watched(found["booking-executions-failed"]) == [
        ("AWS/States", "ExecutionsFailed", {"StateMachineArn": machine})
    ]
    latency = found["api-latency-p99"]
    assert (latency["extendedStatistic"], latency["threshold"]) == ("p99", 1000)
    assert latency["dimensions"] == {"GraphQLAPIId": dev.outputs["apiId"]}
    system_errors = watched(found["table-system-errors"])
    assert {d["Operation"] for _, _, d in system_errors} >= {"TransactWriteItems", "Query"}


def test_the_dashboard_has_the_business_panels_and_the_signals(dev):
    [dashboard] = dev.of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == dev.outputs["dashboardName"] == "monitoring-dev"
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles[:4] == [
        "Bookings per minute",
        "Booking success rate (%)",
        "Utilization: booked ÷ published slots (%)",
        "Holds released by the sweeper",
    ]
    assert {"Function errors", "Queue depth", "DynamoDB throttles"} <= set(titles)
    assert all(w["properties"]["region"] == dev.outputs["region"] for w in widgets)
    [utilization] = [w for w in widgets if w["properties"]["title"].startswith("Utilization")]
    lines = utilization["properties"]["metrics"]
    assert lines[0] == [{"expression": "IF(m2 > 0, 100 * m1 / m2, 0)", "label": "utilization"}]
    assert lines[1][:4] == ["Slate", "SlotsBooked", "TableName", dev.outputs["tableName"]]


def test_thresholds_and_the_alert_address_come_from_config(tmp_path):
    project = stack_variant(
        tmp_path,
        "ops",
        {"slate:failedBookingRatePercent": 10, "slate:alarmEmail": "oncall@example.com"},
    )
    deployment = engine.run(project, "ops", predicted.PredictedBackend)
    assert alarms(deployment)["failed-booking-rate"]["threshold"] == 10
    [subscription] = deployment.of_type(SUBSCRIPTION)
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        "oncall@example.com",
    )


REQUIRED = {"table_name": "bookings", "functions": {"payment": "pay"}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"functions": {"payment": "pay"}}, "'table_name' is required"),
        ({**REQUIRED, "functions": ["pay"]}, "'functions' must be a mapping of labels"),
        ({**REQUIRED, "functions": {"pay ment": "pay"}}, "'functions' has a label that is not"),
        ({**REQUIRED, "work_queues": {"q": "not-a-url"}}, "'work_queues' must hold queue URLs"),
        ({**REQUIRED, "failed_booking_rate_percent": 0}, "'failed_booking_rate_percent' must"),
        ({**REQUIRED, "queue_age_seconds": 10}, "'queue_age_seconds' must"),
        ({**REQUIRED, "alarm": True}, "'alarm' is not an argument of Monitoring"),
    ],
)
def test_arguments_it_cannot_build_from_are_refused(run_component, args, message):
    with pytest.raises(engine.EngineError, match=f"Monitoring: argument {message}"):
        run_component("Monitoring", args)


def test_only_what_is_passed_is_watched(run_component):
    deployment = run_component("Monitoring", {**REQUIRED, "work_queues": {"requests": QUEUE_URL}})
    assert set(alarms(deployment)) == {
        "failed-booking-rate",
        "payment-error-rate",
        "payment-throttles",
        "requests-depth",
        "requests-oldest-message",
        "table-throttles",
        "table-system-errors",
    }
    assert watched(alarms(deployment)["requests-depth"])[0][2] == {"QueueName": "requests"}
