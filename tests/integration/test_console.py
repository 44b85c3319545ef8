"""The local cloud's console: a line per function invocation (function, trigger, outcome, time)
and per GraphQL request (caller, operation, outcome, time); each function's own output in its
log file, and on the terminal too only when verbose."""

import io
import json
import re
import sys
import threading

import pytest

from local.aws.appsync import Caller
from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime
from local.console import Console, caller_label, routing_output

HANDLER = """
import json

def handler(event, context):
    print(json.dumps({"level": "INFO", "message": "hello", "n": event["n"]}))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"n": event["n"]}
"""
LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}  (.*)$")


@pytest.fixture
def running(tmp_path):
    """`(runtime, console, terminal)` with the console's routing in place."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "hello.py").write_text(HANDLER)

    def start(verbose: bool = False):
        terminal = io.StringIO()
        console = Console(terminal, tmp_path / "logs", verbose)
        runtime = LambdaRuntime(observer=console.invoked)
        runtime.register(
            FunctionSpec(name="hello", arn="arn:hello", handler="hello.handler",
                         code_root=tmp_path / "code")
        )  # fmt: skip
        return runtime, console, terminal

    return start, tmp_path / "logs"


def lines(terminal: io.StringIO) -> list[str]:
    found = []
    for line in terminal.getvalue().splitlines():
        match = LINE.match(line)
        found.append(match.group(1) if match else line)
    return found


def test_an_invocation_is_one_line_and_its_output_goes_to_its_log(running):
    start, logs = running
    runtime, console, terminal = start()
    before = sys.stdout
    with routing_output(console):
        runtime.invoke("hello", json.dumps({"n": 1}), "queue requests")
        runtime.invoke("arn:hello", json.dumps({"n": 2, "fail": True}))
        print("the cloud's own line")
    [first, second, own] = lines(terminal)
    assert re.fullmatch(r"lambda   hello  \(queue requests\)  ok  \d+ ms", first)
    assert re.fullmatch(r"lambda   hello  \(Invoke\)  error ValueError  \d+ ms", second)
    assert own == "the cloud's own line"
    logged = [json.loads(line) for line in (logs / "hello.log").read_text().splitlines()]
    assert [line["n"] for line in logged] == [1, 2]
    assert sys.stdout is before  # put back


def test_verbose_shows_the_functions_output_too(running):
    start, logs = running
    runtime, console, terminal = start(verbose=True)
    with routing_output(console):
        runtime.invoke("hello", json.dumps({"n": 3}))
    shown = terminal.getvalue()
    assert '"message": "hello", "n": 3' in shown and "lambda   hello" in shown
    assert '"n": 3' in (logs / "hello.log").read_text()


def test_output_of_other_threads_while_a_function_runs_stays_on_the_terminal(running):
    start, logs = running
    runtime, console, terminal = start()
    entered, leave = threading.Event(), threading.Event()
    with routing_output(console):
        worker = threading.Thread(target=lambda: (entered.set(), leave.wait(5)))
        worker.start()
        entered.wait(5)
        print("from the main thread")
        runtime.invoke("hello", json.dumps({"n": 4}))
        leave.set()
        worker.join()
    assert "from the main thread" in terminal.getvalue()
    assert "from the main thread" not in (logs / "hello.log").read_text()


@pytest.mark.parametrize(
    ("caller", "label"),
    [
        (Caller.cognito({"sub": "s1", "email": "ann@example.com"}), "ann@example.com"),
        (
            Caller.cognito({"sub": "s2", "cognito:username": "bo", "cognito:groups": ["owners"]}),
            "bo (owners)",
        ),
        (Caller.iam("1", "arn:aws:iam::1:user/local"), "IAM user/local"),
        (Caller.api_key(), "API key"),
        (None, "-"),
    ],
)
def test_callers_are_named_as_a_person_would_read_them(caller, label):
    assert caller_label(caller) == label


def test_an_operation_is_one_line(tmp_path):
    terminal = io.StringIO()
    console = Console(terminal, tmp_path)
    console.operation(Caller.api_key(), "query venues", "ok", 12.4)
    console.operation(None, "-", "UnauthorizedException", 0.2)
    assert lines(terminal) == [
        "graphql  API key  query venues  ok  12 ms",
        "graphql  -  -  UnauthorizedException  0 ms",
    ]
