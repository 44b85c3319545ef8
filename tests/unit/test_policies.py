"""Each rule of the policy pack on a compliant and a violating resource, evaluated the way
`python -m local policy` evaluates it (enforcement levels, config, remediation)."""

import json

import pytest
from pulumi_policy import EnforcementLevel

from local.pulumi.engine import Deployment, RecordedResource
from local.pulumi.policy import PolicyError, evaluate, load_pack
from support import REPO

PACK = load_pack(REPO / "policies")
TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
MACHINE = "aws:sfn/stateMachine:StateMachine"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
API = "aws:appsync/graphQLApi:GraphQLApi"
POOL = "aws:cognito/userPool:UserPool"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
SOURCE_ACCOUNT = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
SOURCE_ARN = {"ArnLike": {"aws:SourceArn": "arn:aws:states:eu-west-1:123456789012:*"}}
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings"
STREAM_ARN = f"{TABLE_ARN}/stream/2026-01-01T00:00:00.000"
STRONG_PASSWORDS = {
    "minimumLength": 12,
    "requireLowercase": True,
    "requireUppercase": True,
    "requireNumbers": True,
    "requireSymbols": True,
}


def trust(service: str | list[str], condition: dict) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps(
        {"Statement": [{**statement, "Condition": condition} if condition else statement]}
    )


def document(action, resource) -> str:
    return json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def resource(
    type_: str, inputs: dict, outputs: dict | None = None, name: str = "r"
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:dev::probe::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        parent=None,
        inputs=inputs,
        dependencies=[],
        outputs={**inputs, **(outputs or {})},
    )


def check(*resources: RecordedResource, stack: str = "dev", config: dict | None = None):
    for r in resources:
        object.__setattr__(r, "urn", r.urn.replace(":dev::", f":{stack}::"))
    deployment = Deployment("probe", stack, list(resources), {})
    return evaluate(deployment, PACK, config or {})


