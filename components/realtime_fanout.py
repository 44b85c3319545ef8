"""RealtimeFanout: every slot status change reaches `onSlotUpdate` subscribers, every booking
status change its booker's `onBookingUpdate`, and expired holds are released without waiting
for DynamoDB's TTL."""

import json
from dataclasses import dataclass
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from .booking_table import TableReference, table_reference
from .iam import service_role, table_statement
from .layout import model
from .logs import checked_retention
from .python_function import DEFAULT_POWERTOOLS_LAYER_VERSION, PythonFunction
from .queues import dead_letter_queue
from .stream_filters import filter_patterns
from .validation import checked_tags, int_setting, reject_unknown, require

COMPONENT = "RealtimeFanout"
STREAM_READ_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
]


class RealtimeFanoutArgs(TypedDict, total=False):
    """The table whose stream is fanned out, the API that publishes, and the tuning."""

    table: Required[pulumi.Input[TableReference]]
    """The BookingTable whose stream is fanned out (`BookingTable.reference`, with its
    `stream_arn`); writes and the holds index are scoped to it."""

    graphql_url: Required[pulumi.Input[str]]
    """The BookingApi's GraphQL endpoint."""

    publish_field_arn: Required[pulumi.Input[str]]
    """The BookingApi's `Mutation.publishSlotUpdate` field ARN: an AppSync grant."""

    publish_booking_field_arn: pulumi.Input[str]
    """The BookingApi's `Mutation.publishBookingUpdate` field ARN. With it, booking status
    changes are published too (the only other grant); without it, only slots."""

    sweep_rate_minutes: pulumi.Input[int]
    """How often the sweeper releases expired holds, 1-60 minutes. Default 1."""

    batch_size: pulumi.Input[int]
    """Stream records per invocation, 1-1000. Default 100."""

    batching_window_seconds: pulumi.Input[int]
    """How long Lambda gathers records before invoking, 0-300 seconds. Default 0: a live
    update waits for nothing (a window delays every update by up to its length)."""

    maximum_retry_attempts: pulumi.Input[int]
    """Retries of a failing record (after bisecting) before the DLQ, 0-100. Default 5."""

    maximum_record_age_seconds: pulumi.Input[int]
    """Age past which a record goes to the DLQ unprocessed, 60-604800. Default 3600."""

    log_retention_days: pulumi.Input[int]
    """Retention of the functions' logs. Default 14."""

    powertools_layer_version: pulumi.Input[int]
    """Version of the AWS-managed Powertools layer. Default 27."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to every resource."""


