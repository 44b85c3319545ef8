"""Where moto's Lambda needs help to behave as AWS does.

With `{"lambda": {"use_docker": False}}`, moto's Lambda (`awslambda_simple`) answers
every invoke with a canned result. `route_lambda` sends invokes to the in-process runtime
instead; `direct_lambda_tasks` lets Step Functions' Lambda tasks call it without Lambda's
REST formats in between (moto builds a request router for every such call).
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from local.aws.awslambda.runtime import FUNCTION_ERROR_HEADER, LambdaRuntime, UnknownFunction
from local.aws.moto_core import as_client_error

TRIGGER_HEADER = "x-slate-trigger"
"""Tells the Lambda route what invoked a function (the state machine's tasks say so)."""


@contextmanager
def route_lambda(runtime: LambdaRuntime) -> Iterator[None]:
    def invoke(_backend, function_name, _qualifier, body, headers, response_headers):
        try:
            invocation = runtime.invoke(function_name, body, headers.get(TRIGGER_HEADER, "Invoke"))
        except UnknownFunction:
            raise UnknownFunctionException(function_name) from None
        if invocation.function_error:
            response_headers[FUNCTION_ERROR_HEADER] = invocation.function_error
        return invocation.payload

    with mock.patch.object(LambdaSimpleBackend, "invoke", invoke):
        yield


@contextmanager
def direct_lambda_tasks() -> Iterator[None]:
    """A state machine's Lambda task calls moto's Lambda backend (`route_lambda`'s runtime
    behind it) directly, with Invoke's answer (status, version, payload, function error) or its
    error as botocore raises it: Lambda's REST formats, and the request router moto builds for
    every call, would be most of the task's cost. Only synchronous, unqualified calls go this
    way; any other goes the usual way."""
    original = lambda_eval_utils._invoke_lambda_function

    def invoke(parameters: dict, region: str, state_credentials: Any) -> dict[str, Any]:
        synchronous = parameters.get("InvocationType", "RequestResponse") == "RequestResponse"
        if not synchronous or "Qualifier" in parameters:
            return original(parameters, region, state_credentials)
        backend = lambda_simple_backends[DEFAULT_ACCOUNT_ID][region]
        body = lambda_eval_utils.to_payload_type(parameters.get("Payload"))
        headers: dict[str, Any] = {}
        try:
            trigger = {TRIGGER_HEADER: "state machine"}
            payload = backend.invoke(parameters["FunctionName"], None, body, trigger, headers)
        except JsonRESTError as error:
            raise as_client_error(error, "Invoke") from error
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": lambda_eval_utils._from_payload(io.BytesIO(payload or b"")),
        }
        if FUNCTION_ERROR_HEADER in headers:
            response["FunctionError"] = headers[FUNCTION_ERROR_HEADER]
        return response

    with mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke):
        yield