# rule → (resource type, compliant inputs, violating inputs, stack)
CASES = {
    "dynamodb-point-in-time-recovery": (
        TABLE,
        {"pointInTimeRecovery": {"enabled": True}},
        {},
        "dev",
    ),
    "dynamodb-deletion-protection-in-production": (
        TABLE,
        {"pointInTimeRecovery": {"enabled": True}, "deletionProtectionEnabled": True},
        {"pointInTimeRecovery": {"enabled": True}},
        "prod",
    ),
    "lambda-supported-runtime": (
        FUNCTION,
        {"runtime": "python3.13", "tracingConfig": {"mode": "Active"}},
        {"runtime": "python3.7", "tracingConfig": {"mode": "Active"}},
        "dev",
    ),
    "lambda-active-tracing": (
        FUNCTION,
        {"runtime": "python3.13", "tracingConfig": {"mode": "Active"}},
        {"runtime": "python3.13", "tracingConfig": {"mode": "PassThrough"}},
        "dev",
    ),
    "stepfunctions-logging": (
        MACHINE,
        {
            "loggingConfiguration": {"level": "ERROR", "logDestination": "arn:x:*"},
            "tracingConfiguration": {"enabled": True},
        },
        {"loggingConfiguration": {"level": "OFF"}, "tracingConfiguration": {"enabled": True}},
        "dev",
    ),
    "stepfunctions-tracing": (
        MACHINE,
        {
            "loggingConfiguration": {"level": "ALL", "logDestination": "arn:x:*"},
            "tracingConfiguration": {"enabled": True},
        },
        {"loggingConfiguration": {"level": "ALL", "logDestination": "arn:x:*"}},
        "dev",
    ),
    "sqs-encryption": (QUEUE, {"sqsManagedSseEnabled": True}, {}, "dev"),
    "sqs-bounded-redrive": (
        QUEUE,
        {
            "sqsManagedSseEnabled": True,
            "redrivePolicy": '{"deadLetterTargetArn": "d", "maxReceiveCount": 5}',
        },
        {
            "sqsManagedSseEnabled": True,
            "redrivePolicy": '{"deadLetterTargetArn": "d", "maxReceiveCount": 50}',
        },
        "dev",
    ),
    "event-source-partial-batch-failures": (
        MAPPING,
        {
            "eventSourceArn": "arn:aws:sqs:eu-west-1:1:q",
            "functionResponseTypes": ["ReportBatchItemFailures"],
        },
        {"eventSourceArn": "arn:aws:sqs:eu-west-1:1:q"},
        "dev",
    ),
    "event-source-stream-failure-handling": (
        MAPPING,
        {
            "eventSourceArn": STREAM_ARN,
            "functionResponseTypes": ["ReportBatchItemFailures"],
            "bisectBatchOnFunctionError": True,
            "maximumRetryAttempts": 5,
            "destinationConfig": {"onFailure": {"destinationArn": "arn:aws:sqs:eu-west-1:1:dlq"}},
        },
        {
            "eventSourceArn": STREAM_ARN,
            "functionResponseTypes": ["ReportBatchItemFailures"],
            "maximumRetryAttempts": -1,
        },
        "dev",
    ),
    "appsync-default-auth-not-api-key": (
        API,
        {
            "authenticationType": "AWS_IAM",
            "logConfig": {"cloudwatchLogsRoleArn": "r", "fieldLogLevel": "ERROR"},
        },
        {
            "authenticationType": "API_KEY",
            "logConfig": {"cloudwatchLogsRoleArn": "r", "fieldLogLevel": "ERROR"},
        },
        "dev",
    ),
    "appsync-logging": (
        API,
        {
            "authenticationType": "AWS_IAM",
            "logConfig": {"cloudwatchLogsRoleArn": "r", "fieldLogLevel": "ERROR"},
        },
        {
            "authenticationType": "AWS_IAM",
            "logConfig": {"cloudwatchLogsRoleArn": "r", "fieldLogLevel": "ALL"},
        },
        "prod",
    ),
    "cognito-password-policy": (
        POOL,
        {
            "passwordPolicy": STRONG_PASSWORDS,
            "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"},
        },
        {
            "passwordPolicy": {**STRONG_PASSWORDS, "minimumLength": 8},
            "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"},
        },
        "dev",
    ),
    "cognito-deletion-protection-in-production": (
        POOL,
        {
            "passwordPolicy": STRONG_PASSWORDS,
            "deletionProtection": "ACTIVE",
            "userPoolAddOns": {"advancedSecurityMode": "AUDIT"},
        },
        {
            "passwordPolicy": STRONG_PASSWORDS,
            "deletionProtection": "INACTIVE",
            "userPoolAddOns": {"advancedSecurityMode": "AUDIT"},
        },
        "prod",
    ),
    "cognito-threat-protection": (
        POOL,
        {"passwordPolicy": STRONG_PASSWORDS, "userPoolAddOns": {"advancedSecurityMode": "AUDIT"}},
        {"passwordPolicy": STRONG_PASSWORDS},
        "dev",
    ),
    "iam-no-wildcard-actions": (
        ROLE_POLICY,
        {"policy": document(["sqs:SendMessage"], "arn:aws:sqs:eu-west-1:1:q")},
        {"policy": document(["sqs:*"], "arn:aws:sqs:eu-west-1:1:q")},
        "dev",
    ),
    "iam-no-wildcard-resource-on-data-actions": (
        ROLE_POLICY,
        {"policy": document(["xray:PutTraceSegments"], "*")},
        {"policy": document(["s3:GetObject"], "*")},
        "dev",
    ),
    "iam-dynamodb-named-tables": (
        ROLE_POLICY,
        {"policy": document(["dynamodb:Query"], [TABLE_ARN, f"{TABLE_ARN}/index/*"])},
        {"policy": document(["dynamodb:Query"], "arn:aws:dynamodb:eu-west-1:123456789012:table/*")},
        "dev",
    ),
    "iam-service-trust-confused-deputy": (
        ROLE,
        {"assumeRolePolicy": trust("states.amazonaws.com", SOURCE_ACCOUNT | SOURCE_ARN)},
        {"assumeRolePolicy": trust("lambda.amazonaws.com", {})},
        "dev",
    ),
    "cloudwatch-alarm-actions": (
        ALARM,
        {"alarmActions": ["arn:aws:sns:eu-west-1:123456789012:alerts"], "threshold": 0},
        {"alarmActions": [], "threshold": 0},
        "dev",
    ),
    "logs-retention": (LOG_GROUP, {"retentionInDays": 14}, {"retentionInDays": 3653}, "dev"),
}


