"""Lambda functions: a supported runtime and active tracing."""

from .common import resource_rule, truthy

FUNCTION = "aws:lambda/function:Function"
SUPPORTED_RUNTIMES = [
    "python3.11",
    "python3.12",
    "python3.13",
    "nodejs20.x",
    "nodejs22.x",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.3",
    "provided.al2023",
]


def _runtime(props, config, args):
    allowed = config.get("runtimes", SUPPORTED_RUNTIMES)
    if props.get("packageType") == "Image" or props.get("runtime") in allowed:
        return []
    return [f"runtime {props.get('runtime')!r} is not one of {allowed}"]


supported_runtime = resource_rule(
    "lambda-supported-runtime",
    "Lambda functions run on a runtime AWS still supports.",
    FUNCTION,
    _runtime,
    config={
        "runtimes": {
            "type": "array",
            "items": {"type": "string"},
            "default": SUPPORTED_RUNTIMES,
            "description": "The runtimes allowed.",
        }
    },
)

active_tracing = resource_rule(
    "lambda-active-tracing",
    "Lambda functions trace with X-Ray (tracingConfig.mode Active).",
    FUNCTION,
    lambda props, config, args: (
        []
        if truthy(props, "tracingConfig", "mode") == "Active"
        else ["X-Ray tracing is not active: set tracingConfig.mode to Active"]
    ),
)

POLICIES = [supported_runtime, active_tracing]
