"""BookingQueue: bookings requested now and made by the saga shortly after, through a queue."""

import json
from typing import Required, TypedDict

import pulumi
import pulumi_aws as aws

from .booking_table import TableReference, table_reference
from .express_workflow import express_state_machine
from .iam import table_statement
from .logs import checked_retention
from .python_function import DEFAULT_POWERTOOLS_LAYER_VERSION, PythonFunction
from .queues import dead_letter_queue
from .request_definition import request_definition
from .validation import checked_tags, int_setting, reject_unknown, require

COMPONENT = "BookingQueue"
VISIBILITY_PER_TIMEOUT = 6
"""AWS's advice for a queue that feeds a function: its visibility timeout is at least six
times the function's timeout, so a batch being retried is not delivered again meanwhile."""
RETENTION_SECONDS = 4 * 24 * 60 * 60
REQUEST_ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
]
REQUEST_PARTITIONS = ("venue", "booking", "user")
QUEUE_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
]


class BookingQueueArgs(TypedDict, total=False):
    """The table and the saga the queued requests are booked with, and the queue's tuning."""

    table: Required[pulumi.Input[TableReference]]
    """The BookingTable that holds the requests (`BookingTable.reference`); its roles are
    scoped to it."""

    state_machine_arn: Required[pulumi.Input[str]]
    """The BookingSaga's state machine, which the worker runs for each request."""

    max_receive_count: pulumi.Input[int]
    """Deliveries of a request before it goes to the dead-letter queue, 1-1000. Default 3."""

    worker_timeout_seconds: pulumi.Input[int]
    """The worker's timeout, 10-900 seconds; the queue's visibility timeout is six times this.
    Default 60."""

    batch_size: pulumi.Input[int]
    """Requests per worker invocation, 1-10. Default 10."""

    batching_window_seconds: pulumi.Input[int]
    """How long Lambda gathers requests before invoking the worker, 0-300 seconds. Default 1."""

    lock_seconds: pulumi.Input[int]
    """How long a user's pending request for a slot keeps them from requesting it again with
    another token (unless it ends sooner), 60-3600 seconds. Default 900."""

    log_retention_days: pulumi.Input[int]
    """Retention of the worker's and the request workflow's logs. Default 14."""

    powertools_layer_version: pulumi.Input[int]
    """Version of the AWS-managed Powertools layer for the worker. Default 27."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to every resource."""


class BookingQueue(pulumi.ComponentResource):
    """The request workflow `requestBooking` starts (Express, synchronous: it records the
    request and sends it), an encrypted standard queue with a dead-letter queue that only it
    may redrive into, and the worker (partial batch failures, a batching window) that books
    each request with the BookingSaga's own state machine."""

    request_state_machine_arn: pulumi.Output[str]
    """The request workflow: what the BookingApi's `requestBooking` starts."""

    queue_url: pulumi.Output[str]
    """The queue of booking requests."""

    queue_arn: pulumi.Output[str]
    """The queue's ARN: the worker's event source."""

    dead_letter_queue_url: pulumi.Output[str]
    """Where a request goes after `max_receive_count` failed deliveries (14 days)."""

    dead_letter_queue_arn: pulumi.Output[str]
    """Its ARN (the source of a redrive: `aws sqs start-message-move-task --source-arn`)."""

    worker_function_name: pulumi.Output[str]
    """The worker function."""

    event_source_mapping_id: pulumi.Output[str]
    """The queue → worker mapping's UUID."""

    def __init__(
        self, name: str, args: BookingQueueArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        reject_unknown(COMPONENT, args, BookingQueueArgs)
        require(COMPONENT, args, "table", "state_machine_arn")
        table = table_reference(COMPONENT, args)
        child = pulumi.ResourceOptions(parent=self)
        tags = checked_tags(COMPONENT, args)
        retention = checked_retention(COMPONENT, args)

        def setting(argument: str, default: int, low: int, high: int) -> pulumi.Input[int]:
            return int_setting(COMPONENT, args, argument, default, low, high)

        timeout = setting("worker_timeout_seconds", 60, 10, 900)
        dlq = dead_letter_queue(name, tags, child)
        queue = aws.sqs.Queue(
            f"{name}-queue",
            visibility_timeout_seconds=pulumi.Output.from_input(timeout).apply(
                lambda seconds: seconds * VISIBILITY_PER_TIMEOUT
            ),
            message_retention_seconds=RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps(
                {
                    "deadLetterTargetArn": dlq.arn,
                    "maxReceiveCount": setting("max_receive_count", 3, 1, 1000),
                }
            ),
            tags=tags,
            opts=child,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-sources",
            queue_url=dlq.url,
            redrive_allow_policy=queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=child,
        )
        lock_seconds = setting("lock_seconds", 900, 60, 3600)
        requests = express_state_machine(
            COMPONENT,
            f"{name}-intake",
            definition=pulumi.Output.all(table["name"], queue.url, lock_seconds).apply(
                lambda values: request_definition(*values)
            ),
            statements=[
                table_statement(table["arn"], REQUEST_ITEM_ACTIONS, REQUEST_PARTITIONS),
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queue.arn},
            ],
            retention=retention,
            tags=tags,
            opts=child,
        )
        worker = PythonFunction(
            f"{name}-worker",
            {
                "handler": "booking_worker.handler",
                "description": "Books each queued request with the booking saga.",
                "environment": {"STATE_MACHINE_ARN": args["state_machine_arn"]},
                "timeout_seconds": timeout,
                "policy_statements": [
                    {
                        "Effect": "Allow",
                        "Action": ["states:StartSyncExecution"],
                        "Resource": args["state_machine_arn"],
                    },
                    {"Effect": "Allow", "Action": QUEUE_CONSUMER_ACTIONS, "Resource": queue.arn},
                ],
                "log_retention_days": retention,
                "powertools_layer_version": args.get(
                    "powertools_layer_version", DEFAULT_POWERTOOLS_LAYER_VERSION
                ),
                "tags": tags,
            },
            opts=child,
            owner=COMPONENT,
        )
        mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=queue.arn,
            function_name=worker.function_arn,
            batch_size=setting("batch_size", 10, 1, 10),
            maximum_batching_window_in_seconds=setting("batching_window_seconds", 1, 0, 300),
            function_response_types=["ReportBatchItemFailures"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[worker]),
        )

        self.request_state_machine_arn = requests.arn
        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.dead_letter_queue_url = dlq.url
        self.dead_letter_queue_arn = dlq.arn
        self.worker_function_name = worker.function_name
        self.event_source_mapping_id = mapping.uuid
        self.register_outputs(
            {
                "request_state_machine_arn": self.request_state_machine_arn,
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
                "worker_function_name": self.worker_function_name,
                "event_source_mapping_id": self.event_source_mapping_id,
            }
        )
