"""Executes GraphQL operations the way AppSync does: its schema, auth directives, APPSYNC_JS
unit and pipeline resolvers over data sources, and its error shape.

Nothing here knows which API it serves: an `ApiConfig` is whatever a stack declares (see
`deployment.deployed_apis`), and the answer to an operation is the body AppSync would send.
"""

import functools
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    default_field_resolver,
    execute,
    parse,
    print_ast,
    validate,
)

from local.aws.appsync.auth_modes import AuthConfig, Caller, may_access
from local.aws.appsync.js_runtime import HandlerError, JsRuntime, Outcome
from local.aws.appsync.jsmodule import CodeError
from local.aws.appsync.schema import build_appsync_schema
from local.aws.appsync.sources import DataSource, SourceResult
from local.errors import LocalError

UNIT = "UNIT"
PIPELINE = "PIPELINE"
RUNTIME = "APPSYNC_JS"
INVALID_REQUEST = "MappingTemplate"
"""The error type of a request object the data source cannot read (AppSync's name for it)."""
DEFAULT_RESOLVER_COUNT_LIMIT = 10_000
"""What AppSync allows a request when the API sets no resolver count limit (0)."""
DEPTH_LIMIT_REACHED = "QueryDepthLimitReached"
RESOLVER_LIMIT_REACHED = "ResolverExecutionLimitReached"
INTERNAL_FAILURE = "InternalFailure"
CANCELLED = "RequestCancelled"
CACHED_QUERIES = 512
CACHED_QUERY_CHARACTERS = 10_000
"""Queries up to this long have their parse and validation kept (hand-written client queries
are far shorter; a longer one is checked each time, so the cache stays small)."""

logger = logging.getLogger(__name__)


class ConfigError(LocalError, ValueError):
    """The API as declared cannot be served: AppSync would refuse it on create."""


@dataclass(frozen=True)
class FunctionConfig:
    """An AppSync function: a step of pipeline resolvers."""

    name: str
    data_source: str
    code: str


@dataclass(frozen=True)
class ResolverConfig:
    type_name: str
    field_name: str
    code: str
    kind: str = UNIT
    data_source: str | None = None
    functions: tuple[str, ...] = ()
    """Function ids, in pipeline order."""


@dataclass
class ApiConfig:
    schema: str
    auth: AuthConfig
    resolvers: list[ResolverConfig]
    data_sources: Mapping[str, DataSource]
    functions: Mapping[str, FunctionConfig] = field(default_factory=dict)
    query_depth_limit: int = 0
    """The deepest a field may be (a root field is at depth 1); 0: no limit."""
    resolver_count_limit: int = 0
    """How many resolvers one request may run; 0: AppSync's default."""


@dataclass(frozen=True)
class Response:
    """What AppSync sends back: an HTTP status and the JSON body; and what the resolvers asked
    of the transport through `extensions` (subscription filters, cache evictions)."""

    status: int
    body: dict[str, Any]
    extensions: dict[str, Any] = field(default_factory=dict)


class FieldError(Exception):
    """A field's resolution ended with an error, in AppSync's terms."""

    def __init__(
        self, message: str, error_type: str | None, data: Any = None, info: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.info = info


@dataclass
class _Request:
    caller: Caller
    headers: dict[str, str]
    variables: dict[str, Any]
    cancelled: threading.Event
    appended: list[GraphQLError] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)
    resolvers_run: int = 0

    @functools.cached_property
    def variables_json(self) -> str:
        """The variables as every handler of the request sees them (`ctx.info.variables`)."""
        return json.dumps(self.variables)


