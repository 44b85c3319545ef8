"""AppSync's HTTP endpoint: `POST /graphql`, authorized per request, answered by the engine,
with AppSync's status codes and error bodies for what never reaches the engine. A successful
mutation's result is handed to the subscriptions `@aws_subscribe` links it to.

The work a request may cost is bounded before any of it is done: the caller is authenticated
from the headers alone unless the request is SigV4-signed (its signature covers the body), the
body is read only up to the size AppSync accepts, and a request whose client has gone resolves
no further field.
"""

import asyncio
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, OperationDefinitionNode, OperationType, get_operation_ast
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from local.aws.appsync import Caller, GraphQLEngine
from local.aws.appsync.gateway.authorizer import Authorizer, Unauthorized
from local.aws.appsync.gateway.subscriptions import SubscriptionHub

MALFORMED = "MalformedHttpRequestException"
MAX_BODY_BYTES = 1024 * 1024
"""The largest request body accepted (1 MiB); a larger one is refused unread."""
TOO_LARGE = "PayloadTooLargeException"
ERROR_TYPE_HEADER = "x-amzn-ErrorType"
"""Names the error of a response that is not a 200, as AppSync does (Amplify reads the error's
name from it)."""
REQUEST_ID_HEADER = "x-amzn-RequestId"

logger = logging.getLogger(__name__)
OperationObserver = Callable[[Caller | None, str, str, float], None]
"""Told of each request as it is answered: (caller, `mutation bookSlot`, `ok` or the error
type, milliseconds); the caller is None when it was refused before the engine."""


class _TooLarge(Exception):
    pass


def _refusal(status: int, error_type: str, message: str) -> JSONResponse:
    logger.info("refused a request: %d %s: %s", status, error_type, message)
    return _json({"errors": [{"errorType": error_type, "message": message}]}, status)


def _json(body: dict[str, Any], status: int) -> JSONResponse:
    """A response as AppSync sends one: its request id, and the error's type on anything but a
    200."""
    headers = {REQUEST_ID_HEADER: str(uuid.uuid4())}
    if status != 200:
        errors = body.get("errors") or [{}]
        headers[ERROR_TYPE_HEADER] = errors[0].get("errorType") or "UnknownError"
    return JSONResponse(body, status, headers=headers)


def http_endpoint(
    engine: GraphQLEngine,
    authorizer: Authorizer,
    hub: SubscriptionHub,
    before_acknowledging: Callable[[], None] | None = None,
    observer: OperationObserver | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def graphql(request: Request) -> Response:
        began = time.perf_counter()
        answered = await answer(request)
        if observer is not None:
            ms = (time.perf_counter() - began) * 1000
            observer(answered.caller, answered.operation, answered.outcome, ms)
        return answered.response

    async def answer(request: Request) -> _Answered:
        try:
            caller, body = await _authenticated(request, authorizer)
        except Unauthorized as error:
            return _refused(401, "UnauthorizedException", str(error))
        except _TooLarge:
            return _refused(413, TOO_LARGE, f"The request body exceeds {MAX_BODY_BYTES} bytes.")
        except ClientDisconnect:
            return _Answered(Response(status_code=400), None, "-", "ClientDisconnect")
        payload, problem = _payload(body)
        if problem:
            return _refused(400, MALFORMED, problem, caller)
        cancelled = threading.Event()
        response = await _while_connected(
            request,
            cancelled,
            lambda: engine.execute(
                payload["query"],
                caller,
                payload.get("variables") or {},
                payload.get("operationName"),
                dict(request.headers),
                cancelled=cancelled,
            ),
        )
        operation = _operation(engine, payload)
        if operation is not None and operation.operation == OperationType.MUTATION:
            if before_acknowledging is not None:
                try:
                    await run_in_threadpool(before_acknowledging)
                except Exception:  # not durable: not acknowledged either
                    logger.exception("a mutation's changes could not be made durable")
                    message = "An internal failure occurred."
                    return _refused(500, "InternalFailure", message, caller)
            for field_name, value in _mutation_results(operation, response.body):
                hub.publish(field_name, value)
        errors = response.body.get("errors") or [{}]
        outcome = (errors[0].get("errorType") or "error") if "errors" in response.body else "ok"
        return _Answered(_json(response.body, response.status), caller, _label(operation), outcome)

    return graphql


@dataclass(frozen=True)
class _Answered:
    response: Response
    caller: Caller | None
    operation: str
    outcome: str


def _refused(status: int, error_type: str, message: str, caller: Caller | None = None) -> _Answered:
    return _Answered(_refusal(status, error_type, message), caller, "-", error_type)


def _label(operation: OperationDefinitionNode | None) -> str:
    """`mutation bookSlot`: the operation's type and root fields."""
    if operation is None:
        return "-"
    fields = Counter(
        n.name.value for n in operation.selection_set.selections if isinstance(n, FieldNode)
    )
    named = [f"{name} x{count}" if count > 1 else name for name, count in fields.items()]
    return f"{operation.operation.value} {', '.join(named)}"


async def _authenticated(request: Request, authorizer: Authorizer) -> tuple[Caller, bytes]:
    """The caller and the body; the body is read only after the headers authenticate the
    caller, unless the request is signed (then the signature is checked over the body)."""
    url, headers = str(request.url), request.headers
    if authorizer.needs_body(headers):
        body = await _capped_body(request)
        return authorizer.caller("POST", url, headers, body), body
    caller = authorizer.caller("POST", url, headers, b"")
    return caller, await _capped_body(request)


async def _capped_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _payload(body: bytes) -> tuple[dict[str, Any], str | None]:
    """The request's JSON, or why AppSync would refuse it."""
    if not body.strip():
        return {}, "Request body is empty."
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return {}, "Unable to parse GraphQL query."
    if not isinstance(payload.get("variables", {}), dict | None):
        return {}, "Variables must be a JSON object."
    if not isinstance(payload.get("operationName"), str | None):
        return {}, "operationName must be a string."
    return payload, None


async def _while_connected(
    request: Request, cancelled: threading.Event, work: Callable[[], Any]
) -> Any:
    """Runs `work` on a worker thread; if the client disconnects first, sets `cancelled`."""
    running = asyncio.ensure_future(run_in_threadpool(work))
    watching = asyncio.ensure_future(request.receive())
    try:
        done, _ = await asyncio.wait({running, watching}, return_when=asyncio.FIRST_COMPLETED)
        if watching in done and watching.result().get("type") == "http.disconnect":
            cancelled.set()
        return await running
    finally:
        watching.cancel()


def _operation(engine: GraphQLEngine, payload: dict[str, Any]) -> OperationDefinitionNode | None:
    """The operation the request ran (None if the query is not a valid one)."""
    document, _ = engine.checked(payload["query"])
    return get_operation_ast(document, payload.get("operationName")) if document else None


def _mutation_results(
    operation: OperationDefinitionNode, body: dict[str, Any]
) -> list[tuple[str, Any]]:
    """(mutation field, result) for each root field of a mutation that succeeded."""
    data = body.get("data")
    if not data:
        return []
    failed = {tuple(error.get("path") or ())[:1] for error in body.get("errors", [])}
    results = []
    for node in operation.selection_set.selections:
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            if data.get(key) is not None and (key,) not in failed:
                results.append((node.name.value, data[key]))
    return results
