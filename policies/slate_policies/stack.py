"""Rules over the whole stack: what only the relations between resources show."""

from collections.abc import Iterable

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import truthy
from .sqs import MAX_RECEIVE_COUNT, redrive_limit, redrive_policy

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
SCHEDULE = "aws:scheduler/schedule:Schedule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _of(resources: Iterable[PolicyResource], type_: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == type_]


def _function_log_groups(args: StackValidationArgs, report: ReportViolation) -> None:
    groups = {r.props.get("name") for r in _of(args.resources, LOG_GROUP)}
    for function in _of(args.resources, FUNCTION):
        named = truthy(function.props, "loggingConfig", "logGroup")
        default = f"/aws/lambda/{function.props.get('name')}"
        if named not in groups and default not in groups:
            report(f"function {function.name} has no log group in the stack", function.urn)


function_log_groups = StackValidationPolicy(
    name="stack-lambda-log-groups",
    description="Every Lambda function logs into a log group the stack manages (and so retains "
    "for a set time), not one Lambda creates that keeps logs forever.",
    validate=_function_log_groups,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


def _async_failure_destinations(args: StackValidationArgs, report: ReportViolation) -> None:
    """Functions invoked asynchronously keep what fails: a DLQ or an on-failure destination."""
    kept = {
        r.props.get("functionName")
        for r in _of(args.resources, INVOKE_CONFIG)
        if truthy(r.props, "destinationConfig", "onFailure", "destination")
    }
    invoked: dict[str, bool] = {}  # function ARN → whether its invoker keeps failures itself
    for schedule in _of(args.resources, SCHEDULE):
        target = schedule.props.get("target") or {}
        invoked[target.get("arn")] = bool(truthy(target, "deadLetterConfig", "arn"))
    for rule_target in _of(args.resources, EVENT_TARGET):
        arn = rule_target.props.get("arn")
        invoked[arn] = invoked.get(arn, False) or bool(
            truthy(rule_target.props, "deadLetterConfig", "arn")
        )
    for function in _of(args.resources, FUNCTION):
        arn = function.props.get("arn")
        if arn not in invoked or invoked[arn]:
            continue
        if truthy(function.props, "deadLetterConfig", "targetArn"):
            continue
        if {function.props.get("name"), arn} & kept:
            continue
        report(
            f"function {function.name} is invoked asynchronously and loses failed events: give "
            "it a dead-letter queue or an on-failure destination",
            function.urn,
        )


async_failure_destinations = StackValidationPolicy(
    name="stack-lambda-async-failure-destination",
    description="Lambda functions invoked asynchronously (schedules, event rules) send events "
    "that fail to a dead-letter queue or an on-failure destination.",
    validate=_async_failure_destinations,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


def _queues_have_dlq(args: StackValidationArgs, report: ReportViolation) -> None:
    highest = (args.get_config() or {}).get("maximumReceiveCount", 10)
    consumed = {m.props.get("eventSourceArn") for m in _of(args.resources, MAPPING)}
    for queue in _of(args.resources, QUEUE):
        if queue.props.get("arn") not in consumed:
            continue
        count = redrive_limit(queue.props.get("redrivePolicy"))
        if count is None:
            report(f"queue {queue.name} feeds a consumer but has no dead-letter queue", queue.urn)
        elif count > highest:
            report(
                f"queue {queue.name} redrives after {count} receives, above {highest}", queue.urn
            )


queues_have_dlq = StackValidationPolicy(
    name="stack-work-queues-have-dlq",
    description="Every queue that feeds a consumer has a dead-letter queue with a bounded "
    "maxReceiveCount.",
    validate=_queues_have_dlq,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(properties=MAX_RECEIVE_COUNT),
)

VISIBILITY_PER_TIMEOUT = 6
DEFAULT_VISIBILITY_SECONDS = 30
DEFAULT_TIMEOUT_SECONDS = 3
DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60


def _visibility_covers_consumer(args: StackValidationArgs, report: ReportViolation) -> None:
    functions = {}
    for function in _of(args.resources, FUNCTION):
        for key in ("arn", "name"):
            functions[function.props.get(key)] = function
    queues = {q.props.get("arn"): q for q in _of(args.resources, QUEUE)}
    for mapping in _of(args.resources, MAPPING):
        queue = queues.get(mapping.props.get("eventSourceArn"))
        function = functions.get(mapping.props.get("functionName"))
        if queue is None or function is None:
            continue
        visibility = queue.props.get("visibilityTimeoutSeconds", DEFAULT_VISIBILITY_SECONDS)
        timeout = function.props.get("timeout", DEFAULT_TIMEOUT_SECONDS)
        if visibility < VISIBILITY_PER_TIMEOUT * timeout:
            report(
                f"queue {queue.name} hides a message for {visibility} s, less than six times "
                f"its consumer {function.name}'s timeout ({timeout} s): a batch still being "
                "retried is delivered again",
                queue.urn,
            )


visibility_covers_consumer = StackValidationPolicy(
    name="stack-queue-visibility-covers-consumer",
    description="A queue that feeds a function hides a received message for at least six "
    "times the function's timeout (AWS's advice), so retries do not overlap.",
    validate=_visibility_covers_consumer,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


def _dead_letter_queues(args: StackValidationArgs) -> list[PolicyResource]:
    """Every queue that is a dead-letter queue: of a queue, a stream mapping or a schedule."""
    targets = set()
    for queue in _of(args.resources, QUEUE):
        targets.add(redrive_policy(queue.props.get("redrivePolicy")).get("deadLetterTargetArn"))
    for mapping in _of(args.resources, MAPPING):
        targets.add(truthy(mapping.props, "destinationConfig", "onFailure", "destinationArn"))
    for schedule in _of(args.resources, SCHEDULE):
        targets.add(truthy(schedule.props.get("target") or {}, "deadLetterConfig", "arn"))
    return [q for q in _of(args.resources, QUEUE) if q.props.get("arn") in targets - {None}]


def _dead_letter_retention(args: StackValidationArgs, report: ReportViolation) -> None:
    for queue in _dead_letter_queues(args):
        kept = queue.props.get("messageRetentionSeconds", 4 * 24 * 60 * 60)
        if kept < DLQ_RETENTION_SECONDS:
            report(
                f"dead-letter queue {queue.name} keeps messages {kept} s, not 14 days: what "
                "failed may be gone before anyone looks",
                queue.urn,
            )


dead_letter_retention = StackValidationPolicy(
    name="stack-dead-letter-retention",
    description="Every dead-letter queue (of a queue, a stream mapping or a schedule) keeps "
    "messages the full 14 days, so failures can be looked at and redriven.",
    validate=_dead_letter_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


def _watched(args: StackValidationArgs) -> set[tuple[str, str, str, str]]:
    """(namespace, metric, dimension, value) of every metric some alarm watches, alone or in
    its metric math."""
    found = set()
    for alarm in _of(args.resources, ALARM):
        metrics = [alarm.props] + [
            query.get("metric") or {} for query in alarm.props.get("metricQueries") or []
        ]
        for metric in metrics:
            for dimension, value in (metric.get("dimensions") or {}).items():
                found.add((metric.get("namespace"), metric.get("metricName"), dimension, value))
    return found


def _functions_have_error_alarms(args: StackValidationArgs, report: ReportViolation) -> None:
    watched = _watched(args)
    for function in _of(args.resources, FUNCTION):
        if ("AWS/Lambda", "Errors", "FunctionName", function.props.get("name")) not in watched:
            report(f"function {function.name} fails without an alarm on its Errors", function.urn)


functions_have_error_alarms = StackValidationPolicy(
    name="stack-lambda-errors-alarm",
    description="Every Lambda function has an alarm on its Errors metric (alone or in metric "
    "math), so a failing function is noticed before its users notice it.",
    validate=_functions_have_error_alarms,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


def _dead_letter_queues_have_alarms(args: StackValidationArgs, report: ReportViolation) -> None:
    watched = _watched(args)
    for queue in _dead_letter_queues(args):
        metric = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
        if (*metric, queue.props.get("name")) not in watched:
            report(
                f"dead-letter queue {queue.name} fills up unnoticed: no alarm on its visible "
                "messages",
                queue.urn,
            )


dead_letter_queues_have_alarms = StackValidationPolicy(
    name="stack-dead-letter-depth-alarm",
    description="Every dead-letter queue has an alarm on ApproximateNumberOfMessagesVisible: "
    "what lands there failed for good and needs a person.",
    validate=_dead_letter_queues_have_alarms,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)

POLICIES = [
    function_log_groups,
    async_failure_destinations,
    queues_have_dlq,
    visibility_covers_consumer,
    dead_letter_retention,
    functions_have_error_alarms,
    dead_letter_queues_have_alarms,
]