class RealtimeFanout(pulumi.ComponentResource):
    """The stream → fan-out function (filtered, partial batch failures, bisect, bounded retries,
    an encrypted dead-letter queue) that publishes slot changes through the API with IAM and
    releases holds removed by TTL; and a sweeper on a schedule that releases expired holds
    through the holds index."""

    fanout_function_name: pulumi.Output[str]
    """The fan-out function."""

    sweeper_function_name: pulumi.Output[str]
    """The sweeper function."""

    dead_letter_queue_url: pulumi.Output[str]
    """Where stream records the fan-out could not process, and sweeper runs the schedule could
    not deliver, end (SQS, 14 days)."""

    dead_letter_queue_arn: pulumi.Output[str]
    """The ARN of the dead-letter queue."""

    event_source_mapping_id: pulumi.Output[str]
    """The stream mapping's UUID."""

    schedule_arn: pulumi.Output[str]
    """The sweeper's EventBridge Scheduler schedule."""

    def __init__(
        self, name: str, args: RealtimeFanoutArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        reject_unknown(COMPONENT, args, RealtimeFanoutArgs)
        require(COMPONENT, args, "table", "graphql_url", "publish_field_arn")
        table = table_reference(COMPONENT, args, stream=True)
        tags = checked_tags(COMPONENT, args)
        child = pulumi.ResourceOptions(parent=self)
        parts = _Parts(
            name=name,
            args=args,
            table=table,
            tags=tags,
            child=child,
            functions={
                "log_retention_days": checked_retention(COMPONENT, args),
                "powertools_layer_version": args.get(
                    "powertools_layer_version", DEFAULT_POWERTOOLS_LAYER_VERSION
                ),
                "tags": tags,
            },
        )
        dlq = dead_letter_queue(name, tags, child)
        publish_fields = [args["publish_field_arn"]]
        if args.get("publish_booking_field_arn") is not None:
            publish_fields.append(args["publish_booking_field_arn"])
        fanout = self._fanout(parts, publish_fields, dlq)
        mapping = self._stream_mapping(parts, fanout, bookings=len(publish_fields) > 1, dlq=dlq)
        sweeper = self._sweeper(parts)
        schedule = self._schedule(parts, sweeper, dlq)

        self.fanout_function_name = fanout.function_name
        self.sweeper_function_name = sweeper.function_name
        self.dead_letter_queue_url = dlq.url
        self.dead_letter_queue_arn = dlq.arn
        self.event_source_mapping_id = mapping.uuid
        self.schedule_arn = schedule.arn
        self.register_outputs(
            {
                "fanout_function_name": self.fanout_function_name,
                "sweeper_function_name": self.sweeper_function_name,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
                "event_source_mapping_id": self.event_source_mapping_id,
                "schedule_arn": self.schedule_arn,
            }
        )

    @staticmethod
    def _fanout(
        parts: "_Parts", publish_fields: list[pulumi.Input[str]], dlq: aws.sqs.Queue
    ) -> PythonFunction:
        """The stream's function: publishes through the API (IAM, only the publish fields) and
        releases holds that TTL removed."""
        return PythonFunction(
            f"{parts.name}-fanout",
            {
                "handler": "fanout.handler",
                "description": "Publishes slot and booking changes; releases holds removed by TTL.",
                "environment": {
                    "TABLE_NAME": parts.table["name"],
                    "GRAPHQL_URL": parts.args["graphql_url"],
                },
                # A full batch is up to 100 publishes of a few milliseconds each, or retries.
                "timeout_seconds": 60,
                "policy_statements": [
                    {
                        "Effect": "Allow",
                        "Action": ["appsync:GraphQL"],
                        "Resource": publish_fields,
                    },
                    {
                        "Effect": "Allow",
                        "Action": STREAM_READ_ACTIONS,
                        "Resource": parts.table["stream_arn"],
                    },
                    {
                        # ListStreams takes no resource-level permission.
                        "Effect": "Allow",
                        "Action": ["dynamodb:ListStreams"],
                        "Resource": "*",
                    },
                    table_statement(
                        parts.table["arn"], ["dynamodb:UpdateItem"], ("venue", "booking")
                    ),
                    {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dlq.arn},
                ],
                **parts.functions,
            },
            opts=parts.child,
            owner=COMPONENT,
        )

    def _stream_mapping(
        self, parts: "_Parts", fanout: PythonFunction, *, bookings: bool, dlq: aws.sqs.Queue
    ) -> aws.lambda_.EventSourceMapping:
        """The table's stream → the fan-out: filtered to status changes (of bookings too when
        they are published), partial batch failures, bisection, bounded retries, then the DLQ."""
        return aws.lambda_.EventSourceMapping(
            f"{parts.name}-stream",
            event_source_arn=parts.table["stream_arn"],
            function_name=fanout.function_arn,
            starting_position="LATEST",
            batch_size=parts.setting("batch_size", 100, 1, 1000),
            maximum_batching_window_in_seconds=parts.setting("batching_window_seconds", 0, 0, 300),
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=parts.setting("maximum_retry_attempts", 5, 0, 100),
            maximum_record_age_in_seconds=parts.setting(
                "maximum_record_age_seconds", 3600, 60, 604800
            ),
            destination_config={"on_failure": {"destination_arn": dlq.arn}},
            filter_criteria={
                "filters": [
                    {"pattern": json.dumps(pattern)}
                    for pattern in filter_patterns(bookings=bookings)
                ]
            },
            tags=parts.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[fanout]),
        )

    @staticmethod
    def _sweeper(parts: "_Parts") -> PythonFunction:
        """The function that releases holds past their expiry, found through the holds index."""
        table_arn = parts.table["arn"]
        return PythonFunction(
            f"{parts.name}-sweeper",
            {
                "handler": "sweeper.handler",
                "description": "Releases holds past their expiry, found through the holds index.",
                "environment": {"TABLE_NAME": parts.table["name"]},
                "timeout_seconds": 60,
                "policy_statements": [
                    table_statement(
                        pulumi.Output.concat(table_arn, "/index/*"),
                        ["dynamodb:Query"],
                        (),
                        exact=(model()["holdsPartition"],),
                    ),
                    table_statement(
                        table_arn,
                        ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                        ("venue", "booking", "hold"),
                    ),
                ],
                **parts.functions,
            },
            opts=parts.child,
            owner=COMPONENT,
        )

    @staticmethod
    def _schedule(
        parts: "_Parts", sweeper: PythonFunction, dlq: aws.sqs.Queue
    ) -> aws.scheduler.Schedule:
        """Runs the sweeper every `sweep_rate_minutes`; a run it cannot deliver goes to the DLQ."""
        scheduler_role = service_role(
            COMPONENT,
            f"{parts.name}-scheduler",
            service="scheduler.amazonaws.com",
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": sweeper.function_arn,
                },
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dlq.arn},
            ],
            tags=parts.tags,
            opts=parts.child,
        )
        rate = parts.setting("sweep_rate_minutes", 1, 1, 60)
        return aws.scheduler.Schedule(
            f"{parts.name}-sweep",
            schedule_expression=pulumi.Output.from_input(rate).apply(
                lambda minutes: f"rate({minutes} minute{'s' if minutes > 1 else ''})"
            ),
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": sweeper.function_arn,
                "role_arn": scheduler_role.arn,
                "retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 60},
                # A run that cannot be delivered is recorded, not lost (the next run catches up).
                "dead_letter_config": {"arn": dlq.arn},
            },
            opts=parts.child,
        )


@dataclass(frozen=True)
class _Parts:
    """What every part of one RealtimeFanout is built from."""

    name: str
    args: RealtimeFanoutArgs
    table: TableReference
    tags: Any
    child: pulumi.ResourceOptions
    functions: dict[str, Any]
    """The settings both functions share: log retention, Powertools layer, tags."""

    def setting(self, argument: str, default: int, low: int, high: int) -> pulumi.Input[int]:
        return int_setting(COMPONENT, self.args, argument, default, low, high)
