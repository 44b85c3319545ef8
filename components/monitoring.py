"""Monitoring: alarms, an alert topic and a dashboard over the other components' outputs.

It takes names and ARNs as arguments (what the other components export) and never reaches into
them, so it watches any stack built from Slate's parts, or only some of them.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from .layout import model
from .validation import InvalidArgument, checked_tags, int_setting, reject_unknown, require

COMPONENT = "Monitoring"
PERIOD_SECONDS = 300
"""Every alarm judges five minutes at a time."""
DYNAMODB_OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
)
"""The operations Slate's functions, workflows and resolvers use (SystemErrors is per operation)."""
LABEL = re.compile(r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
QUEUE_URL = re.compile(r"^https?://[^/]+/\d+/[A-Za-z0-9_-]+(\.fifo)?$")
NOT_BREACHING = "notBreaching"
VISIBLE_MESSAGES = "ApproximateNumberOfMessagesVisible"
"""No data means nothing happened: no booking failed, no message waits."""


class MonitoringArgs(TypedDict, total=False):
    """What to watch (the other components' outputs) and the thresholds an operator tunes."""

    table_name: Required[pulumi.Input[str]]
    """The BookingTable's name: its throttles and errors, and the business metrics of its
    bookings (they carry it as their one dimension)."""

    functions: Required[Mapping[str, pulumi.Input[str]]]
    """Every function to watch by a label of your choosing, such as
    `{"payment": saga.payment_function_name}`: an error-rate and a throttles alarm each."""

    state_machines: Mapping[str, pulumi.Input[str]]
    """State machine ARNs by label: failed and timed-out executions."""

    work_queues: Mapping[str, pulumi.Input[str]]
    """Queue URLs by label: depth and the age of the oldest message."""

    dead_letter_queues: Mapping[str, pulumi.Input[str]]
    """Dead-letter queue URLs by label: any visible message."""

    stream_functions: Mapping[str, pulumi.Input[str]]
    """Functions reading a stream, by label: their iterator age."""

    api_id: pulumi.Input[str]
    """The AppSync API's id: 5XX errors and p99 latency."""

    alarm_email: pulumi.Input[str]
    """An address subscribed to the alert topic (it must confirm the subscription). Default:
    none; subscribe your own endpoints to `alarm_topic_arn`."""

    failed_booking_rate_percent: pulumi.Input[int]
    """Alarm when more than this share of finished bookings failed over 5 minutes, 1-100.
    Default 5."""

    function_error_rate_percent: pulumi.Input[int]
    """Alarm when more than this share of a function's invocations failed over 5 minutes,
    1-100. Default 1."""

    queue_depth_threshold: pulumi.Input[int]
    """Alarm when more messages than this wait in a work queue, 1-1000000. Default 1000."""

    queue_age_seconds: pulumi.Input[int]
    """Alarm when a work queue's oldest message is older than this, 60-1209600. Default 900."""

    iterator_age_seconds: pulumi.Input[int]
    """Alarm when a stream reader is this far behind, 1-86400. Default 60."""

    api_latency_p99_ms: pulumi.Input[int]
    """Alarm when the API's p99 latency is above this, 10-60000 ms. Default 1000."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to every resource."""


@dataclass(frozen=True)
class _Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str = "Sum"

    def query(self, query_id: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": self.namespace,
                "metric_name": self.name,
                "dimensions": dict(self.dimensions),
                "period": PERIOD_SECONDS,
                "stat": self.stat,
            },
        }


@dataclass(frozen=True)
class _Math:
    """A metric-math expression over named metrics (`m1`, `m2`, … in the expression)."""

    expression: str
    label: str
    metrics: dict[str, _Metric] = field(default_factory=dict)

    def queries(self) -> list[dict[str, Any]]:
        expression = {
            "id": "e1",
            "expression": self.expression,
            "label": self.label,
            "return_data": True,
        }
        return [expression, *(metric.query(i) for i, metric in self.metrics.items())]


