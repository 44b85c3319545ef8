"""Event source mappings: partial batch failures always; for streams, bisect, an on-failure
destination and bounded retries."""

from .common import resource_rule, truthy

MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


def is_stream(source_arn: str) -> bool:
    return ":kinesis:" in source_arn or (":dynamodb:" in source_arn and "/stream/" in source_arn)


partial_failures = resource_rule(
    "event-source-partial-batch-failures",
    "Mappings let the function report the records that failed (ReportBatchItemFailures), so one "
    "bad record does not replay the whole batch.",
    MAPPING,
    lambda props, config, args: (
        []
        if "ReportBatchItemFailures" in (props.get("functionResponseTypes") or [])
        else ["functionResponseTypes does not include ReportBatchItemFailures"]
    ),
)


def _stream_failures(props, config, args):
    if not is_stream(str(props.get("eventSourceArn", ""))):
        return []
    problems = []
    if not props.get("bisectBatchOnFunctionError"):
        problems.append("a failing batch is not bisected: set bisectBatchOnFunctionError")
    if not truthy(props, "destinationConfig", "onFailure", "destinationArn"):
        problems.append("records that keep failing are lost: set an on-failure destination")
    retries = props.get("maximumRetryAttempts")
    highest = config.get("maximumRetryAttempts", 10)
    if retries is None or retries < 0 or retries > highest:
        problems.append(f"maximumRetryAttempts is {retries}; set it between 0 and {highest}")
    return problems


stream_failures = resource_rule(
    "event-source-stream-failure-handling",
    "Stream mappings bisect failing batches, retry a bounded number of times, and send what "
    "still fails to an on-failure destination.",
    MAPPING,
    _stream_failures,
    config={
        "maximumRetryAttempts": {
            "type": "integer",
            "minimum": 0,
            "default": 10,
            "description": "The most retries a stream mapping may make.",
        }
    },
)

POLICIES = [partial_failures, stream_failures]
