"""Where moto's Step Functions interpreter needs help to behave as AWS does.

Moto's interpreter makes a new boto3 client for every task it runs; creating
clients from boto3's default session is not thread-safe ("dictionary changed size during
iteration" under concurrent executions) and costs tens of milliseconds each.
It also parses the definition again (ANTLR, in pure Python: ~0.3 s) for every execution, to
validate it when a machine is made, and to describe the machine or any of its executions; and
every JSONPath again (~1 ms) each time a state reads one, or writes its result to one (with
a parser it builds anew each time). Between states it deep-copies the data with
`copy.deepcopy`, which is slow for what is always JSON.
`step_functions_interpreter` hands it one client per (service, region), made under a lock,
parses each definition once for all of those and each JSONPath once (parsed programs, trees
and paths keep no execution state: that lives in the execution's environment), copies JSON
as JSON, silences its logging of every error a state catches, and signals each execution's
end (`wait_for_execution`) so a synchronous caller need not poll.

StartExecution without a name gets a UUID for one on AWS; moto names it "None", so a second
nameless start is that same execution again (same input) or "already exists" (another). And
the errors moto's interpreter raises (InvalidDefinition, ValidationException, …) name their
code where moto's error class does not look for it: a client saw an error with no code.

Express executions keep no history on AWS (GetExecutionHistory refuses them; only a logging
configuration's CloudWatch Logs sees their events), yet moto builds one for each, every state's
input and output serialized twice into it; and it hands its interpreter every machine's type as
STANDARD (`sm_type` is never set from the type asked for). With the machine's own type, an
Express execution with no logging session (`_UnrecordedHistory`) numbers its events as moto
does and keeps none of them.

It also runs every task state on a thread of its own, to time it out: a thread started and
joined per state (~0.1 ms of CPU each, four per booking). A request-response task (an SDK call,
a Lambda invoke: no `.sync`, no `.waitForTaskToken`) now runs on the execution's own thread, and
its `TimeoutSeconds` is judged when it returns: the same `States.Timeout`, reported when the
call ends instead of at the deadline (the call would have run on regardless, as on AWS).
Callback and `.sync` tasks, and every other state, keep moto's timer thread: they can wait
without end. Likewise the program: moto runs it on a thread of its own only to stop waiting at
the machine's `TimeoutSeconds`; a machine without one runs on the execution's own thread.
"""

import contextlib
import copy
import functools
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import UnknownServiceError
from moto.core.exceptions import AWSError
from moto.stepfunctions.models import StateMachineInstance
from moto.stepfunctions.parser import api as moto_api
from moto.stepfunctions.parser.api import StateMachineType
from moto.stepfunctions.parser.asl.component.common.path import result_path as moto_result_path
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    LambdaResource,
    ServiceResource,
)
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval import environment as moto_environment
from moto.stepfunctions.parser.asl.eval import states as moto_states
from moto.stepfunctions.parser.asl.eval.event.event_manager import (
    EventHistoryContext,
    EventManager,
)
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from local.aws.moto_core import OWN_CLIENTS

# Parsed definitions and paths hold no execution state, so they are shared across sessions.
_parse_path = functools.lru_cache(maxsize=4096)(moto_json_path.parse)
_parse_result_path = functools.lru_cache(maxsize=4096)(moto_result_path.parse)
_ORIGINAL_PARSE = AmazonStateLanguageParser.parse
_parses: dict[str, tuple[Any, Any]] = {}
"""Definition → moto's parse of it: the program it runs and the syntax tree analysers read
(neither keeps execution state: that lives in each execution's environment)."""
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
_parses_lock = threading.Lock()


_inline = threading.local()


class _InlineThread:
    """Stands in for the timer thread of a request-response task: runs it where it is."""

    def __init__(self, target: Any, daemon: bool = True) -> None:
        self._target = target

    def start(self) -> None:
        self._target()

    def is_alive(self) -> bool:
        return False


class _TimedEvent(threading.Event):
    """The task's end, told as moto asks for it: set within `timeout` of being made, or not."""

    def __init__(self) -> None:
        super().__init__()
        self._made = time.monotonic()
        self._set_at: float | None = None

    def set(self) -> None:
        self._set_at = time.monotonic()
        super().set()

    def wait(self, timeout: float | None = None) -> bool:
        ended = super().wait(timeout)
        return ended and (timeout is None or self._set_at - self._made <= timeout)


def _thread(target: Any, daemon: bool = True) -> Any:
    if getattr(_inline, "active", False):
        return _InlineThread(target, daemon)
    return threading.Thread(target=target, daemon=daemon)


def _event() -> threading.Event:
    return _TimedEvent() if getattr(_inline, "active", False) else threading.Event()


def _request_response(state: ExecutionState) -> bool:
    resource = getattr(state, "resource", None)
    kinds = (ServiceResource, LambdaResource)
    return isinstance(resource, kinds) and getattr(resource, "condition", None) is None


