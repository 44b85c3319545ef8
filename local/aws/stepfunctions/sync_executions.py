"""`StartSyncExecution` on moto's interpreter, in-process.

moto has no `StartSyncExecution`. An Express workflow called synchronously (as AppSync's HTTP
data source does, or a function's boto3 client while moto's in-process mock is on) is started
on moto's Step Functions backend, awaited (`moto_patches` signals each execution's end), and
answered in the shape `StartSyncExecution` returns. The backend is called
directly: the API round trips a client would make (StartExecution, then DescribeExecution) were
most of a short workflow's cost. As on AWS, a synchronous Express execution is not kept once it
has answered: moto would keep each one (its history and environment) for good, and look through
all of them on every start.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.exceptions import JsonRESTError
from moto.core.models import botocore_stubber
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

from local.aws.awslambda.runtime import waiting_on_others
from local.aws.moto_core import as_client_error
from local.aws.stepfunctions.moto_patches import wait_for_execution

OPERATION = "StartSyncExecution"
EXPRESS = "EXPRESS"
EVENT = f"before-call.sfn.{OPERATION}"
AWS_HOST_SUFFIX = ".amazonaws.com"


class ExecutionTimeout(TimeoutError):
    """The execution was still running when the caller stopped waiting."""


def start_sync_execution(
    state_machine_arn: str,
    payload: dict[str, Any],
    timeout: float = 60.0,
    name: str | None = None,
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
            state_machine_arn, name=name or uuid.uuid4().hex, execution_input=json.dumps(payload)
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


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """`StartSyncExecution` as the Step Functions API answers it: the request's JSON body in,
    the response's out (`output` as JSON text)."""
    arn = request["stateMachineArn"]
    try:
        payload = json.loads(request.get("input") or "{}")
    except ValueError as error:
        message = f"Invalid State Machine Execution Input: {error}"
        raise _refusal("InvalidExecutionInput", message) from error
    started = datetime.now(UTC)
    outcome = start_sync_execution(arn, payload, name=request.get("name"))
    result = {
        "executionArn": outcome["executionArn"],
        "stateMachineArn": arn,
        "name": outcome["executionArn"].rsplit(":", 1)[-1],
        "startDate": started.timestamp(),
        "stopDate": datetime.now(UTC).timestamp(),
        "status": outcome["status"],
    }
    if "output" in outcome:
        result["output"] = json.dumps(outcome["output"])
    for key in ("error", "cause"):
        if key in outcome:
            result[key] = outcome[key]
    return result


def _answer_in_process(model: Any, params: dict[str, Any], **_: Any) -> Any:
    """botocore's `before-call` hook: a boto3 client's `start_sync_execution`, while moto's
    in-process mock is on, answered here (moto would answer 'not implemented')."""
    if not botocore_stubber.enabled or not params["url"].split("/")[2].endswith(AWS_HOST_SUFFIX):
        return None
    try:
        request = json.loads(params["body"] or b"{}")
        with waiting_on_others():  # the workflow may invoke functions; the caller waits
            answered = answer(request)
    except ClientError as error:
        status, parsed = 400, {**error.response, "ResponseMetadata": {"HTTPStatusCode": 400}}
    except (KeyError, TypeError, ValueError) as error:
        message = f"not a StartSyncExecution request: {error}"
        status = 400
        parsed = {"Error": {"Code": "ValidationException", "Message": message}}
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 400}
    else:
        status = 200
        moments = {
            key: datetime.fromtimestamp(answered[key], UTC) for key in ("startDate", "stopDate")
        }
        parsed = {**answered, **moments, "ResponseMetadata": {"HTTPStatusCode": 200}}
    raw = MockRawResponse(json.dumps(parsed, default=str).encode())
    return AWSResponse(params["url"], status, {}, raw), parsed


botocore.handlers.BUILTIN_HANDLERS.append((EVENT, _answer_in_process))


def _forget(executions: list[Any], execution: Any) -> None:
    """Drops the execution, and the finished threads moto's interpreter keeps a list of."""
    executions.remove(execution)
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]


def _refusal(code: str, message: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        OPERATION,
    )
