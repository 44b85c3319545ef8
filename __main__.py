"""The Slate stack: the components composed with the stack's configuration."""

import pulumi
import pulumi_aws as aws

from components import (
    AuthPool,
    BookingApi,
    BookingQueue,
    BookingSaga,
    BookingTable,
    Monitoring,
    RealtimeFanout,
)
from components.config import SlateConfig

config = SlateConfig.load()
table = BookingTable("bookings", config.table)
auth = AuthPool("auth", config.auth)
saga = BookingSaga("booking", {**config.saga, "table": table.reference})
queue = BookingQueue(
    "requests",
    {
        **config.queue,
        "table": table.reference,
        "state_machine_arn": saga.state_machine_arn,
    },
)
api = BookingApi(
    "api",
    {
        **config.api,
        "table": table.reference,
        "state_machine_arn": saga.state_machine_arn,
        "request_state_machine_arn": queue.request_state_machine_arn,
        "cancel_state_machine_arn": saga.cancel_state_machine_arn,
        "user_pool_id": auth.user_pool_id,
    },
)
realtime = RealtimeFanout(
    "realtime",
    {
        **config.realtime,
        "table": table.reference,
        "graphql_url": api.graphql_url,
        "publish_field_arn": api.publish_field_arn,
        "publish_booking_field_arn": api.publish_booking_field_arn,
    },
)

monitoring = Monitoring(
    "monitoring",
    {
        **config.monitoring,
        "table_name": table.table_name,
        "api_id": api.api_id,
        "functions": {
            "payment": saga.payment_function_name,
            "worker": queue.worker_function_name,
            "fanout": realtime.fanout_function_name,
            "sweeper": realtime.sweeper_function_name,
        },
        "state_machines": {
            "booking": saga.state_machine_arn,
            "cancel": saga.cancel_state_machine_arn,
            "requests": queue.request_state_machine_arn,
        },
        "work_queues": {"requests": queue.queue_url},
        "dead_letter_queues": {
            "requests-dlq": queue.dead_letter_queue_url,
            "realtime-dlq": realtime.dead_letter_queue_url,
        },
        "stream_functions": {"fanout": realtime.fanout_function_name},
    },
)

pulumi.export("region", aws.get_region_output().region)
pulumi.export("tableName", table.table_name)
pulumi.export("tableArn", table.table_arn)
pulumi.export("tableStreamArn", table.stream_arn)
pulumi.export("tableIndexNames", table.index_names)
pulumi.export("userPoolId", auth.user_pool_id)
pulumi.export("userPoolArn", auth.user_pool_arn)
pulumi.export("userPoolClientId", auth.client_id)
pulumi.export("issuerUrl", auth.issuer_url)
pulumi.export("groups", [auth.admins_group, auth.owners_group])
pulumi.export("bookingStateMachineArn", saga.state_machine_arn)
pulumi.export("paymentFunctionName", saga.payment_function_name)
pulumi.export("cancelStateMachineArn", saga.cancel_state_machine_arn)
pulumi.export("requestStateMachineArn", queue.request_state_machine_arn)
pulumi.export("bookingQueueUrl", queue.queue_url)
pulumi.export("bookingDeadLetterQueueUrl", queue.dead_letter_queue_url)
pulumi.export("bookingDeadLetterQueueArn", queue.dead_letter_queue_arn)
pulumi.export("bookingWorkerFunctionName", queue.worker_function_name)
pulumi.export("apiId", api.api_id)
pulumi.export("graphqlUrl", api.graphql_url)
pulumi.export("realtimeUrl", api.realtime_url)
pulumi.export("apiKey", api.api_key)
pulumi.export("fanoutFunctionName", realtime.fanout_function_name)
pulumi.export("sweeperFunctionName", realtime.sweeper_function_name)
pulumi.export("deadLetterQueueUrl", realtime.dead_letter_queue_url)
pulumi.export("alarmTopicArn", monitoring.alarm_topic_arn)
pulumi.export("dashboardName", monitoring.dashboard_name)
