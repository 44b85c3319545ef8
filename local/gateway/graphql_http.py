"""AppSync's HTTP endpoint: `POST /graphql`, authorized per request, answered by the engine,
with AppSync's status codes and error bodies for what never reaches the engine."""

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..appsync import GraphQLEngine
from .auth import Authorizer, Unauthorized

MALFORMED = "MalformedHttpRequestException"


def _refusal(status: int, error_type: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"errorType": error_type, "message": message}]}, status)


def graphql_app(engine: GraphQLEngine, authorizer: Authorizer) -> Starlette:
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
        return JSONResponse(response.body, response.status)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