class Monitoring(pulumi.ComponentResource):
    """An SSE-encrypted SNS topic for alerts (with an email subscription when asked), a
    CloudWatch alarm for every signal named in docs/operations.md, each sending both ALARM and
    OK to the topic, and a dashboard of the same signals with the business panels."""

    alarm_topic_arn: pulumi.Output[str]
    """The topic every alarm notifies (ALARM and OK): subscribe a pager, a chat hook, email."""

    alarm_names: pulumi.Output[list[str]]
    """Every alarm's name."""

    dashboard_name: pulumi.Output[str]
    """The CloudWatch dashboard."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        reject_unknown(COMPONENT, args, MonitoringArgs)
        require(COMPONENT, args, "table_name", "functions")
        labelled = {
            key: _labelled(key, args.get(key, {}))
            for key in (
                "functions",
                "state_machines",
                "work_queues",
                "dead_letter_queues",
                "stream_functions",
            )
        }
        self._name = name
        self._tags = checked_tags(COMPONENT, args)
        self._child = pulumi.ResourceOptions(parent=self)

        def setting(argument: str, default: int, low: int, high: int) -> pulumi.Input[int]:
            return int_setting(COMPONENT, args, argument, default, low, high)

        topic = aws.sns.Topic(
            f"{name}-alarms",
            kms_master_key_id="alias/aws/sns",
            tags=self._tags,
            opts=self._child,
        )
        self._actions = [topic.arn]
        if args.get("alarm_email"):
            aws.sns.TopicSubscription(
                f"{name}-alarm-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args["alarm_email"],
                opts=self._child,
            )
        self._alarms: list[aws.cloudwatch.MetricAlarm] = []
        table = args["table_name"]
        self._business_alarm(table, setting("failed_booking_rate_percent", 5, 1, 100))
        error_rate = setting("function_error_rate_percent", 1, 1, 100)
        for label, function in labelled["functions"].items():
            self._function_alarms(label, function, error_rate)
        for label, machine in labelled["state_machines"].items():
            self._state_machine_alarms(label, machine)
        depth = setting("queue_depth_threshold", 1000, 1, 1_000_000)
        age = setting("queue_age_seconds", 900, 60, 1_209_600)
        for label, url in labelled["work_queues"].items():
            self._work_queue_alarms(label, _queue_name(url, "work_queues"), depth, age)
        for label, url in labelled["dead_letter_queues"].items():
            self._dead_letter_alarm(label, _queue_name(url, "dead_letter_queues"))
        iterator_age = pulumi.Output.from_input(
            setting("iterator_age_seconds", 60, 1, 86_400)
        ).apply(lambda seconds: seconds * 1000)
        for label, function in labelled["stream_functions"].items():
            self._alarm(
                f"{label}-iterator-age",
                f"The {label} function is behind its stream: live updates arrive late. Look at "
                "its errors and duration first (a failing batch is retried and holds the shard).",
                _Metric("AWS/Lambda", "IteratorAge", {"FunctionName": function}, "Maximum"),
                threshold=iterator_age,
            )
        if args.get("api_id") is not None:
            self._api_alarms(args["api_id"], setting("api_latency_p99_ms", 1000, 10, 60_000))
        self._table_alarms(table)

        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self)).region
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=pulumi.Output.concat(name, "-", pulumi.get_stack()),
            dashboard_body=pulumi.Output.json_dumps(
                {"widgets": _widgets(region, table, labelled, args.get("api_id"))}
            ),
            opts=self._child,
        )

        self.alarm_topic_arn = topic.arn
        self.alarm_names = pulumi.Output.all(*(alarm.name for alarm in self._alarms))
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs(
            {
                "alarm_topic_arn": self.alarm_topic_arn,
                "alarm_names": self.alarm_names,
                "dashboard_name": self.dashboard_name,
            }
        )

    def _alarm(
        self,
        key: str,
        description: str,
        signal: _Metric | _Math,
        *,
        threshold: pulumi.Input[float],
        extended_statistic: str | None = None,
    ) -> None:
        """One alarm: above `threshold` for one five-minute period, ALARM and OK to the topic;
        no data is not breaching."""
        shape: dict[str, Any]
        if isinstance(signal, _Math):
            shape = {"metric_queries": signal.queries()}
        else:
            shape = {
                "namespace": signal.namespace,
                "metric_name": signal.name,
                "dimensions": dict(signal.dimensions),
                "period": PERIOD_SECONDS,
            }
            if extended_statistic:
                shape["extended_statistic"] = extended_statistic
            else:
                shape["statistic"] = signal.stat
        self._alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{key}",
                alarm_description=description,
                comparison_operator="GreaterThanThreshold",
                evaluation_periods=1,
                threshold=threshold,
                treat_missing_data=NOT_BREACHING,
                alarm_actions=self._actions,
                ok_actions=self._actions,
                tags=self._tags,
                opts=self._child,
                **shape,
            )
        )

    def _business_alarm(self, table: pulumi.Input[str], percent: pulumi.Input[int]) -> None:
        names = model()["metrics"]["business"]
        self._alarm(
            "failed-booking-rate",
            "More bookings than usual end FAILED. Look first at the payment function's errors "
            "and duration, then at the booking state machine's failed executions.",
            _Math(
                "IF(m1 + m2 > 0, 100 * m2 / (m1 + m2), 0)",
                "failed bookings (%)",
                {
                    "m1": _business(names["bookingsConfirmed"], table),
                    "m2": _business(names["bookingsFailed"], table),
                },
            ),
            threshold=percent,
        )

    def _function_alarms(
        self, label: str, function: pulumi.Input[str], percent: pulumi.Input[int]
    ) -> None:
        dimensions = {"FunctionName": function}
        self._alarm(
            f"{label}-error-rate",
            f"The {label} function fails more often than usual. Look at its log group's ERROR "
            "lines first (each carries the correlation id), then at its duration against its "
            "timeout.",
            _Math(
                "IF(m1 > 0, 100 * m2 / m1, 0)",
                f"{label} errors (%)",
                {
                    "m1": _Metric("AWS/Lambda", "Invocations", dimensions),
                    "m2": _Metric("AWS/Lambda", "Errors", dimensions),
                },
            ),
            threshold=percent,
        )
        self._alarm(
            f"{label}-throttles",
            f"The {label} function is throttled: the account's concurrency is exhausted or its "
            "reserved concurrency is too low. Look at ConcurrentExecutions first.",
            _Metric("AWS/Lambda", "Throttles", dimensions),
            threshold=0,
        )

    def _state_machine_alarms(self, label: str, arn: pulumi.Input[str]) -> None:
        dimensions = {"StateMachineArn": arn}
        self._alarm(
            f"{label}-executions-failed",
            f"Executions of the {label} state machine fail (not a declined payment: a task "
            "error). Look at its log group for the failed state, then at that task's function.",
            _Metric("AWS/States", "ExecutionsFailed", dimensions),
            threshold=0,
        )
        self._alarm(
            f"{label}-executions-timed-out",
            f"Executions of the {label} state machine time out. Look at the duration of its "
            "task functions and at DynamoDB throttles first.",
            _Metric("AWS/States", "ExecutionsTimedOut", dimensions),
            threshold=0,
        )

    def _work_queue_alarms(
        self,
        label: str,
        queue: pulumi.Output[str],
        depth: pulumi.Input[int],
        age: pulumi.Input[int],
    ) -> None:
        dimensions = {"QueueName": queue}
        self._alarm(
            f"{label}-depth",
            f"Requests pile up in the {label} queue faster than its consumer books them. Look "
            "at the consumer's errors and throttles first.",
            _visible_messages(queue),
            threshold=depth,
        )
        self._alarm(
            f"{label}-oldest-message",
            f"A request waits too long in the {label} queue: users see PENDING for minutes. "
            "Look at the consumer's errors first; a message that keeps failing goes to the DLQ.",
            _Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", dimensions, "Maximum"),
            threshold=age,
        )

    def _dead_letter_alarm(self, label: str, queue: pulumi.Output[str]) -> None:
        self._alarm(
            f"{label}-messages",
            f"Something failed for good and waits in the {label} dead-letter queue. Read the "
            "message and the failing function's log first, fix the cause, then redrive it "
            "(docs/operations.md).",
            _visible_messages(queue),
            threshold=0,
        )

    def _api_alarms(self, api_id: pulumi.Input[str], latency_ms: pulumi.Input[int]) -> None:
        dimensions = {"GraphQLAPIId": api_id}
        self._alarm(
            "api-5xx",
            "The GraphQL API answers with server errors. Look at the API's log group for the "
            "failing resolver, then at its data source (DynamoDB, the booking state machine).",
            _Metric("AWS/AppSync", "5XXError", dimensions),
            threshold=0,
        )
        self._alarm(
            "api-latency-p99",
            "The slowest 1% of API requests are slow. Look at the booking state machine's "
            "duration and the payment function's first, then at DynamoDB throttles.",
            _Metric("AWS/AppSync", "Latency", dimensions),
            threshold=latency_ms,
            extended_statistic="p99",
        )

    def _table_alarms(self, table: pulumi.Input[str]) -> None:
        dimensions = {"TableName": table}
        self._alarm(
            "table-throttles",
            "DynamoDB throttles the table's reads or writes. On demand this means a sudden "
            "spike or a hot partition: look at the consumed capacity by operation first.",
            _Math(
                "m1 + m2",
                "throttle events",
                {
                    "m1": _Metric("AWS/DynamoDB", "ReadThrottleEvents", dimensions),
                    "m2": _Metric("AWS/DynamoDB", "WriteThrottleEvents", dimensions),
                },
            ),
            threshold=0,
        )
        errors = {
            f"m{number}": _Metric(
                "AWS/DynamoDB", "SystemErrors", {**dimensions, "Operation": operation}
            )
            for number, operation in enumerate(DYNAMODB_OPERATIONS, start=1)
        }
        self._alarm(
            "table-system-errors",
            "DynamoDB answers the table's requests with internal errors (HTTP 500). Look at "
            "the AWS Health Dashboard first; the SDKs retry them.",
            _Math(" + ".join(errors), "system errors", errors),
            threshold=0,
        )


def _labelled(argument: str, value: Any) -> dict[str, pulumi.Input[str]]:
    """A plain mapping of labels (they name the alarms: letters, digits, dashes) to names or
    ARNs, which may be Outputs."""
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            COMPONENT, argument, f"must be a mapping of labels to names, got {type(value).__name__}"
        )
    for label in value:
        if not (isinstance(label, str) and LABEL.match(label)):
            raise InvalidArgument(
                COMPONENT,
                argument,
                f"has a label that is not letters, digits and dashes: {label!r}",
            )
    return dict(value)


def _queue_name(url: pulumi.Input[str], argument: str) -> pulumi.Output[str]:
    """An SQS queue URL's last part: the name its metrics are dimensioned by."""

    def name(found: str) -> str:
        if not (isinstance(found, str) and QUEUE_URL.match(found)):
            raise InvalidArgument(COMPONENT, argument, f"must hold queue URLs, got {found!r}")
        return found.rsplit("/", 1)[1]

    return pulumi.Output.from_input(url).apply(name)