def names(report, level: EnforcementLevel | None = None) -> set[str]:
    return {v.policy for v in report.violations if level is None or v.level == level}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_passes_the_compliant_and_reports_the_violating(rule):
    type_, compliant, violating, stack = CASES[rule]
    assert rule not in names(check(resource(type_, compliant), stack=stack))
    report = check(resource(type_, violating, name="bad"), stack=stack)
    violations = [v for v in report.violations if v.policy == rule]
    assert violations
    assert {(v.resource, v.resource_type) for v in violations} == {("bad", type_)}
    assert all(v.message for v in violations)


def test_every_rule_of_the_pack_is_covered_and_described():
    stack_rules = {
        "stack-lambda-log-groups",
        "stack-lambda-async-failure-destination",
        "stack-work-queues-have-dlq",
        "stack-queue-visibility-covers-consumer",
        "stack-dead-letter-retention",
        "stack-lambda-errors-alarm",
        "stack-dead-letter-depth-alarm",
    }
    assert {p.name for p in PACK.policies} == set(CASES) | stack_rules | {"dynamodb-encryption"}
    for policy in PACK.policies:
        assert len(policy.description) > 30, policy.name
        assert policy.severity is not None and policy.enforcement_level is not None, policy.name
    assert PACK.name == "slate"
    assert PACK.enforcement_level == EnforcementLevel.MANDATORY


def test_production_only_rules_spare_other_stacks():
    unprotected = {"pointInTimeRecovery": {"enabled": True}}
    assert "dynamodb-deletion-protection-in-production" not in names(
        check(resource(TABLE, unprotected), stack="dev")
    )
    custom = {"dynamodb-deletion-protection-in-production": {"productionStacks": ["live"]}}
    assert "dynamodb-deletion-protection-in-production" in names(
        check(resource(TABLE, unprotected), stack="live", config=custom)
    )


def test_customer_keys_are_required_only_when_configured():
    aws_owned = resource(TABLE, {"pointInTimeRecovery": {"enabled": True}})
    assert "dynamodb-encryption" not in names(check(aws_owned))
    config = {"dynamodb-encryption": {"requireCustomerKey": True}}
    assert "dynamodb-encryption" in names(check(aws_owned, config=config))
    keyed = resource(
        TABLE,
        {
            "pointInTimeRecovery": {"enabled": True},
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:k"},
        },
    )
    assert "dynamodb-encryption" not in names(check(keyed, config=config))


def test_config_changes_levels_and_thresholds():
    group = resource(LOG_GROUP, {"retentionInDays": 30})
    assert not check(group).violations
    strict = check(group, config={"logs-retention": {"maximumDays": 7}})
    assert names(strict, EnforcementLevel.MANDATORY) == {"logs-retention"}
    advisory = check(
        group, config={"logs-retention": {"enforcementLevel": "advisory", "maximumDays": 7}}
    )
    assert names(advisory, EnforcementLevel.ADVISORY) == {"logs-retention"} and not advisory.failed
    assert not check(resource(LOG_GROUP, {}), config={"all": "disabled"}).violations


def test_a_missing_retention_is_remediated_to_the_configured_default():
    report = check(
        resource(LOG_GROUP, {"name": "/x"}, name="logs"),
        config={"logs-retention": {"enforcementLevel": "remediate", "defaultDays": 30}},
    )
    [remediation] = report.remediations
    assert (remediation.policy, remediation.resource) == ("logs-retention", "logs")
    assert remediation.changes == {"retentionInDays": (None, 30)}
    assert not report.violations
    assert "retentionInDays: None → 30" in report.as_text()
    too_long = check(
        resource(LOG_GROUP, {"retentionInDays": 3653}), config={"logs-retention": "remediate"}
    )
    assert not too_long.remediations and too_long.failed  # not safe to shorten: reported


