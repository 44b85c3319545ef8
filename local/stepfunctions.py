"""`StartSyncExecution` on moto's interpreter, in-process.

moto has no `StartSyncExecution`. An Express workflow called synchronously (as AppSync's HTTP
data source does) is started on moto's Step Functions backend, awaited (`moto_glue` signals each
execution's end), and answered in the shape `StartSyncExecution` returns. The backend is called
directly: the API round trips a client would make (StartExecution, then DescribeExecution) were
most of a short workflow's cost. As on AWS, a synchronous Express execution is not kept once it
has answered: moto would keep each one (its history and environment) for good, and look through
all of them on every start.
"""

import json
import uuid
from typing import Any

from botocore.exceptions import ClientError
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

from .moto_glue import as_client_error, wait_for_execution

OPERATION = "StartSyncExecution"
EXPRESS = "EXPRESS"


class ExecutionTimeout(TimeoutError):
    """The execution was still running when the caller stopped waiting."""


def start_sync_execution(
    state_machine_arn: str, payload: dict[str, Any], timeout: float = 60.0
) -> dict[str, Any]:
    """`{"executionArn", "status": "SUCCEEDED", "output": {...}}`, or with `"status": "FAILED"`
    (or `TIMED_OUT`, `ABORTED`) and the execution's `error` and `cause`. A refusal (no such
    state machine, a Standard one, a malformed ARN) raises `ClientError`, as boto3 would."""
    parts = state_machine_arn.split(":")
    if len(parts) < 7 or parts[:3] != ["arn", "aws", "states"]:
        raise _refusal("InvalidArn", f"Invalid Arn: '{state_machine_arn}'")
    backend = stepfunctions_parser_backends[parts[4]][parts[3]]
    try:
        machine = backend.describe_state_machine(state_machine_arn)
        if machine.type != EXPRESS:
            raise _refusal(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        execution = backend.start_execution(
            state_machine_arn, name=uuid.uuid4().hex, execution_input=json.dumps(payload)
        )
    except JsonRESTError as error:
        raise as_client_error(error, OPERATION) from error
    try:
        if not wait_for_execution(execution.exec_arn, timeout):
            raise ExecutionTimeout(f"{execution.exec_arn} still running after {timeout}s")
        result: dict[str, Any] = {
            "executionArn": execution.exec_arn,
            "status": execution.exec_status.value,
        }
        if execution.output is not None:
            result["output"] = execution.output
        for key in ("error", "cause"):
            if getattr(execution, key) is not None:
                result[key] = getattr(execution, key)
        return result
    finally:
        _forget(machine.executions, execution)


def _forget(executions: list[Any], execution: Any) -> None:
    """Drops the execution, and the finished threads moto's interpreter keeps a list of."""
    executions.remove(execution)
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]


def _refusal(code: str, message: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        OPERATION,
    )
