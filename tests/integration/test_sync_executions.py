"""StartSyncExecution in-process: answered as the API answers it, refused as the API refuses,
and nothing kept once it has answered (AWS keeps no synchronous Express execution; moto would
keep each one, and look through all of them on every start)."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from jsonpath_ng.parser import JsonPathParser
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.moto_core import MOTO_CONFIG
from local.aws.session import local_aws
from local.aws.stepfunctions.moto_patches import json_copy, wait_for_execution
from local.aws.stepfunctions.sync_executions import ExecutionTimeout, start_sync_execution

REGION = "us-east-1"
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
REFUSE = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Nope", "Cause": "said no"}}}
SLOW = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": True}}}


@pytest.fixture
def machine(aws_env):
    """`machine(definition, type)` → the ARN of a new state machine."""
    with mock_aws(config=MOTO_CONFIG), local_aws(LambdaRuntime()):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        made = iter(range(100))

        def create(definition: dict, kind: str = "EXPRESS") -> str:
            return sfn.create_state_machine(
                name=f"m{next(made)}",
                definition=json.dumps(definition),
                roleArn=role["Role"]["Arn"],
                type=kind,
            )["stateMachineArn"]

        yield create


def kept_executions(arn: str) -> list:
    _, _, _, region, account, *_ = arn.split(":")
    return stepfunctions_parser_backends[account][region].describe_state_machine(arn).executions


def test_an_execution_answers_with_its_output(machine):
    arn = machine(ECHO)
    result = start_sync_execution(arn, {"said": "hello"})
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == {"said": "hello"}
    assert result["executionArn"].split(":")[6] == arn.split(":")[6]  # names its machine


def test_a_failed_execution_answers_with_its_error_and_cause(machine):
    result = start_sync_execution(machine(REFUSE), {})
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Nope", "said no")
    assert "output" not in result


def test_nothing_is_kept_once_executions_have_answered(machine):
    arn = machine(ECHO)
    for n in range(30):
        assert start_sync_execution(arn, {"n": n})["output"] == {"n": n}
    assert kept_executions(arn) == []
    assert not [thread for thread in TMP_THREADS if not thread.is_alive()]


@pytest.mark.parametrize(
    ("arn", "code"),
    [
        ("arn:aws:states:us-east-1:123456789012:stateMachine:none", "StateMachineDoesNotExist"),
        ("not-an-arn", "InvalidArn"),
    ],
)
def test_a_missing_or_malformed_state_machine_is_refused(machine, arn, code):
    with pytest.raises(ClientError) as refused:
        start_sync_execution(arn, {})
    assert refused.value.response["Error"]["Code"] == code


def test_a_standard_state_machine_is_refused_and_runs_nothing(machine):
    arn = machine(ECHO, "STANDARD")
    with pytest.raises(ClientError) as refused:
        start_sync_execution(arn, {})
    assert refused.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    assert kept_executions(arn) == []


def test_a_caller_that_stops_waiting_is_told_so(machine):
    arn = machine(SLOW)
    with pytest.raises(ExecutionTimeout):
        start_sync_execution(arn, {}, timeout=0.05)
    assert kept_executions(arn) == []


SHAPE = {
    "StartAt": "Shape",
    "States": {
        "Shape": {
            "Type": "Pass",
            "Parameters": {"sum.$": "States.MathAdd($.n, $.m)", "n.$": "$.n"},
            "ResultPath": "$.out",
            "End": True,
        }
    },
}


def test_a_definition_is_parsed_once_to_make_describe_and_run_its_machine(machine, monkeypatch):
    """moto parsed it (~0.3 s) to validate it, to describe the machine or an execution (for its
    variable references), and to run each execution."""
    parses = []
    original = ASLParser.state_machine
    monkeypatch.setattr(ASLParser, "state_machine", lambda p: parses.append(1) or original(p))
    arn = machine(SHAPE, "STANDARD")
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for n in (1, 2):
        started = sfn.start_execution(
            stateMachineArn=arn, name=f"run-{n}", input=json.dumps({"n": n, "m": 1})
        )
        assert wait_for_execution(started["executionArn"], timeout=10)
        described = sfn.describe_execution(executionArn=started["executionArn"])
        assert json.loads(described["output"])["out"] == {"sum": n + 1, "n": n}
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == json.dumps(SHAPE)
    assert len(parses) == 1


def test_a_definition_that_does_not_parse_is_refused_as_invalid_each_time(machine, monkeypatch):
    """With its code: moto's interpreter raised its errors with none."""
    parses = []
    original = ASLParser.state_machine
    monkeypatch.setattr(ASLParser, "state_machine", lambda p: parses.append(1) or original(p))
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            machine({"StartAt": "Nowhere", "States": {"Here": "not a state"}})
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        assert "not a state" in refused.value.response["Error"]["Message"]
    assert len(parses) == 2


