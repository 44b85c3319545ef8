"""Where moto needs help to behave as AWS does, for the local cloud and the tests.

- Lambda: with `{"lambda": {"use_docker": False}}`, moto's Lambda (`awslambda_simple`) answers
  every invoke with a canned result. `route_lambda` sends invokes to the in-process runtime
  instead; `direct_lambda_tasks` lets Step Functions' Lambda tasks call it without Lambda's
  REST formats in between (moto builds a request router for every such call).
- Step Functions: moto's interpreter makes a new boto3 client for every task it runs; creating
  clients from boto3's default session is not thread-safe ("dictionary changed size during
  iteration" under concurrent executions) and costs tens of milliseconds each.
  It also parses the definition again (ANTLR, in pure Python: ~0.5 s) for every execution, and
  every JSONPath again (~1 ms) each time a state reads one, or writes its result to one (with
  a parser it builds anew each time). Between states it deep-copies the data with
  `copy.deepcopy`, which is slow for what is always JSON.
  `step_functions_interpreter` hands it one client per (service, region), made under a lock,
  parses each definition and each JSONPath once (parsed programs and paths keep no execution
  state: that lives in the execution's environment), copies JSON as JSON, silences its
  logging of every error a state catches, and signals each execution's end
  (`wait_for_execution`) so a synchronous caller need not poll.
- DynamoDB: moto checks a condition and then writes, without a lock, so two threads can both
  pass the same condition; and a read of a missing key inserts an empty partition, which breaks
  a transaction copying the table at that moment. `serialized_dynamodb` runs each item operation
  (and each transaction) alone: conditional writes become atomic, as DynamoDB guarantees and as
  Slate's correctness requires. moto also backs up every table a transaction touches by copying
  it whole (~110 ms a transaction at 5,000 items); `item_level_transactions` backs up only the
  items the transaction names, and the stream records it added, and restores those on a cancel.
  Stream reads take the same lock, so a reader never sees a record of a transaction that is
  then cancelled.
- DynamoDB queries: moto sorts the whole table for every Query. `indexed_tables` answers them
  from key-ordered indexes kept by every write (`dynamodb_indexes`), and counts every read of a
  whole table (`full_table_reads`), so a regression shows as a number, not a slowdown.
- DynamoDB calls from inside the process: their responses skip moto's serializer and botocore's
  parser (`inprocess_dynamodb`).
- DynamoDB expressions: parsed once per shape, not several times per use (`dynamodb_expressions`).
- DynamoDB Streams: moto keeps every record for good; `expire_stream_records` drops what is past
  the service's 24 hours (the saved state calls it as it writes a new base).
- Every service: moto lists a response class's methods (`inspect.getmembers`) on every request,
  to check that the action is one; `listing_actions_once` keeps each class's list. And moto
  keeps every model instance it ever made (each item, each version and copy of it, each stream
  record, each execution's copy of its state machine) in a list per class, for its dashboard:
  memory, and the garbage collector's walks over it, grew with every write. `untracked_models`
  keeps none (the local cloud serves no dashboard).
"""

import bisect
import contextlib
import copy
import functools
import io
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import ClientError, UnknownServiceError
from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.stepfunctions.parser.asl.component.common.path import result_path as moto_result_path
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
)
from moto.stepfunctions.parser.asl.eval import environment as moto_environment
from moto.stepfunctions.parser.asl.eval import states as moto_states
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from . import dynamodb_indexes, wakeups
from .appsync_listing import answering_endpoints
from .dynamodb_expressions import parsing_once
from .inprocess_dynamodb import answering_in_process
from .lambda_runtime import FUNCTION_ERROR_HEADER, LambdaRuntime, UnknownFunction

TRIGGER_HEADER = "x-slate-trigger"
"""Tells the Lambda route what invoked a function (the state machine's tasks say so)."""

MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
_ITEM_OPERATIONS = (
    "get_item",
    "query",
    "scan",
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
)
DYNAMODB_LOCK = threading.RLock()
"""Held by every item operation, transaction and stream read of moto's DynamoDB."""
_full_table_reads = [0]


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


@contextmanager
def serialized_dynamodb() -> Iterator[None]:
    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with DYNAMODB_LOCK:
                return method(*args, **kwargs)

        return locked

    with ExitStack() as patches:
        for name in _ITEM_OPERATIONS:
            original = getattr(DynamoDBBackend, name)
            patches.enter_context(mock.patch.object(DynamoDBBackend, name, serialized(original)))
        get_records = serialized(DynamoDBStreamsBackend.get_records)
        patches.enter_context(mock.patch.object(DynamoDBStreamsBackend, "get_records", get_records))
        yield


def full_table_reads() -> int:
    """How many times a whole table was read (moto's own query or scan, or an index built)."""
    return _full_table_reads[0] + dynamodb_indexes.full_reads()


ItemObserver = Callable[[Table, DynamoType, DynamoType | None], None]
_item_observers: list[ItemObserver] = []


def item_written(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    """Every write of an item ends here (under `DYNAMODB_LOCK`): the indexes follow it, and so
    does whatever observes writes (the local cloud's snapshots)."""
    dynamodb_indexes.index_of(table).reindex(hash_value, range_value)
    for observer in _item_observers:
        observer(table, hash_value, range_value)


@contextmanager
def observing_item_writes(observer: ItemObserver) -> Iterator[None]:
    _item_observers.append(observer)
    try:
        yield
    finally:
        _item_observers.remove(observer)


def as_client_error(error: JsonRESTError, operation: str) -> ClientError:
    """A refusal of a moto backend, called directly, as botocore raises it from the wire."""
    return ClientError(
        {
            "Error": {"Code": error.error_type, "Message": error.message},
            "ResponseMetadata": {"HTTPStatusCode": error.code, "RequestId": ""},
        },
        operation,
    )


@contextmanager
def indexed_tables() -> Iterator[None]:
    """Queries from the indexes; every write re-indexes the key it wrote."""
    put, delete, update = Table.put_item, Table.delete_item, DynamoDBBackend.update_item
    every_item, indexed_items = Table.all_items, Table.has_idx_items

    def put_item(table: Table, *args: Any, **kwargs: Any) -> Any:
        item = put(table, *args, **kwargs)
        item_written(table, item.hash_key, item.range_key)
        return item

    def delete_item(table: Table, hash_key: Any, range_key: Any) -> Any:
        try:
            return delete(table, hash_key, range_key)
        finally:
            item_written(table, hash_key, range_key)

    def update_item(backend: DynamoDBBackend, table_name: str, key: dict, *args, **kwargs):
        try:
            return update(backend, table_name, key, *args, **kwargs)
        finally:
            table = backend.tables.get(table_name)
            if table is not None and table.hash_key_attr in key:
                range_key = key.get(table.range_key_attr) if table.range_key_attr else None
                item_written(
                    table,
                    DynamoType(key[table.hash_key_attr]),
                    DynamoType(range_key) if range_key is not None else None,
                )

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def read(*args: Any, **kwargs: Any) -> Any:
            _full_table_reads[0] += 1
            return method(*args, **kwargs)

        return read

    with (
        mock.patch.object(Table, "query", dynamodb_indexes.indexed_query(Table.query)),
        mock.patch.object(Table, "put_item", put_item),
        mock.patch.object(Table, "delete_item", delete_item),
        mock.patch.object(DynamoDBBackend, "update_item", update_item),
        mock.patch.object(Table, "all_items", counted(every_item)),
        mock.patch.object(Table, "has_idx_items", counted(indexed_items)),
    ):
        yield


class _SameTable:
    """Stands in for `copy` inside moto's DynamoDB models: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value)


@contextmanager
def item_level_transactions() -> Iterator[None]:
    """moto backs up every table a transaction touches by deep-copying it, a cost that grows
    with the table; this backs up only the items the transaction names (and the length of each
    table's stream), and restores those when the transaction is cancelled."""
    original = DynamoDBBackend.transact_write_items

    def transact(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = [_snapshot(backend, entry) for entry in transact_items]
        streams = {
            name: len(table.stream_shard.items)
            for name, table in backend.tables.items()
            if table.stream_shard is not None
        }
        try:
            with mock.patch.object(dynamodb_models, "copy", _SameTable):
                original(backend, transact_items)
        except (
            TransactionCanceledException,
            MultipleTransactionsException,
            MockValidationException,
        ):
            for snapshot in saved:
                if snapshot is not None:
                    _restore(*snapshot)
            for name, length in streams.items():
                del backend.tables[name].stream_shard.items[length:]
            raise

    with mock.patch.object(DynamoDBBackend, "transact_write_items", transact):
        yield


def _snapshot(backend: DynamoDBBackend, entry: dict[str, Any]) -> tuple | None:
    """(table, hash, range, a copy of the item or None) for one transaction item."""
    _, operation = next(iter(entry.items()))
    table = backend.tables.get(operation.get("TableName"))
    key = operation.get("Key") or operation.get("Item") or {}
    if table is None or table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    partition = table.items.get(hash_value)
    if range_value is None:
        current = partition
    else:
        current = partition.get(range_value) if partition else None
    return table, hash_value, range_value, copy.deepcopy(current)


def _restore(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
    put_back(table, hash_value, range_value, item)
    item_written(table, hash_value, range_value)


STREAM_RETENTION = timedelta(hours=24)
"""How long DynamoDB Streams keeps a record."""


def expire_stream_records(now: datetime) -> int:
    """Drops the stream records older than `STREAM_RETENTION`, as DynamoDB Streams does (moto
    keeps every one for good); how many. Records are appended in time order, so the expired
    ones are a prefix; the shard's first sequence number moves past them, and every later
    record keeps its own."""
    cutoff = (now - STREAM_RETENTION).astimezone(UTC).replace(tzinfo=None)  # moto's naive UTC
    dropped = 0
    with DYNAMODB_LOCK:
        for regions in dynamodb_models.dynamodb_backends.values():
            for backend in regions.values():
                for table in backend.tables.values():
                    shard = table.stream_shard
                    if shard is None or not shard.items:
                        continue
                    expired = bisect.bisect_left(shard.items, cutoff, key=_record_time)
                    del shard.items[:expired]
                    shard.starting_sequence_number += expired
                    dropped += expired
    return dropped


def _record_time(record: Any) -> datetime:
    moment = record.record["dynamodb"]["ApproximateCreationDateTime"]
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def put_back(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
    """Stores `item` at its key in the table as moto keeps items (None: removes it), with no
    stream record and no hook: a restore, not a write."""
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition = table.items[hash_value]
    if item is None:
        partition.pop(range_value, None)
        if not partition:
            del table.items[hash_value]
    else:
        partition[range_value] = item


# Parsed definitions and paths hold no execution state, so they are shared across sessions.
_parse_path = functools.lru_cache(maxsize=4096)(moto_json_path.parse)
_parse_result_path = functools.lru_cache(maxsize=4096)(moto_result_path.parse)
_programs: dict[str, Any] = {}
_COPYING_MODULES = (
    moto_states,
    moto_environment,
    moto_result_path,
    string_expression,
    execute_state,
    state_task_service,
)
_IMMUTABLE_JSON = (str, int, float, bool, type(None))


def json_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy` for the JSON values a state machine passes from state to state, several
    times faster; anything else is deep-copied as `copy.deepcopy` does."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item, memo) for key, item in value.items()}
    if kind is list:
        return [json_copy(item, memo) for item in value]
    if kind in _IMMUTABLE_JSON:
        return value
    return copy.deepcopy(value, memo)


_JSON_COPYING = SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
_TASK_SERVICE = re.compile(r"arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):")
_programs_lock = threading.Lock()


@contextmanager
def step_functions_interpreter() -> Iterator[None]:
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def client(**kwargs: Any) -> Any:
        key = (kwargs.get("service_name"), kwargs.get("region_name"), kwargs.get("endpoint_url"))
        with lock:
            if key not in clients:
                clients[key] = boto3.client(**kwargs)
            return clients[key]

    def program(worker: ExecutionWorker) -> Any:
        return parsed_definition(worker._evaluation_details.state_machine_details.definition)

    terminated = BaseExecutionWorkerCommunication.terminated

    def signal_end(communication: BaseExecutionWorkerCommunication) -> None:
        terminated(communication)
        _execution_end(communication.execution.exec_arn).set()

    logger = logging.getLogger("moto.stepfunctions.parser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with (
            mock.patch.object(moto_boto_client, "boto3", SimpleNamespace(client=client)),
            mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", program),
            mock.patch.object(moto_json_path, "parse", _parse_path),
            mock.patch.object(moto_result_path, "parse", _parse_result_path),
            ExitStack() as copying,
            mock.patch.object(BaseExecutionWorkerCommunication, "terminated", signal_end),
        ):
            for module in _COPYING_MODULES:
                copying.enter_context(mock.patch.object(module, "copy", _JSON_COPYING))
            yield
    finally:
        logger.setLevel(level)


def warm_up_definition(definition: str, region: str) -> None:
    """What an execution of `definition` would first wait for: its parse (~0.5 s) and the
    clients of the services its tasks call (tens of milliseconds each)."""
    parsed_definition(definition)
    for service in sorted(set(_TASK_SERVICE.findall(definition))):
        with contextlib.suppress(UnknownServiceError):
            moto_boto_client.boto_client_for(region, service)


def parsed_definition(definition: str) -> Any:
    """A state machine definition as moto's interpreter runs it, parsed once."""
    with _programs_lock:
        if definition not in _programs:
            _programs[definition] = AmazonStateLanguageParser.parse(definition)[0]
        return _programs[definition]


_execution_ends: dict[str, threading.Event] = {}
_execution_ends_lock = threading.Lock()


def _execution_end(execution_arn: str) -> threading.Event:
    with _execution_ends_lock:
        return _execution_ends.setdefault(execution_arn, threading.Event())


def wait_for_execution(execution_arn: str, timeout: float) -> bool:
    """Block until the execution ends (True) or `timeout` passes (False)."""
    finished = _execution_end(execution_arn).wait(timeout)
    if finished:
        with _execution_ends_lock:
            _execution_ends.pop(execution_arn, None)
    return finished


@contextmanager
def listing_actions_once() -> Iterator[None]:
    listed = functools.lru_cache(maxsize=None)(moto_responses.method_names_from_class)
    with mock.patch.object(moto_responses, "method_names_from_class", listed):
        yield


@contextmanager
def untracked_models() -> Iterator[None]:
    def new(cls: type, *_args: Any, **_kwargs: Any) -> Any:
        return super(BaseModel, cls).__new__(cls)

    for model in _subclasses(BaseModel):
        model.instances_tracked = []
    with mock.patch.object(BaseModel, "__new__", staticmethod(new)):
        yield


def _subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


@contextmanager
def local_aws(runtime: LambdaRuntime) -> Iterator[None]:
    """Everything above, for one in-process moto session."""
    # Item-level transactions go inside the serialization, so their backups are taken under it.
    with (
        route_lambda(runtime),
        direct_lambda_tasks(),
        indexed_tables(),
        parsing_once(),
        item_level_transactions(),
        serialized_dynamodb(),
        step_functions_interpreter(),
        wakeups.watching_writes(),
        answering_in_process(),
        listing_actions_once(),
        untracked_models(),
        answering_endpoints(),
    ):
        yield
