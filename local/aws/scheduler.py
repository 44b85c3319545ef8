"""EventBridge Scheduler's rate schedules, each a pump that invokes its Lambda target when due.

Only `rate(n unit)` expressions are supported; anything else is refused at start-up, not
skipped silently.
"""

import json
import re
import time
from typing import Any

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.pumps import Pump
from local.errors import LocalError

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class UnsupportedSchedule(LocalError):
    """A schedule expression the local cloud cannot run."""


def rate_schedule(
    name: str, inputs: dict[str, Any], lambdas: LambdaRuntime, every: float | None = None
) -> Pump:
    """The schedule (its pulumi-aws inputs) as a pump; `every` seconds instead of its rate
    when given (tests, demos)."""
    expression = inputs.get("scheduleExpression", "")
    match = RATE.match(expression)
    if not match:
        raise UnsupportedSchedule(f"unsupported schedule {expression!r} of {name}")
    interval = every or int(match.group(1)) * RATE_SECONDS[match.group(2).rstrip("s")]
    target = inputs["target"]["arn"]
    due = [time.monotonic() + interval]

    def tick() -> float:
        if time.monotonic() >= due[0]:
            due[0] = max(due[0] + interval, time.monotonic())
            lambdas.invoke(target, json.dumps({}), f"schedule {name}")
        return max(0.0, due[0] - time.monotonic())

    return tick
