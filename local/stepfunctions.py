"""Synchronous Step Functions executions on moto's interpreter.

moto has no `StartSyncExecution`; an Express workflow called synchronously (as AppSync's HTTP
data source does) is started, awaited, and answered in the shape `StartSyncExecution` returns.
In-process, `moto_glue.wait_for_execution` wakes the caller when the execution ends; against a
moto server the caller polls, backing off, since each poll costs the server a request.
"""

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

FIRST_POLL_SECONDS = 0.005
LONGEST_POLL_SECONDS = 0.2

Waiter = Callable[[str, float], bool]


class ExecutionTimeout(TimeoutError):
    """The execution was still running when the caller stopped waiting."""


def start_sync_execution(
    client: Any,
    state_machine_arn: str,
    payload: dict[str, Any],
    timeout: float = 60.0,
    wait: Waiter | None = None,
) -> dict[str, Any]:
    """`{"status": "SUCCEEDED", "output": {...}}` or `{"status": "FAILED", "error", "cause"}`."""
    execution = client.start_execution(
        stateMachineArn=state_machine_arn, name=uuid.uuid4().hex, input=json.dumps(payload)
    )["executionArn"]
    if wait is not None and not wait(execution, timeout):
        raise ExecutionTimeout(f"{execution} still running after {timeout}s")
    description = _poll(client, execution, timeout)
    result: dict[str, Any] = {"executionArn": execution, "status": description["status"]}
    if "output" in description:
        result["output"] = json.loads(description["output"])
    for key in ("error", "cause"):
        if key in description:
            result[key] = description[key]
    return result


def _poll(client: Any, execution: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    interval = FIRST_POLL_SECONDS
    while True:
        description = client.describe_execution(executionArn=execution)
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() > deadline:
            raise ExecutionTimeout(f"{execution} still running after {timeout}s")
        time.sleep(interval)
        interval = min(interval * 2, LONGEST_POLL_SECONDS)
