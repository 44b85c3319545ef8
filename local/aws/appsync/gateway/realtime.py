"""AppSync's real-time WebSocket protocol (`graphql-ws` subprotocol), on `/graphql` and
`/graphql/realtime`.

The connection is authorized from the `header` query parameter (base64 JSON) or a
`header-<base64url>` subprotocol: connection_init → connection_ack (with connectionTimeoutMs),
then `ka` at intervals. Each `start` is authorized on its own (its `extensions.authorization`;
IAM signs the request's data) and runs the subscription field's resolver: start_ack, or error.
`stop` → complete. Data arrives when a mutation named by `@aws_subscribe` succeeds.

AppSync's limits hold: a socket that sends no connection_init in time is closed, a connection
holds at most 100 subscriptions with distinct ids, and one that falls behind on its outgoing
messages is closed (`subscriptions.Outbox`). A malformed frame is answered with an error frame
and logged; the connection stays open, as AppSync keeps it.
"""

import asyncio
import base64
import binascii
import json
import logging
import time
from contextlib import suppress
from typing import Any

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from local.aws.appsync import Caller, GraphQLEngine, clipped
from local.aws.appsync.gateway.authorizer import Authorizer, Unauthorized
from local.aws.appsync.gateway.graphql_http import OperationObserver
from local.aws.appsync.gateway.subscriptions import (
    OPERATORS,
    OUTBOX_LIMIT,
    Outbox,
    Subscription,
    SubscriptionHub,
)

SUBPROTOCOL = "graphql-ws"
HEADER_SUBPROTOCOL = "header-"
CONNECTION_TIMEOUT_MS = 300_000
MAX_SUBSCRIPTIONS = 100
"""AppSync's default quota of subscriptions per connection."""
INIT_TIMEOUT_SECONDS = 10.0
"""How long a socket may stay open without sending connection_init."""
INIT_TIMEOUT_CLOSE = 4408
SLOW_CONSUMER_CLOSE = 1008
CLOSE_TIMEOUT_SECONDS = 1.0
BAD_REQUEST = "BadRequestException"

logger = logging.getLogger(__name__)


def _decode(text: str, urlsafe: bool = False) -> dict[str, Any]:
    padded = text + "=" * (-len(text) % 4)
    decode = base64.urlsafe_b64decode if urlsafe else base64.b64decode
    try:
        value = json.loads(decode(padded))
    except (binascii.Error, ValueError, RecursionError) as error:
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


class _BadFrame(Exception):
    """A frame the protocol cannot read: answered with an error frame, the socket kept."""

    def __init__(self, message: str, subscription_id: Any = None) -> None:
        super().__init__(message)
        self.subscription_id = subscription_id


class RealtimeEndpoint:
    def __init__(
        self,
        engine: GraphQLEngine,
        authorizer: Authorizer,
        hub: SubscriptionHub,
        *,
        keep_alive_seconds: float = 60.0,
        init_timeout_seconds: float = INIT_TIMEOUT_SECONDS,
        outbox_limit: int = OUTBOX_LIMIT,
        observer: OperationObserver | None = None,
    ) -> None:
        self.engine = engine
        self.observer = observer
        """Told of each subscription start as it is answered, as the HTTP endpoint's is."""
        self.authorizer = authorizer
        self.hub = hub
        self.keep_alive_seconds = keep_alive_seconds
        self.init_timeout_seconds = init_timeout_seconds
        self.outbox_limit = outbox_limit

    async def handle(self, websocket: WebSocket) -> None:
        if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(code=1002)
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        connection = _Connection(self, websocket)
        reading = asyncio.ensure_future(connection.run())
        writing = asyncio.ensure_future(connection.write())
        overflowing = asyncio.ensure_future(connection.outbox.overflowed.wait())
        initializing = asyncio.ensure_future(connection.initialized_in_time())
        pending = {reading, writing, overflowing, initializing}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if done != {initializing} or not initializing.result():
                    break
            if overflowing in done:
                logger.warning("closing a subscriber that stopped reading (%s)", websocket.client)
                await connection.close(SLOW_CONSUMER_CLOSE, "slow consumer")
            elif initializing in done and not initializing.result():
                await connection.close(INIT_TIMEOUT_CLOSE, "connection_init timeout")
        finally:
            connection.closed = True
            self.hub.remove(connection)
            for task in pending:
                task.cancel()
            for task in (reading, writing, overflowing, initializing):
                with suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await task