@contextmanager
def inline_request_response_tasks() -> Iterator[None]:
    """Request-response tasks, and programs without a timeout, on the execution's thread."""
    original = ExecutionState._evaluate_with_timeout

    def evaluate(state: ExecutionState, env: Any) -> None:
        if not _request_response(state):
            return original(state, env)
        outer, _inline.active = getattr(_inline, "active", False), True
        try:
            return original(state, env)
        finally:
            _inline.active = outer

    program_eval = Program.eval

    def run_program(program: Program, env: Any) -> None:
        timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
        if timeout is not None:  # moto's own reading of it
            return program_eval(program, env)
        env.next_state_name = program.start_at.start_at_name
        return EvalComponent.eval(program, env)

    with (
        mock.patch.object(Program, "eval", run_program),
        mock.patch.object(ExecutionState, "_evaluate_with_timeout", evaluate),
        mock.patch.object(execute_state, "Thread", _thread),
        mock.patch.object(execute_state, "threading", SimpleNamespace(Event=_event)),
    ):
        yield


class _UnrecordedHistory(EventManager):
    """An Express execution's events: numbered as moto numbers them, and not kept."""

    def add_event(
        self,
        context: EventHistoryContext,
        event_type: Any,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> int:
        with self._mutex:
            event_id: int = self._event_id_gen.get()
            context.last_published_event_id = event_id
            if update_source_event_id:
                context.source_event_id = event_id
            return event_id


_MACHINE_TYPE = property(lambda machine: machine.type, lambda machine, _ignored: None)
"""A state machine's type as its interpreter reads it (`sm_type`): the type it was made with."""


def _unrecorded(env: Any) -> bool:
    return isinstance(env.event_manager, _UnrecordedHistory)


@contextmanager
def unrecorded_express_history() -> Iterator[None]:
    environment = ExecutionWorker._get_evaluation_environment
    entered = CommonStateField._get_state_entered_event_details
    exited = CommonStateField._get_state_exited_event_details

    def evaluation_environment(worker: ExecutionWorker) -> Any:
        env = environment(worker)
        express = worker._evaluation_details.state_machine_details.typ == StateMachineType.EXPRESS
        if express and worker._cloud_watch_logging_session is None:
            env.event_manager = _UnrecordedHistory()
        return env

    def entered_details(state: CommonStateField, env: Any) -> Any:
        return None if _unrecorded(env) else entered(state, env)

    def exited_details(state: CommonStateField, env: Any) -> Any:
        if _unrecorded(env):
            env.variable_store.reset_tracing()  # what building the details also does
            return None
        return exited(state, env)

    with (
        mock.patch.object(StateMachineInstance, "sm_type", _MACHINE_TYPE, create=True),
        mock.patch.object(ExecutionWorker, "_get_evaluation_environment", evaluation_environment),
        mock.patch.object(CommonStateField, "_get_state_entered_event_details", entered_details),
        mock.patch.object(CommonStateField, "_get_state_exited_event_details", exited_details),
    ):
        yield


@contextmanager
def step_functions_interpreter() -> Iterator[None]:
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def client(**kwargs: Any) -> Any:
        key = (kwargs.get("service_name"), kwargs.get("region_name"), kwargs.get("endpoint_url"))
        with lock:
            if key not in clients:
                config = kwargs.pop("config", None)
                own = config.merge(OWN_CLIENTS) if config else OWN_CLIENTS
                clients[key] = boto3.client(**kwargs, config=own)
            return clients[key]

    def program(worker: ExecutionWorker) -> Any:
        return parsed(worker._evaluation_details.state_machine_details.definition)[0]

    start = StepFunctionsParserBackend.start_execution

    def start_named(backend: Any, arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return start(backend, arn, str(uuid.uuid4()) if name is None else name, *args, **kwargs)

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
            mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parsed)),
            mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", program),
            mock.patch.object(StepFunctionsParserBackend, "start_execution", start_named),
            mock.patch.object(moto_json_path, "parse", _parse_path),
            mock.patch.object(moto_result_path, "parse", _parse_result_path),
            ExitStack() as each,
            mock.patch.object(BaseExecutionWorkerCommunication, "terminated", signal_end),
            inline_request_response_tasks(),
            unrecorded_express_history(),
        ):
            for module in _COPYING_MODULES:
                each.enter_context(mock.patch.object(module, "copy", _JSON_COPYING))
            for error in _interpreter_errors():
                each.enter_context(mock.patch.object(error, "TYPE", error.code))
            yield
    finally:
        logger.setLevel(level)


def _interpreter_errors() -> list[type[AWSError]]:
    """The API errors of moto's interpreter: each names its code as `code`, which moto's
    `AWSError` overwrites with the HTTP status, and leaves `TYPE`, the code it sends, unset."""
    return [
        error
        for error in vars(moto_api).values()
        if isinstance(error, type) and issubclass(error, AWSError) and error is not AWSError
    ]


def warm_up_definition(definition: str, region: str) -> None:
    """What an execution of `definition` would first wait for: its parse (~0.3 s; made already
    if the machine was made in this run) and the clients of the services its tasks call (tens
    of milliseconds each)."""
    parsed(definition)
    for service in sorted(set(_TASK_SERVICE.findall(definition))):
        with contextlib.suppress(UnknownServiceError):
            moto_boto_client.boto_client_for(region, service)


def parsed(definition: str) -> tuple[Any, Any]:
    """moto's parse of a state machine definition, made once; one that does not parse raises
    moto's error each time."""
    with _parses_lock:
        if definition not in _parses:
            _parses[definition] = _ORIGINAL_PARSE(definition)
        return _parses[definition]


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