class GraphQLEngine:
    def __init__(self, config: ApiConfig, js: JsRuntime | None = None) -> None:
        self.config = config
        self.js = js or JsRuntime()
        self._modules: dict[str, str] = {}
        self._checked_cached = functools.lru_cache(maxsize=CACHED_QUERIES)(self._check)
        try:
            self._build()
        except ConfigError:
            self.js.close()
            raise

    def _build(self) -> None:
        """The schema, with every resolver attached and every field behind its auth check."""
        try:
            self.schema: GraphQLSchema = build_appsync_schema(self.config.schema)
        except (GraphQLError, TypeError) as error:  # graphql-core reports SDL errors as TypeError
            raise ConfigError(f"the schema is not valid: {error}") from error
        for resolver in self.config.resolvers:
            self._attach(resolver)
        for object_type in self._object_types():
            for definition in object_type.fields.values():
                definition.resolve = self._authorized(object_type, definition)

    def close(self) -> None:
        self.js.close()

    def execute(
        self,
        query: str,
        caller: Caller,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
        *,
        cancelled: threading.Event | None = None,
    ) -> Response:
        """Runs a query or mutation; for a subscription, what AppSync does when a client
        subscribes: authorization and the subscription field's resolver (its result is null
        unless the subscription is refused), with any filter it sets in `extensions`.

        Once `cancelled` is set (the client has gone), no further field is resolved."""
        document, refusals = self.checked(query)
        if document is None:
            return Response(200, {"data": None, "errors": refusals})
        request = _Request(
            caller, dict(headers or {}), dict(variables or {}), cancelled or threading.Event()
        )
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=request,
        )
        body: dict[str, Any] = {"data": result.data}
        errors = [*(result.errors or []), *request.appended]
        if errors:
            body["errors"] = [_field_error(error) for error in errors]
        return Response(200, body, request.extensions)

    def checked(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        """The query parsed and validated against the schema, or AppSync's errors for it.

        Clients send the same few queries again and again, and validation is most of the cost
        of a small request, so the answer for each short query is kept (ASTs are not changed by
        execution)."""
        if len(query) <= CACHED_QUERY_CHARACTERS:
            return self._checked_cached(query)
        return self._check(query)

    def _check(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        try:
            document: DocumentNode = parse(query)
        except GraphQLError as error:
            return None, [_syntax_error(error)]
        invalid = validate(self.schema, document)
        if invalid:
            return None, [_validation_error(e) for e in invalid]
        return document, []

    def module_id(self, code: str) -> str:
        """The loaded module of a resolver's or function's code."""
        return self._modules[code]

    def _object_types(self) -> list[GraphQLObjectType]:
        return [
            t
            for name, t in self.schema.type_map.items()
            if isinstance(t, GraphQLObjectType) and not name.startswith("__")
        ]

    def _attach(self, resolver: ResolverConfig) -> None:
        where = f"resolver {resolver.type_name}.{resolver.field_name}"
        if resolver.kind not in (UNIT, PIPELINE):
            raise ConfigError(f"{where}: kind must be {UNIT} or {PIPELINE}, not {resolver.kind!r}")
        parent = self.schema.type_map.get(resolver.type_name)
        if not isinstance(parent, GraphQLObjectType) or resolver.field_name not in parent.fields:
            raise ConfigError(f"{where}: the schema has no such field")
        if resolver.kind == UNIT and resolver.data_source not in self.config.data_sources:
            raise ConfigError(f"{where}: no data source named {resolver.data_source!r}")
        missing = [f for f in resolver.functions if f not in self.config.functions]
        if resolver.kind == PIPELINE and (missing or not resolver.functions):
            raise ConfigError(f"{where}: unknown or no pipeline functions {missing}")
        self._load(where, resolver.code)
        for function_id in resolver.functions:
            function = self.config.functions[function_id]
            if function.data_source not in self.config.data_sources:
                raise ConfigError(
                    f"function {function.name}: no data source {function.data_source!r}"
                )
            self._load(f"function {function.name}", function.code)
        parent.fields[resolver.field_name].resolve = self._resolver(resolver)

    def _load(self, where: str, code: str) -> None:
        try:
            self._modules[code] = self.js.load(code)
        except CodeError as error:
            raise ConfigError(f"{where}: {error}") from error

    def _authorized(
        self, parent: GraphQLObjectType, definition: GraphQLField
    ) -> Callable[..., Any]:
        resolve = definition.resolve or default_field_resolver

        depth_limit = self.config.query_depth_limit

        def authorized(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            if info.context.cancelled.is_set():
                raise FieldError("The request was cancelled: its client has gone.", CANCELLED)
            if depth_limit and _depth(info) > depth_limit:
                raise FieldError(
                    f"Query depth limit of {depth_limit} reached.", DEPTH_LIMIT_REACHED
                )
            if not may_access(self.config.auth, info.context.caller, parent, definition):
                raise _unauthorized(info)
            return resolve(source, info, **args)

        return authorized

    def _resolver(self, resolver: ResolverConfig) -> Callable[..., Any]:
        limit = self.config.resolver_count_limit or DEFAULT_RESOLVER_COUNT_LIMIT

        def resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
            request: _Request = info.context
            request.resolvers_run += 1
            if request.resolvers_run > limit:
                raise FieldError("Resolver execution limit reached.", RESOLVER_LIMIT_REACHED)
            run = _Run(self, info, source, args)
            if resolver.kind == PIPELINE:
                return run.pipeline(resolver)
            return run.step(resolver.code, resolver.data_source)

        return resolve


class _Run:
    """One field's resolution: the context its handlers see, carried from one to the next."""

    def __init__(
        self, engine: GraphQLEngine, info: GraphQLResolveInfo, source: Any, args: dict[str, Any]
    ) -> None:
        self.engine = engine
        self.info = info
        self.request: _Request = info.context
        self.context: dict[str, Any] = {
            "arguments": args,
            "args": args,
            "identity": self.request.caller.identity,
            "source": source,
            "stash": {},
            "prev": {"result": None},
            "result": None,
            "error": None,
            "info": {
                "fieldName": info.field_name,
                "parentTypeName": info.parent_type.name,
                **_selections(info),
            },
            "request": {"headers": self.request.headers, "domainName": None},
            "env": {},
        }

    def pipeline(self, resolver: ResolverConfig) -> Any:
        before = self._handler(resolver.code, "request")
        if before.early:
            return before.value
        self.context["prev"] = {"result": before.value}
        for function_id in resolver.functions:
            function = self.engine.config.functions[function_id]
            result = self.step(function.code, function.data_source)
            self.context["prev"] = {"result": result}
        self.context["result"] = self.context["prev"]["result"]
        return self._handler(resolver.code, "response").value

    def step(self, code: str, data_source: str) -> Any:
        """A unit resolver, or one function of a pipeline: request → data source → response."""
        request = self._handler(code, "request")
        if request.early:
            return request.value
        answer: SourceResult = self.engine.config.data_sources[data_source].call(request.value)
        if answer.error and answer.error["type"] == INVALID_REQUEST:
            raise FieldError(answer.error["message"], INVALID_REQUEST)
        self.context["result"] = answer.result
        self.context["error"] = answer.error
        response = self._handler(code, "response")
        self.context["error"] = None
        return response.value

    def _handler(self, code: str, handler: str) -> Outcome:
        outcome = self.engine.js.invoke(
            self.engine.module_id(code),
            handler,
            self.context,
            self.request.caller.auth_type,
            self.request.variables_json,
        )
        self.context["stash"] = outcome.stash
        self.request.extensions.update(outcome.extensions)
        for appended in outcome.appended:
            self.request.appended.append(self._graphql_error(appended))
        if outcome.error is not None:
            if outcome.error.type == "Unauthorized" and outcome.error.message is None:
                raise _unauthorized(self.info)
            raise FieldError(
                outcome.error.message or "",
                outcome.error.type,
                outcome.error.data,
                outcome.error.info,
            )
        return outcome

    def _graphql_error(self, error: HandlerError) -> GraphQLError:
        return GraphQLError(
            error.message or "",
            nodes=self.info.field_nodes,
            path=self.info.path.as_list(),
            original_error=FieldError(error.message or "", error.type, error.data, error.info),
        )


def _unauthorized(info: GraphQLResolveInfo) -> FieldError:
    return FieldError(
        f"Not Authorized to access {info.field_name} on type {info.parent_type.name}",
        "Unauthorized",
    )


def _depth(info: GraphQLResolveInfo) -> int:
    """How deep the field is: its path without list indices (a root field is at 1)."""
    depth, path = 0, info.path
    while path is not None:
        depth += isinstance(path.key, str)
        path = path.prev
    return depth


_selections_seen: dict[tuple[int, ...], tuple[tuple[FieldNode, ...], dict[str, Any]]] = {}
SELECTIONS_KEPT = 4096
_selections_computed = [0]


def selections_computed() -> int:
    """How many times a field's selection set was worked out (the rest were kept)."""
    return _selections_computed[0]


def _selections(info: GraphQLResolveInfo) -> dict[str, Any]:
    """`selectionSetList` and `selectionSetGraphQL` of a field, computed once per field of a
    kept query (its nodes are shared by every request that sends it: printing a selection set
    took more than a resolver's own JavaScript). The entry holds the nodes it was made from, so
    no other node can have their ids while it is kept."""
    nodes = tuple(info.field_nodes)
    key = tuple(map(id, nodes))
    seen = _selections_seen.get(key)
    if seen is not None:
        return seen[1]
    _selections_computed[0] += 1
    answer = {
        "selectionSetList": _selection_list(info),
        "selectionSetGraphQL": _selection_graphql(info),
    }
    if len(_selections_seen) >= SELECTIONS_KEPT:
        _selections_seen.clear()
    _selections_seen[key] = (nodes, answer)
    return answer


def _selection_list(info: GraphQLResolveInfo) -> list[str]:
    """AppSync's `selectionSetList`: each field path under this field once, fragments expanded.

    A fragment is expanded once per path prefix, so the work is linear in the answer, however
    often the query spreads the same fragment (a fragment spread twice per level is otherwise
    exponential in the number of levels)."""
    paths: dict[str, None] = {}
    expanded: set[tuple[str, str]] = set()

    def collect(selection_set: SelectionSetNode | None, prefix: str) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                path = prefix + selection.name.value
                paths[path] = None
                collect(selection.selection_set, path + "/")
            elif isinstance(selection, InlineFragmentNode):
                collect(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                seen = (selection.name.value, prefix)
                if seen not in expanded:
                    expanded.add(seen)
                    collect(info.fragments[selection.name.value].selection_set, prefix)

    for node in info.field_nodes:
        collect(node.selection_set, "")
    return list(paths)


def _selection_graphql(info: GraphQLResolveInfo) -> str:
    node = info.field_nodes[0]
    return print_ast(node.selection_set) if node.selection_set else ""


MAX_MESSAGE_CHARACTERS = 500
"""GraphQL's own messages quote the input (a bad value, a long name); they are cut to this."""


def clipped(message: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """`message` cut to `limit` characters, saying how long it was: errors never echo a whole
    input back."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}… ({len(message)} characters)"


def _locations(error: GraphQLError) -> list[dict[str, Any]] | None:
    if not error.locations:
        return None
    return [{"line": at.line, "column": at.column, "sourceName": None} for at in error.locations]


def _syntax_error(error: GraphQLError) -> dict[str, Any]:
    return {
        "path": None,
        "locations": _locations(error),
        "message": clipped(f"Invalid Syntax : {error.message}"),
    }


def _validation_error(error: GraphQLError) -> dict[str, Any]:
    return {
        "path": None,
        "locations": _locations(error),
        "message": clipped(f"Validation error: {error.message}"),
    }


def _field_error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, FieldError):
        message, kind, data, info = (
            original.message,
            original.error_type,
            original.data,
            original.info,
        )
    elif original is not None and not isinstance(original, GraphQLError):
        # A fault of the engine, not of the request: logged here, never shown to the caller.
        logger.error("resolving %s failed", error.path, exc_info=original)
        message, kind, data, info = "An internal failure occurred.", INTERNAL_FAILURE, None, None
    else:
        message, kind, data, info = clipped(error.message), None, None, None
    return {
        "path": error.path,
        "data": data,
        "errorType": kind,
        "errorInfo": info,
        "locations": _locations(error),
        "message": message,
    }
