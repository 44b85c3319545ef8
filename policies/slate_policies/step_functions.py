"""Step Functions state machines: logging at a configured level, and tracing."""

from .common import resource_rule, truthy

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
LEVELS = ["ALL", "ERROR", "FATAL"]


def _logging(props, config, args):
    allowed = config.get("levels", LEVELS)
    level = truthy(props, "loggingConfiguration", "level") or "OFF"
    if level not in allowed:
        return [f"logging level is {level}; it must be one of {allowed}"]
    if not truthy(props, "loggingConfiguration", "logDestination"):
        return ["logging has no destination log group"]
    return []


logging = resource_rule(
    "stepfunctions-logging",
    "State machines log executions to CloudWatch Logs at a configured level.",
    STATE_MACHINE,
    _logging,
    config={
        "levels": {
            "type": "array",
            "items": {"type": "string", "enum": ["ALL", "ERROR", "FATAL", "OFF"]},
            "default": LEVELS,
            "description": "Logging levels accepted.",
        }
    },
)

tracing = resource_rule(
    "stepfunctions-tracing",
    "State machines trace with X-Ray.",
    STATE_MACHINE,
    lambda props, config, args: (
        []
        if truthy(props, "tracingConfiguration", "enabled")
        else ["X-Ray tracing is off: set tracingConfiguration.enabled"]
    ),
)

POLICIES = [logging, tracing]
