"""The AWS_LAMBDA data source: the request's payload to the function, its answer as the result."""

import json
from typing import Any

from local.aws.appsync.sources import SourceResult
from local.aws.awslambda.runtime import LambdaRuntime, UnknownFunction


class LambdaSource:
    """An AWS_LAMBDA data source, invoking the function in the in-process Lambda runtime."""

    def __init__(self, runtime: LambdaRuntime, function_arn: str) -> None:
        self.runtime = runtime
        self.function_arn = function_arn

    def call(self, request: Any) -> SourceResult:
        if not isinstance(request, dict) or request.get("operation") not in (
            "Invoke",
            "BatchInvoke",
        ):
            return SourceResult.failed("MappingTemplate", "a Lambda request needs operation Invoke")
        try:
            invocation = self.runtime.invoke(
                self.function_arn, json.dumps(request.get("payload")), "AppSync"
            )
        except UnknownFunction as error:
            return SourceResult.failed("Lambda:ResourceNotFoundException", str(error))
        if request.get("invocationType") == "Event":
            return SourceResult(result=None)
        payload = json.loads(invocation.payload or b"null")
        if invocation.function_error:
            return SourceResult.failed("Lambda:Unhandled", payload.get("errorMessage", ""))
        return SourceResult(result=payload)
