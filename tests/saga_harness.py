"""The booking saga as deployed, run for real: the state machine definition and the payment
function recorded from the stack, executed on moto's Step Functions interpreter against a moto
table, with the function's handler running in-process."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws

from domain import layout
from domain.entities import Slot
from domain.instants import format_instant
from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime
from local.aws.moto_core import MOTO_CONFIG
from local.aws.session import local_aws
from local.aws.stepfunctions.sync_executions import start_sync_execution
from local.pulumi import provisioning
from local.pulumi.engine import Deployment, RecordedResource
from local.pulumi.provisioning import archive_root
from support import new_slot_id

REGION = "us-east-1"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SAGA_MACHINE = "booking-state-machine"
CANCEL_MACHINE = "booking-cancel-state-machine"
FUNCTION = "aws:lambda/function:Function"
TABLE = "aws:dynamodb/table:Table"


@dataclass
class Saga:
    sfn: Any
    table: Any
    state_machine_arn: str
    runtime: LambdaRuntime
    payment_function: FunctionSpec
    cancel_state_machine_arn: str

    def book(self, slot: Slot, user: str = "alice", at: datetime | None = None, **extra) -> dict:
        """Run one booking to its end; `at` is the request time (default: now)."""
        at = at or datetime.now(UTC)
        payload = {
            "userSub": user,
            "venueId": slot.venue_id,
            "slotId": slot.slot_id,
            "failPayment": False,
            "now": format_instant(at),
            "nowEpoch": int(at.timestamp()),
            **extra,
        }
        return self.run(payload)

    def run(self, payload: dict) -> dict:
        return start_sync_execution(self.state_machine_arn, payload)

    def cancel(self, booking_id: str, user: str = "alice", at: datetime | None = None) -> dict:
        """Run one cancellation to its end; `at` is the request time (default: now)."""
        at = at or datetime.now(UTC)
        payload = {
            "bookingId": booking_id,
            "userSub": user,
            "now": format_instant(at),
            "nowEpoch": int(at.timestamp()),
        }
        return self.run_cancel(payload)

    def run_cancel(self, payload: dict) -> dict:
        return start_sync_execution(self.cancel_state_machine_arn, payload)

    def put_slot(self, starts_in: timedelta = timedelta(days=2), price: int = 4500) -> Slot:
        starts_at = datetime.now(UTC).replace(microsecond=0) + starts_in
        slot = Slot(
            venue_id="v1",
            slot_id=new_slot_id(starts_at),
            starts_at=format_instant(starts_at),
            ends_at=format_instant(starts_at + timedelta(hours=1)),
            price=price,
        )
        self.table.put_item(Item=slot.to_item())
        return slot

    def items(self, prefix: str) -> list[dict]:
        """Every item whose partition key starts with `prefix` (a test-only scan)."""
        found = self.table.scan()["Items"]
        return [item for item in found if item[layout.PK].startswith(prefix)]


@contextmanager
def deployed_saga(deployment: Deployment) -> Iterator[Saga]:
    table_inputs = deployment.one(TABLE)
    machine = deployment.named(STATE_MACHINE, SAGA_MACHINE)
    runtime = LambdaRuntime()
    spec = function_spec(deployed_function(deployment, "payment"))
    runtime.register(spec)
    with ExitStack() as stack:
        stack.enter_context(mock_aws(config=MOTO_CONFIG))
        stack.enter_context(local_aws(runtime))
        table = create_table(table_inputs.outputs["name"], table_inputs.inputs)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        role = boto3.client("iam").create_role(RoleName="saga", AssumeRolePolicyDocument="{}")
        arns = [
            sfn.create_state_machine(
                name=recorded.outputs["name"],
                definition=recorded.inputs["definition"],
                roleArn=role["Role"]["Arn"],
                type=recorded.inputs["type"],
            )["stateMachineArn"]
            for recorded in (machine, deployment.named(STATE_MACHINE, CANCEL_MACHINE))
        ]
        yield Saga(sfn, table, arns[0], runtime, spec, arns[1])


def deployed_function(deployment: Deployment, handler_module: str) -> RecordedResource:
    """The recorded function whose handler lives in `handler_module`."""
    [function] = [
        f
        for f in deployment.of_type(FUNCTION)
        if f.inputs["handler"].split(".")[0] == handler_module
    ]
    return function


def function_spec(function: RecordedResource, **environment: str) -> FunctionSpec:
    """What the Lambda runtime needs to run a recorded function as deployed."""
    return FunctionSpec(
        name=function.outputs["name"],
        arn=function.outputs["arn"],
        handler=function.inputs["handler"],
        code_root=archive_root(function.inputs["code"]),
        environment={
            **function.inputs["environment"]["variables"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **environment,
        },
        timeout_seconds=function.inputs["timeout"],
        memory_mb=function.inputs["memorySize"],
    )


def create_table(name: str, inputs: dict) -> Any:
    """The table as the recorded BookingTable inputs declare it (stream and TTL included)."""
    provisioning.create_table(boto3.client("dynamodb", region_name=REGION), name, inputs)
    return boto3.resource("dynamodb", region_name=REGION).Table(name)
