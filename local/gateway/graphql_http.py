"""AppSync's HTTP endpoint: `POST /graphql`, authorized per request, answered by the engine,
with AppSync's status codes and error bodies for what never reaches the engine. A successful
mutation's result is handed to the subscriptions `@aws_subscribe` links it to."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..appsync import GraphQLEngine
from .auth import Authorizer, Unauthorized
from .subscriptions import SubscriptionHub

MALFORMED = "MalformedHttpRequestException"


def _refusal(status: int, error_type: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"errorType": error_type, "message": message}]}, status)


def http_endpoint(
    engine: GraphQLEngine, authorizer: Authorizer, hub: SubscriptionHub
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def graphql(request: Request) -> JSONResponse:
        body = await request.body()
        if not body.strip():
            return _refusal(400, MALFORMED, "Request body is empty.")
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _refusal(400, MALFORMED, "Unable to parse GraphQL query.")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return _refusal(400, MALFORMED, "Variables must be a JSON object.")
        try:
            caller = authorizer.caller("POST", str(request.url), request.headers, body)
        except Unauthorized as error:
            return _refusal(401, "UnauthorizedException", str(error))
        response = await run_in_threadpool(
            engine.execute,
            payload["query"],
            caller,
            variables,
            payload.get("operationName"),
            dict(request.headers),
        )
        for field_name, value in _mutation_results(payload, response.body):
            await hub.publish(field_name, value)
        return JSONResponse(response.body, response.status)

    return graphql


def _mutation_results(payload: dict[str, Any], body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(mutation field, result) for each root field of a mutation that succeeded."""
    data = body.get("data")
    if not data:
        return []
    try:
        operation = get_operation_ast(parse(payload["query"]), payload.get("operationName"))
    except GraphQLError:
        return []
    if operation is None or operation.operation != OperationType.MUTATION:
        return []
    failed = {tuple(error.get("path") or ())[:1] for error in body.get("errors", [])}
    results = []
    for node in operation.selection_set.selections:
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            if data.get(key) is not None and (key,) not in failed:
                results.append((node.name.value, data[key]))
    return results
