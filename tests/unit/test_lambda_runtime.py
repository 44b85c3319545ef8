"""The in-process Lambda runtime: handler strings, environments, errors as Lambda shapes them."""

import json
import os

import pytest

from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime, UnknownFunction

HANDLER = """
import os

GREETING = os.environ["GREETING"]


class Refused(Exception):
    pass


def handler(event, context):
    if event.get("refuse"):
        raise Refused("no, " + event["name"])
    return {
        "text": f"{GREETING}, {event['name']}",
        "function": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
    }
"""


@pytest.fixture
def runtime(tmp_path):
    (tmp_path / "greet.py").write_text(HANDLER)
    runtime = LambdaRuntime()
    for name, greeting in (("hello", "Hello"), ("bonjour", "Bonjour")):
        runtime.register(
            FunctionSpec(
                name=name,
                arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
                handler="greet.handler",
                code_root=tmp_path,
                environment={"GREETING": greeting},
                timeout_seconds=3,
            )
        )
    return runtime


def test_each_function_runs_with_its_own_environment(runtime):
    hello = json.loads(runtime.invoke("hello", b'{"name": "Ada"}').payload)
    bonjour = runtime.invoke(
        "arn:aws:lambda:us-east-1:123456789012:function:bonjour", '{"name": "Ada"}'
    )
    assert hello["text"] == "Hello, Ada"
    assert json.loads(bonjour.payload)["text"] == "Bonjour, Ada"
    assert hello["function"] == "hello"
    assert 0 < hello["remaining"] <= 3000
    assert "GREETING" not in os.environ


def test_an_exception_is_lambdas_error_payload(runtime):
    result = runtime.invoke("hello", '{"name": "Ada", "refuse": true}')
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    assert (error["errorType"], error["errorMessage"]) == ("Refused", "no, Ada")
    assert error["stackTrace"]


def test_unknown_functions_and_missing_modules_are_named(runtime, tmp_path):
    with pytest.raises(UnknownFunction, match="'nobody'"):
        runtime.invoke("nobody", "{}")
    runtime.register(
        FunctionSpec("broken", "arn:broken", "missing.handler", tmp_path, {"GREETING": "x"})
    )
    error = json.loads(runtime.invoke("broken", "{}").payload)
    assert error["errorType"] == "UnknownFunction"
    assert "missing.py does not exist" in error["errorMessage"]
