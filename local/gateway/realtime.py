"""AppSync's real-time WebSocket protocol (`graphql-ws` subprotocol), on `/graphql` and
`/graphql/realtime`.

The connection is authorized from the `header` query parameter (base64 JSON) or a
`header-<base64url>` subprotocol: connection_init → connection_ack (with connectionTimeoutMs),
then `ka` at intervals. Each `start` is authorized on its own (its `extensions.authorization`;
IAM signs the request's data) and runs the subscription field's resolver: start_ack, or error.
`stop` → complete. Data arrives when a mutation named by `@aws_subscribe` succeeds.
"""

import asyncio
import base64
import binascii
import json
from typing import Any

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..appsync import Caller, GraphQLEngine
from .auth import Authorizer, Unauthorized
from .subscriptions import OPERATORS, Subscription, SubscriptionHub

SUBPROTOCOL = "graphql-ws"
HEADER_SUBPROTOCOL = "header-"
CONNECTION_TIMEOUT_MS = 300_000


def _decode(text: str, urlsafe: bool = False) -> dict[str, Any]:
    padded = text + "=" * (-len(text) % 4)
    decode = base64.urlsafe_b64decode if urlsafe else base64.b64decode
    try:
        value = json.loads(decode(padded))
    except (binascii.Error, ValueError) as error:
        raise Unauthorized("The connection's header is not base64-encoded JSON.") from error
    if not isinstance(value, dict):
        raise Unauthorized("The connection's header must be a JSON object.")
    return value


def connection_header(websocket: WebSocket) -> dict[str, Any]:
    """The authorization header of the connection: query parameter or subprotocol form."""
    for protocol in websocket.scope.get("subprotocols", []):
        if protocol.startswith(HEADER_SUBPROTOCOL):
            return _decode(protocol.removeprefix(HEADER_SUBPROTOCOL), urlsafe=True)
    if "header" in websocket.query_params:
        return _decode(websocket.query_params["header"])
    raise Unauthorized("Missing authorization header")


class RealtimeEndpoint:
    def __init__(
        self,
        engine: GraphQLEngine,
        authorizer: Authorizer,
        hub: SubscriptionHub,
        keep_alive_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.authorizer = authorizer
        self.hub = hub
        self.keep_alive_seconds = keep_alive_seconds

    async def handle(self, websocket: WebSocket) -> None:
        if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(code=1002)
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        connection = _Connection(self, websocket)
        try:
            await connection.run()
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.remove(connection)
            connection.stop_keep_alive()


class _Connection:
    def __init__(self, endpoint: RealtimeEndpoint, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.websocket = websocket
        self.host = websocket.headers.get("host", "localhost")
        self._keep_alive: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._lock:
            await self.websocket.send_json(message)

    async def run(self) -> None:
        try:
            header = connection_header(self.websocket)
            self.endpoint.authorizer.caller(
                "POST", f"https://{self.host}/graphql/connect", header, b"{}"
            )
        except Unauthorized as error:
            await self._refuse(str(error))
            return
        while True:
            message = await self.websocket.receive_json()
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "connection_init":
                await self.send(
                    {
                        "type": "connection_ack",
                        "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS},
                    }
                )
                self._start_keep_alive()
            elif kind == "start":
                await self._start(message)
            elif kind == "stop":
                self.endpoint.hub.remove(self, str(message.get("id")))
                await self.send({"id": message.get("id"), "type": "complete"})
            else:
                await self.send(
                    _error(
                        message.get("id") if isinstance(message, dict) else None,
                        "UnsupportedOperation",
                        f"Unsupported message type {kind!r}",
                    )
                )

    async def _refuse(self, reason: str) -> None:
        await self.websocket.receive_json()  # the client's connection_init
        await self.send(
            {
                "type": "connection_error",
                "payload": {"errors": [{"errorType": "UnauthorizedException", "message": reason}]},
            }
        )
        await self.websocket.close(code=1000)

    def _start_keep_alive(self) -> None:
        async def beat() -> None:
            while True:
                await self.send({"type": "ka"})
                await asyncio.sleep(self.endpoint.keep_alive_seconds)

        if self._keep_alive is None:
            self._keep_alive = asyncio.create_task(beat())

    def stop_keep_alive(self) -> None:
        if self._keep_alive is not None:
            self._keep_alive.cancel()

    async def _start(self, message: dict[str, Any]) -> None:
        subscription_id = str(message.get("id") or "")
        payload = message.get("payload") or {}
        data = payload.get("data")
        headers = (payload.get("extensions") or {}).get("authorization") or {}
        try:
            request = json.loads(data) if isinstance(data, str) else None
            if not subscription_id or not isinstance(request, dict):
                raise ValueError("a start needs an id and payload.data (JSON)")
            caller = self.endpoint.authorizer.caller(
                "POST", f"https://{self.host}/graphql", headers, data.encode()
            )
            root = _subscription_field(request["query"], request.get("operationName"))
        except Unauthorized as error:
            await self.send(_error(subscription_id, "UnauthorizedException", str(error)))
            return
        except (ValueError, KeyError, GraphQLError) as error:
            await self.send(_error(subscription_id, "BadRequestException", str(error)))
            return
        await self._subscribe(subscription_id, request, caller, root, headers)

    async def _subscribe(
        self,
        subscription_id: str,
        request: dict[str, Any],
        caller: Caller,
        root: FieldNode,
        headers: dict[str, Any],
    ) -> None:
        variables = request.get("variables") or {}
        response = await run_in_threadpool(
            self.endpoint.engine.execute,
            request["query"],
            caller,
            variables,
            request.get("operationName"),
            headers,
        )
        errors = response.body.get("errors")
        if errors:
            await self.send({"id": subscription_id, "type": "error", "payload": {"errors": errors}})
            return
        subscription_filter = response.extensions.get("subscriptionFilter")
        if subscription_filter and not _valid_filter(subscription_filter):
            await self.send(_error(subscription_id, "BadRequestException", "invalid filter"))
            return
        self.endpoint.hub.add(
            Subscription(
                connection=self,
                id=subscription_id,
                field=root.name.value,
                key=root.alias.value if root.alias else root.name.value,
                arguments=_arguments(root, variables),
                selection=root.selection_set,
                send=self.send,
                filter=subscription_filter,
            )
        )
        await self.send({"id": subscription_id, "type": "start_ack"})


def _error(subscription_id: Any, error_type: str, message: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "type": "error",
        "payload": {"errors": [{"errorType": error_type, "message": message}]},
    }
    if subscription_id:
        answer["id"] = subscription_id
    return answer


def _subscription_field(query: str, operation_name: str | None) -> FieldNode:
    operation = get_operation_ast(parse(query), operation_name)
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        raise ValueError("only subscription operations are accepted here")
    fields = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(fields) != 1:
        raise ValueError("a subscription selects exactly one root field")
    return fields[0]


def _arguments(root: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The root field's arguments with variables substituted (validated by the engine before)."""
    arguments = {}
    for argument in root.arguments or ():
        value = argument.value
        if value.kind == "variable":
            arguments[argument.name.value] = variables.get(value.name.value)
        else:
            arguments[argument.name.value] = getattr(value, "value", None)
    return arguments


def _valid_filter(subscription_filter: dict[str, Any]) -> bool:
    groups = subscription_filter.get("filterGroup")
    return isinstance(groups, list) and all(
        isinstance(rule, dict) and rule.get("operator") in OPERATORS
        for group in groups
        for rule in group.get("filters", [])
    )