def _visible_messages(queue: pulumi.Output[str]) -> _Metric:
    return _Metric("AWS/SQS", VISIBLE_MESSAGES, {"QueueName": queue}, "Maximum")


def _business(metric: str, table: pulumi.Input[str]) -> _Metric:
    metrics = model()["metrics"]
    return _Metric(metrics["namespace"], metric, {metrics["dimension"]: table})


def _widgets(
    region: pulumi.Output[str],
    table: pulumi.Input[str],
    labelled: dict[str, dict[str, pulumi.Input[str]]],
    api_id: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """The dashboard: business panels first, then each technical signal the alarms watch."""
    metrics = model()["metrics"]
    names, namespace, dimension = metrics["business"], metrics["namespace"], metrics["dimension"]

    def business(key: str, metric_id: str, visible: bool = True) -> list[Any]:
        options = {"id": metric_id, "stat": "Sum"} | ({} if visible else {"visible": False})
        return [namespace, names[key], dimension, table, options]

    def panel(title: str, lines: list[Any], stat: str = "Sum", period: int = 60) -> dict:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stat": stat,
                "period": period,
                "metrics": lines,
            },
        }

    def each(group: str, namespace: str, metric: str, key: str) -> list[list[Any]]:
        return [
            [namespace, metric, key, value, {"label": label}]
            for label, value in labelled[group].items()
        ]

    widgets = [
        panel(
            "Bookings per minute",
            [business("bookingsConfirmed", "m1"), business("bookingsFailed", "m2")],
        ),
        panel(
            "Booking success rate (%)",
            [
                [{"expression": "IF(m1 + m2 > 0, 100 * m1 / (m1 + m2), 100)", "label": "success"}],
                business("bookingsConfirmed", "m1", visible=False),
                business("bookingsFailed", "m2", visible=False),
            ],
            period=PERIOD_SECONDS,
        ),
        panel(
            "Utilization: booked ÷ published slots (%)",
            [
                [{"expression": "IF(m2 > 0, 100 * m1 / m2, 0)", "label": "utilization"}],
                business("slotsBooked", "m1", visible=False),
                business("slotsPublished", "m2", visible=False),
            ],
            period=3600,
        ),
        panel("Holds released by the sweeper", [business("holdsReleased", "m1")]),
        panel("Function errors", each("functions", "AWS/Lambda", "Errors", "FunctionName")),
        panel(
            "Function duration (p99)",
            each("functions", "AWS/Lambda", "Duration", "FunctionName"),
            stat="p99",
        ),
        panel(
            "Failed executions",
            each("state_machines", "AWS/States", "ExecutionsFailed", "StateMachineArn"),
        ),
        panel(
            "Queue depth",
            [
                [
                    "AWS/SQS",
                    VISIBLE_MESSAGES,
                    "QueueName",
                    _queue_name(url, group),
                    {"label": label},
                ]
                for group in ("work_queues", "dead_letter_queues")
                for label, url in labelled[group].items()
            ],
            stat="Maximum",
        ),
        panel(
            "Stream iterator age (ms)",
            each("stream_functions", "AWS/Lambda", "IteratorAge", "FunctionName"),
            stat="Maximum",
        ),
        panel(
            "DynamoDB throttles",
            [
                ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table],
                ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table],
            ],
        ),
    ]
    if api_id is not None:
        widgets.append(
            panel(
                "API 5XX errors and p99 latency",
                [
                    ["AWS/AppSync", "5XXError", "GraphQLAPIId", api_id],
                    ["AWS/AppSync", "Latency", "GraphQLAPIId", api_id, {"stat": "p99"}],
                ],
            )
        )
    return widgets