def test_an_execution_started_without_a_name_is_given_one_of_its_own(machine):
    """As on AWS, a UUID; moto named every one "None", the same execution again."""
    arn = machine(SHAPE, "STANDARD")
    sfn = boto3.client("stepfunctions", region_name=REGION)
    runs = [sfn.start_execution(stateMachineArn=arn, input='{"n": 1, "m": 2}') for _ in range(2)]
    names = [run["executionArn"].rsplit(":", 1)[1] for run in runs]
    assert names[0] != names[1] and all(uuid.UUID(name) for name in names)
    for run in runs:
        assert wait_for_execution(run["executionArn"], timeout=10)
        described = sfn.describe_execution(executionArn=run["executionArn"])
        assert described["status"] == "SUCCEEDED" and described["name"] in names


def test_later_executions_parse_no_path_again(machine, monkeypatch):
    arn = machine(SHAPE)
    assert start_sync_execution(arn, {"n": 0, "m": 0})["status"] == "SUCCEEDED"
    parses = [0]
    original = JsonPathParser.parse

    def counted(self, *args, **kwargs):
        parses[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(JsonPathParser, "parse", counted)
    for n in range(1, 6):
        output = start_sync_execution(arn, {"n": n, "m": 10})["output"]
        assert output == {"n": n, "m": 10, "out": {"sum": n + 10, "n": n}}
    assert parses[0] == 0


def test_state_data_is_copied_as_json_and_anything_else_deeply():
    data = {"a": [1, {"b": "c"}], "d": None, "e": 1.5, "f": True}
    copied = json_copy(data)
    assert copied == data
    assert copied is not data and copied["a"] is not data["a"]
    assert copied["a"][1] is not data["a"][1]
    other = {"when": datetime(2026, 1, 1, tzinfo=UTC), "set": {1, 2}}
    copied = json_copy(other)
    assert copied == other and copied["set"] is not other["set"]


def test_a_boto3_client_in_the_process_gets_the_apis_answer(machine):
    """What a function's own client sees (the queue worker's): moto alone would answer that
    StartSyncExecution is not implemented."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = machine(ECHO)
    answered = sfn.start_sync_execution(stateMachineArn=arn, name="trace-7", input='{"a": 1}')
    assert (answered["status"], json.loads(answered["output"])) == ("SUCCEEDED", {"a": 1})
    assert answered["name"] == "trace-7" and answered["executionArn"].endswith(":trace-7")
    assert answered["stopDate"] >= answered["startDate"]
    failed = sfn.start_sync_execution(stateMachineArn=machine(REFUSE), input="{}")
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Nope", "said no")
    assert not kept_executions(arn)


@pytest.mark.parametrize(
    ("arn", "given", "code"),
    [
        (None, "not json", "InvalidExecutionInput"),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:gone",
            "{}",
            "StateMachineDoesNotExist",
        ),
    ],
)
def test_a_boto3_client_is_refused_as_the_api_refuses(machine, arn, given, code):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    with pytest.raises(ClientError) as refused:
        sfn.start_sync_execution(stateMachineArn=arn or machine(ECHO), input=given)
    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.operation_name == "StartSyncExecution"


def _put_items(table: str, count: int, timeout: int | None = None) -> dict:
    """A workflow of `count` DynamoDB PutItem tasks (request-response), each with a timeout."""
    states = {}
    for n in range(count):
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
            "Parameters": {"TableName": table, "Item": {"pk": {"S": f"item{n}"}}},
            "ResultPath": None,
        }
        if timeout is not None:
            state["TimeoutSeconds"] = timeout
        state |= {"Next": f"Put{n + 1}"} if n + 1 < count else {"End": True}
        states[f"Put{n}"] = state
    return {"StartAt": "Put0", "States": states}


@pytest.fixture
def table(machine):
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def _threads_started(run) -> int:
    started = []
    original = threading.Thread.start

    def start(thread):
        started.append(thread.name)
        return original(thread)

    with mock.patch.object(threading.Thread, "start", start):
        run()
    return len(started)


def test_request_response_tasks_run_on_the_execution_s_own_thread(machine, table):
    """moto starts a timer thread per task state; a request-response task needs none."""
    tasks, passes = machine(_put_items(table, 4, timeout=5)), machine(ECHO)
    start_sync_execution(tasks, {})  # warm: the first execution parses and makes clients
    with_tasks = _threads_started(lambda: start_sync_execution(tasks, {}))
    without = _threads_started(lambda: start_sync_execution(passes, {}))
    assert with_tasks == without  # four tasks, no thread of their own
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    assert len(items) == 4


def test_a_machine_without_a_timeout_runs_on_its_execution_s_thread(machine):
    """moto started a thread per execution for the program, to time it out; without a
    `TimeoutSeconds` there is nothing to time out, and one thread (the execution's) is all."""
    arn = machine(ECHO)
    start_sync_execution(arn, {})
    assert _threads_started(lambda: start_sync_execution(arn, {"n": 1})) == 1


def test_a_machine_past_its_timeout_seconds_times_out(machine):
    arn = machine(
        {**SLOW, "TimeoutSeconds": 1, "States": {"Nap": {**SLOW["States"]["Nap"], "Seconds": 3}}}
    )
    began = time.monotonic()
    result = start_sync_execution(arn, {})
    assert result["status"] == "TIMED_OUT", result
    assert 0.9 < time.monotonic() - began < 2.5


def test_a_request_response_task_past_its_timeout_still_times_out(machine, table):
    arn = machine(_put_items(table, 1, timeout=1))
    original = DynamoDBBackend.put_item

    def slow(*args, **kwargs):
        time.sleep(1.3)
        return original(*args, **kwargs)

    with mock.patch.object(DynamoDBBackend, "put_item", slow):
        result = start_sync_execution(arn, {})
    assert result["status"] == "FAILED"
    assert result["error"] == "States.Timeout", result


def test_a_callback_task_keeps_its_timer_and_times_out_at_its_deadline(machine):
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="q")["QueueUrl"]
    arn = machine(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 1,
                    "End": True,
                }
            },
        }
    )
    began = time.monotonic()
    result = start_sync_execution(arn, {})
    assert result["status"] == "FAILED" and result["error"] == "States.Timeout"
    assert time.monotonic() - began < 5  # at its deadline, not whenever no answer comes


def test_an_express_execution_keeps_no_history_and_a_standard_one_keeps_it(machine):
    """AWS keeps no history of an Express execution (GetExecutionHistory refuses them), so
    none is built: no event made, no state's input serialized for one."""
    made = []
    build = EventManager._create_history_event
    with mock.patch.object(
        EventManager,
        "_create_history_event",
        staticmethod(lambda **kwargs: (made.append(kwargs["event_type"]), build(**kwargs))[1]),
    ):
        assert start_sync_execution(machine(ECHO), {"n": 1})["output"] == {"n": 1}
        assert made == []
        sfn = boto3.client("stepfunctions", region_name=REGION)
        standard = machine(ECHO, "STANDARD")
        arn = sfn.start_execution(stateMachineArn=standard, input='{"n": 2}')["executionArn"]
        for _ in range(100):
            if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
                break
            time.sleep(0.02)
        history = sfn.get_execution_history(executionArn=arn)["events"]
    kinds = [event["type"] for event in history]
    assert kinds == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert made == kinds
    entered = history[1]["stateEnteredEventDetails"]
    assert json.loads(entered["input"]) == {"n": 2}
