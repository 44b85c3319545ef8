"""The queued booking path as deployed, run for real: the dev stack provisioned into moto
(in-process), the request workflow started as `requestBooking` starts it, and the queue drained
into the worker by the local cloud's queue mapping, the worker running the saga itself."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from domain import keys, layout
from domain.entities import Slot
from domain.instants import format_instant
from local.api_deployment import LocalServices, deployed_apis
from local.aws.appsync import GraphQLEngine
from local.aws.awslambda.event_sources import QueueMapping
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.moto_core import MOTO_CONFIG
from local.aws.session import local_aws
from local.aws.stepfunctions.sync_executions import start_sync_execution
from local.pulumi import engine
from local.pulumi.provisioning import ProvisioningBackend
from support import AWS_TEST_ENV, REPO, new_slot_id

REGION = "us-east-1"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE_MAPPING = "requests-mapping"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@dataclass
class Queued:
    deployment: engine.Deployment
    runtime: LambdaRuntime
    table: Any
    sqs: Any
    mapping: QueueMapping
    api: GraphQLEngine
    """The stack's API, as the gateway serves it."""

    @property
    def queue_url(self) -> str:
        return self.deployment.outputs["bookingQueueUrl"]

    @property
    def dlq_url(self) -> str:
        return self.deployment.outputs["bookingDeadLetterQueueUrl"]

    def put_slot(self, venue: str = "v1", starts_in: timedelta = timedelta(days=2)) -> Slot:
        starts_at = datetime.now(UTC).replace(microsecond=0) + starts_in
        slot = Slot(
            venue_id=venue,
            slot_id=new_slot_id(starts_at),
            starts_at=format_instant(starts_at),
            ends_at=format_instant(starts_at + timedelta(hours=1)),
            price=4500,
        )
        self.table.put_item(Item=slot.to_item())
        return slot

    def request(self, slot: Slot, user: str, token: str, **extra: Any) -> dict[str, Any]:
        """What `requestBooking` starts: the request workflow, synchronously."""
        now = datetime.now(UTC)
        payload = {
            "userSub": user,
            "venueId": slot.venue_id,
            "slotId": slot.slot_id,
            "clientToken": token,
            "failPayment": False,
            "correlationId": f"corr-{token}",
            "now": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "nowEpoch": int(now.timestamp()),
            **extra,
        }
        machine = self.deployment.outputs["requestStateMachineArn"]
        return start_sync_execution(machine, payload, name=payload["correlationId"])

    def drain(self, rounds: int = 20) -> int:
        """Receives and processes until the queue is empty (failed messages come back at once);
        how many messages reached the worker."""
        delivered = 0
        for _ in range(rounds):
            if not self.waiting():
                break
            delivered += self.mapping.poll()
        return delivered

    def empty(self) -> None:
        """Both queues emptied (SQS allows one PurgeQueue a minute)."""
        for url in (self.queue_url, self.dlq_url):
            while messages := self.messages(url, visibility=0):
                for message in messages:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def waiting(self, url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def messages(self, url: str, visibility: int | None = None) -> list[dict[str, Any]]:
        found = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            **({"VisibilityTimeout": visibility} if visibility is not None else {}),
        )
        return found.get("Messages", [])

    def booking(self, booking_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key=keys.booking_key(booking_id)).get("Item")

    def items(self, prefix: str) -> list[dict[str, Any]]:
        """Every item whose partition key starts with `prefix` (a test-only scan)."""
        return [i for i in self.table.scan()["Items"] if i[layout.PK].startswith(prefix)]

    def user_items(self, user: str) -> list[dict[str, Any]]:
        return self.items(keys.USER_PREFIX + user)


@contextmanager
def provisioned() -> Iterator[Queued]:
    runtime = LambdaRuntime()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_TEST_ENV.items():
            patch.setenv(name, value)
        with mock_aws(config=MOTO_CONFIG), local_aws(runtime):
            deployment = engine.run(REPO, "dev", ProvisioningBackend.factory(client, runtime))
            table = boto3.resource("dynamodb", region_name=REGION).Table(
                deployment.outputs["tableName"]
            )
            sqs = client("sqs")
            mapping = QueueMapping(
                deployment.named(MAPPING, QUEUE_MAPPING).inputs, sqs, runtime, retry_after_seconds=0
            )
            [api] = deployed_apis(deployment, LocalServices(client("dynamodb"), runtime))
            served = GraphQLEngine(api.config)
            try:
                yield Queued(deployment, runtime, table, sqs, mapping, served)
            finally:
                served.close()


def body(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(message["Body"])