def test_stack_rules():
    function = resource(
        FUNCTION,
        {"runtime": "python3.13", "tracingConfig": {"mode": "Active"}},
        {"name": "f", "arn": "arn:f"},
        name="f",
    )
    assert "stack-lambda-log-groups" in names(check(function))
    logged = resource(LOG_GROUP, {"name": "/aws/lambda/f", "retentionInDays": 14}, name="f-logs")
    assert "stack-lambda-log-groups" not in names(check(function, logged))
    schedule = resource(SCHEDULE, {"target": {"arn": "arn:f", "roleArn": "r"}}, name="every-minute")
    assert "stack-lambda-async-failure-destination" in names(check(function, logged, schedule))
    kept = resource(
        SCHEDULE, {"target": {"arn": "arn:f", "roleArn": "r", "deadLetterConfig": {"arn": "q"}}}
    )
    assert "stack-lambda-async-failure-destination" not in names(check(function, logged, kept))
    queue = resource(QUEUE, {"sqsManagedSseEnabled": True}, {"arn": "arn:q"}, name="work")
    consumer = resource(
        MAPPING, {"eventSourceArn": "arn:q", "functionResponseTypes": ["ReportBatchItemFailures"]}
    )
    [violation] = [
        v for v in check(queue, consumer).violations if v.policy == "stack-work-queues-have-dlq"
    ]
    assert violation.resource == "work"
    redriven = resource(
        QUEUE,
        {"sqsManagedSseEnabled": True, "redrivePolicy": '{"maxReceiveCount": 3}'},
        {"arn": "arn:q"},
    )
    assert "stack-work-queues-have-dlq" not in names(check(redriven, consumer))


def test_a_queue_hides_messages_for_six_consumer_timeouts():
    rule = "stack-queue-visibility-covers-consumer"
    worker = resource(
        FUNCTION,
        {"runtime": "python3.13", "tracingConfig": {"mode": "Active"}, "timeout": 60},
        {"name": "worker", "arn": "arn:worker"},
        name="worker",
    )
    consumer = resource(
        MAPPING,
        {
            "eventSourceArn": "arn:q",
            "functionName": "arn:worker",
            "functionResponseTypes": ["ReportBatchItemFailures"],
        },
    )

    def queue(visibility: int | None) -> RecordedResource:
        settings = {} if visibility is None else {"visibilityTimeoutSeconds": visibility}
        return resource(QUEUE, settings, {"arn": "arn:q"}, name="work")

    assert rule not in names(check(queue(360), consumer, worker))
    for short in (359, None):  # None: SQS's default, 30 s
        [violation] = [
            v for v in check(queue(short), consumer, worker).violations if v.policy == rule
        ]
        assert violation.resource == "work" and "six times" in violation.message
    unrelated = resource(MAPPING, {"eventSourceArn": "arn:other", "functionName": "arn:worker"})
    assert rule not in names(check(queue(30), unrelated, worker))


def test_every_dead_letter_queue_keeps_fourteen_days():
    rule = "stack-dead-letter-retention"

    def dlq(seconds: int | None, arn: str = "arn:dlq") -> RecordedResource:
        kept = {} if seconds is None else {"messageRetentionSeconds": seconds}
        return resource(QUEUE, kept, {"arn": arn}, name="dead")

    source = resource(QUEUE, {"redrivePolicy": '{"deadLetterTargetArn": "arn:dlq"}'}, name="q")
    stream = resource(
        MAPPING, {"destinationConfig": {"onFailure": {"destinationArn": "arn:dlq"}}}, name="m"
    )
    schedule = resource(SCHEDULE, {"target": {"arn": "f", "deadLetterConfig": {"arn": "arn:dlq"}}})
    for user in (source, stream, schedule):
        assert rule not in names(check(dlq(14 * 24 * 3600), user))
        [violation] = [v for v in check(dlq(None), user).violations if v.policy == rule]
        assert violation.resource == "dead"
    assert rule not in names(check(dlq(60, arn="arn:not-a-dlq"), source))