class _Connection:
    def __init__(self, endpoint: RealtimeEndpoint, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.websocket = websocket
        self.host = websocket.headers.get("host", "localhost")
        self.outbox = Outbox(endpoint.outbox_limit)
        self.initialized = asyncio.Event()
        self.closed = False
        self._keep_alive: asyncio.Task | None = None

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.offer(message)

    async def write(self) -> None:
        """Sends the outbox in order, for as long as the socket is open."""
        while True:
            await self.websocket.send_text(json.dumps(await self.outbox.next()))

    async def close(self, code: int, reason: str) -> None:
        with suppress(Exception):
            await asyncio.wait_for(
                self.websocket.close(code=code, reason=reason), CLOSE_TIMEOUT_SECONDS
            )

    async def initialized_in_time(self) -> bool:
        """True once connection_init arrives; False if it does not arrive in time."""
        try:
            await asyncio.wait_for(self.initialized.wait(), self.endpoint.init_timeout_seconds)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        try:
            header = connection_header(self.websocket)
            self.endpoint.authorizer.caller(
                "POST", f"https://{self.host}/graphql/connect", header, b"{}"
            )
        except Unauthorized as error:
            await self._refuse(str(error))
            return
        try:
            while True:
                try:
                    await self._receive(await self._frame())
                except _BadFrame as bad:
                    logger.info("bad real-time frame from %s: %s", self.websocket.client, bad)
                    self.send(_error(bad.subscription_id, BAD_REQUEST, str(bad)))
        finally:
            if self._keep_alive is not None:
                self._keep_alive.cancel()

    async def _frame(self) -> dict[str, Any]:
        """The next message: a JSON object in a text frame."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise _BadFrame("Binary frames are not supported; send JSON text frames.")
        try:
            frame = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise _BadFrame("The message is not valid JSON.") from error
        if not isinstance(frame, dict):
            raise _BadFrame("The message must be a JSON object.")
        return frame

    async def _receive(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "connection_init":
            self.send(
                {
                    "type": "connection_ack",
                    "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS},
                }
            )
            self.initialized.set()
            self._start_keep_alive()
        elif kind == "start":
            await self._start(message)
        elif kind == "stop":
            subscription_id = _subscription_id(message)
            self.endpoint.hub.remove(self, subscription_id)
            self.send({"id": subscription_id, "type": "complete"})
        else:
            self.send(
                _error(
                    message.get("id"),
                    "UnsupportedOperation",
                    f"Unsupported message type {clipped(str(kind))!r}",
                )
            )

    def _observed(self, caller: Caller | None, operation: str, outcome: str, ms: float) -> None:
        if self.endpoint.observer is not None:
            self.endpoint.observer(caller, operation, outcome, ms)

    async def _refuse(self, reason: str) -> None:
        """connection_error after the client's connection_init, then close (sent directly:
        nothing else is queued on a connection that was never acknowledged)."""
        with suppress(_BadFrame, TimeoutError):
            await asyncio.wait_for(self._frame(), self.endpoint.init_timeout_seconds)
        error = {"errorType": "UnauthorizedException", "message": reason}
        await self.websocket.send_text(
            json.dumps({"type": "connection_error", "payload": {"errors": [error]}})
        )
        await self.close(1000, "unauthorized")

    def _start_keep_alive(self) -> None:
        async def beat() -> None:
            while True:
                self.send({"type": "ka"})
                await asyncio.sleep(self.endpoint.keep_alive_seconds)

        if self._keep_alive is None:
            self._keep_alive = asyncio.create_task(beat())

    async def _start(self, message: dict[str, Any]) -> None:
        subscription_id = _subscription_id(message)
        payload = message.get("payload")
        if not isinstance(payload, dict):
            raise _BadFrame("A start needs a payload object.", subscription_id)
        extensions = payload.get("extensions") or {}
        headers = extensions.get("authorization") if isinstance(extensions, dict) else None
        if not isinstance(headers, dict):
            raise _BadFrame("A start needs payload.extensions.authorization.", subscription_id)
        if self.endpoint.hub.holds(self, subscription_id):
            self.send(
                _error(
                    subscription_id,
                    "DuplicatedOperationError",
                    "Duplicated operation with id " + subscription_id,
                )
            )
            return
        if self.endpoint.hub.count(self) >= MAX_SUBSCRIPTIONS:
            self.send(
                _error(
                    subscription_id,
                    "MaxSubscriptionsReachedError",
                    f"Max number of {MAX_SUBSCRIPTIONS} subscriptions reached",
                )
            )
            return
        data = payload.get("data")
        try:
            request = json.loads(data) if isinstance(data, str) else None
            if not isinstance(request, dict) or not isinstance(request.get("query"), str):
                raise ValueError("a start needs payload.data: JSON with a query")
            if not isinstance(request.get("variables"), dict | None):
                raise ValueError("variables must be a JSON object")
            caller = self.endpoint.authorizer.caller(
                "POST", f"https://{self.host}/graphql", headers, data.encode()
            )
            root = _subscription_field(request["query"], request.get("operationName"))
        except Unauthorized as error:
            self.send(_error(subscription_id, "UnauthorizedException", str(error)))
            self._observed(None, "subscription", "UnauthorizedException", 0.0)
            return
        except (ValueError, RecursionError, GraphQLError) as error:
            self.send(_error(subscription_id, BAD_REQUEST, clipped(str(error))))
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
        began = time.perf_counter()
        response = await run_in_threadpool(
            self.endpoint.engine.execute,
            request["query"],
            caller,
            variables,
            request.get("operationName"),
            headers,
        )
        errors = response.body.get("errors")
        outcome = (errors[0].get("errorType") or "error") if errors else "ok"
        ms = (time.perf_counter() - began) * 1000
        self._observed(caller, f"subscription {root.name.value}", outcome, ms)
        if errors:
            self.send({"id": subscription_id, "type": "error", "payload": {"errors": errors}})
            return
        if self.closed:  # gone while its resolver ran: nothing to subscribe
            return
        subscription_filter = response.extensions.get("subscriptionFilter")
        if subscription_filter and not _valid_filter(subscription_filter):
            self.send(_error(subscription_id, BAD_REQUEST, "invalid filter"))
            return
        self.endpoint.hub.add(
            Subscription(
                connection=self,
                id=subscription_id,
                field=root.name.value,
                key=root.alias.value if root.alias else root.name.value,
                arguments=_arguments(root, variables),
                selection=root.selection_set,
                outbox=self.outbox,
                filter=subscription_filter,
            )
        )
        self.send({"id": subscription_id, "type": "start_ack"})


def _subscription_id(message: dict[str, Any]) -> str:
    subscription_id = message.get("id")
    if not isinstance(subscription_id, str) or not subscription_id:
        raise _BadFrame(f"A {message.get('type')} needs an id (a string).")
    return subscription_id


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
