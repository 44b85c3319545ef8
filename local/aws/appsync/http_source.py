"""The HTTP data source.

An HTTP data source signed with IAM for an AWS service (AppSync's way of calling AWS APIs with no
Lambda in between) is answered by the local service named in the request's `x-amz-target`
header — e.g. `AWSStepFunctions.StartSyncExecution`, which moto lacks and the local Step
Functions provides. Any other endpoint is called over HTTP for real.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from local.aws.appsync.sources import SourceResult

AwsTarget = Callable[[dict[str, Any]], dict[str, Any]]
"""Answers one AWS JSON-protocol operation: the request body in, the response body out."""
HTTP_TIMEOUT_SECONDS = 30


class HttpSource:
    def __init__(
        self,
        endpoint: str,
        authorization: Mapping[str, Any] | None,
        aws_targets: Mapping[str, AwsTarget],
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.signed = bool(authorization) and authorization.get("authorizationType") == "AWS_IAM"
        self.aws_targets = aws_targets

    def call(self, request: Any) -> SourceResult:
        if not isinstance(request, dict) or "method" not in request:
            return SourceResult.failed("MappingTemplate", "an HTTP request needs a method")
        params = request.get("params") or {}
        headers = {
            name.lower(): str(value) for name, value in (params.get("headers") or {}).items()
        }
        body = params.get("body")
        if self.signed:
            return self._aws(headers, body)
        return self._http(
            request["method"], request.get("resourcePath", "/"), params, headers, body
        )

    def _aws(self, headers: dict[str, str], body: Any) -> SourceResult:
        target = headers.get("x-amz-target", "")
        answer = self.aws_targets.get(target)
        if answer is None:
            return _response(400, {"__type": "UnknownOperationException", "message": target})
        try:
            payload = json.loads(body) if isinstance(body, str) else (body or {})
        except ValueError:
            return _response(400, {"__type": "SerializationException", "message": "bad JSON"})
        try:
            return _response(200, answer(payload))
        except ClientError as error:  # the local service refused, as AWS would
            details = error.response["Error"]
            return _response(400, {"__type": details["Code"], "message": details["Message"]})
        except (KeyError, TypeError, ValueError) as error:
            return _response(400, {"__type": "ValidationException", "message": str(error)})

    def _http(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str], body: Any
    ) -> SourceResult:
        query = urllib.parse.urlencode(params.get("query") or {})
        url = f"{self.endpoint}{path}" + (f"?{query}" if query else "")
        data = body.encode() if isinstance(body, str) else None
        outgoing = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(outgoing, timeout=HTTP_TIMEOUT_SECONDS) as reply:
                return _raw_response(reply.status, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as reply:
            return _raw_response(reply.code, dict(reply.headers), reply.read())
        except (urllib.error.URLError, TimeoutError) as error:
            return SourceResult.failed("Http", f"{url}: {error}")


def _response(status: int, body: dict[str, Any]) -> SourceResult:
    return _raw_response(
        status, {"content-type": "application/x-amz-json-1.0"}, json.dumps(body).encode()
    )


def _raw_response(status: int, headers: dict[str, str], body: bytes) -> SourceResult:
    return SourceResult(
        result={"statusCode": status, "headers": headers, "body": body.decode(errors="replace")}
    )