def alarm(
    namespace: str, metric: str, dimension: str, value: str, *, math: bool
) -> RecordedResource:
    """An alarm on one metric, alone or inside metric math."""
    watched = {"namespace": namespace, "metricName": metric, "dimensions": {dimension: value}}
    if math:
        queries = [{"id": "e1", "expression": "m1 * 1"}, {"id": "m1", "metric": watched}]
        return resource(ALARM, {"alarmActions": ["t"], "metricQueries": queries}, name="a")
    return resource(ALARM, {"alarmActions": ["t"], **watched}, name="a")


@pytest.mark.parametrize("math", [False, True])
def test_every_function_has_an_errors_alarm(math):
    rule = "stack-lambda-errors-alarm"
    function = resource(FUNCTION, {"name": "pay"}, {"arn": "arn:pay"}, name="payment")
    [violation] = [v for v in check(function).violations if v.policy == rule]
    assert violation.resource == "payment" and "Errors" in violation.message
    watched = alarm("AWS/Lambda", "Errors", "FunctionName", "pay", math=math)
    assert rule not in names(check(function, watched))
    for elsewhere in (
        alarm("AWS/Lambda", "Errors", "FunctionName", "other", math=math),
        alarm("AWS/Lambda", "Throttles", "FunctionName", "pay", math=math),
    ):
        assert rule in names(check(function, elsewhere))


@pytest.mark.parametrize("math", [False, True])
def test_every_dead_letter_queue_has_a_depth_alarm(math):
    rule = "stack-dead-letter-depth-alarm"
    dlq = resource(QUEUE, {"name": "failed"}, {"arn": "arn:dlq"}, name="dead")
    source = resource(QUEUE, {"redrivePolicy": '{"deadLetterTargetArn": "arn:dlq"}'}, name="q")
    [violation] = [v for v in check(dlq, source).violations if v.policy == rule]
    assert violation.resource == "dead"
    depth = alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "failed", math=math)
    assert rule not in names(check(dlq, source, depth))
    assert rule not in names(check(dlq))  # a queue no one redrives into is not a DLQ


def test_bad_config_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="does not have"):
        check(config={"no-such-rule": "advisory"})
    with pytest.raises(PolicyError, match="'strict' is not an enforcement level"):
        check(config={"logs-retention": "strict"})
    with pytest.raises(PolicyError, match="no config properties"):
        check(config={"logs-retention": {"maximumDayz": 3}})
    with pytest.raises(PolicyError, match="not a policy pack"):
        load_pack(tmp_path)
    (tmp_path / "__main__.py").write_text("x = 1\n")
    with pytest.raises(PolicyError, match="never built a PolicyPack"):
        load_pack(tmp_path)


@pytest.mark.parametrize(
    ("service", "condition", "reported"),
    [
        ("lambda.amazonaws.com", SOURCE_ACCOUNT, None),  # Lambda names no source resource
        ("states.amazonaws.com", SOURCE_ACCOUNT, "no aws:SourceArn"),
        ("appsync.amazonaws.com", SOURCE_ARN, "no aws:SourceAccount"),
        (["scheduler.amazonaws.com", "lambda.amazonaws.com"], {}, "any account"),
    ],
)
def test_service_trust_names_the_account_and_where_it_can_the_resource(
    service, condition, reported
):
    report = check(resource(ROLE, {"assumeRolePolicy": trust(service, condition)}))
    found = [
        v.message for v in report.violations if v.policy == "iam-service-trust-confused-deputy"
    ]
    if reported is None:
        assert found == []
    else:
        assert found and all(reported in message for message in found)


def test_trust_in_an_account_or_a_user_is_not_a_service_s_and_passes():
    account = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}}]}
    )
    assert "iam-service-trust-confused-deputy" not in names(
        check(resource(ROLE, {"assumeRolePolicy": account}))
    )
